"""Places in the store: importing a source, the history of each place, reverting, and
reading the inventory back for the diagnostic.

Every change to a place goes through :func:`record_change`, which writes one history entry
(who, when, what: field -> [before, after], why). An import never overwrites a field a
moderator decided (``Place.moderated_fields``): a different official value becomes an
:class:`~proximite.store.models.ImportConflict` listed for a moderator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from proximite.errors import ProximiteError
from proximite.inventory.schema import PROVENANCE_SEP, SERVICE_COLUMNS, normalise_services
from proximite.settings import StoreSettings
from proximite.store.db import database_url, is_up_to_date, make_engine, session_factory, utcnow
from proximite.store.models import (
    PLACE_FIELDS,
    ConflictStatus,
    EventKind,
    ImportConflict,
    Place,
    PlaceEvent,
    User,
)

#: The ``source`` of every value a moderator accepted (the inventory's provenance column).
CONTRIBUTION_SOURCE = "contribution"
#: The fields an official source sets (a closure is only ever a contribution).
IMPORTED_FIELDS = tuple(f for f in PLACE_FIELDS if f != "closed")
PROVENANCE_FIELDS = ("source", "source_id", "data_date", "source_file", "source_line")
#: Rows read per query when matching an import against the store.
CHUNK = 500


class StoreError(ProximiteError):
    """An action the store refuses, with a French message for the user."""


class PermissionDenied(StoreError):
    """The account may not do this (role or territory)."""


class StaleVersion(StoreError):
    """Someone changed the item since it was read: nothing was written."""


def territory_of(code_insee: str) -> str:
    """The département of a commune code: 2 characters, 3 overseas (971…976), 2A/2B; ''
    for a place in no commune of the territory (the margin: administrators moderate it)."""
    code = code_insee.strip()
    return code[:3] if code.startswith("97") else code[:2]


def can_moderate(user: User | None, territory: str) -> bool:
    """Administrators everywhere; moderators on the territories granted to them."""
    if user is None or not user.active:
        return False
    if user.role == "admin":
        return True
    return user.role == "moderator" and territory in user.territory_codes


def require_moderator(user: User | None, territory: str) -> User:
    if user is None:
        raise PermissionDenied("connexion nécessaire : seuls les modérateurs voient cette page")
    if not can_moderate(user, territory):
        raise PermissionDenied(f"ce compte ne modère pas le territoire {territory}")
    return user


def _plain(value: Any) -> Any:
    """A value as stored in the history's JSON (no NaN, no numpy scalars)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=1e-7)
    return bool(a == b)


