"""GROUP_ADD_POLICY: who may put someone in a group."""
import pytest

from actions.errors import Forbidden
from actions.group_admin import add_group_member
from actions.groups import add_member, create_group, join_group
from tests.factories import make_group
from tests.helpers import refused


def test_by_default_anyone_may_add_anyone(alice, bob, carol):
    group = create_group(alice, "Open", member_ids=[bob.id])
    assert add_member(alice, group.id, carol.id).user_id == carol.id


@pytest.mark.parametrize("app_settings", [{"GROUP_ADD_POLICY": "nobody"}])
def test_with_nobody_people_join_by_themselves_or_through_operators(app, alice, bob, carol, operator):
    group = make_group(alice, "Team", visibility="public")
    assert refused(add_member, alice, group.id, bob.id) == (403, "cannot_add_user")
    assert refused(create_group, alice, "Crowd", "", "private", [bob.id, carol.id]) == (403, "cannot_add_user")
    assert join_group(bob, group.id).user_id == bob.id  # a public group, on their own
    assert add_group_member(operator, group.id, carol.id).user_id == carol.id  # an operator's decision


def test_an_unknown_policy_is_refused_at_startup(tmp_path):
    from config import load_config

    with pytest.raises(RuntimeError, match="GROUP_ADD_POLICY"):
        load_config(str(tmp_path), {"SWITCHBOARD_ENV": "testing", "GROUP_ADD_POLICY": "contacts"})


def test_the_refusal_is_documented():
    from pathlib import Path

    assert "`cannot_add_user`" in (Path(__file__).parent.parent / "docs" / "protocol.md").read_text()
    assert Forbidden.status == 403
