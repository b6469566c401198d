"""actions/access.py: the one home of "who may". Who is an operator is decided there and
nowhere else; names tell what was checked (`access_*` authorize, `get_*`/`find_*` only load,
`_private` building blocks stay in their module)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin

from actions.access import access_operator, get_active_user, get_group, is_operator
from actions.errors import Forbidden, NotFound
from tests.factories import make_group

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {".venv", "node_modules", "tests", "migrations", "bench", ".git"}
ACCESS_MODULE = ROOT / "actions" / "access.py"
# Branching on an account's role: `.is_admin`, `role == "admin"`, `role in ("admin", ...)`.
# A group member's role (Membership.role, MANAGER_ROLES) is another thing and allowed.
OPERATOR_TESTS = re.compile(r"\.is_admin\b|\brole\s*(==|!=)\s*['\"]admin['\"]|['\"]admin['\"]\s*(==|!=)\s*[\w.]*role\b"
                            r"|\brole\s+(not\s+)?in\s*[(\[{][^)\]}]*['\"]admin['\"]")


def decides_operator(line: str) -> bool:
    return bool(OPERATOR_TESTS.search(line)) and "membership.role" not in line.lower()


def source_files() -> list[Path]:
    return [path for path in ROOT.rglob("*.py") if not SKIPPED.intersection(path.relative_to(ROOT).parts)]


def test_active_operators_only(alice, operator):
    assert is_operator(operator) and access_operator(operator) is operator
    operator.active = False
    for nobody in (alice, operator, None, AnonymousUserMixin()):
        assert not is_operator(nobody)
        with pytest.raises(Forbidden) as refused:
            access_operator(nobody)
        assert refused.value.code == "not_an_operator"


def test_loaders_only_load(alice, bob):
    group = make_group(alice, "Team")
    assert get_group(group.id) is group and get_active_user(bob.id) is bob
    bob.active = False
    with pytest.raises(NotFound):
        get_active_user(bob.id)
    with pytest.raises(NotFound):
        get_group(9999)


def test_no_module_but_actions_access_decides_who_is_an_operator():
    deciding = []
    for path in source_files():
        if path == ACCESS_MODULE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if decides_operator(line):
                deciding.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert deciding == []


def test_the_search_finds_what_it_must():
    for line in ("if user.is_admin:", 'ok = user.role == "admin"', "if role != 'admin':",
                 'if current_user.role in ("admin", "owner"):', '"admin" == user.role'):
        assert decides_operator(line), line
    assert not decides_operator('.order_by((Membership.role == "admin").desc())')


def test_access_functions_authorize_and_private_names_stay_home():
    """`access_*` take the caller (a user) first; nothing imports another module's `_private` name."""
    loaders_named_access, private_imports = [], []
    for path in source_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("access_") and node.col_offset == 0:
                first = node.args.args[0].arg if node.args.args else None
                if first not in ("user", "operator", "reporter"):
                    loaders_named_access.append(f"{path.relative_to(ROOT)}: {node.name}({first})")
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
                private_imports += [f"{path.relative_to(ROOT)}: {node.module}.{alias.name}" for alias in node.names
                                    if alias.name.startswith("_")]
    assert loaders_named_access == [] and private_imports == []


def test_the_read_receipt_bulk_rules_are_the_single_one(alice, bob, carol):
    """read_receipt_viewers (one reader, many viewers) and visible_readers (one viewer, many readers)
    answer as may_see_read_receipts does for each pair: blocks either way, `nobody` seeing nobody's,
    `contacts` for contacts only."""
    from actions.access import may_see_read_receipts, read_receipt_viewers, visible_readers
    from tests.factories import privacy_neighbours, set_privacy

    dave, erin, frank = privacy_neighbours(alice, bob, carol, dave_hides="read_receipts")
    people = [alice.id, bob.id, carol.id, dave.id, erin.id, frank.id]
    for audience in ("everyone", "contacts", "nobody"):
        set_privacy(alice, read_receipts=audience)
        assert read_receipt_viewers(alice.id, people) == {
            viewer for viewer in people if may_see_read_receipts(viewer, alice.id)}, audience
        for viewer in people:
            assert visible_readers(viewer, people) == {
                reader for reader in people if may_see_read_receipts(viewer, reader)}, (audience, viewer)
    assert visible_readers(erin.id, people) == {erin.id, bob.id, carol.id, frank.id}  # alice and dave: nobody
