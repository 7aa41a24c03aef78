"""Alembic environment: run the store's migrations on the engine given by
:func:`proximite.store.db.upgrade` (no ``alembic.ini``: the URL comes from the settings).

SQLite alters tables by copying them (``render_as_batch``); every model module is imported
so that ``alembic revision --autogenerate`` (a developer command) sees all the tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from proximite.store import models, plans  # noqa: F401  (registers every table on Base.metadata)
from proximite.store.db import Base, make_engine

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # the alembic command line: -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///:memory:")
    engine = make_engine(url)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
