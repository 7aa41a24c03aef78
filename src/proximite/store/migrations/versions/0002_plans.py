"""Action plans: items, evaluations, indicators, history (proximite.store.plans).

Revision ID: 0002_plans
Revises: 0001_foundation
Create Date: 2026-12-01

Its own branch from the foundation (label ``plans``), beside the contributions' tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from proximite.store.db import UTCDateTime

revision: str = "0002_plans"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("plans",)
depends_on: str | Sequence[str] | None = None


def _plan_fk(table: str) -> sa.Column:
    return sa.Column("plan_id", sa.String(120),
                     sa.ForeignKey("plans.id", ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_plan_id_plans")),
                     primary_key=table != "plan_history", nullable=False)


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("territory", sa.String(10), nullable=False),
        sa.Column("levels", sa.Text()),
        sa.Column("scale", sa.Text()),
        sa.Column("scale_labels", sa.Text()),
        sa.Column("header", sa.Text()),
        sa.Column("extra", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "plan_items",
        _plan_fk("plan_items"),
        sa.Column("item_id", sa.String(60), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(60)),
        sa.Column("level", sa.String(60), nullable=False),
        sa.Column("number", sa.String(30)),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("pilots", sa.Text()),
        sa.Column("partners", sa.Text()),
        sa.Column("calendar", sa.Text()),
        sa.Column("retired", sa.Text()),
        sa.Column("extra", sa.Text()),
    )
    op.create_table(
        "plan_evaluations",
        _plan_fk("plan_evaluations"),
        sa.Column("review_date", sa.Date(), primary_key=True),
        sa.Column("item_id", sa.String(60), primary_key=True),
        sa.Column("level", sa.String(60)),
        sa.Column("facts", sa.Text()),
        sa.Column("comment", sa.Text()),
        sa.Column("who", sa.String(200)),
        sa.Column("extra", sa.Text()),
    )
    op.create_table(
        "plan_indicators",
        _plan_fk("plan_indicators"),
        sa.Column("indicator_id", sa.String(120), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("item_ids", sa.Text()),
        sa.Column("declared_on", sa.String(60)),
        sa.Column("kind", sa.String(60)),
        sa.Column("unit", sa.String(60)),
        sa.Column("target", sa.Text()),
        sa.Column("query", sa.Text()),
        sa.Column("lower_is_better", sa.Boolean()),
        sa.Column("observed", sa.Text()),
        sa.Column("extra", sa.Text()),
    )
    op.create_table(
        "plan_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        _plan_fk("plan_history"),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("item_id", sa.String(120), nullable=False),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
    )
    op.create_index(op.f("ix_plan_history_plan_id"), "plan_history", ["plan_id"])


def downgrade() -> None:
    for table in ("plan_history", "plan_indicators", "plan_evaluations", "plan_items"):
        op.drop_table(table)
    op.drop_table("plans")
