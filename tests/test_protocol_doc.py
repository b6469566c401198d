"""The promises of docs/protocol.md, held by the source: it names exactly the Socket.IO events the
server handles and the ones it emits, its Errors section every code a refusal carries, and docs/
every public route."""
from __future__ import annotations

import ast
import itertools
import pathlib
import re

from extensions import socketio
from realtime import QR_LOGIN_NAMESPACE

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
# Where frames are emitted: the adapters, and the QR login namespace's own handlers.
EMITTERS = [*sorted((ROOT / "realtime").glob("*.py")), *sorted((ROOT / "blueprints").rglob("*.py"))]
# events.facts.QrLoginAnswered.outcome: the adapter emits f"qr:{outcome}".
QR_OUTCOMES = ("scanned", "approved", "refused")


def section(title: str) -> str:
    """The text of docs/protocol.md's `## title`, up to the next `## ` heading."""
    start = PROTOCOL.index(f"\n## {title}\n")
    end = PROTOCOL.find("\n## ", start + 1)
    return PROTOCOL[start:end if end != -1 else None]


def table_events(text: str, header: str) -> set[str]:
    """The first column of the table whose header row starts with `| header |`."""
    rows = itertools.takewhile(lambda line: line.startswith("|"), text[text.index(f"| {header} |"):].splitlines()[2:])
    return {re.match(r"\| `([^`]+)` \|", row).group(1) for row in rows}


def handled(namespace: str) -> set[str]:
    return set(socketio.server.handlers[namespace]) - {"connect", "disconnect", "*"}  # "*": an unknown event


def _literals(node: ast.expr) -> set[str]:
    """The strings a value spelled with literals can be ("a", "a" if … else "b"); none for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _strings(node: ast.expr, names: dict[str, set[str]]) -> set[str]:
    """The event names an emit's first argument can take; one the source does not spell out fails the test."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and names.get(node.id):
        return names[node.id]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, names) | _strings(node.orelse, names)
    if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'qr:{fact.outcome}'":
        return {f"qr:{outcome}" for outcome in QR_OUTCOMES}
    raise AssertionError(f"an event name this test cannot read: {ast.unparse(node)}")


def emitted_events() -> set[str]:
    events = set()
    for path in EMITTERS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            # NAME = "delivery_status", event = "message:new" if … else "message:updated"
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                names.setdefault(node.targets[0].id, set()).update(_literals(node.value))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if isinstance(node.args[0], ast.Starred):  # a wrapper passing on the emit it wraps (realtime.direct_writes)
                continue
            if called in ("emit", "emit_frame") and not isinstance(node.args[0], ast.Subscript):  # frame["emit"]
                events |= _strings(node.args[0], names)
    return events


def test_the_source_is_read():
    assert {"message:new", "message:updated", "delivery_status", "qr:code", "qr:approved", "presence"} <= (
        emitted_events())


def test_every_client_event_is_documented(app):
    assert table_events(section("Socket.IO: client → server"), "event") == handled("/")


def test_every_qr_login_client_event_is_documented(app):
    qr_login = section("QR-code login: the `/qr-login` namespace")
    assert table_events(qr_login, "client → server") == handled(QR_LOGIN_NAMESPACE)


def test_every_emitted_event_is_documented():
    qr_login = section("QR-code login: the `/qr-login` namespace")
    documented = table_events(section("Socket.IO: server → client"), "event") | table_events(qr_login,
                                                                                           "server → client")
    assert documented == emitted_events()


def raised_codes() -> set[str]:
    """Every error code the source spells out where it refuses: `NotFound("user_not_found", …)` with
    any ActionError subclass (or in one's `super().__init__`), and storage.avatars' refusals (422s)."""
    from actions.errors import ActionError

    classes, found = {"ActionError", "AvatarRefused"}, [ActionError]
    while found:
        subclass = found.pop()
        classes.add(subclass.__name__)
        found.extend(subclass.__subclasses__())
    refusal = re.compile(r'(?:\b(?:' + "|".join(sorted(classes)) + r')|super\(\)\.__init__)\(\s*"([a-z_]+)"')
    sources = [path for path in ROOT.rglob("*.py")
               if not {".venv", "node_modules", "tests", "bench", "migrations"} & set(path.relative_to(ROOT).parts)]
    return {code for path in sources for code in refusal.findall(path.read_text(encoding="utf-8"))}


def test_every_error_code_is_in_the_errors_section(app):
    """docs/protocol.md's Errors section says "these are all the codes": each one a refusal can carry is
    there (the `invalid_<field>` rule covers those; file errors are in docs/files.md, the gateway's own
    in docs/gateway.md)."""
    listed = section("Errors") + "".join((ROOT / "docs" / name).read_text(encoding="utf-8")
                                         for name in ("files.md", "gateway.md"))
    codes = raised_codes()
    assert {"user_not_found", "rate_limited", "server_busy", "qr_expired", "image_too_large"} <= codes
    assert sorted(code for code in codes if not code.startswith("invalid_") and f"`{code}`" not in listed) == []


def documented_statuses() -> dict[str, set[int]]:
    """Each code the Errors section names with its status: in the table (its row's status) and in the
    paragraphs after it ("400 `a`, `b`; 403 `c`")."""
    statuses: dict[str, set[int]] = {}
    text = section("Errors")
    for line in text.splitlines():
        if row := re.match(r"\| (\d{3})\b[^|]*\| (.*)\|$", line):
            for code in re.findall(r"`([a-z_]+)`", row.group(2)):
                statuses.setdefault(code, set()).add(int(row.group(1)))
    prose = " ".join(line for line in text.splitlines() if not line.startswith("|"))
    for status, codes in re.findall(r"\b([1-5]\d\d) ((?:`[a-z_]+`(?: \([^)]*\))?(?:,? (?:and )?)?)+)", prose + " "):
        for code in re.findall(r"`([a-z_]+)`", codes):
            statuses.setdefault(code, set()).add(int(status))
    return statuses


