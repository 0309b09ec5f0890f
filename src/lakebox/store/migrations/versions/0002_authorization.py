"""authorization: role assignments, custom roles, identity grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:01:50.349808
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_roles",
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name_key"),
    )
    op.create_table(
        "identity_grants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("identity_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=256), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["identity_id"], ["identities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("identity_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_grants_identity_id"), ["identity_id"], unique=False)

    op.create_table(
        "role_assignments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("principal_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["principal_id"], ["identities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("principal_id", "role", "scope"),
    )
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_assignments_principal_id"), ["principal_id"], unique=False)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grant_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_api_tokens_grant_id"), ["grant_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_api_tokens_grant_id", "identity_grants", ["grant_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("fk_api_tokens_grant_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_api_tokens_grant_id"))
        batch_op.drop_column("grant_id")

    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_assignments_principal_id"))

    op.drop_table("role_assignments")
    with op.batch_alter_table("identity_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_grants_identity_id"))

    op.drop_table("identity_grants")
    op.drop_table("custom_roles")
