"""Proposals and their moderation: the queue per territory, before/after, accept, amend
or reject with a reason, with no lost update.

Two moderators deciding the same contribution: the form carries the version it showed
(``expected_version``) and the row is updated with SQLAlchemy's optimistic lock (UPDATE …
WHERE version = n), so the second decision is refused with a message instead of
overwriting the first, whichever reads first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from proximite.store.db import utcnow
from proximite.store.models import (
    PLACE_FIELDS,
    Cartoparty,
    Contribution,
    ContributionKind,
    ContributionStatus,
    EventKind,
    Place,
    User,
)
from proximite.store.places import (
    CONTRIBUTION_SOURCE,
    StaleVersion,
    StoreError,
    mark_moderated,
    record_change,
    require_moderator,
    territory_of,
)
from proximite.store.validation import Proposal

ANONYMOUS = "visiteur anonyme"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def propose(session: Session, proposal: Proposal, *, place: Place | None,
            author: User | None, cartoparty: Cartoparty | None = None
            ) -> tuple[Contribution, str]:
    """Store a validated proposal; returns it and the follow token (shown once, to see the
    outcome without an account). The caller commits."""
    if place is not None and place.closed and proposal.kind is not ContributionKind.NEW:
        raise StoreError("ce lieu est fermé : proposer un nouveau lieu s'il a rouvert")
    code = str(proposal.fields.get("code_insee") or (place.code_insee if place else ""))
    token = secrets.token_urlsafe(24)
    contribution = Contribution(
        kind=proposal.kind.value, status=ContributionStatus.PENDING.value,
        territory=territory_of(code), place_id=place.id if place else None,
        base_version=place.version if place else None, proposed=dict(proposal.fields),
        comment=proposal.comment, source_note=proposal.source_note,
        author_id=author.id if author else None,
        author_label=author.display_name if author else ANONYMOUS,
        follow_token_hash=token_hash(token),
        cartoparty_id=cartoparty.id if cartoparty else None, created_at=utcnow())
    session.add(contribution)
    session.flush()
    return contribution, token


@dataclass(frozen=True)
class FieldChange:
    """One line of the before/after view."""

    field: str
    before: Any  # the place's current value (None: new place)
    after: Any
    changed_since: bool  # the place changed this field after the proposal was made


def before_after(session: Session, contribution: Contribution) -> list[FieldChange]:
    values = contribution.applied or contribution.proposed
    place = contribution.place
    rows = []
    for name in PLACE_FIELDS:
        if name not in values:
            continue
        before = getattr(place, name) if place is not None else None
        changed = (place is not None and contribution.base_version is not None
                   and place.version != contribution.base_version
                   and any(name in e.changes for e in place.events
                           if e.at > contribution.created_at))
        rows.append(FieldChange(name, before, values[name], changed))
    return rows


def queue(session: Session, moderator: User, territory: str | None = None,
          status: ContributionStatus = ContributionStatus.PENDING) -> list[Contribution]:
    """The contributions of the moderator's territories (one of them if given), oldest
    first."""
    query = select(Contribution).where(Contribution.status == status.value)
    if moderator.role != "admin":
        query = query.where(Contribution.territory.in_(sorted(moderator.territory_codes)))
    if territory is not None:
        require_moderator(moderator, territory)
        query = query.where(Contribution.territory == territory)
    return list(session.scalars(query.order_by(Contribution.created_at, Contribution.id)))


def pending_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Contribution.territory, func.count()).where(
        Contribution.status == ContributionStatus.PENDING.value).group_by(
        Contribution.territory))
    return {territory: count for territory, count in rows}


def decide(session: Session, contribution: Contribution, *, moderator: User, accept: bool,
           expected_version: int, reason: str = "",
           amended: dict[str, Any] | None = None) -> Contribution:
    """Accept (with ``amended`` values: amend) or reject, with the reason given to the
    contributor. Raises :class:`StaleVersion` when someone decided first. The caller
    commits (a :class:`StaleDataError` at commit means the same and must be shown so)."""
    try:
        return _decide(session, contribution, moderator=moderator, accept=accept,
                       expected_version=expected_version, reason=reason, amended=amended)
    except StaleDataError:
        raise StaleVersion("cette contribution ou ce lieu vient d'être modifié par un autre "
                           "modérateur : rien n'a été enregistré, recharger la page") from None


def _decide(session: Session, contribution: Contribution, *, moderator: User, accept: bool,
            expected_version: int, reason: str, amended: dict[str, Any] | None
            ) -> Contribution:
    require_moderator(moderator, contribution.territory)
    if contribution.version != expected_version or \
            contribution.status != ContributionStatus.PENDING.value:
        who = contribution.moderator.display_name if contribution.moderator else "quelqu'un"
        raise StaleVersion(f"cette contribution a déjà été traitée par {who} : rien n'a été "
                           "enregistré, recharger la page")
    reason = reason.strip()
    contribution.moderator_id = moderator.id
    contribution.moderated_at = utcnow()
    contribution.reason = reason
    if not accept:
        if not reason:
            raise StoreError("motif obligatoire pour refuser une contribution")
        contribution.status = ContributionStatus.REJECTED.value
        session.flush()
        return contribution
    values = dict(contribution.proposed)
    status = ContributionStatus.ACCEPTED
    if amended is not None and amended != values:
        if not reason:
            raise StoreError("motif obligatoire pour modifier une contribution")
        values, status = dict(amended), ContributionStatus.AMENDED
    contribution.applied = values
    contribution.status = status.value
    place = contribution.place
    if place is None:
        place = Place(service_id=f"{CONTRIBUTION_SOURCE}:{contribution.id}",
                      territory=contribution.territory, moderated_fields={},
                      source=CONTRIBUTION_SOURCE, source_id=f"{CONTRIBUTION_SOURCE}:"
                      f"{contribution.id}")
    label = f"{moderator.display_name} (proposé par {contribution.author_label})"
    event = record_change(session, place, values, kind=EventKind.CONTRIBUTION,
                          actor=moderator, actor_label=label,
                          reason=reason or contribution.comment,
                          contribution_id=contribution.id)
    contribution.place_id = place.id
    if event is not None:
        mark_moderated(place, values, event)
    session.flush()
    return contribution


def followed(session: Session, contribution_id: int, token: str) -> Contribution | None:
    """The contribution whose follow token this is (None for a wrong token)."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or not secrets.compare_digest(contribution.follow_token_hash,
                                                          token_hash(token)):
        return None
    return contribution
