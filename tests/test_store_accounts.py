"""Accounts: Argon2 hashes, server-side sessions, CSRF tokens, `proximite users create`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proximite.cli import app
from proximite.store.accounts import (
    authenticate,
    close_session,
    create_user,
    csrf_ok,
    find_session,
    open_session,
    purge_expired,
)
from proximite.store.db import make_engine, session_factory, utcnow
from proximite.store.models import Role, User, WebSession
from proximite.store.places import StoreError

PASSWORD = "correct horse battery"


def _moderator(session: Session) -> User:
    return create_user(session, email=" Modo@CD48.fr ", password=PASSWORD,
                       display_name="Modo", role=Role.MODERATOR, territories=("48",))


def test_password_is_stored_as_an_argon2id_hash(store_session: Session) -> None:
    user = _moderator(store_session)
    assert user.email == "modo@cd48.fr" and user.territory_codes == {"48"}
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert authenticate(store_session, "MODO@cd48.fr", PASSWORD) is user
    assert authenticate(store_session, "modo@cd48.fr", PASSWORD + "!") is None
    assert authenticate(store_session, "personne@cd48.fr", PASSWORD) is None
    user.active = False
    assert authenticate(store_session, "modo@cd48.fr", PASSWORD) is None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"email": "pas-une-adresse"}, "adresse électronique « pas-une-adresse » invalide"),
    ({"password": "court"}, "mot de passe trop court : 12 caractères au moins"),
    ({"territories": ()}, "un modérateur modère au moins un territoire"),
])
def test_account_errors_are_french(store_session: Session, kwargs: dict[str, object],
                                   message: str) -> None:
    given: dict[str, object] = {"email": "a@b.fr", "password": PASSWORD, "display_name": "",
                                "role": Role.MODERATOR, "territories": ("48",)} | kwargs
    with pytest.raises(StoreError, match=message):
        create_user(store_session, **given)  # type: ignore[arg-type]


def test_same_email_twice_is_refused(store_session: Session) -> None:
    _moderator(store_session)
    with pytest.raises(StoreError, match="un compte existe déjà pour modo@cd48.fr"):
        _moderator(store_session)


def test_sessions_keep_only_a_hash_and_expire(store_session: Session) -> None:
    user = _moderator(store_session)
    opened = open_session(store_session, user, hours=12)
    assert opened.row.token_hash != opened.token and len(opened.row.token_hash) == 64
    assert find_session(store_session, opened.token) is opened.row
    assert find_session(store_session, opened.row.token_hash) is None  # the hash is no key
    later = utcnow() + timedelta(hours=13)
    assert find_session(store_session, opened.token, now=later) is None
    assert purge_expired(store_session, now=later) == 1
    assert store_session.scalars(select(WebSession)).all() == []


def test_signing_out_and_csrf(store_session: Session) -> None:
    anonymous = open_session(store_session, None, hours=12)
    signed_in = open_session(store_session, _moderator(store_session), hours=12)
    assert anonymous.row.user_id is None
    assert csrf_ok(anonymous.row, anonymous.row.csrf_token)
    assert not csrf_ok(anonymous.row, signed_in.row.csrf_token)
    assert not csrf_ok(anonymous.row, "")
    assert not csrf_ok(None, anonymous.row.csrf_token)
    close_session(store_session, signed_in.token)
    assert find_session(store_session, signed_in.token) is None
    assert find_session(store_session, anonymous.token) is anonymous.row


def test_cli_creates_the_first_administrator(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'users.sqlite'}"
    runner = CliRunner()
    refused = runner.invoke(app, ["users", "create", "admin@cd48.fr", "--admin",
                                  "--database-url", url], env={"PROXIMITE_NEW_PASSWORD": PASSWORD})
    assert refused.exit_code == 2
    assert "base pas à jour : lancer d'abord `proximite store upgrade`" in refused.output
    assert runner.invoke(app, ["store", "upgrade", "--database-url", url]).exit_code == 0
    created = runner.invoke(app, ["users", "create", "admin@cd48.fr", "--admin", "--name",
                                  "Admin", "--database-url", url],
                            env={"PROXIMITE_NEW_PASSWORD": PASSWORD})
    assert created.exit_code == 0, created.output
    assert "Compte administrateur créé : admin@cd48.fr." in created.output
    moderator = runner.invoke(app, ["users", "create", "m@cd48.fr", "--moderator", "48",
                                    "--moderator", "15", "--database-url", url,
                                    "--password", PASSWORD])
    assert "Compte modérateur (15, 48) créé : m@cd48.fr." in moderator.output
    again = runner.invoke(app, ["users", "create", "admin@cd48.fr", "--database-url", url,
                                "--password", PASSWORD])
    assert again.exit_code == 2 and "un compte existe déjà" in again.output
    with session_factory(make_engine(url))() as session:
        admin = session.scalars(select(User).where(User.email == "admin@cd48.fr")).one()
        assert admin.role == "admin"
        assert authenticate(session, "admin@cd48.fr", PASSWORD) is not None
