"""the interface language a user chose

Revision ID: 0012_language
Revises: 0011_contacts
Create Date: 2026-12-02 15:45:00

One nullable column: NULL (every existing row) means "the browser's Accept-Language"; otherwise
a code of i18n.LANGUAGES (en, zh_Hans_CN), chosen on /settings.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_language"
down_revision = "0011_contacts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
