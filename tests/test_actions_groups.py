"""actions.groups: create, discover, join, leave, member management, rename, and the events each emits."""
import pytest

from actions.errors import InvalidInput, NotFound
from actions.group_admin import add_group_member, delete_group_by_owner
from actions.groups import (
    add_member,
    create_group,
    join_group,
    leave_group,
    list_members,
    list_public_groups,
    preview_group,
    remove_member,
    set_member_role,
    transfer_ownership,
    update_group,
)
from actions.messages import post_system_message
from extensions import db
from models import AuditEntry, Conversation, Membership, Message
from models.time import utcnow
from payloads import conversation_payload, member_payload, message_payload
from tests.factories import make_group, make_user
from tests.helpers import database_rows, events, names, refused, run_queued_jobs


def roles(group: Conversation) -> dict[str, str]:
    db.session.expire_all()
    memberships = db.session.execute(db.select(Membership).where(Membership.conversation_id == group.id)).scalars()
    return {membership.user.username: membership.role for membership in memberships}


def membership_of(group: Conversation, user) -> Membership:
    return db.session.execute(db.select(Membership).where(
        Membership.conversation_id == group.id, Membership.user_id == user.id)).scalar_one()


def note(group: Conversation, back: int = 0) -> tuple[str, dict]:
    """The `message:new` of the group's newest membership note (`back` notes before it)."""
    db.session.expire_all()
    message = db.session.execute(db.select(Message).where(
        Message.conversation_id == group.id, Message.kind == "system").order_by(Message.seq.desc())
        .offset(back).limit(1)).scalar_one()
    return ("message:new", {"message": message_payload(message)})


def read(group: Conversation, seq: int) -> tuple[str, dict]:
    return ("conversation:read", {"conversation_id": group.id, "last_read_seq": seq})


def who_receives_conversation_events(group: Conversation, sockets: dict) -> list[str]:
    """Post into the group's room and see which users' sockets hear it."""
    post_system_message(group.id, "ping")
    return sorted(name for name, socket in sockets.items() if "message:new" in names(events(socket)))


# create_group

def test_create_makes_the_creator_owner_and_announces_to_each_member(alice, bob, carol, sockets):
    group = create_group(alice, " Team ", "Our room", "public", [bob.id, bob.id, alice.id])
    assert (group.kind, group.name, group.description, group.visibility, group.created_by_id) == (
        "group", "Team", "Our room", "public", alice.id)
    assert roles(group) == {"alice": "owner", "bob": "member"}
    for user in (alice, bob):
        assert events(sockets[user.username]) == [
            ("conversation:added", {"conversation": conversation_payload(group, membership_of(group, user))})]
    assert events(sockets["alice"]) == [] and events(sockets["carol"]) == []
    added = conversation_payload(group, membership_of(group, bob))
    assert (added["name"], added["membership"]["role"], added["membership"]["user_id"]) == ("Team", "member", bob.id)
    assert who_receives_conversation_events(group, sockets) == ["alice", "bob"]


def test_create_defaults_to_private(alice):
    assert create_group(alice, "Quiet").visibility == "private"
    assert create_group(alice, "Quiet", visibility=None).visibility == "private"


@pytest.mark.parametrize("name, visibility, member_ids, code, status", [
    ("", "private", [], "invalid_name", 400),
    ("x" * 81, "private", [], "invalid_name", 400),
    ("Team", "secret", [], "invalid_visibility", 400),
    ("Team", "private", [999], "user_not_found", 404),
])
def test_create_refuses_bad_input_and_creates_nothing(alice, bob, name, visibility, member_ids, code, status):
    before = database_rows()
    with pytest.raises((InvalidInput, NotFound)) as raised:
        create_group(alice, name, "", visibility, [bob.id, *member_ids])
    assert (raised.value.code, raised.value.status) == (code, status)
    assert database_rows() == before


def test_create_refuses_deactivated_members(alice, bob):
    bob.active = False
    db.session.commit()
    assert refused(create_group, alice, "Team", "", "private", [bob.id]) == (404, "user_not_found")


# list_public_groups

