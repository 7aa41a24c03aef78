"""Store fixtures: every store test runs on SQLite and, when a PostgreSQL is given, on
PostgreSQL + PostGIS too (``PROXIMITE_TEST_POSTGRES_URL``, set by
``scripts/with_postgres.sh``, which ``make test`` and ``.ci/run`` use).

One engine per back-end and test session, migrated once; each test runs in a transaction
rolled back at its end (the session commits to SAVEPOINTs), so tests see an empty store
and cost no schema creation. ``store_url`` is for tests that need real concurrent
connections (a fresh database per test: a temporary SQLite file, or a new PostgreSQL
schema).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from proximite.store.db import make_engine, upgrade

POSTGRES_ENV = "PROXIMITE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(POSTGRES_ENV) else [])


def _postgres_url() -> str:
    return os.environ[POSTGRES_ENV]


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Argon2id with test-sized costs (the defaults take about a second per hash on a
    busy 2-core machine; the algorithm and the code path are the same)."""
    from argon2 import PasswordHasher

    from proximite.store import accounts

    kept = accounts.HASHER
    accounts.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts.HASHER = kept


@pytest.fixture(scope="session", params=BACKENDS)
def store_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated engine: in-memory SQLite, or a fresh schema of the test PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine("sqlite:///:memory:")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    yield from _postgres_schema_engine()


def _postgres_schema_engine() -> Iterator[Engine]:
    """An engine whose tables live in a new schema, dropped afterwards (the cluster and
    its PostGIS extension are shared)."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(_postgres_url())
    with admin.begin() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(_postgres_url()).update_query_dict(
        {"options": f"-csearch_path={schema},public"})
    engine = make_engine(url.render_as_string(hide_password=False))
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store_session(store_engine: Engine) -> Iterator[Session]:
    """A session over the migrated store whose every change is rolled back afterwards."""
    connection = store_engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(params=BACKENDS)
def store_url_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated database for tests with several real connections at once."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    yield from _postgres_schema_engine()
