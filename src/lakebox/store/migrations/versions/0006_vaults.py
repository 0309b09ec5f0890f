"""vaults

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:44:00.818810
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "vaults",
        sa.Column("name_key", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
    )
    op.create_table(
        "secrets",
        sa.Column("vault_key", sa.String(length=24), nullable=False),
        sa.Column("name_key", sa.String(length=127), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=127), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["vault_key"], ["vaults.name_key"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vault_key", "name_key", "version"),
    )


def downgrade() -> None:

    op.drop_table("secrets")
    op.drop_table("vaults")
