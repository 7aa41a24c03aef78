"""The multi-user store: places, contributions, their history and the accounts.

One database selected by ``store.database_url`` (SQLite by default, PostgreSQL + PostGIS
for a multi-user deployment), reached through SQLAlchemy 2, its schema versioned by the
Alembic migrations shipped in ``store/migrations`` (``proximite store upgrade``). The
store sits between the source importers and the diagnostic: it reads files only through
:mod:`proximite.io`, and the diagnostic, the CLI and the géoportail read it.
"""