def raised_statuses() -> dict[str, set[int]]:
    """Each code the source refuses with, and the statuses it comes with: the class's (`Conflict("…")`:
    409), or the status an `ActionError("…", message, 413)` names."""
    from actions.errors import ActionError

    classes, found = {"ActionError": ActionError.status}, [ActionError]
    while found:
        subclass = found.pop()
        classes[subclass.__name__] = subclass.status
        found.extend(subclass.__subclasses__())
    statuses: dict[str, set[int]] = {}
    for path in ROOT.rglob("*.py"):
        if {".venv", "node_modules", "tests", "bench", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None) and getattr(node.func, "id", getattr(node.func, "attr", None))
            if not (isinstance(node, ast.Call) and name in classes and node.args
                    and isinstance(node.args[0], ast.Constant) and re.fullmatch(r"[a-z_]+", str(node.args[0].value))):
                continue
            given = [*node.args[2:3], *(keyword.value for keyword in node.keywords if keyword.arg == "status")]
            if given and not isinstance(given[0], ast.Constant):
                continue  # a status computed at run time: not this test's to read
            statuses.setdefault(node.args[0].value, set()).add(given[0].value if given else classes[name])
    return statuses


def test_every_error_code_comes_with_the_status_the_errors_section_gives_it(app):
    """A client reads the status from the table; a code raised with another status than its row's would
    be handled as the wrong kind of refusal (a 409 taken for a 400, a 404 retried)."""
    documented = documented_statuses()
    assert documented["request_not_found"] == {404} and documented["job_not_failed"] == {409}
    raised = raised_statuses()
    assert raised["cannot_suspend_self"] == {409} and raised["file_too_large"] == {413}
    # The 400 row's rule: `invalid_<field>` for any field (so `invalid_code` is 400 for a malformed `code` and
    # 401 for a wrong two-factor code, `invalid_crop` 400 for a missing field and 422 for a crop off the picture).
    field_rule = {400}
    wrong = {code: (sorted(statuses), sorted(documented[code])) for code, statuses in raised.items()
             if code in documented and not statuses <= documented[code] | (field_rule if code.startswith("invalid_")
                                                                            else set())}
    assert wrong == {}


def test_gunicorns_own_refusals_are_in_the_errors_section():
    """gunicorn refuses what passes its limits (gunicorn.conf.py) before the app, with its own page and
    status: the Errors table names each status with the limit it has now (431 was missing: a client sending a
    big cookie or header met a status the table did not have)."""
    import runpy

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    errors = section("Errors")
    row = {status: next(line for line in errors.splitlines() if line.startswith(f"| {status} |"))
           for status in ("414", "431")}
    assert f"over {settings['limit_request_line']} bytes" in row["414"]
    assert f"over {settings['limit_request_field_size']} bytes" in row["431"]
    assert f"more than {settings['limit_request_fields']} header fields" in row["431"]


# The routes programs call; the pages (/login, /settings, /admin …) are the web page's own, and
# /ws/im is docs/gateway.md's URL.
PUBLIC_ROUTES = ("/api/", "/files/", "/login/qr", "/qr/", "/language", "/healthz", "/readyz", "/metrics", "/sw.js")


def test_every_public_route_is_documented(app):
    """Each `METHOD /path` (`<id>` for any path parameter) is named in docs/ (protocol.md for most;
    files.md, gateway.md, deployment.md and translations.md for theirs)."""
    docs = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))
    any_parameter = re.compile(r"<[^>]*>")
    named = {(method, any_parameter.sub("<>", path))
             for method, path in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[^\s`?|)]*)", docs)}
    routes = {(method, any_parameter.sub("<>", rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(PUBLIC_ROUTES) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert ("DELETE", "/api/conversations/<>/mute") in routes
    assert sorted(routes - named) == []


def test_every_table_row_has_its_headers_cells():
    """Clients read these pages on GitHub, whose tables split a cell at any `|` not written `\\|`, even
    inside code, and end a table at a line that does not start with `|`: every row of every table of
    the documents keeps its header's number of cells, on one line."""
    broken = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        in_code, cells = False, None
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("```"):
                in_code = not in_code
            if in_code or not line.startswith("|"):
                if cells is not None and line.strip() and not in_code:
                    broken.append(f"{page.name}:{number}: a table row continued on a line of its own")
                cells = None
                continue
            count = line.replace("\\|", "").count("|")
            if cells is None:
                cells = count
            elif count != cells:
                broken.append(f"{page.name}:{number}: {count - 1} cells, the header has {cells - 1}")
    assert broken == []


def test_every_event_a_reconnect_misses_has_a_documented_way_back(app):
    """An event sent while a client was away is lost (only messages are replayed, by `sync`): the
    Resync section's table names, for every event the chat namespace emits, what reads its outcome
    again, and what it names are requests the server answers."""
    resync = section("Delivery guarantees")
    qr_login = table_events(section("QR-code login: the `/qr-login` namespace"), "server → client")
    assert table_events(resync, "missed event") == emitted_events() - qr_login
    table = resync[resync.index("| missed event |"):].split("\n\n")[0]
    named = {name for row in table.splitlines()[2:] for name in re.findall(r"`([a-z]+:[a-z_]+|sync)`",
                                                                             row.split(" | ", 1)[1])}
    events_named = {name for name in named if name not in emitted_events()}
    assert events_named and events_named <= handled("/"), events_named - handled("/")