def test_public_listing_shows_public_unarchived_groups_with_member_counts(alice, bob, carol):
    zoo = make_group(alice, "Zoo", [bob, carol], visibility="public")
    make_group(alice, "Attic", visibility="public")
    make_group(alice, "Hidden", [bob], visibility="private")
    archived = make_group(alice, "Archive", visibility="public")
    archived.archived_at = utcnow()
    db.session.commit()
    listed = [(group.name, count) for group, count in list_public_groups()]
    assert listed == [("Attic", 1), ("Zoo", 3)]
    assert [(group.id, count) for group, count in list_public_groups("zO")] == [(zoo.id, 3)]
    assert [group.name for group, _ in list_public_groups(limit=1)] == ["Attic"]
    assert list_public_groups("hidden") == []


def test_public_search_treats_wildcards_as_text(alice):
    make_group(alice, "a_b", visibility="public")
    make_group(alice, "axb", visibility="public")
    make_group(alice, "100% fun", visibility="public")
    assert [group.name for group, _ in list_public_groups("a_b")] == ["a_b"]
    assert [group.name for group, _ in list_public_groups("%")] == ["100% fun"]


# join_group

def test_join_public_group_as_member_with_history_read(alice, bob, carol, sockets):
    group = make_group(alice, "Open", [bob], visibility="public")
    post_system_message(group.id, "welcome")
    for socket in sockets.values():
        events(socket)
    membership = join_group(carol, group.id)
    # The history before is read; the note of their joining too: they did it themselves.
    assert (membership.role, membership.last_read_seq) == ("member", 2)
    member = member_payload(membership_of(group, carol))
    joined = note(group)
    assert joined[1]["message"]["system"] == {"event": "member_joined", "actor_id": carol.id, "actor_name": "Carol",
                                              "user_id": carol.id, "user_name": "Carol"}
    assert joined[1]["message"]["body"] == "Carol joined the group"
    assert events(sockets["carol"]) == [
        ("conversation:added", {"conversation": conversation_payload(group, membership_of(group, carol))}),
        ("member:joined", {"conversation_id": group.id, "member": member}), joined, read(group, 2),
    ]
    for name in ("alice", "bob"):
        assert events(sockets[name]) == [("member:joined", {"conversation_id": group.id, "member": member}), joined]
    assert who_receives_conversation_events(group, sockets) == ["alice", "bob", "carol"]


def test_join_refuses_private_groups_twice_archived_and_non_groups(alice, bob, carol, sockets):
    private = make_group(alice, "Private", [bob])
    public = make_group(alice, "Public", [bob], visibility="public")
    archived = make_group(alice, "Old", visibility="public")
    archived.archived_at = utcnow()
    db.session.commit()
    from actions.direct import open_direct_conversation

    direct = open_direct_conversation(alice, bob.id).conversation
    for socket in sockets.values():
        events(socket)
    assert refused(join_group, carol, private.id) == (403, "group_is_private")
    assert refused(join_group, bob, public.id) == (409, "already_a_member")
    assert refused(join_group, bob, private.id) == (409, "already_a_member")
    assert refused(join_group, carol, archived.id) == (403, "conversation_archived")
    assert refused(join_group, carol, direct.id) == (404, "group_not_found")
    assert refused(join_group, carol, 9999) == (404, "group_not_found")
    assert all(events(socket) == [] for socket in sockets.values())


# leave_group

def test_member_leaves(alice, bob, carol, sockets):
    group = make_group(alice, "Team", [bob, carol])
    for socket in sockets.values():
        events(socket)
    leave_group(carol, group.id)
    assert roles(group) == {"alice": "owner", "bob": "member"}
    assert events(sockets["carol"]) == [("conversation:removed", {"conversation_id": group.id, "reason": "left"})]
    left = note(group)
    assert (left[1]["message"]["system"]["event"], left[1]["message"]["body"]) == (
        "member_left", "Carol left the group")
    for name in ("alice", "bob"):
        assert events(sockets[name]) == [
            ("member:left", {"conversation_id": group.id, "user_id": carol.id, "reason": "left"}), left]
    assert who_receives_conversation_events(group, sockets) == ["alice", "bob"]


