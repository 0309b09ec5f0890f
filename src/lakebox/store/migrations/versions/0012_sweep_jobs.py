"""sweep_jobs: a job's type, the sweep a trial belongs to, and properties the service adds

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("job_type", sa.String(length=16), nullable=False, server_default="command"))
        batch.add_column(sa.Column("parent_job_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("properties", sa.JSON(), nullable=False, server_default="{}"))
        batch.create_index(batch.f("ix_jobs_parent_job_name"), ["parent_job_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(batch.f("ix_jobs_parent_job_name"))
        batch.drop_column("properties")
        batch.drop_column("parent_job_name")
        batch.drop_column("job_type")
