"""Places, their append-only history, contributions, cartoparties, import conflicts.

Revision ID: 0002_places_contributions
Revises: 0001_foundation
Create Date: 2026-12-01

The history cannot be changed through the application, nor by a stray UPDATE: triggers
refuse UPDATE and DELETE on ``place_events`` (SQLite and PostgreSQL). On PostgreSQL the
places also get a PostGIS point generated from lon/lat, with a GiST index, for spatial
queries by any GIS client (QGIS reads the table directly).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from proximite.store.db import UTCDateTime

revision: str = "0002_places_contributions"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "l''historique d''un lieu ne se modifie pas"


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("territory", sa.String(10), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        _text("name"), _text("operator"),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("code_insee", sa.String(10), nullable=False, server_default=""),
        _text("address"), _text("opening_hours"), _text("opening_hours_raw"),
        sa.Column("access_modes", sa.String(200), nullable=False, server_default=""),
        sa.Column("location_precision", sa.String(20), nullable=False,
                  server_default="exact"),
        sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()),
        _text("source"), _text("source_id"),
        sa.Column("data_date", sa.String(40), nullable=False, server_default=""),
        _text("source_file"),
        sa.Column("source_line", sa.String(20), nullable=False, server_default=""),
        sa.Column("moderated_fields", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("service_id", name=op.f("uq_places_service_id")),
        sa.CheckConstraint("lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90",
                           name=op.f("ck_places_lonlat")),
    )
    op.create_index(op.f("ix_places_territory"), "places", ["territory"])
    op.create_index(op.f("ix_places_category"), "places", ["category"])
    op.create_table(
        "cartoparties",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("territory", sa.String(10), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        _text("description"),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey(
            "users.id", name=op.f("fk_cartoparties_created_by_users"))),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("slug", name=op.f("uq_cartoparties_slug")),
    )
    op.create_index(op.f("ix_cartoparties_territory"), "cartoparties", ["territory"])
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("territory", sa.String(10), nullable=False),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey(
            "places.id", name=op.f("fk_contributions_place_id_places"))),
        sa.Column("base_version", sa.Integer()),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("applied", sa.JSON()),
        _text("comment"), _text("source_note"),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey(
            "users.id", name=op.f("fk_contributions_author_id_users"))),
        sa.Column("author_label", sa.String(200), nullable=False, server_default=""),
        sa.Column("follow_token_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("cartoparty_id", sa.Integer(), sa.ForeignKey(
            "cartoparties.id", name=op.f("fk_contributions_cartoparty_id_cartoparties"))),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), sa.ForeignKey(
            "users.id", name=op.f("fk_contributions_moderator_id_users"))),
        sa.Column("moderated_at", UTCDateTime()),
        _text("reason"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('new', 'correction', 'closure')",
                           name=op.f("ck_contributions_kind")),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'amended', 'rejected')",
                           name=op.f("ck_contributions_status")),
    )
    for column in ("status", "territory", "place_id", "cartoparty_id"):
        op.create_index(op.f(f"ix_contributions_{column}"), "contributions", [column])
    op.create_table(
        "place_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey(
            "places.id", name=op.f("fk_place_events_place_id_places")), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey(
            "users.id", name=op.f("fk_place_events_actor_id_users"))),
        sa.Column("actor_label", sa.String(200), nullable=False),
        _text("reason"),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), sa.ForeignKey(
            "contributions.id", name=op.f("fk_place_events_contribution_id_contributions"))),
        sa.Column("reverts_event_id", sa.Integer(), sa.ForeignKey(
            "place_events.id", name=op.f("fk_place_events_reverts_event_id_place_events"))),
        sa.CheckConstraint("kind IN ('import', 'contribution', 'revert')",
                           name=op.f("ck_place_events_kind")),
    )
    op.create_index(op.f("ix_place_events_place_id"), "place_events", ["place_id"])
    op.create_table(
        "import_conflicts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey(
            "places.id", name=op.f("fk_import_conflicts_place_id_places")), nullable=False),
        sa.Column("territory", sa.String(10), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("store_value", sa.Text(), nullable=False),
        sa.Column("official_value", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), sa.ForeignKey(
            "contributions.id", name=op.f("fk_import_conflicts_contribution_id_contributions"))),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_by", sa.Integer(), sa.ForeignKey(
            "users.id", name=op.f("fk_import_conflicts_resolved_by_users"))),
        sa.Column("resolved_at", UTCDateTime()),
    )
    op.create_index(op.f("ix_import_conflicts_place_id"), "import_conflicts", ["place_id"])
    op.create_index(op.f("ix_import_conflicts_territory"), "import_conflicts", ["territory"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE places ADD COLUMN geom geometry(Point, 4326) "
                   "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED")
        op.execute("CREATE INDEX ix_places_geom ON places USING gist (geom)")
        op.execute(f"""CREATE FUNCTION place_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""")
        op.execute("CREATE TRIGGER place_events_append_only BEFORE UPDATE OR DELETE "
                   "ON place_events FOR EACH ROW EXECUTE FUNCTION place_events_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER place_events_no_{action.lower()} BEFORE {action} "
                       f"ON place_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER place_events_append_only ON place_events")
        op.execute("DROP FUNCTION place_events_append_only()")
    else:
        op.execute("DROP TRIGGER place_events_no_update")
        op.execute("DROP TRIGGER place_events_no_delete")
    for table in ("import_conflicts", "place_events", "contributions", "cartoparties",
                  "places"):
        op.drop_table(table)
