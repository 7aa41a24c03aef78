"""Accounts, passwords and server-side sessions.

Passwords are hashed with Argon2id by ``argon2-cffi`` (its maintained defaults; a hash made
with older parameters is upgraded at the next sign-in). A session is a random token in a
cookie (``secrets``), kept in the database only as its SHA-256, with its own random CSRF
token that every form must send back. Nothing here is home-made cryptography: random tokens
from the standard library, comparison in constant time, Argon2 from its library.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from proximite.store.db import utcnow
from proximite.store.models import Role, User, UserTerritory, WebSession
from proximite.store.places import StoreError

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Lifetime of an anonymous session (it only carries the CSRF token of a form).
ANONYMOUS_HOURS = 12


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def create_user(session: Session, *, email: str, password: str, display_name: str,
                role: Role, territories: tuple[str, ...] = ()) -> User:
    """A new account; French errors for a bad e-mail, a short password, a taken e-mail."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise StoreError(f"adresse électronique « {email} » invalide")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StoreError(f"mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au moins")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise StoreError(f"un compte existe déjà pour {email}")
    if role is Role.MODERATOR and not territories:
        raise StoreError("un modérateur modère au moins un territoire (code du département)")
    user = User(email=email, display_name=display_name.strip() or email.split("@")[0],
                password_hash=hash_password(password), role=role.value)
    user.territories = [UserTerritory(territory=t.strip()) for t in territories]
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, else None (same answer for an
    unknown e-mail and a wrong password; a hash is computed either way)."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        HASHER.hash(password)  # same cost as a real check: no timing hint
        return None
    try:
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class OpenSession:
    """A session as the web layer needs it: the cookie value (shown once) and the row."""

    token: str
    row: WebSession


def open_session(session: Session, user: User | None, *, hours: int,
                 now: datetime | None = None) -> OpenSession:
    """A new session (signing in always makes a new one: no session fixation)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = WebSession(token_hash=_digest(token), user_id=user.id if user else None,
                     csrf_token=secrets.token_urlsafe(32), created_at=now,
                     expires_at=now + timedelta(hours=hours if user else ANONYMOUS_HOURS))
    session.add(row)
    session.flush()
    if user is not None:
        row.user = user
    return OpenSession(token, row)


def find_session(session: Session, token: str | None,
                 now: datetime | None = None) -> WebSession | None:
    """The live session of a cookie value (None: none, unknown or expired)."""
    if not token:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    if row.user is not None and not row.user.active:
        return None
    return row


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def purge_expired(session: Session, now: datetime | None = None) -> int:
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)


def csrf_ok(row: WebSession | None, submitted: str | None) -> bool:
    """The form's token is the session's own (constant-time comparison)."""
    return bool(row is not None and submitted
                and secrets.compare_digest(row.csrf_token, submitted))
