"""models/: the schema the migrations build, its constraints, and the models' own helpers."""
import secrets
from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from app import create_app
from extensions import db
from models import ApiToken, Conversation, Membership, Message, User
from models.search_index import include_name
from models.time import isoformat, utcnow
from tests.factories import PASSWORD, make_group


def insert_fails(*rows) -> bool:
    """True when the database refuses the rows (and the session is clean again)."""
    db.session.add_all(rows)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return True
    return False


def message(conversation: Conversation, seq: int, **fields) -> Message:
    return Message(conversation_id=conversation.id, seq=seq, revision=seq, body="x", **fields)


# the schema

def test_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        # include_name: the message search index is made by a migration, not by a model (as in env.py).
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_sqlite_runs_with_wal_and_foreign_keys(app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# constraints

def test_usernames_emails_and_phones_are_unique_in_the_database(alice):
    assert insert_fails(User(username="alice", display_name="Other", password_hash="x"))
    alice.email, alice.phone = "a@example.org", "+15550001111"
    db.session.commit()
    assert insert_fails(User(username="alice2", display_name="A", password_hash="x", email="a@example.org"))
    assert insert_fails(User(username="alice3", display_name="A", password_hash="x", phone="+15550001111"))
    # Many accounts may have no email or phone.
    assert not insert_fails(User(username="dave", display_name="D", password_hash="x"),
                            User(username="erin", display_name="E", password_hash="x"))


def test_one_membership_per_user_and_conversation(alice):
    group = make_group(alice, "Team")
    assert insert_fails(Membership(conversation_id=group.id, user_id=alice.id))


def test_foreign_keys_are_enforced(alice):
    assert insert_fails(Membership(conversation_id=9999, user_id=alice.id))
    group = make_group(alice, "Team")
    assert insert_fails(Membership(conversation_id=group.id, user_id=9999))


def test_message_seqs_are_unique_per_conversation(alice):
    first, second = make_group(alice, "One"), make_group(alice, "Two")
    assert not insert_fails(message(first, 1), message(second, 1))
    assert insert_fails(message(first, 1))


def test_client_ids_are_unique_per_sender(alice, bob):
    group = make_group(alice, "Team", [bob])
    assert not insert_fails(message(group, 1, sender_id=alice.id, client_id="c-1"),
                            message(group, 2, sender_id=bob.id, client_id="c-1"),
                            message(group, 3, sender_id=alice.id), message(group, 4, sender_id=alice.id))
    assert insert_fails(message(group, 5, sender_id=alice.id, client_id="c-1"))


def test_one_direct_conversation_per_pair(alice):
    assert not insert_fails(Conversation(kind="direct", direct_key="1:2"), Conversation(kind="group", name="A"),
                            Conversation(kind="group", name="B"))
    assert insert_fails(Conversation(kind="direct", direct_key="1:2"))


def test_token_hashes_are_unique(alice):
    token = {"user_id": alice.id, "token_hash": "f" * 64, "expires_at": utcnow()}
    assert not insert_fails(ApiToken(**token))
    assert insert_fails(ApiToken(**token))


def test_deleting_a_conversation_deletes_its_memberships_and_messages(alice, bob):
    group = make_group(alice, "Team", [bob])
    db.session.add(message(group, 1, sender_id=alice.id))
    db.session.commit()
    db.session.delete(group)
    db.session.commit()
    assert db.session.execute(db.select(Membership)).all() == []
    assert db.session.execute(db.select(Message)).all() == []


def test_a_deleted_conversations_id_is_never_given_again(alice):
    """SQLite gives the largest id + 1 without AUTOINCREMENT: a deleted group's id would name the next
    conversation for the pages' drafts and outboxes and for the delivery order (migration 0018)."""
    group = make_group(alice, "Gone")
    gone_id = group.id
    db.session.delete(group)
    db.session.commit()
    assert make_group(alice, "Next").id > gone_id


def test_deleting_a_user_keeps_their_messages_without_a_sender(alice, bob):
    group = make_group(alice, "Team", [bob])
    db.session.add(message(group, 1, sender_id=bob.id, client_id="c-1"))
    db.session.commit()
    db.session.execute(db.delete(User).where(User.id == bob.id))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.execute(db.select(Message)).scalar_one()
    assert (kept.sender_id, kept.body) == (None, "x")
    assert [m.user_id for m in db.session.execute(db.select(Membership)).scalars()] == [alice.id]


# the models' helpers

def test_user_password_and_flags(app):
    user = User(username="dave", display_name="Dave")
    user.set_password(PASSWORD)
    assert user.password_hash.startswith("pbkdf2:sha256:1$") and PASSWORD not in user.password_hash  # tests: fast
    assert user.check_password(PASSWORD) and not user.check_password("wrong")
    user.active, user.role = False, "admin"
    assert (user.is_active, user.role) == (False, "admin")  # what the role allows: actions.access
    assert repr(user) == "<User dave>"


def test_production_hashes_with_scrypt_and_either_kind_of_hash_verifies(app, tmp_path):
    production = create_app(environ={"SWITCHBOARD_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                                     "SOCKETIO_ASYNC_MODE": "threading",
                                     "DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}"})
    strong, fast = User(username="dave"), User(username="erin")
    with production.app_context():
        strong.set_password(PASSWORD)
    fast.set_password(PASSWORD)  # under `app`, the testing configuration
    assert strong.password_hash.startswith("scrypt:") and fast.password_hash.startswith("pbkdf2:")
    for user in (strong, fast):
        assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "!")


def test_new_rows_get_their_defaults(alice):
    assert (alice.active, alice.role, alice.must_change_password, isinstance(alice.created_at, datetime)) == (
        True, "user", False, True)
    group = make_group(alice, "Team")
    assert (group.is_group, group.visibility, group.last_seq, group.last_revision, group.archived_at) == (
        True, "private", 0, 0, None)
    assert not Conversation(kind="direct").is_group


def test_message_is_removed_when_deleted_or_hidden():
    assert not Message().is_removed
    assert Message(deleted_at=utcnow()).is_removed
    assert Message(hidden_at=utcnow()).is_removed


def test_times_are_naive_utc_and_rendered_with_z():
    now = utcnow()
    assert now.tzinfo is None
    assert isoformat(datetime(2024, 5, 6, 7, 8, 9, 123456)) == "2024-05-06T07:08:09.123Z"
    assert isoformat(None) is None

