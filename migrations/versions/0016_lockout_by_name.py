"""Login lockout kept per submitted name, known or not

Revision ID: 0016_lockout_by_name
Revises: 0015_suspensions
Create Date: 2026-12-02 19:15:00

`account_lockouts` (one row per account) becomes `login_lockouts` (one row per login name as
typed and normalized, hashed: actions.lockout.login_name_key), so that an unknown name locks as
a known one does and a lock tells nobody the name exists. Each account's row moves to its
username's key (the name its failures were most likely typed with); going down, rows of names
that are some account's username move back. New tables only: `messages` is untouched.
"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_lockout_by_name"
down_revision = "0015_suspensions"
branch_labels = None
depends_on = None

COLUMNS = ("failures", "level", "locked_until", "last_failure_at")


def _name_key(name: str) -> str:
    # actions.rate_limits.hashed of the normalized name (a username: lower case), as of this revision.
    return hashlib.sha256(name.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _typed(name: str, key: sa.Column) -> sa.TableClause:
    """The table as this revision reads it (typed: SQLite gives datetimes back as text otherwise)."""
    return sa.table(name, key, sa.column("failures", sa.Integer()), sa.column("level", sa.Integer()),
                    sa.column("locked_until", sa.DateTime()), sa.column("last_failure_at", sa.DateTime()))


USERS = sa.table("users", sa.column("id", sa.Integer()), sa.column("username", sa.String()))


def _counts():
    return [sa.Column("failures", sa.Integer(), nullable=False), sa.Column("level", sa.Integer(), nullable=False),
            sa.Column("locked_until", sa.DateTime(), nullable=True),
            sa.Column("last_failure_at", sa.DateTime(), nullable=True)]


def upgrade():
    login_lockouts = op.create_table(
        "login_lockouts",
        sa.Column("name_key", sa.String(length=32), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("name_key", name=op.f("pk_login_lockouts")),
    )
    op.create_index(op.f("ix_login_lockouts_last_failure_at"), "login_lockouts", ["last_failure_at"])
    connection = op.get_bind()
    old = _typed("account_lockouts", sa.column("user_id", sa.Integer()))
    rows = connection.execute(sa.select(USERS.c.username, *(old.c[name] for name in COLUMNS))
                              .join_from(old, USERS, USERS.c.id == old.c.user_id)).all()
    if rows:
        op.bulk_insert(login_lockouts, [{"name_key": _name_key(row[0]), **dict(zip(COLUMNS, row[1:], strict=True))}
                                        for row in rows])
    op.drop_table("account_lockouts")


def downgrade():
    account_lockouts = op.create_table(
        "account_lockouts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        *_counts(),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_lockouts_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_lockouts")),
    )
    connection = op.get_bind()
    by_key = {_name_key(username): user_id for user_id, username in connection.execute(sa.select(USERS))}
    new = _typed("login_lockouts", sa.column("name_key", sa.String()))
    rows = connection.execute(sa.select(new.c.name_key, *(new.c[name] for name in COLUMNS))).all()
    moved = [{"user_id": by_key[row[0]], **dict(zip(COLUMNS, row[1:], strict=True))}
             for row in rows if row[0] in by_key]
    if moved:
        op.bulk_insert(account_lockouts, moved)
    op.drop_index(op.f("ix_login_lockouts_last_failure_at"), table_name="login_lockouts")
    op.drop_table("login_lockouts")