def test_last_owner_leaving_passes_ownership_to_the_longest_standing_admin(alice, bob, carol, sockets):
    group = make_group(alice, "Team", [bob])
    add_member(alice, group.id, carol.id)
    set_member_role(alice, group.id, carol.id, "admin")  # carol joined after bob, but is an admin
    for socket in sockets.values():
        events(socket)
    leave_group(alice, group.id)
    assert roles(group) == {"bob": "member", "carol": "owner"}
    assert events(sockets["alice"]) == [("conversation:removed", {"conversation_id": group.id, "reason": "left"})]
    succeeded = note(group)
    assert (succeeded[1]["message"]["system"]["event"], succeeded[1]["message"]["body"]) == (
        "role_changed", "Carol is now an owner")
    for name in ("bob", "carol"):
        assert events(sockets[name]) == [
            ("member:left", {"conversation_id": group.id, "user_id": alice.id, "reason": "left"}), note(group, 1),
            ("member:updated", {"conversation_id": group.id, "member": member_payload(membership_of(group, carol))}),
            succeeded,
        ]


def test_last_owner_leaving_without_admins_passes_ownership_to_the_longest_standing_member(alice, bob, carol):
    group = make_group(alice, "Team", [bob])
    add_member(alice, group.id, carol.id)
    leave_group(alice, group.id)
    assert roles(group) == {"bob": "owner", "carol": "member"}


def test_ownership_passes_to_an_active_account_before_a_deactivated_one(alice, bob, carol, dave):
    """A banned (or suspended) admin or member cannot manage anything: handed the group, it left the
    group without anyone who could. Active accounts come first; a group of inactive ones only still
    gets one of them."""
    group = make_group(alice, "Team", [bob, carol, dave])
    set_member_role(alice, group.id, bob.id, "admin")
    bob.active = carol.active = False  # bob is the longest-standing admin, carol a member before dave
    db.session.commit()
    leave_group(alice, group.id)
    assert roles(group) == {"bob": "admin", "carol": "member", "dave": "owner"}
    dave.active = False
    db.session.commit()
    leave_group(dave, group.id)
    assert roles(group) == {"bob": "owner", "carol": "member"}


def test_a_banned_or_suspended_only_owner_gets_a_co_owner_who_can_manage_the_group(
        alice, bob, carol, dave, operator, sockets):
    """An operator's ban (or suspension) left each group its account alone owned with nobody able to add,
    remove, rename or hand it over. Now the group's longest-standing active admin (else member) becomes an
    owner too, as when the owner leaves ("is now an owner" note, member:updated); the account keeps its
    role, so lifting the ban takes nothing back. A group with another active owner, or none active, is
    left as it is."""
    from actions.user_admin import deactivate_user, suspend_user

    team = make_group(alice, "Team", [bob, carol])
    set_member_role(alice, team.id, carol.id, "admin")
    shared = make_group(alice, "Shared", [bob])
    set_member_role(alice, shared.id, bob.id, "owner")  # another owner: nothing to pass on
    alone = make_group(alice, "Alone")
    for socket in sockets.values():
        events(socket)

    deactivate_user(operator, alice.id)

    assert roles(team) == {"alice": "owner", "bob": "member", "carol": "owner"}
    assert roles(shared) == {"alice": "owner", "bob": "owner"}
    assert roles(alone) == {"alice": "owner"}
    succeeded = note(team)
    assert (succeeded[1]["message"]["system"]["event"], succeeded[1]["message"]["body"]) == (
        "role_changed", "Carol is now an owner")
    member, banned = member_payload(membership_of(team, carol)), member_payload(membership_of(team, alice))
    assert banned["active"] is False
    # Then alice's own Member, now inactive, in each of her groups (bob is in "Shared" too).
    for name, groups in (("bob", [team, shared]), ("carol", [team])):
        told = [event for event in events(sockets[name]) if event[0] != "session:ended"]
        assert told[:2] == [("member:updated", {"conversation_id": team.id, "member": member}), succeeded]
        assert [(payload["conversation_id"], payload["member"]["id"], payload["member"]["active"])
                for _, payload in told[2:]] == [(group.id, alice.id, False) for group in groups]
        assert told[2] == ("member:updated", {"conversation_id": team.id, "member": banned})
    add_member(carol, team.id, dave.id)  # the group is managed again

    suspend_user(operator, carol.id, "2099-01-01", "a pause")  # the same for a suspension
    assert roles(team) == {"alice": "owner", "bob": "owner", "carol": "owner", "dave": "member"}


