"""A Web Push subscription belongs to the login that made it: ending that login forgets it

Revision ID: 0024_push_of_a_login
Revises: 0023_orphaned_direct_chats
Create Date: 2026-12-05 19:00:00

Before, a browser logged out (or whose login was revoked, timed out, or signed in elsewhere) was
still pushed its user's messages, text and sender included, until someone removed it by hand from
the settings page. Subscriptions stored before this have no login: they stay until removed, or until
the account is closed (actions.web_push.forget_subscriptions).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_push_of_a_login"
down_revision = "0023_orphaned_direct_chats"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table to add the foreign key: keep its AUTOINCREMENT (0022).
    with op.batch_alter_table("push_subscriptions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("login_session_id", sa.String(length=32), nullable=True))
        batch.create_foreign_key(batch.f("fk_push_subscriptions_login_session_id_login_sessions"), "login_sessions",
                                 ["login_session_id"], ["id"], ondelete="CASCADE")
        batch.create_index(batch.f("ix_push_subscriptions_login_session_id"), ["login_session_id"], unique=False)


def downgrade():
    with op.batch_alter_table("push_subscriptions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index(batch.f("ix_push_subscriptions_login_session_id"))
        batch.drop_constraint(batch.f("fk_push_subscriptions_login_session_id_login_sessions"), type_="foreignkey")
        batch.drop_column("login_session_id")
