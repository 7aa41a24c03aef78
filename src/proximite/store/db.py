"""Engine, sessions, declarative base and migrations of the store.

Why SQLAlchemy 2 + Alembic: one ORM and one migration history for SQLite (the embedded
default: ``make demo`` needs nothing set up) and PostgreSQL + PostGIS (many users, real
concurrency), selected by one setting. Every table of the project (this lane's places and
contributions, the action plans...) derives from :class:`Base` and gets its schema from a
migration in ``store/migrations/versions``; :func:`upgrade` runs them all (``heads``: the
migration branches of several modules are applied together).

SQLite details handled here, once: foreign keys are enforced (off by default in SQLite),
transactions start with ``BEGIN IMMEDIATE`` (a writer takes the write lock at the start, so
concurrent writers wait ``busy_timeout`` instead of failing half-way) and the pysqlite
driver's own transaction handling is turned off so that SAVEPOINT works (SQLAlchemy's
documented recipe). An in-memory database is one connection shared by every session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from proximite.errors import ProximiteError
from proximite.settings import StoreSettings

#: Constraint names fixed by convention, so that migrations can name what they alter
#: (SQLite's batch mode needs names) and both back-ends get the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DATABASE_FILE = "proximite.sqlite"
#: Seconds a SQLite writer waits for another one's lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30


class Base(DeclarativeBase):
    """The declarative base of every table of the store."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both back-ends (SQLite stores no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # programmer error: the store takes aware datetimes only (English on purpose)
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_database_url() -> str:
    """The SQLite file in the user data directory (XDG), created on first use."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'proximite' / DATABASE_FILE}"


def database_url(settings: StoreSettings) -> str:
    return settings.database_url or default_database_url()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (SAVEPOINT works)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (a SQLite file's folder is created when missing)."""
    try:
        parsed = make_url(url)
    except Exception:
        raise ProximiteError(f"store.database_url « {url} » : adresse de base de données "
                             "illisible (attendu sqlite:///… ou postgresql+psycopg://…)") from None
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if not memory else "BEGIN")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep their objects readable after commit (pages render them then)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with factory.begin() as session:
        yield session


# --------------------------------------------------------------------------- migrations


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration, pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(files("proximite.store") / "migrations"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database's schema to ``revision`` (default: every migration)."""
    command.upgrade(alembic_config(engine), revision)


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_up_to_date(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()