def test_the_last_active_owner_leaving_passes_the_group_on_though_a_banned_owner_stays(alice, bob, carol, operator):
    """Another owner who is deactivated or suspended manages nothing: the group still needs an active one."""
    from actions.user_admin import deactivate_user

    group = make_group(alice, "Team", [bob, carol])
    set_member_role(alice, group.id, bob.id, "owner")
    deactivate_user(operator, alice.id)  # bob is an active owner: nothing to pass on yet
    assert roles(group) == {"alice": "owner", "bob": "owner", "carol": "member"}
    assert refused(set_member_role, bob, group.id, bob.id, "admin") == (409, "last_owner")  # nor steps down
    leave_group(bob, group.id)
    assert roles(group) == {"alice": "owner", "carol": "owner"}
    assert note(group)[1]["message"]["body"] == "Carol is now an owner"


def test_the_last_active_owner_hands_the_group_to_no_banned_member(alice, bob, carol, operator):
    """Handing the group over steps its owner down as demoting themselves does: to a deactivated or
    suspended member it left the group with no owner who could manage anything (409 last_owner, as the
    demotion); while another active owner stays, the hand-over goes through."""
    from actions.user_admin import deactivate_user

    group = make_group(alice, "Team", [bob, carol])
    deactivate_user(operator, bob.id)
    assert refused(transfer_ownership, alice, group.id, bob.id) == (409, "last_owner")
    assert roles(group) == {"alice": "owner", "bob": "member", "carol": "member"}
    set_member_role(alice, group.id, carol.id, "owner")
    transfer_ownership(alice, group.id, bob.id)
    assert roles(group) == {"alice": "admin", "bob": "owner", "carol": "owner"}


def test_an_owner_leaving_while_another_owner_stays_passes_nothing(alice, bob, carol):
    group = make_group(alice, "Team", [bob, carol])
    set_member_role(alice, group.id, carol.id, "owner")
    leave_group(alice, group.id)
    assert roles(group) == {"bob": "member", "carol": "owner"}


def test_the_last_member_can_leave(alice):
    group = make_group(alice, "Solo")
    leave_group(alice, group.id)
    assert roles(group) == {}


def test_a_group_left_empty_is_the_next_joiners(alice, bob, carol):
    """Nobody is left to pass it to when the last member leaves: whoever joins next owns the group
    (else a public group would go on without anyone who may manage it)."""
    group = make_group(alice, "Open", visibility="public")
    leave_group(alice, group.id)
    assert join_group(bob, group.id).role == "owner"
    assert join_group(carol, group.id).role == "member"
    assert roles(group) == {"bob": "owner", "carol": "member"}


def test_an_operator_adding_to_an_empty_group_makes_an_owner(operator, alice, bob, carol):
    group = make_group(alice, "Closed")
    leave_group(alice, group.id)
    add_group_member(operator, group.id, bob.id)
    add_group_member(operator, group.id, carol.id)
    assert roles(group) == {"bob": "owner", "carol": "member"}
    assert [entry.after["role"] for entry in db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "group.add_member").order_by(AuditEntry.id)).scalars()] == [
        "owner", "member"]


def test_leave_refuses_non_members_and_non_groups(alice, bob, carol):
    group = make_group(alice, "Team", [bob])
    assert refused(leave_group, carol, group.id) == (403, "not_a_member")
    assert refused(leave_group, carol, 9999) == (404, "group_not_found")
    from actions.direct import open_direct_conversation

    direct = open_direct_conversation(alice, bob.id).conversation
    assert refused(leave_group, alice, direct.id) == (404, "group_not_found")


# add_member, remove_member, set_member_role: who may do what

@pytest.fixture
def team(alice, bob, carol):
    """alice owns the group, bob is its admin, carol a member; dave and erin are outside."""
    group = make_group(alice, "Team", [bob, carol])
    set_member_role(alice, group.id, bob.id, "admin")
    return group


