"""The layers of docs/architecture.md, held by the source itself."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = [path for path in ROOT.rglob("*.py")
           if not {".venv", "node_modules", "tests", "bench", "migrations"} & set(path.relative_to(ROOT).parts)]


def source_of(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8")


def relative(paths) -> set[str]:
    return {str(path.relative_to(ROOT)) for path in paths}


def test_sources_are_found():
    assert {"app.py", "actions/messages.py", "realtime/socketio_adapter.py"} <= relative(SOURCES)


def test_no_action_commits():
    """Actions join their caller's unit of work: the only commits are the unit's own."""
    assert relative(path for path in SOURCES if path.parts[-2] == "actions" and "commit()" in source_of(path)) == set()


def test_only_the_adapter_and_the_handlers_use_socketio():
    uses = re.compile(r"^\s*(from flask_socketio import|import socketio|from socketio"
                      r"|from extensions import .*\bsocketio\b)", re.MULTILINE)
    users = relative(path for path in SOURCES if uses.search(source_of(path)))
    assert users == {"extensions.py", "app.py", "realtime/socketio_adapter.py", "blueprints/chat/events.py",
                     "blueprints/auth/qr_events.py",
                     "blueprints/chat/socket_support.py", "blueprints/chat/socket_queue.py",
                     "realtime/room_index.py",  # python-socketio's manager itself, its rooms indexed
                     "realtime/text_packets.py"}  # its packet class, JSON text only


def test_the_domain_does_not_know_the_wire_format():
    imports_payloads = re.compile(r"^\s*(from payloads import|import payloads)", re.MULTILINE)
    domain = [path for path in SOURCES if path.parts[-2] in ("actions", "events", "models")]
    assert relative(path for path in domain if imports_payloads.search(source_of(path))) == set()


def test_the_files_the_architecture_page_names_exist():
    """docs/architecture.md's tables send the next engineer to files: each one is there (a bare
    file name, e.g. `socket_queue.py` after its full path, somewhere in the project)."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z0-9_]+/)*[a-z0-9_.]+\.(?:py|js|md))`", page)
                + re.findall(r"`((?:[a-z0-9_]+/)+)`", page))
    assert {"actions/access.py", "storage/avatars.py", "static/js/i18n.js", "jobs/", "socket_queue.py"} <= named
    project = {path.name for path in ROOT.rglob("*") if not {".venv", "node_modules", ".git"} & set(path.parts)}
    assert {name for name in named if not (ROOT / name).exists() and name not in project} == set()


def test_stored_secrets_are_hashed_in_one_place():
    """Tokens, invitations, QR links and recovery codes are hashed by actions.token_hash alone; codes
    sent to an address are HMACed by actions.codes, rate-limit keys shortened by actions.rate_limits,
    and the metrics token compared in constant time by blueprints/ops."""
    hashing = re.compile(r"\bhashlib\.|\bimport hashlib\b|\bhmac\.")
    transports = ("actions", "blueprints", "gateway", "realtime")
    users = relative(path for path in SOURCES
                     if set(path.relative_to(ROOT).parts[:1]) & set(transports) and hashing.search(source_of(path)))
    assert users == {"actions/token_hash.py", "actions/codes.py", "actions/rate_limits.py", "blueprints/ops.py"}


def test_the_two_factor_secret_is_sealed_in_one_place():
    """actions/sealed_secrets.py alone seals and opens it (Fernet), with the key that is kept out of the database."""
    sealing = re.compile(r"\bcryptography\.fernet\b|\bFernet\(")
    assert relative(path for path in SOURCES if sealing.search(source_of(path))) == {"actions/sealed_secrets.py"}


def test_actions_messages_never_imports_actions_files():
    """docs/architecture.md: `actions.files` imports `actions.messages`, never the reverse, not even inside a
    function (an author's deletion of a message removes its file through `actions.stored_objects`, below both)."""
    imports_files = re.compile(r"^\s*(from actions\.files import|import actions\.files)", re.MULTILINE)
    assert not imports_files.search(source_of(ROOT / "actions" / "messages.py"))
