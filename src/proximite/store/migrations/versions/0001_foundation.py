"""Store foundation: accounts, moderators' territories, server-side sessions.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-12-01

Other modules' tables (action plans...) start their own migration branch from here
(``down_revision = "0001_foundation"``); :func:`proximite.store.db.upgrade` applies every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from proximite.store.db import UTCDateTime

revision: str = "0001_foundation"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # PostGIS: the places' geometry and spatial index (a later migration) use it.
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.CheckConstraint("role IN ('contributor', 'moderator', 'admin')",
                           name=op.f("ck_users_role")),
    )
    op.create_table(
        "user_territories",
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="CASCADE",
                                name=op.f("fk_user_territories_user_id_users")),
                  primary_key=True),
        sa.Column("territory", sa.String(10), primary_key=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="CASCADE",
                                name=op.f("fk_web_sessions_user_id_users")),
                  nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("user_territories")
    op.drop_table("users")
