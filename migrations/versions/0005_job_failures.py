"""job failures: what went wrong with background jobs, for the operators' Jobs panel

Revision ID: 0005_job_failures
Revises: 0004_message_search
Create Date: 2026-11-26 10:00:00

The jobs themselves live in Huey's storage (a SQLite file or Redis), not in this database.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005_job_failures"
down_revision = "0004_message_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("job_name", sa.String(length=200), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_failures")),
        sa.UniqueConstraint("task_id", name=op.f("uq_job_failures_task_id")),
    )
    op.create_index("ix_job_failures_status_last_failed_at", "job_failures", ["status", "last_failed_at"])


def downgrade():
    op.drop_index("ix_job_failures_status_last_failed_at", table_name="job_failures")
    op.drop_table("job_failures")
