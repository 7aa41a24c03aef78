"""The store foundation: engine, migrations, constraints, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proximite.cli import app
from proximite.errors import ProximiteError, SettingError
from proximite.settings import load_settings
from proximite.store.db import (
    alembic_config,
    current_revisions,
    database_url,
    head_revisions,
    is_up_to_date,
    make_engine,
    upgrade,
)
from proximite.store.models import User, UserTerritory, WebSession


def _user(email: str = "a@example.org") -> User:
    return User(email=email, display_name="Agnès", password_hash="x", role="contributor")


def test_migrations_create_the_tables(store_engine: Engine) -> None:
    tables = set(inspect(store_engine).get_table_names())
    assert {"users", "user_territories", "web_sessions", "alembic_version"} <= tables
    assert is_up_to_date(store_engine)
    assert "0001_foundation" in _ancestors(current_revisions(store_engine))


def _ancestors(heads: set[str]) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for head in heads for rev in script.iterate_revisions(head, "base")}


def test_each_test_starts_from_an_empty_store(store_session: Session) -> None:
    assert store_session.scalars(select(User)).all() == []
    store_session.add(_user())
    store_session.commit()
    assert len(store_session.scalars(select(User)).all()) == 1


def test_email_is_unique(store_session: Session) -> None:
    store_session.add(_user())
    store_session.commit()
    store_session.add(_user())
    with pytest.raises(IntegrityError):
        store_session.commit()
    store_session.rollback()


def test_foreign_keys_are_enforced(store_session: Session) -> None:
    """SQLite ignores foreign keys unless told: the engine turns them on."""
    store_session.add(UserTerritory(user_id=999_999, territory="48"))
    with pytest.raises(IntegrityError):
        store_session.commit()
    store_session.rollback()


def test_role_outside_the_vocabulary_is_refused(store_session: Session) -> None:
    user = _user()
    user.role = "superuser"
    store_session.add(user)
    with pytest.raises(IntegrityError):
        store_session.commit()
    store_session.rollback()


def test_timestamps_come_back_aware_in_utc(store_session: Session) -> None:
    user = _user()
    store_session.add(user)
    store_session.flush()
    paris = timezone(timedelta(hours=1))
    expires = datetime(2026, 12, 1, 13, 30, tzinfo=paris)
    store_session.add(WebSession(token_hash="h" * 64, user_id=user.id, csrf_token="c",
                                 expires_at=expires))
    store_session.commit()
    store_session.expire_all()
    back = store_session.get(WebSession, "h" * 64)
    assert back is not None
    assert back.expires_at == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert back.expires_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(store_session: Session) -> None:
    store_session.add(WebSession(token_hash="n" * 64, csrf_token="c",
                                 expires_at=datetime(2026, 12, 1, 12, 0)))
    with pytest.raises(Exception, match="naive datetime"):
        store_session.flush()
    store_session.rollback()


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'store.sqlite'}")
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert current_revisions(engine) == set()
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()


def test_default_url_is_a_file_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = database_url(load_settings(environ={}).store)
    assert url == f"sqlite:///{tmp_path}/proximite/proximite.sqlite"


def test_database_url_setting_is_validated() -> None:
    with pytest.raises(SettingError, match="PROXIMITE_STORE__DATABASE_URL"):
        load_settings(environ={"PROXIMITE_STORE__DATABASE_URL": "mysql://u@h/db"})
    settings = load_settings(environ={"PROXIMITE_STORE__DATABASE_URL": "sqlite:///x.db"})
    assert settings.store.database_url == "sqlite:///x.db"


def test_unreadable_url_is_a_french_error() -> None:
    with pytest.raises(ProximiteError, match="adresse de base de données illisible"):
        make_engine("pas une adresse")


def test_cli_upgrade_then_already_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    runner = CliRunner()
    first = runner.invoke(app, ["store", "upgrade", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "mise à jour : version" in first.output
    second = runner.invoke(app, ["store", "upgrade", "--database-url", url])
    assert second.exit_code == 0, second.output
    assert "déjà à jour" in second.output
    assert is_up_to_date(make_engine(url))


def test_cli_upgrade_bad_url_exits_2_with_one_line() -> None:
    result = CliRunner().invoke(app, ["store", "upgrade", "--database-url", "oracle://x"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "--database-url oracle://x : attendu une adresse sqlite" in result.output
