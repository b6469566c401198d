"""The two-factor secret is stored sealed: two_factor.secret widens to hold a Fernet token

Revision ID: 0028_two_factor_secret_sealed
Revises: 0027_block_last_message_id
Create Date: 2026-12-06 05:40:00

The secret was stored as the base32 text authenticator apps read: a copy of the database gave every account's
codes. The app now stores it sealed with a key kept out of the database (TWO_FACTOR_KEY, else one derived from
SECRET_KEY: actions/sealed_secrets.py), a token of 140 characters. A migration has no business with that key
(it must be the same function of the settings as the app's, on every revision to come), so this one only
widens the column: the rows it finds stay plain, are still read, and are sealed by the first code accepted
with them, or all at once by `flask seal-two-factor-secrets` (docs/deployment.md).

On the way down the code before this revision reads only plain secrets: a database holding sealed ones is refused
(`flask seal-two-factor-secrets --unseal`, with this revision's code, writes them plain again first),
rather than left with secrets that code would fail on at every login of their accounts.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028_two_factor_secret_sealed"
down_revision = "0027_block_last_message_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("two_factor") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=64), type_=sa.String(length=255),
                           existing_nullable=False)


def downgrade():
    # What the app writes is a Fernet token of 120 characters or more; what the code before this reads, base32
    # of at most 64 (the column's width then).
    sealed = op.get_bind().execute(sa.text("SELECT count(*) FROM two_factor WHERE length(secret) > 64")).scalar()
    if sealed:
        raise RuntimeError(f"two_factor holds {sealed} sealed secret(s), which the code before "
                           f"{revision} cannot read: run `flask seal-two-factor-secrets --unseal` first")
    with op.batch_alter_table("two_factor") as batch:
        batch.alter_column("secret", existing_type=sa.String(length=255), type_=sa.String(length=64),
                           existing_nullable=False)