def record_change(session: Session, place: Place, values: Mapping[str, Any], *,
                  kind: EventKind, actor: User | None, actor_label: str, reason: str = "",
                  contribution_id: int | None = None,
                  reverts_event_id: int | None = None) -> PlaceEvent | None:
    """Set ``values`` on ``place`` and write the history entry of what really changed
    (None, and nothing written, when nothing did)."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        before = _plain(getattr(place, name, None)) if place.id is not None else None
        new = _plain(new)
        if place.id is not None and _equal(before, new):
            continue
        changes[name] = [before, new]
        setattr(place, name, new)
    if not changes:
        return None
    event = PlaceEvent(kind=kind.value, actor_id=actor.id if actor else None,
                       actor_label=actor_label, reason=reason, changes=changes,
                       contribution_id=contribution_id, reverts_event_id=reverts_event_id,
                       at=utcnow())
    if place.id is None:
        place.events.append(event)
        session.add(place)
    else:  # no need to load the whole history to add to it
        event.place_id = place.id
        session.add(event)
        session.expire(place, ["events"])
    return event


# --------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    """What became of every input row."""

    source_label: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows repeating an id already read in this import (the first is kept)
    rejected: list[str] = field(default_factory=list)  # "service_id : reason"
    conflicts: list[ImportConflict] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.added + self.updated + self.unchanged + self.merged + len(self.rejected)


def _row_values(row: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: _plain(row[name]) for name in IMPORTED_FIELDS}
    values["lon"], values["lat"] = float(row["lon"]), float(row["lat"])
    return values


def _provenance(row: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(row[name]) for name in PROVENANCE_FIELDS}


def import_services(session: Session, services: pd.DataFrame, *, source_label: str,
                    actor: User | None = None) -> ImportReport:
    """Read inventory rows (the service schema) into the store, keeping each provenance.

    New ids become places; known ones are updated field by field, except the fields a
    moderator decided, whose different official value is listed as a conflict (once per
    place, field and value). The caller commits.
    """
    frame = normalise_services(services)
    report = ImportReport(source_label)
    seen: set[str] = set()
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        ids = [str(r["service_id"]) for r in chunk]
        known = {p.service_id: p for p in session.scalars(
            select(Place).where(Place.service_id.in_(ids)))}
        for row in chunk:
            _import_row(session, row, known, seen, report, actor)
    return report


def _import_row(session: Session, row: Mapping[str, Any], known: Mapping[str, Place],
                seen: set[str], report: ImportReport, actor: User | None) -> None:
    service_id = str(row["service_id"]).strip()
    if not service_id:
        report.rejected.append(f"ligne {row['source_line']} : identifiant de service vide")
        return
    if service_id in seen:
        report.merged += 1
        return
    seen.add(service_id)
    lon, lat = row["lon"], row["lat"]
    if not (math.isfinite(lon) and math.isfinite(lat)
            and -180 <= lon <= 180 and -90 <= lat <= 90):
        report.rejected.append(f"{service_id} : coordonnées absentes ou hors limites")
        return
    values = _row_values(row)
    label = f"import : {report.source_label}"
    place = known.get(service_id)
    if place is None:
        place = Place(service_id=service_id, territory=territory_of(values["code_insee"]),
                      moderated_fields={}, **_provenance(row))
        record_change(session, place, values, kind=EventKind.IMPORT, actor=actor,
                      actor_label=label)
        report.added += 1
        return
    free = {k: v for k, v in values.items() if k not in place.moderated_fields}
    for name, official in values.items():
        if name in place.moderated_fields and not _equal(_plain(getattr(place, name)),
                                                          official):
            _conflict(session, place, name, official, report)
    event = record_change(session, place, free, kind=EventKind.IMPORT, actor=actor,
                          actor_label=label)
    official = _provenance(row)
    if place.moderated_fields:
        source, source_id = _joined_provenance(place, official)
        official = {"source": source, "source_id": source_id}
    official["territory"] = territory_of(place.code_insee)
    for name, value in official.items():
        if getattr(place, name) != value:  # an unchanged row leaves the place clean
            setattr(place, name, value)
    if event is None:
        report.unchanged += 1
    else:
        report.updated += 1


def _conflict(session: Session, place: Place, name: str, official: Any,
              report: ImportReport) -> None:
    official_text = "" if official is None else str(official)
    existing = session.scalars(select(ImportConflict).where(
        ImportConflict.place_id == place.id, ImportConflict.field == name,
        ImportConflict.official_value == official_text,
        ImportConflict.status == ConflictStatus.OPEN.value)).first()
    if existing is not None:
        report.conflicts.append(existing)
        return
    kind, _, number = place.moderated_fields[name].partition(":")
    conflict = ImportConflict(
        place_id=place.id, territory=place.territory, field=name,
        store_value=str(_plain(getattr(place, name))), official_value=official_text,
        source=report.source_label,
        contribution_id=int(number) if kind == CONTRIBUTION_SOURCE else None)
    session.add(conflict)
    report.conflicts.append(conflict)


def _official_part(value: str) -> str:
    """The official provenance inside a joined one (without the moderation decisions)."""
    ours = (CONTRIBUTION_SOURCE, f"{CONTRIBUTION_SOURCE}:", f"{EventKind.REVERT.value}:")
    parts = [p for p in value.split(PROVENANCE_SEP)
             if not (p == CONTRIBUTION_SOURCE or p.startswith(ours[1:]))]
    return PROVENANCE_SEP.join(parts)


def _joined_provenance(place: Place, official: Mapping[str, str] | None = None
                       ) -> tuple[str, str]:
    """(source, source_id) of a place with moderated fields: the contribution first, then
    the official source it corrects (both provenances, as merged duplicates keep them)."""
    source = official["source"] if official else _official_part(place.source)
    source_id = official["source_id"] if official else _official_part(place.source_id)
    if not place.moderated_fields:
        return source, source_id
    ours = max(set(place.moderated_fields.values()), key=_decision_order)
    return (PROVENANCE_SEP.join(p for p in (CONTRIBUTION_SOURCE, source) if p),
            PROVENANCE_SEP.join(p for p in (ours, source_id) if p))


def _decision_order(label: str) -> tuple[bool, int]:
    """Contributions before other decisions, then the latest."""
    kind, _, number = label.partition(":")
    return kind == CONTRIBUTION_SOURCE, int(number or 0)


def resolve_conflict(session: Session, conflict: ImportConflict, *, moderator: User,
                     take_official: bool, reason: str) -> None:
    """Keep the moderated value, or take the official one (a history entry, the field no
    longer moderated). The caller commits."""
    require_moderator(moderator, conflict.territory)
    if conflict.status != ConflictStatus.OPEN.value:
        raise StaleVersion("ce conflit a déjà été traité")
    place = conflict.place
    if take_official:
        value: Any = conflict.official_value
        if conflict.field in ("lon", "lat"):
            value = float(value)
        moderated = dict(place.moderated_fields)
        moderated.pop(conflict.field, None)
        place.moderated_fields = moderated
        record_change(session, place, {conflict.field: value}, kind=EventKind.REVERT,
                      actor=moderator, actor_label=moderator.display_name,
                      reason=reason or f"valeur officielle reprise ({conflict.source})")
        place.source, place.source_id = _joined_provenance(place)
    conflict.status = (ConflictStatus.TAKEN if take_official else ConflictStatus.KEPT).value
    conflict.resolved_by = moderator.id
    conflict.resolved_at = utcnow()


# --------------------------------------------------------------------------- history


def mark_moderated(place: Place, names: Iterable[str], event: PlaceEvent) -> None:
    """The fields a moderator just decided: re-imports will not overwrite them. Each is
    labelled by the decision (``contribution:12``, or ``revert:<history entry>``)."""
    label = (f"{CONTRIBUTION_SOURCE}:{event.contribution_id}" if event.contribution_id
             else f"{event.kind}:{event.id}")
    moderated = dict(place.moderated_fields)
    moderated.update({name: label for name in names})
    place.moderated_fields = moderated
    place.source, place.source_id = _joined_provenance(place)
    place.data_date = event.at.date().isoformat()
    place.source_file, place.source_line = "", ""


def revert_event(session: Session, event: PlaceEvent, *, moderator: User,
                 reason: str) -> PlaceEvent:
    """Undo one history entry: its fields get their 'before' values back, as a new entry
    (the history itself is never changed). The caller commits."""
    place = event.place
    require_moderator(moderator, place.territory)
    if not reason.strip():
        raise StoreError("motif obligatoire pour annuler une modification")
    if all(before is None for before, _ in event.changes.values()):
        raise StoreError("la création d'un lieu ne s'annule pas : proposer sa fermeture")
    values = {name: before for name, (before, _) in event.changes.items()}
    new = record_change(session, place, values, kind=EventKind.REVERT, actor=moderator,
                        actor_label=moderator.display_name, reason=reason.strip(),
                        reverts_event_id=event.id)
    if new is None:
        raise StoreError("rien à annuler : le lieu a déjà les valeurs d'avant cette entrée")
    session.flush()  # the entry's id labels the decision
    mark_moderated(place, values, new)
    return new


# --------------------------------------------------------------------------- read back


def services_frame(session: Session, territory: str | None = None) -> pd.DataFrame:
    """The open places as inventory rows (the service schema, provenance included)."""
    query = select(Place).where(Place.closed.is_(False)).order_by(Place.service_id)
    if territory is not None:
        query = query.where(Place.territory == territory)
    rows = [{name: getattr(place, name) for name in SERVICE_COLUMNS}
            for place in session.scalars(query)]
    return normalise_services(pd.DataFrame(rows, columns=SERVICE_COLUMNS))


def read_inventory(settings: StoreSettings) -> pd.DataFrame:
    """The store's open places for a diagnostic (``--services-store``)."""
    engine = make_engine(database_url(settings))
    shown = engine.url.render_as_string(hide_password=True)
    try:
        if not is_up_to_date(engine):
            raise ProximiteError(f"base des contributions {shown} pas à jour : lancer "
                                 "`proximite store upgrade`")
        with session_factory(engine)() as session:
            frame = services_frame(session)
    finally:
        engine.dispose()
    if frame.empty:
        raise ProximiteError(f"la base des contributions {shown} ne contient aucun lieu "
                             "ouvert : l'alimenter avec `proximite store import`")
    return frame
