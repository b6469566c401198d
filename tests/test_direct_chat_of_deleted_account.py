"""A direct chat with an account that was deleted (an account never confirmed, purged after
UNCONFIRMED_ACCOUNT_DAYS) stays readable for the person left, read-only (as WhatsApp's "Deleted
account": nobody writes to nobody), and no longer holds the pair's key; migration 0023 does the same
for chats left behind before the purge did it, where SQLite had given the deleted id to a newcomer.
On both engines."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from actions import registration
from actions.accounts import register_user
from actions.broadcasts import notices_conversation
from actions.direct import open_direct_conversation
from actions.errors import Forbidden
from actions.messages import message_history, send_message
from actions.registration import purge_unconfirmed_accounts
from extensions import db
from models import Conversation, User
from models.time import utcnow
from tests.database_apps import ENGINES, engine_app
from tests.factories import PASSWORD, unconfirm
from tests.helpers import events


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def test_a_chat_with_a_purged_account_becomes_read_only_and_a_newcomer_gets_a_chat_of_their_own(
        app, alice, socket_client_for):
    unconfirmed = register_user("xavier", PASSWORD)
    chat_id = open_direct_conversation(alice, unconfirmed.id).conversation.id
    unconfirm(unconfirmed)  # written to before such accounts were hidden
    send_message(alice, chat_id, "hello Xavier")
    unconfirmed.created_at = utcnow() - timedelta(days=8)
    alice_id = alice.id
    db.session.commit()
    page = socket_client_for("alice")
    events(page)

    purge_unconfirmed_accounts()

    assert ("conversation:updated", chat_id) in [(name, payload["conversation"]["id"])
                                                 for name, payload in events(page)]
    db.session.expire_all()
    alice = db.session.get(User, alice_id)
    chat = db.session.get(Conversation, chat_id)
    assert chat.archived_at is not None and chat.direct_key is None
    assert [message.body for message in message_history(alice, chat_id).messages] == ["hello Xavier"]
    with pytest.raises(Forbidden) as refused:
        send_message(alice, chat_id, "anyone there?")
    assert refused.value.code == "conversation_archived"
    ack = page.emit("message:send", {"conversation_id": chat_id, "body": "anyone?", "client_id": "c1"}, callback=True)
    assert ack["error"]["code"] == "conversation_archived"
    newcomer = register_user("yvonne", PASSWORD)
    assert open_direct_conversation(alice, newcomer.id).created


def test_only_the_purged_accounts_chats_are_closed(app, alice, bob):
    """A younger unconfirmed account's chat and a confirmed one's stay open; the purged account's own
    notices conversation goes with it as it is."""
    purged, young = register_user("xavier", PASSWORD), register_user("zoe", PASSWORD)
    chats = {name: open_direct_conversation(alice, user.id).conversation.id
             for name, user in (("purged", purged), ("young", young), ("confirmed", bob))}
    unconfirm(purged, young)
    notices_key = notices_conversation(purged).direct_key
    purged.created_at = young.created_at = bob.created_at = utcnow() - timedelta(days=8)
    young.created_at = utcnow() - timedelta(days=6)
    db.session.commit()

    purge_unconfirmed_accounts()

    db.session.expire_all()
    closed = {name: db.session.get(Conversation, chat_id).archived_at is not None for name, chat_id in chats.items()}
    assert closed == {"purged": True, "young": False, "confirmed": False}
    assert db.session.execute(db.select(Conversation.id).where(Conversation.direct_key == notices_key)).all()


def test_a_purged_account_leaves_its_groups_as_members_see_it_and_its_ownership_passes_on(
        app, alice, bob, socket_client_for):
    """An account never confirmed was in a group (and handed it) before such accounts were hidden. Its purge took its
    memberships away in the database only (ON DELETE CASCADE): the members' pages kept it in the member
    list, no note said so, and a group it owned was left without an owner. Now it leaves each group as
    anyone leaves (`member:left`, the note, ownership passing on to the longest-standing admin or member)."""
    from actions.groups import create_group, list_members, transfer_ownership

    purged = register_user("xavier", PASSWORD)
    group = create_group(alice, "Team", member_ids=[purged.id, bob.id])
    transfer_ownership(alice, group.id, purged.id)  # alice stays as an admin
    unconfirm(purged)
    purged.created_at, purged_id, group_id, alice_id = utcnow() - timedelta(days=8), purged.id, group.id, alice.id
    db.session.commit()
    page = socket_client_for("bob")
    events(page)

    purge_unconfirmed_accounts()

    seen = [(name, payload) for name, payload in events(page) if payload.get("conversation_id", 0) == group_id
            or payload.get("message", {}).get("conversation_id") == group_id]
    assert [name for name, _ in seen] == ["member:left", "message:new", "member:updated", "message:new"]
    assert seen[0][1] == {"conversation_id": group_id, "user_id": purged_id, "reason": "left"}
    assert [payload["message"]["system"]["event"] for name, payload in seen if name == "message:new"] == [
        "member_left", "role_changed"]
    db.session.expire_all()
    alice = db.session.get(User, alice_id)
    assert [(member.user_id, member.role) for member in list_members(alice, group_id)] == [
        (alice_id, "owner"), (bob.id, "member")]


def test_a_group_two_purged_accounts_share_passes_to_an_account_that_stays(app, alice, bob):
    """Its owner and its longest-standing admin both purged in one run: the owner left first and handed
    the group to the admin, who left a moment later, and the admin's member:updated found no member at
    COMMIT (NoResultFound): the whole purge failed, every hour, and nobody was deleted any more. The
    purged members leave before the purged owners: one hand-over, to an account that stays."""
    from actions.groups import create_group, list_members, set_member_role, transfer_ownership
    from models import Membership, Message

    owner = register_user("xavier", PASSWORD)
    admin = register_user("yvonne", PASSWORD)
    group = create_group(alice, "Team", member_ids=[admin.id, owner.id, bob.id])
    set_member_role(alice, group.id, admin.id, "admin")
    transfer_ownership(alice, group.id, owner.id)  # alice stays as an admin, after yvonne
    unconfirm(owner, admin)
    owner.created_at = admin.created_at = utcnow() - timedelta(days=8)
    db.session.execute(db.update(Membership).where(Membership.user_id == admin.id)  # there the longest
                       .values(joined_at=utcnow() - timedelta(days=1)))
    group_id, alice_id = group.id, alice.id
    db.session.commit()

    purge_unconfirmed_accounts()

    db.session.expire_all()
    notes = db.session.execute(db.select(Message.body).where(
        Message.conversation_id == group_id, Message.kind == "system").order_by(Message.seq)).scalars().all()
    assert [body for body in notes if "now an owner" in body] == ["Alice is now an owner"], notes
    alice = db.session.get(User, alice_id)
    assert [(member.user_id, member.role) for member in list_members(alice, group_id)] == [
        (alice_id, "owner"), (bob.id, "member")]


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_an_account_is_locked_while_the_purge_decides(app, alice, monkeypatch):
    """PostgreSQL: from the moment the purge reads the accounts it deletes, a confirmation of one of them
    waits for it (here: its lock_timeout ends it), so no account is both kept and cut off from its chats."""
    purged = register_user("xavier", PASSWORD)
    open_direct_conversation(alice, purged.id)
    unconfirm(purged)
    purged.created_at, purged_id = utcnow() - timedelta(days=8), purged.id
    db.session.commit()
    confirmed_meanwhile, close, engine = [], registration.close_direct_chats_of_deleted_unchecked, db.engine

    def confirm() -> None:
        with engine.connect() as other:
            other.execute(text("SET lock_timeout = '1s'"))
            try:
                other.execute(text("UPDATE users SET confirmed_at = now() WHERE id = :id"), {"id": purged_id})
                other.commit()
                confirmed_meanwhile.append(True)
            except OperationalError:
                confirmed_meanwhile.append(False)

    def closing_while_someone_confirms(user_ids) -> None:
        confirming = threading.Thread(target=confirm)
        confirming.start()
        confirming.join()
        close(user_ids)

    monkeypatch.setattr(registration, "close_direct_chats_of_deleted_unchecked", closing_while_someone_confirms)
    purge_unconfirmed_accounts()

    assert confirmed_meanwhile == [False]
    assert db.session.get(User, purged_id) is None


def test_migration_0023_closes_the_chats_a_purge_left_behind_and_frees_their_keys(app, alice, bob, carol):
    """As a purge before it left them: the key names someone (here a newcomer who got the deleted id)
    who is not in the chat. A chat whose key names both of its members, and a key that names no pair
    (a notices conversation's), stay as they are."""
    whole = open_direct_conversation(alice, carol.id).conversation
    whole_id, whole_key = whole.id, whole.direct_key
    left_behind = open_direct_conversation(alice, bob.id).conversation
    send_message(alice, left_behind.id, "hello")
    newcomer = register_user("yvonne", PASSWORD)
    kept = open_direct_conversation(alice, newcomer.id).conversation
    kept_key, kept_id, alice_id, newcomer_id, bob_id = kept.direct_key, kept.id, alice.id, newcomer.id, bob.id
    left_behind_id = left_behind.id
    db.session.commit()
    # What the purge before 0023 left: bob's membership gone with his account, and yvonne given his id
    # (SQLite before 0022): the key names her. (The rows are rewritten here to stand for that.)
    stale_key = f"{min(alice_id, newcomer_id)}:{max(alice_id, newcomer_id)}"
    db.session.execute(text("DELETE FROM memberships WHERE conversation_id = :chat AND user_id = :bob"),
                       {"chat": left_behind_id, "bob": bob_id})
    db.session.execute(text("UPDATE conversations SET direct_key = :key WHERE id = :chat"),
                       {"key": "left:over", "chat": kept_id})
    db.session.execute(text("UPDATE conversations SET direct_key = :key WHERE id = :chat"),
                       {"key": stale_key, "chat": left_behind_id})
    db.session.commit()
    db.session.remove()
    downgrade(revision="0022_ids_not_reused")
    db.session.remove()

    upgrade()

    left_behind, kept = db.session.get(Conversation, left_behind_id), db.session.get(Conversation, kept_id)
    assert left_behind.direct_key is None and left_behind.archived_at is not None
    assert kept.direct_key == "left:over" and kept.archived_at is None  # names no two users: not a pair's key
    whole = db.session.get(Conversation, whole_id)
    assert whole.direct_key == whole_key and whole.archived_at is None
    db.session.execute(text("UPDATE conversations SET direct_key = :key WHERE id = :chat"),
                       {"key": kept_key, "chat": kept_id})
    db.session.commit()
    alice, newcomer = db.session.get(User, alice_id), db.session.get(User, newcomer_id)
    assert open_direct_conversation(alice, newcomer.id).conversation.id == kept_id
    assert [message.body for message in message_history(alice, left_behind_id).messages] == ["hello"]