@pytest.fixture
def dave(app):
    return make_user("dave")


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_owners_and_admins_add_members(team, actor, dave, alice, bob, sockets):
    add_member({"alice": alice, "bob": bob}[actor], team.id, dave.id)
    assert roles(team)["dave"] == "member"
    joined = ("member:joined", {"conversation_id": team.id, "member": member_payload(membership_of(team, dave))})
    added = note(team)
    assert added[1]["message"]["body"] == f"{actor.title()} added Dave"
    assert added[1]["message"]["system"]["event"] == "member_added"
    for name in ("alice", "bob", "carol"):
        # The one who added has read the note; the others have it unread.
        mine = [read(team, added[1]["message"]["seq"])] if name == actor else []
        assert events(sockets[name]) == [joined, added, *mine]


def test_add_member_refusals(team, alice, carol, dave):
    outsider = make_user("erin")
    assert refused(add_member, carol, team.id, dave.id) == (403, "not_a_group_admin")
    assert refused(add_member, outsider, team.id, dave.id) == (403, "not_a_member")
    assert refused(add_member, alice, team.id, carol.id) == (409, "already_a_member")
    assert refused(add_member, alice, team.id, 9999) == (404, "user_not_found")
    assert refused(add_member, alice, 9999, dave.id) == (404, "group_not_found")


def test_owner_removes_anyone(team, alice, bob, carol, sockets):
    remove_member(alice, team.id, bob.id)
    assert events(sockets["bob"]) == [("conversation:removed", {"conversation_id": team.id, "reason": "removed"})]
    left = ("member:left", {"conversation_id": team.id, "user_id": bob.id, "reason": "removed"})
    removed = note(team)
    assert removed[1]["message"]["body"] == "Alice removed Bob"
    assert events(sockets["alice"]) == [left, removed, read(team, removed[1]["message"]["seq"])]
    assert events(sockets["carol"]) == [left, removed]
    remove_member(alice, team.id, carol.id)
    assert roles(team) == {"alice": "owner"}
    assert who_receives_conversation_events(team, sockets) == ["alice"]


def test_owner_removes_another_owner(team, alice, carol):
    set_member_role(alice, team.id, carol.id, "owner")
    remove_member(alice, team.id, carol.id)
    assert roles(team) == {"alice": "owner", "bob": "admin"}


def test_admin_removes_plain_members_only(team, alice, bob, carol, dave):
    add_member(alice, team.id, dave.id)
    set_member_role(alice, team.id, dave.id, "admin")
    assert refused(remove_member, bob, team.id, alice.id) == (403, "not_a_group_owner")
    assert refused(remove_member, bob, team.id, dave.id) == (403, "not_a_group_owner")
    remove_member(bob, team.id, carol.id)
    assert roles(team) == {"alice": "owner", "bob": "admin", "dave": "admin"}


def test_remove_member_refusals(team, alice, bob, carol, dave):
    assert refused(remove_member, carol, team.id, bob.id) == (403, "not_a_group_admin")
    assert refused(remove_member, dave, team.id, carol.id) == (403, "not_a_member")
    assert refused(remove_member, alice, team.id, alice.id) == (409, "cannot_remove_self")
    assert refused(remove_member, alice, team.id, dave.id) == (404, "member_not_found")


def test_owner_sets_any_role(team, alice, bob, carol, sockets):
    set_member_role(alice, team.id, carol.id, "owner")
    updated = ("member:updated", {"conversation_id": team.id, "member": member_payload(membership_of(team, carol))})
    assert updated[1]["member"]["role"] == "owner"
    promoted = note(team)
    assert promoted[1]["message"]["body"] == "Alice made Carol an owner"
    for name in ("alice", "bob", "carol"):
        assert events(sockets[name]) == [updated, promoted] + (
            [read(team, promoted[1]["message"]["seq"])] if name == "alice" else [])
    set_member_role(alice, team.id, bob.id, "member")
    set_member_role(alice, team.id, alice.id, "admin")  # carol is an owner too now
    assert roles(team) == {"alice": "admin", "bob": "member", "carol": "owner"}


