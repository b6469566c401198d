"""The purge of accounts never confirmed (actions.registration.purge_unconfirmed_accounts) while a member
sends a message that mentions one of them, on SQLite and on PostgreSQL. The purge locks the accounts, then
each of their conversations; the send locks its conversation, then, storing the mention, refers to the
mentioned account (its foreign key's KEY SHARE). Before, each waited for the other on PostgreSQL, which
cancelled one ("deadlock detected": the send answered an error, or the purge failed its hour). The send now
holds the accounts it mentions before its conversation, the order of the purge: one waits for the other's
COMMIT and both are made.

Each runs in its own thread, app context and database connection (tests.helpers.run_at_once). The send
waits, once it has stored its message's row (its conversation held), until the purge has locked the
accounts (at most WAIT_SECONDS: with the fix the purge waits for the send instead, and never gets there)."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from actions.accounts import register_user
from actions.direct import open_direct_conversation
from actions.errors import NotFound
from actions.group_admin import add_group_member
from actions.groups import add_member, create_group
from actions.messages import edit_message, send_message
from actions.registration import purge_unconfirmed_accounts
from extensions import db
from models import Membership, Message, MessageMention, User
from models.database import begin_writing
from models.time import utcnow
from tests.database_apps import ENGINES, engine_app
from tests.factories import PASSWORD, make_group, make_user, unconfirm
from tests.helpers import run_at_once

WAIT_SECONDS = 2  # below SQLite's busy_timeout of 5 s


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def waiting_for_the_purges_lock(request: str, statement_start: str):
    """A statement listener for run_at_once: the thread `request` waits, at its statement beginning with
    `statement_start`, until the purge has locked the accounts (at most WAIT_SECONDS)."""
    accounts_locked = threading.Event()

    def watch(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if name == "purge" and "FROM users" in statement and "FOR UPDATE" in statement:
            accounts_locked.set()
        elif name == request and statement.startswith(statement_start):
            accounts_locked.wait(WAIT_SECONDS)
    return watch


def purging_after_its_first_read(request: str, *account_keys):
    """A statement listener and a purge for run_at_once: the thread `request` waits, at its first read of
    the account (a users statement bound to one of `account_keys`: its id, its name), until the purge,
    which starts once that read begins, is over (at most WAIT_SECONDS)."""
    account_read, purged = threading.Event(), threading.Event()

    def watch(_connection, _cursor, statement, parameters, *_):
        values = tuple(parameters.values() if isinstance(parameters, dict) else parameters or ())
        if (threading.current_thread().name == request and "FROM users" in statement
                and any(key in values for key in account_keys) and not account_read.is_set()):
            account_read.set()  # its first read of the account
            purged.wait(WAIT_SECONDS)

    def purge():
        assert account_read.wait(WAIT_SECONDS)
        purge_unconfirmed_accounts()
        purged.set()
    return watch, purge


@pytest.mark.parametrize("mention", ["@xavier", "@all"])
def test_a_message_mentioning_an_account_the_purge_deletes_meanwhile_is_sent(app, mention):
    alice, bob = make_user("alice"), make_user("bob")
    xavier = register_user("xavier", PASSWORD)
    group = make_group(alice, members=[bob, xavier])
    unconfirm(xavier)  # in a group, never confirmed
    xavier.created_at = utcnow() - timedelta(days=8)
    group_id, alice_id, xavier_id = group.id, alice.id, xavier.id
    db.session.commit()
    watch = waiting_for_the_purges_lock("send", "INSERT INTO messages")

    def send():
        return send_message(db.session.get(User, alice_id), group_id, f"{mention} lunch?").message.id

    outcomes = run_at_once(app, {"send": send, "purge": purge_unconfirmed_accounts}, watch)

    assert outcomes["purge"] is None, outcomes
    assert isinstance(outcomes["send"], int), outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None
    message = db.session.get(Message, outcomes["send"])
    assert message.body == f"{mention} lunch?"
    assert db.session.execute(db.select(MessageMention.user_id).where(
        MessageMention.message_id == message.id, MessageMention.user_id == xavier_id)).first() is None


@pytest.mark.parametrize("new_text", ["@xavier still on?", "never mind"])
def test_an_edit_of_a_message_mentioning_an_account_the_purge_deletes_meanwhile_is_made(app, new_text):
    """The same with an edit of a message that mentions the account: the edit takes its mentions away
    (their rows, which the purge's deletion takes away too) and then its conversation's next revision,
    which the purge held. Before, each waited for the other on PostgreSQL."""
    alice, bob = make_user("alice"), make_user("bob")
    xavier = register_user("xavier", PASSWORD)
    group = make_group(alice, members=[bob, xavier])
    message_id = send_message(alice, group.id, "@xavier lunch?").message.id
    unconfirm(xavier)
    xavier.created_at = utcnow() - timedelta(days=8)
    alice_id, xavier_id = alice.id, xavier.id
    db.session.commit()
    watch = waiting_for_the_purges_lock("edit", "DELETE FROM message_mentions")

    def edit():
        return edit_message(db.session.get(User, alice_id), message_id, new_text).body

    outcomes = run_at_once(app, {"edit": edit, "purge": purge_unconfirmed_accounts}, watch)

    assert outcomes == {"edit": new_text, "purge": None}, outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None
    assert db.session.get(Message, message_id).body == new_text
    assert db.session.execute(db.select(MessageMention).where(MessageMention.message_id == message_id)).first() is None


@pytest.mark.parametrize("way", ["group", "direct"])
def test_an_account_the_purge_deletes_meanwhile_is_added_or_messaged_without_a_fault(app, way):
    """Adding an account never confirmed to a group, or opening a direct chat with it, while the purge
    deletes it. The action read the account (no lock), the purge deleted it and committed, and the new
    membership's row referred to an account no longer there: a foreign-key violation, a 500. The action
    now holds the account it reads (actions.access.hold_active_user: FOR KEY SHARE; SQLite: the write
    lock) until its COMMIT: the purge waits for it. The purge starts once the action has read the
    account; the action then waits for the purge to be over (at most WAIT_SECONDS: with the fix the purge
    waits for the action instead). An account never confirmed is nobody to add or write to
    (User.findable): the action is refused as for no account, and the purge is made after it."""
    alice = make_user("alice")
    xavier = register_user("xavier", PASSWORD, confirmed=False)
    group = make_group(alice)
    xavier.created_at = utcnow() - timedelta(days=8)
    group_id, alice_id, xavier_id = group.id, alice.id, xavier.id
    db.session.commit()
    watch, purge = purging_after_its_first_read(way, xavier_id)

    def act():
        alice = db.session.get(User, alice_id)
        if way == "group":
            return add_member(alice, group_id, xavier_id).conversation_id
        return open_direct_conversation(alice, xavier_id).conversation.id

    outcomes = run_at_once(app, {way: act, "purge": purge}, watch)

    assert outcomes["purge"] is None, outcomes
    assert isinstance(outcomes[way], NotFound) and outcomes[way].code == "user_not_found", outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None
    assert db.session.execute(db.select(Membership).where(Membership.user_id == xavier_id)).first() is None


@pytest.mark.parametrize("by", ["owner", "operator"])
def test_an_account_added_to_a_group_while_the_purge_deletes_another_member_of_it(app, by):
    """Adding Yves (never confirmed) to a group where Xavier (never confirmed too) already is, while the
    purge deletes both: the purge locks the accounts, then each group one of them leaves; the add held
    the group (hold_group) and then Yves's account (hold_active_user). Before, each waited for the other
    on PostgreSQL, which cancelled one ("deadlock detected": a 500, or the purge failed its hour). The add
    now holds the account before the group, the purge's order: one waits for the other and both are
    made. The purge starts once the add holds the group; the add then waits until the purge has locked
    the accounts (at most WAIT_SECONDS: with the fix the purge waits for the add instead). Yves, never
    confirmed, is nobody to add (User.findable): the add is refused as for no account."""
    alice = make_user("alice")
    operator = make_user("olga", role="admin")
    xavier = register_user("xavier", PASSWORD)
    yves = register_user("yves", PASSWORD, confirmed=False)
    group = make_group(alice, members=[xavier])
    unconfirm(xavier)
    xavier.created_at = yves.created_at = utcnow() - timedelta(days=8)
    group_id, alice_id, xavier_id, yves_id = group.id, alice.id, xavier.id, yves.id
    actor_id = alice_id if by == "owner" else operator.id
    db.session.commit()
    group_held, accounts_locked = threading.Event(), threading.Event()

    def watch(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if name == "purge" and "FROM users" in statement and "FOR UPDATE" in statement:
            accounts_locked.set()
        elif name == "add" and "FROM conversations" in statement and not group_held.is_set():
            group_held.set()
            accounts_locked.wait(WAIT_SECONDS)

    def purge():
        assert group_held.wait(WAIT_SECONDS)
        purge_unconfirmed_accounts()

    def add():
        actor = db.session.get(User, actor_id)
        if by == "owner":
            return add_member(actor, group_id, yves_id).conversation_id
        return add_group_member(actor, group_id, yves_id).conversation_id

    outcomes = run_at_once(app, {"add": add, "purge": purge}, watch)

    assert outcomes["purge"] is None, outcomes
    assert isinstance(outcomes["add"], NotFound) and outcomes["add"].code == "user_not_found", outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None and db.session.get(User, yves_id) is None
    assert db.session.execute(db.select(Membership.user_id).where(Membership.conversation_id == group_id)
                              ).scalars().all() == [alice_id]


def test_a_message_mentioning_two_accounts_the_purge_deletes_meanwhile_is_sent(app):
    """A send mentioning two accounts never confirmed holds them in id order (hold_mentionable); the
    purge locked its accounts in the order its scan met them, Yves's row before Xavier's once Xavier's
    was updated after his. A third unit holding Yves (as an operator's edit of his account does) lets
    the purge wait for Yves first and the send hold Xavier then wait for Yves: once it ends, the purge
    got Yves and waited for Xavier, the send for Yves, and PostgreSQL cancelled one ("deadlock
    detected"). The purge now locks its accounts in id order too."""
    alice = make_user("alice")
    xavier = register_user("xavier", PASSWORD)
    yves = register_user("yves", PASSWORD)
    group = make_group(alice, members=[xavier, yves])
    unconfirm(xavier, yves)
    yves.created_at = utcnow() - timedelta(days=8)
    db.session.flush()
    xavier.created_at = utcnow() - timedelta(days=8)  # his row's new version now comes after Yves's
    group_id, alice_id, xavier_id, yves_id = group.id, alice.id, xavier.id, yves.id
    assert xavier_id < yves_id
    db.session.commit()
    held = threading.Event()

    def hold_yves():
        begin_writing(db.session.connection())
        db.session.execute(db.select(User.id).where(User.id == yves_id).with_for_update())
        held.set()
        time.sleep(1.5)
        db.session.commit()

    def purge():
        assert held.wait(WAIT_SECONDS)
        purge_unconfirmed_accounts()

    def send():
        assert held.wait(WAIT_SECONDS)
        time.sleep(0.5)  # the purge waits for Yves already
        return send_message(db.session.get(User, alice_id), group_id, "@xavier @yves lunch?").message.id

    outcomes = run_at_once(app, {"holder": hold_yves, "purge": purge, "send": send})

    assert outcomes["purge"] is None and isinstance(outcomes["send"], int), outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None and db.session.get(User, yves_id) is None
    assert db.session.get(Message, outcomes["send"]).body == "@xavier @yves lunch?"


def test_a_group_created_with_two_accounts_the_purge_deletes_meanwhile_is_made(app):
    """A group created with first members Yves and Xavier (in that order), both never confirmed, while
    the purge deletes them: the creation held each account in the order given (hold_active_user), the
    purge in id order, Xavier first: each held one and waited for the other, and PostgreSQL cancelled
    one. The creation now holds them in id order too. Accounts never confirmed are nobody to add
    (User.findable): the creation is refused as for no account, and no group is made."""
    alice = make_user("alice")
    xavier = register_user("xavier", PASSWORD, confirmed=False)
    yves = register_user("yves", PASSWORD, confirmed=False)
    xavier.created_at = yves.created_at = utcnow() - timedelta(days=8)
    alice_id, xavier_id, yves_id = alice.id, xavier.id, yves.id
    assert xavier_id < yves_id
    db.session.commit()
    first_held = threading.Event()

    def watch(_connection, _cursor, statement, parameters, *_):
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        if threading.current_thread().name == "create" and "FROM users" in statement and not first_held.is_set() \
                and {xavier_id, yves_id} & set(values):
            first_held.set()
            time.sleep(0.5)  # the purge holds what it gets before it waits

    def purge():
        assert first_held.wait(WAIT_SECONDS)
        purge_unconfirmed_accounts()

    def create():
        return create_group(db.session.get(User, alice_id), "Lunch", member_ids=[yves_id, xavier_id]).id

    outcomes = run_at_once(app, {"create": create, "purge": purge}, watch)

    assert outcomes["purge"] is None, outcomes
    assert isinstance(outcomes["create"], NotFound) and outcomes["create"].code == "user_not_found", outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None and db.session.get(User, yves_id) is None
    assert db.session.execute(db.select(Membership.user_id).where(Membership.user_id == alice_id)).first() is None


@pytest.mark.parametrize("way", ["request", "block"])
def test_an_account_the_purge_deletes_meanwhile_is_asked_or_blocked_without_a_fault(app, way):
    """A contact request to an account never confirmed, or a block of it, while the purge deletes it. The
    action read the account (no lock), the purge deleted it and committed, then the action took the pair
    (actions.access.lock_pair) and stored its request or block, whose row referred to an account no
    longer there: a foreign-key violation, a 500. The action now holds the account before the pair, as a
    group add holds the account it adds (hold_active_user: FOR KEY SHARE; SQLite: the write lock), and an
    account never confirmed is nobody to ask or block (User.findable): 404 user_not_found either way,
    whichever of the two goes first, and nothing left behind."""
    from actions.blocks import block_user
    from actions.contacts import send_contact_request
    from actions.errors import NotFound
    from models import Block, ContactRequest

    alice = make_user("alice")
    xavier = register_user("xavier", PASSWORD, confirmed=False)
    xavier.created_at = utcnow() - timedelta(days=8)
    alice_id, xavier_id = alice.id, xavier.id
    db.session.commit()
    watch, purge = purging_after_its_first_read(way, xavier_id, "xavier")

    def act():
        alice = db.session.get(User, alice_id)
        if way == "request":
            return send_contact_request(alice, {"username": "xavier"}).state
        return block_user(alice, xavier_id).created

    outcomes = run_at_once(app, {way: act, "purge": purge}, watch)

    assert outcomes["purge"] is None, outcomes
    assert isinstance(outcomes[way], NotFound) and outcomes[way].code == "user_not_found", outcomes
    db.session.expire_all()
    assert db.session.get(User, xavier_id) is None
    assert db.session.execute(db.select(ContactRequest)).first() is None
    assert db.session.execute(db.select(Block)).first() is None
