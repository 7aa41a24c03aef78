"""The store's tables (SQLAlchemy 2 declarative mappings).

The schema itself is created by the migrations (``store/migrations/versions``), never by
``create_all``: a change here goes with a new migration. Vocabularies are StrEnums stored
as their text value (readable in any SQL client, and the same on both back-ends).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from proximite.store.db import Base, UTCDateTime, utcnow


class Role(StrEnum):
    """What an account may do. A visitor without an account may only propose."""

    CONTRIBUTOR = "contributor"  # proposes under their name, sees the outcome
    MODERATOR = "moderator"  # moderates the territories granted to them
    ADMIN = "admin"  # everything, every territory, manages accounts


class User(Base):
    """An account. The password is kept only as an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.CONTRIBUTOR.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    territories: Mapped[list[UserTerritory]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    @property
    def territory_codes(self) -> set[str]:
        return {t.territory for t in self.territories}


class UserTerritory(Base):
    """A territory (département code, e.g. ``48``) a moderator is granted."""

    __tablename__ = "user_territories"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    territory: Mapped[str] = mapped_column(String(10), primary_key=True)

    user: Mapped[User] = relationship(back_populates="territories")


class WebSession(Base):
    """A server-side session: the cookie holds a random token, the table its SHA-256.

    Anonymous visitors get one too (it carries the CSRF token of their forms); a leaked
    database gives no usable cookie.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    user: Mapped[User | None] = relationship(lazy="joined")




# --------------------------------------------------------------------------- places


class EventKind(StrEnum):
    """What made a change to a place (one history entry each)."""

    IMPORT = "import"  # an official source read into the store
    CONTRIBUTION = "contribution"  # a proposal accepted (or amended) by a moderator
    REVERT = "revert"  # an earlier entry undone


class ContributionKind(StrEnum):
    NEW = "new"  # a place missing from the inventory
    CORRECTION = "correction"  # one or more fields of a place
    CLOSURE = "closure"  # the place has closed


class ContributionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    AMENDED = "amended"  # accepted with the moderator's changes
    REJECTED = "rejected"


class ConflictStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"  # the moderated value stays
    TAKEN = "taken"  # the official value replaces it


#: The fields of a place a contribution may change (the inventory schema's own names).
PLACE_FIELDS: tuple[str, ...] = (
    "category", "name", "operator", "lon", "lat", "code_insee", "address",
    "opening_hours", "opening_hours_raw", "access_modes", "location_precision", "closed",
)


class Place(Base):
    """A place of the inventory, in its current state, with its row's provenance.

    ``version`` is SQLAlchemy's optimistic lock: an UPDATE made from a stale copy matches
    no row and fails instead of silently overwriting. ``moderated_fields`` maps each field
    whose current value a moderator decided to that decision (``contribution:12``): a
    re-import of the official source lists a conflict for those instead of overwriting them.
    """

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[str] = mapped_column(String(200), unique=True)
    territory: Mapped[str] = mapped_column(String(10), index=True)
    category: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    operator: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float]
    lat: Mapped[float]
    code_insee: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    opening_hours_raw: Mapped[str] = mapped_column(Text, default="")
    access_modes: Mapped[str] = mapped_column(String(200), default="")
    location_precision: Mapped[str] = mapped_column(String(20), default="exact")
    closed: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(Text, default="")
    source_id: Mapped[str] = mapped_column(Text, default="")
    data_date: Mapped[str] = mapped_column(String(40), default="")
    source_file: Mapped[str] = mapped_column(Text, default="")
    source_line: Mapped[str] = mapped_column(String(20), default="")
    moderated_fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)

    events: Mapped[list[PlaceEvent]] = relationship(
        back_populates="place", order_by="PlaceEvent.id")

    def values(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in PLACE_FIELDS}


class PlaceEvent(Base):
    """One entry of a place's history: who, when, what (field: [before, after]), why.

    Append-only: the application has no way to change one, and database triggers refuse
    UPDATE and DELETE on both back-ends (migration 0002).
    """

    __tablename__ = "place_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, list[object]]] = mapped_column(JSON)
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id"))
    reverts_event_id: Mapped[int | None] = mapped_column(ForeignKey("place_events.id"))

    place: Mapped[Place] = relationship(back_populates="events")


class Cartoparty(Base):
    """A mapping event: a territory, a date, the categories to survey."""

    __tablename__ = "cartoparties"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(10), index=True)
    event_date: Mapped[date]
    categories: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Contribution(Base):
    """A proposal: a new place, corrections of fields, or a closure, then its outcome.

    ``proposed`` holds the fields as proposed, ``applied`` what the moderator accepted
    (``proposed`` amended); ``base_version`` the place's version the visitor saw.
    ``follow_token_hash`` lets an anonymous visitor see the outcome with their link.
    """

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ContributionStatus.PENDING.value,
                                        index=True)
    territory: Mapped[str] = mapped_column(String(10), index=True)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    base_version: Mapped[int | None]
    proposed: Mapped[dict[str, object]] = mapped_column(JSON)
    applied: Mapped[dict[str, object] | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    source_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_label: Mapped[str] = mapped_column(String(200), default="")
    follow_token_hash: Mapped[str] = mapped_column(String(64), default="")
    cartoparty_id: Mapped[int | None] = mapped_column(ForeignKey("cartoparties.id"),
                                                      index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)

    place: Mapped[Place | None] = relationship(lazy="joined")
    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id], lazy="joined")


class ImportConflict(Base):
    """An official value that differs from a moderated correction, left for a moderator."""

    __tablename__ = "import_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    territory: Mapped[str] = mapped_column(String(10), index=True)
    field: Mapped[str] = mapped_column(String(40))
    store_value: Mapped[str] = mapped_column(Text)
    official_value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id"))
    status: Mapped[str] = mapped_column(String(20), default=ConflictStatus.OPEN.value)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    place: Mapped[Place] = relationship(lazy="joined")