def test_admin_only_promotes_members_to_admin(team, alice, bob, carol, dave):
    add_member(alice, team.id, dave.id)
    assert refused(set_member_role, bob, team.id, carol.id, "owner") == (403, "not_a_group_owner")
    assert refused(set_member_role, bob, team.id, alice.id, "member") == (403, "not_a_group_owner")
    assert refused(set_member_role, bob, team.id, bob.id, "member") == (403, "not_a_group_owner")
    set_member_role(bob, team.id, carol.id, "admin")
    assert refused(set_member_role, bob, team.id, carol.id, "member") == (403, "not_a_group_owner")
    assert roles(team) == {"alice": "owner", "bob": "admin", "carol": "admin", "dave": "member"}


def test_set_role_refusals(team, alice, carol, dave):
    assert refused(set_member_role, carol, team.id, carol.id, "admin") == (403, "not_a_group_admin")
    assert refused(set_member_role, dave, team.id, carol.id, "admin") == (403, "not_a_member")
    assert refused(set_member_role, alice, team.id, carol.id, "king") == (400, "invalid_role")
    assert refused(set_member_role, alice, team.id, dave.id, "admin") == (404, "member_not_found")


def test_the_last_owner_cannot_step_down(team, alice, carol):
    assert refused(set_member_role, alice, team.id, alice.id, "admin") == (409, "last_owner")
    set_member_role(alice, team.id, carol.id, "owner")
    set_member_role(alice, team.id, alice.id, "member")
    assert roles(team)["alice"] == "member"
    assert refused(set_member_role, carol, team.id, carol.id, "admin") == (409, "last_owner")


def test_setting_the_same_owner_role_again_is_allowed(team, alice):
    assert set_member_role(alice, team.id, alice.id, "owner").role == "owner"


# update_group

@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_owners_and_admins_rename(team, actor, alice, bob, sockets):
    by = {"alice": alice, "bob": bob}[actor]
    group = update_group(by, team.id, "  Renamed ", "New topic")
    assert (group.name, group.description) == ("Renamed", "New topic")
    updated = ("conversation:updated", {"conversation": conversation_payload(db.session.get(Conversation, team.id))})
    assert updated[1]["conversation"]["name"] == "Renamed"
    renamed, described = note(team, 1), note(team)
    assert renamed[1]["message"]["body"] == f"{actor.title()} renamed the group to “Renamed”"
    assert renamed[1]["message"]["system"] == {"event": "group_renamed", "actor_id": by.id,
                                               "actor_name": actor.title(), "user_id": None, "user_name": None,
                                               "name": "Renamed"}
    assert described[1]["message"]["body"] == f"{actor.title()} changed the group's description"
    for name in ("alice", "bob", "carol"):
        seqs = (renamed[1]["message"]["seq"], described[1]["message"]["seq"])
        assert events(sockets[name]) == ([updated, renamed, read(team, seqs[0]), described, read(team, seqs[1])]
                                         if name == actor else [updated, renamed, described])


def test_update_changes_only_what_is_given(team, alice):
    update_group(alice, team.id, description="Only the topic")
    assert (team.name, team.description) == ("Team", "Only the topic")
    update_group(alice, team.id, name="Other")
    assert (team.name, team.description) == ("Other", "Only the topic")


def test_an_update_that_changes_nothing_tells_nobody(team, alice, sockets):
    update_group(alice, team.id, name="Team", description=team.description)
    assert all(events(socket) == [] for socket in sockets.values())


def test_update_refusals(team, alice, bob, carol, dave, sockets):
    from actions.direct import open_direct_conversation

    direct = open_direct_conversation(alice, bob.id).conversation
    for socket in sockets.values():
        events(socket)
    assert refused(update_group, carol, team.id, "Mine") == (403, "not_a_group_admin")
    assert refused(update_group, dave, team.id, "Mine") == (403, "not_a_member")
    assert refused(update_group, alice, team.id, "   ") == (400, "invalid_name")
    assert refused(update_group, alice, team.id, "Ok", "x" * 1001) == (400, "invalid_description")
    assert refused(update_group, alice, direct.id, "Mine") == (404, "group_not_found")
    assert all(events(socket) == [] for socket in sockets.values())


# list_members

