"""The store's tables (SQLAlchemy 2 declarative mappings).

The schema itself is created by the migrations (``store/migrations/versions``), never by
``create_all``: a change here goes with a new migration. Vocabularies are StrEnums stored
as their text value (readable in any SQL client, and the same on both back-ends).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
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


