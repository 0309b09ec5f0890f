"""compute clusters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:21:15.038814
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "computes",
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
    )


def downgrade() -> None:
    op.drop_table("computes")
