"""A Web Push subscription remembers the token that made it and the language of the page that made it

Revision ID: 0025_push_token_and_language
Revises: 0024_push_of_a_login
Create Date: 2026-12-05 22:30:00

Before, revoking one bearer token left the subscriptions it registered pushing the account's messages
(only revoking every token did: a password changed or reset), and the notification's own words ("New
message", "(file)") were English for a user who follows the browser's language. Subscriptions stored
before this have neither: they stay until removed or every token goes, and are pushed in English unless
the account chose a language.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_push_token_and_language"
down_revision = "0024_push_of_a_login"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table to add the foreign key: keep its AUTOINCREMENT (0022).
    with op.batch_alter_table("push_subscriptions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("api_token_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch.create_foreign_key(batch.f("fk_push_subscriptions_api_token_id_api_tokens"), "api_tokens",
                                 ["api_token_id"], ["id"], ondelete="CASCADE")
        batch.create_index(batch.f("ix_push_subscriptions_api_token_id"), ["api_token_id"], unique=False)


def downgrade():
    with op.batch_alter_table("push_subscriptions", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index(batch.f("ix_push_subscriptions_api_token_id"))
        batch.drop_constraint(batch.f("fk_push_subscriptions_api_token_id_api_tokens"), type_="foreignkey")
        batch.drop_column("language")
        batch.drop_column("api_token_id")