def test_list_members_in_joining_order(team, alice, bob, carol, dave):
    add_member(alice, team.id, dave.id)
    assert [(m.user.username, m.role) for m in list_members(carol, team.id)] == [
        ("alice", "owner"), ("bob", "admin"), ("carol", "member"), ("dave", "member")]
    outsider = make_user("erin")
    assert refused(list_members, outsider, team.id) == (403, "not_a_member")
    assert refused(list_members, outsider, 9999) == (404, "conversation_not_found")


def test_setting_the_role_a_member_has_tells_nobody(team, alice, bob, sockets):
    before = database_rows()
    assert set_member_role(alice, team.id, bob.id, "admin").role == "admin"
    assert database_rows() == before and all(events(socket) == [] for socket in sockets.values())


# transfer_ownership

def test_the_owner_hands_the_group_over_and_stays_an_admin(team, alice, bob, carol, sockets):
    transfer_ownership(alice, team.id, carol.id)
    assert roles(team) == {"alice": "admin", "bob": "admin", "carol": "owner"}
    handed = note(team)
    assert handed[1]["message"]["body"] == "Alice made Carol the group's owner"
    assert handed[1]["message"]["system"] == {"event": "ownership_transferred", "actor_id": alice.id,
                                              "actor_name": "Alice", "user_id": carol.id, "user_name": "Carol"}
    updates = [("member:updated", {"conversation_id": team.id, "member": member_payload(membership_of(team, user))})
               for user in (carol, alice)]
    for name in ("bob", "carol"):
        assert events(sockets[name]) == [*updates, handed]
    assert events(sockets["alice"]) == [*updates, handed, read(team, handed[1]["message"]["seq"])]
    # The new owner may now delete it or hand it on; the former one may not.
    assert refused(transfer_ownership, alice, team.id, bob.id) == (403, "not_a_group_owner")


def test_transfer_refusals(team, alice, bob, carol, dave):
    set_member_role(alice, team.id, carol.id, "owner")
    assert refused(transfer_ownership, bob, team.id, carol.id) == (403, "not_a_group_owner")  # an admin
    assert refused(transfer_ownership, dave, team.id, alice.id) == (403, "not_a_member")
    assert refused(transfer_ownership, alice, team.id, dave.id) == (404, "member_not_found")
    assert refused(transfer_ownership, alice, team.id, carol.id) == (409, "already_an_owner")
    assert refused(transfer_ownership, alice, team.id, alice.id) == (409, "already_an_owner")
    assert refused(transfer_ownership, alice, 9999, bob.id) == (404, "group_not_found")


# delete_group_by_owner

def test_the_owner_deletes_the_group_through_the_operators_path(team, alice, bob, carol, sockets):
    group_id = team.id
    delete_group_by_owner(alice, group_id)
    db.session.expire_all()
    assert db.session.get(Conversation, group_id).archived_at is not None  # nobody posts any more
    for socket in sockets.values():
        (event, payload), = events(socket)
        assert (event, payload["conversation"]["archived"]) == ("conversation:updated", True)
    assert run_queued_jobs() == ["actions.group_admin.purge_deleted_group"] * 2  # its note, then the group
    db.session.expire_all()
    assert db.session.get(Conversation, group_id) is None
    for socket in sockets.values():
        assert events(socket) == [("conversation:removed", {"conversation_id": group_id, "reason": "deleted"})]


def test_only_owners_delete(team, alice, bob, carol, dave):
    assert refused(delete_group_by_owner, bob, team.id) == (403, "not_a_group_owner")
    assert refused(delete_group_by_owner, carol, team.id) == (403, "not_a_group_owner")
    assert refused(delete_group_by_owner, dave, team.id) == (403, "not_a_member")
    assert refused(delete_group_by_owner, alice, 9999) == (404, "group_not_found")


# preview_group

def test_a_public_group_is_previewed_before_joining(alice, bob, carol):
    from actions.messages import send_message

    group = make_group(alice, "Open", [bob], visibility="public")
    for number in range(25):
        send_message(alice, group.id, f"message {number}")
    before = database_rows()
    found = preview_group(carol, group.id)
    assert database_rows() == before  # reading it joins nothing, marks nothing
    assert (found.group.id, found.member_count) == (group.id, 2)
    assert [message.body for message in found.messages] == [f"message {number}" for number in range(5, 25)]


