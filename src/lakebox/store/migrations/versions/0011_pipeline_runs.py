"""pipeline_runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_runs",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("pipeline_name", sa.String(length=260), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("invoked_by", sa.JSON(), nullable=False),
        sa.Column("run_group_id", sa.String(length=36), nullable=False),
        sa.Column("rerun_of", sa.String(length=36), nullable=True),
        sa.Column("parent_run_id", sa.String(length=36), nullable=True),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("run_start", sa.DateTime(), nullable=True),
        sa.Column("run_end", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index(op.f("ix_pipeline_runs_pipeline_name"), "pipeline_runs", ["pipeline_name"], unique=False)
    op.create_index(op.f("ix_pipeline_runs_status"), "pipeline_runs", ["status"], unique=False)
    op.create_index(op.f("ix_pipeline_runs_created_at"), "pipeline_runs", ["created_at"], unique=False)
    op.create_table(
        "activity_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("activity_name", sa.String(length=260), nullable=False),
        sa.Column("activity_type", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("run_start", sa.DateTime(), nullable=True),
        sa.Column("run_end", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_runs.run_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_activity_runs_run_id"), "activity_runs", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_runs_run_id"), table_name="activity_runs")
    op.drop_table("activity_runs")
    op.drop_index(op.f("ix_pipeline_runs_created_at"), table_name="pipeline_runs")
    op.drop_index(op.f("ix_pipeline_runs_status"), table_name="pipeline_runs")
    op.drop_index(op.f("ix_pipeline_runs_pipeline_name"), table_name="pipeline_runs")
    op.drop_table("pipeline_runs")