def test_a_private_group_is_not_previewed_by_outsiders(alice, bob, carol):
    from actions.direct import open_direct_conversation

    group = make_group(alice, "Hidden", [bob])
    assert refused(preview_group, carol, group.id) == (403, "not_a_member")
    assert preview_group(bob, group.id).member_count == 2  # its members see it anyway
    assert refused(preview_group, carol, 9999) == (404, "group_not_found")
    direct = open_direct_conversation(alice, bob.id).conversation
    assert refused(preview_group, carol, direct.id) == (404, "group_not_found")


# Membership notes: what the operators' changes leave (actions.group_admin)

def test_operators_changes_leave_notes_by_an_operator(operator, alice, bob, carol):
    from actions.group_admin import remove_group_member, set_group_member_role

    group = make_group(alice, "Team", [bob])
    add_group_member(operator, group.id, carol.id)
    set_group_member_role(operator, group.id, carol.id, "admin")
    remove_group_member(operator, group.id, bob.id)
    db.session.expire_all()
    notes = db.session.execute(db.select(Message).where(Message.conversation_id == group.id)
                               .order_by(Message.seq)).scalars()
    assert [(message.kind, message.sender_id, message.body) for message in notes] == [
        ("system", None, "An operator added Carol"), ("system", None, "An operator made Carol an admin"),
        ("system", None, "An operator removed Bob")]


# an archived group (by an operator, or being deleted)

def test_an_archived_group_changes_no_more_but_its_members_leave_and_its_owner_deletes_it(
        team, alice, bob, carol, dave, sockets):
    """The chat page hides the group's management once it is archived ("nothing can change"), as join
    refuses it: owners and admins were still let add, remove, promote, hand over and rename through the
    API, each posting a membership note into a group nobody may post in."""
    from io import BytesIO

    from PIL import Image

    from actions.profiles import remove_group_avatar, set_group_avatar

    delete_group_by_owner(alice, team.id)  # archived at once, removed later by a job
    for socket in sockets.values():
        events(socket)
    picture = BytesIO()
    Image.new("RGB", (32, 32), "red").save(picture, "PNG")
    picture.seek(0)
    archived = (403, "conversation_archived")
    assert refused(add_member, alice, team.id, dave.id) == archived
    assert refused(add_member, bob, team.id, dave.id) == archived
    assert refused(remove_member, alice, team.id, carol.id) == archived
    assert refused(set_member_role, alice, team.id, carol.id, "admin") == archived
    assert refused(transfer_ownership, alice, team.id, bob.id) == archived
    assert refused(update_group, bob, team.id, name="Still here") == archived
    assert refused(set_group_avatar, alice, team.id, picture, "image/png", None) == archived
    assert refused(remove_group_avatar, alice, team.id) == archived
    assert refused(add_member, carol, team.id, dave.id) == (403, "not_a_group_admin")  # not theirs anyway
    assert all(events(socket) == [] for socket in sockets.values())
    leave_group(carol, team.id)  # members still go
    assert roles(team) == {"alice": "owner", "bob": "admin"}
    delete_group_by_owner(alice, team.id)  # and the owner may delete it (again)


def test_the_last_owner_leaving_passes_the_group_to_someone_the_page_calls_active(alice, bob, carol, app):
    """A member whose account was never confirmed (in the group from before such accounts were hidden:
    tests.factories.unconfirm) is `active: false` in the member list (User.findable), so the page's leave
    warning named the next one; but the server's rule read User.active and passed the group to that
    account, which can do nothing. Both follow User.findable now."""
    from tests.factories import unconfirm
    group = make_group(alice, "Team", [carol, bob])  # carol joined first
    unconfirm(carol)
    db.session.commit()
    assert [m["active"] for m in (member_payload(m) for m in list_members(alice, group.id)) if m["id"] == carol.id] \
        == [False]
    leave_group(alice, group.id)
    db.session.commit()
    roles = {m.user_id: m.role for m in db.session.execute(
        db.select(Membership).where(Membership.conversation_id == group.id)).scalars()}
    assert roles == {bob.id: "owner", carol.id: "member"}
