"""Import, propose, moderate, history and revert in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from proximite.store.db import session_factory
from proximite.store.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    ImportConflict,
    Place,
    PlaceEvent,
    User,
    UserTerritory,
)
from proximite.store.moderation import decide, followed, propose, queue
from proximite.store.places import (
    PermissionDenied,
    StaleVersion,
    StoreError,
    import_services,
    resolve_conflict,
    revert_event,
    services_frame,
    territory_of,
)
from proximite.store.validation import (
    ProposalChecks,
    ProposalInvalid,
    hours_from_form,
    validate_proposal,
)

OLD_HOURS = "Mo-Fr 09:00-12:00"
NEW_HOURS = "Mo-Fr 09:00-12:00,14:00-17:00"


def _services(**changes: object) -> pd.DataFrame:
    row = {"service_id": "laposte:48095A", "category": "bureau_de_poste",
           "name": "MENDE RP", "operator": "La Poste", "lon": 3.4993, "lat": 44.5181,
           "code_insee": "48095", "address": "1 bd du Soubeyran 48000 Mende",
           "opening_hours": OLD_HOURS, "access_modes": "on_site",
           "source": "laposte", "source_id": "48095A", "data_date": "2026-01-01",
           "source_file": "laposte_poincont2.csv", "source_line": "12"}
    row.update(changes)
    return pd.DataFrame([row])


def _locate(lon: float, lat: float) -> str | None:
    """Mende's box stands for the territory's communes."""
    return "48095" if 3.3 < lon < 3.7 and 44.4 < lat < 44.6 else None


CHECKS = ProposalChecks(categories={"bureau_de_poste": "Bureau de poste",
                                    "pharmacie": "Pharmacie"},
                        locate=_locate, territory_name="la Lozère")


def _account(session: Session, email: str, role: str, *territories: str) -> User:
    user = User(email=email, display_name=email.split("@")[0], password_hash="x", role=role)
    user.territories = [UserTerritory(territory=t) for t in territories]
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def place(store_session: Session) -> Place:
    import_services(store_session, _services(), source_label="La Poste 2026")
    store_session.commit()
    found = store_session.scalars(select(Place)).one()
    return found


def _hours_proposal(session: Session, place: Place, author: User | None = None
                    ) -> Contribution:
    proposal = validate_proposal({"opening_hours": NEW_HOURS, "comment": "affiché"}, CHECKS,
                                 current=place.values())
    contribution, _ = propose(session, proposal, place=place, author=author)
    session.commit()
    return contribution


def test_territory_of_communes() -> None:
    assert [territory_of(c) for c in ("48095", "2A004", "97411")] == ["48", "2A", "974"]


def test_import_accounts_for_every_row(store_session: Session) -> None:
    rows = pd.concat([_services(), _services(name="doublon"),
                      _services(service_id="laposte:X", code_insee=""),
                      _services(service_id="laposte:Y", lon=float("nan"))])
    report = import_services(store_session, rows, source_label="La Poste 2026")
    assert (report.added, report.merged, len(report.rejected)) == (2, 1, 1)
    assert report.rows == 4
    assert report.rejected == ["laposte:Y : coordonnées absentes ou hors limites"]
    margin = store_session.scalars(select(Place).where(Place.service_id == "laposte:X")).one()
    assert margin.territory == ""  # in no commune of the territory: administrators moderate
    place = store_session.scalars(select(Place).where(
        Place.service_id == "laposte:48095A")).one()
    assert place.name == "MENDE RP"  # the first of the repeated id
    assert (place.source, place.source_line, place.territory) == ("laposte", "12", "48")
    (event,) = place.events
    assert event.kind == "import" and event.actor_label == "import : La Poste 2026"
    assert event.changes["opening_hours"] == [None, OLD_HOURS]
    again = import_services(store_session, _services(), source_label="La Poste 2026")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert len(place.events) == 1


def test_accepted_hours_become_an_inventory_row_with_provenance(
        store_session: Session, place: Place) -> None:
    moderator = _account(store_session, "m48@cd48.fr", "moderator", "48")
    contribution = _hours_proposal(store_session, place)
    assert contribution.territory == "48" and contribution.proposed == {
        "opening_hours": NEW_HOURS}
    assert queue(store_session, moderator) == [contribution]
    decide(store_session, contribution, moderator=moderator, accept=True,
           expected_version=contribution.version)
    store_session.commit()
    assert contribution.status == ContributionStatus.ACCEPTED.value
    assert place.opening_hours == NEW_HOURS
    assert place.source == "contribution | laposte"
    assert place.source_id == f"contribution:{contribution.id} | 48095A"
    last = place.events[-1]
    assert (last.kind, last.contribution_id) == ("contribution", contribution.id)
    assert last.changes == {"opening_hours": [OLD_HOURS, NEW_HOURS]}
    assert last.actor_label == "m48 (proposé par visiteur anonyme)"
    frame = services_frame(store_session)
    row = frame.set_index("service_id").loc["laposte:48095A"]
    assert row["opening_hours"] == NEW_HOURS
    assert row["source"] == "contribution | laposte"
    assert row["data_date"] == last.at.date().isoformat()
    assert queue(store_session, moderator) == []


def test_roles_and_territories(store_session: Session, place: Place) -> None:
    contributor = _account(store_session, "mairie@example.fr", "contributor")
    cantal = _account(store_session, "m15@cd15.fr", "moderator", "15")
    admin = _account(store_session, "admin@example.fr", "admin")
    contribution = _hours_proposal(store_session, place, author=contributor)
    assert contribution.author_label == "mairie"
    for user in (contributor, cantal):
        with pytest.raises(PermissionDenied):
            decide(store_session, contribution, moderator=user, accept=True,
                   expected_version=contribution.version)
    assert queue(store_session, cantal) == []
    with pytest.raises(PermissionDenied, match="ne modère pas le territoire 48"):
        queue(store_session, cantal, territory="48")
    assert queue(store_session, admin) == [contribution]
    cantal.active = False
    admin.active = False
    with pytest.raises(PermissionDenied):
        decide(store_session, contribution, moderator=admin, accept=True,
               expected_version=contribution.version)


def test_second_decision_on_the_same_version_is_refused(store_session: Session,
                                                        place: Place) -> None:
    first = _account(store_session, "a@cd48.fr", "moderator", "48")
    second = _account(store_session, "b@cd48.fr", "moderator", "48")
    contribution = _hours_proposal(store_session, place)
    seen = contribution.version
    decide(store_session, contribution, moderator=first, accept=False, expected_version=seen,
           reason="horaires de l'été")
    store_session.commit()
    with pytest.raises(StaleVersion, match="déjà été traitée par a"):
        decide(store_session, contribution, moderator=second, accept=True,
               expected_version=seen)
    assert contribution.status == "rejected" and place.opening_hours == OLD_HOURS


def test_reject_and_amend_need_a_reason(store_session: Session, place: Place) -> None:
    moderator = _account(store_session, "m@cd48.fr", "moderator", "48")
    contribution = _hours_proposal(store_session, place)
    with pytest.raises(StoreError, match="motif obligatoire pour refuser"):
        decide(store_session, contribution, moderator=moderator, accept=False,
               expected_version=contribution.version)
    store_session.rollback()
    amended = {"opening_hours": "Mo-Fr 09:00-12:00,14:00-16:30"}
    with pytest.raises(StoreError, match="motif obligatoire pour modifier"):
        decide(store_session, contribution, moderator=moderator, accept=True,
               expected_version=contribution.version, amended=amended)
    store_session.rollback()
    decide(store_session, contribution, moderator=moderator, accept=True,
           expected_version=contribution.version, amended=amended,
           reason="fermeture à 16 h 30 d'après la mairie")
    store_session.commit()
    assert contribution.status == "amended" and contribution.applied == amended
    assert place.opening_hours == "Mo-Fr 09:00-12:00,14:00-16:30"


def test_reimport_lists_a_conflict_instead_of_overwriting(store_session: Session,
                                                          place: Place) -> None:
    moderator = _account(store_session, "m@cd48.fr", "moderator", "48")
    contribution = _hours_proposal(store_session, place)
    decide(store_session, contribution, moderator=moderator, accept=True,
           expected_version=contribution.version)
    store_session.commit()
    report = import_services(store_session, _services(name="MENDE RP (bureau)"),
                             source_label="La Poste 2027")
    store_session.commit()
    assert report.updated == 1
    assert place.name == "MENDE RP (bureau)"  # not moderated: updated
    assert place.opening_hours == NEW_HOURS  # moderated: kept
    (conflict,) = report.conflicts
    assert (conflict.field, conflict.store_value, conflict.official_value) == (
        "opening_hours", NEW_HOURS, OLD_HOURS)
    assert conflict.contribution_id == contribution.id
    assert place.source == "contribution | laposte"
    again = import_services(store_session, _services(name="MENDE RP (bureau)"),
                            source_label="La Poste 2027")
    store_session.commit()
    assert again.conflicts == [conflict]
    assert store_session.scalar(select(func.count()).select_from(ImportConflict)) == 1
    resolve_conflict(store_session, conflict, moderator=moderator, take_official=True,
                     reason="")
    store_session.commit()
    assert place.opening_hours == OLD_HOURS and place.moderated_fields == {}
    assert (place.source, place.source_id) == ("laposte", "48095A")
    assert conflict.status == "taken"


def test_revert_writes_a_new_entry_and_history_is_append_only(
        store_session: Session, place: Place) -> None:
    moderator = _account(store_session, "m@cd48.fr", "moderator", "48")
    contribution = _hours_proposal(store_session, place)
    decide(store_session, contribution, moderator=moderator, accept=True,
           expected_version=contribution.version)
    store_session.commit()
    accepted = place.events[-1]
    with pytest.raises(StoreError, match="motif obligatoire"):
        revert_event(store_session, accepted, moderator=moderator, reason=" ")
    with pytest.raises(StoreError, match="création d'un lieu ne s'annule pas"):
        revert_event(store_session, place.events[0], moderator=moderator, reason="essai")
    revert = revert_event(store_session, accepted, moderator=moderator, reason="erreur")
    store_session.commit()
    assert place.opening_hours == OLD_HOURS
    assert [e.kind for e in place.events] == ["import", "contribution", "revert"]
    assert revert.reverts_event_id == accepted.id
    assert revert.changes == {"opening_hours": [NEW_HOURS, OLD_HOURS]}
    assert place.moderated_fields == {"opening_hours": f"revert:{revert.id}"}
    for statement in ("UPDATE place_events SET reason = 'x'", "DELETE FROM place_events"):
        with pytest.raises(DBAPIError, match="historique"), store_session.begin_nested():
            store_session.execute(text(statement))
    assert store_session.scalar(select(func.count()).select_from(PlaceEvent)) == 3


def test_closure_and_new_place(store_session: Session, place: Place) -> None:
    moderator = _account(store_session, "m@cd48.fr", "moderator", "48")
    closure = validate_proposal({"kind": "closure"}, CHECKS, current=place.values())
    closing, _ = propose(store_session, closure, place=place, author=None)
    new = validate_proposal({"name": "Pharmacie du Foirail", "category": "pharmacie",
                             "lon": "3,5012", "lat": "44,5170", "access_modes": "on_site"},
                            CHECKS)
    opening, token = propose(store_session, new, place=None, author=None)
    store_session.commit()
    for contribution in (closing, opening):
        decide(store_session, contribution, moderator=moderator, accept=True,
               expected_version=contribution.version)
    store_session.commit()
    frame = services_frame(store_session)
    assert list(frame["service_id"]) == [f"contribution:{opening.id}"]
    row = frame.iloc[0]
    assert (row["name"], row["code_insee"], row["lon"]) == ("Pharmacie du Foirail", "48095",
                                                            3.5012)
    assert (row["source"], row["source_id"]) == ("contribution", f"contribution:{opening.id}")
    assert followed(store_session, opening.id, token) is opening
    assert followed(store_session, opening.id, token + "x") is None


def test_validation_gives_one_message_per_field() -> None:
    with pytest.raises(ProposalInvalid) as caught:
        validate_proposal({"name": "", "category": "piscine", "lon": "3,5", "lat": "48",
                           "opening_hours": "lundi matin", "access_modes": "on_site|drone",
                           "comment": "x" * 2001}, CHECKS)
    errors = caught.value.errors
    assert errors == {
        "name": "obligatoire",
        "category": "« piscine » n'est pas un type de service du catalogue",
        "lon": "ce point n'est dans aucune commune de la Lozère",
        "opening_hours": "horaires illisibles : attendu la syntaxe OpenStreetMap, par "
                         "exemple « Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00 »",
        "access_modes": "mode inconnu « drone » (attendu : on_site, itinerant, phone, "
                        "video, online)",
        "comment": "2001 caractères : 2000 au plus",
    }
    with pytest.raises(ProposalInvalid, match="caractères de contrôle"):
        validate_proposal({"name": "a\x00b", "category": "pharmacie", "lon": "3.5",
                           "lat": "44.5"}, CHECKS)


def test_html_is_kept_as_typed_text() -> None:
    proposal = validate_proposal({"name": "<script>alert(1)</script>", "category": "pharmacie",
                                  "lon": "3.5", "lat": "44.5"}, CHECKS)
    assert proposal.fields["name"] == "<script>alert(1)</script>"


def test_correction_must_change_something(place: Place) -> None:
    with pytest.raises(ProposalInvalid, match="aucune modification"):
        validate_proposal({"opening_hours": OLD_HOURS}, CHECKS, current=place.values())


def test_hours_helper_builds_osm_from_french_days() -> None:
    form = {"hours_lundi": "9h-12h / 14h-17h", "hours_mardi": "9h-12h / 14h-17h",
            "hours_samedi": "9h30 à 12h"}
    assert hours_from_form(form) == ("Mo-Tu 09:00-12:00,14:00-17:00; Sa 09:30-12:00", None)
    assert hours_from_form({"hours_jeudi": "le matin"})[1] == (
        "horaires illisibles (jeudi) : écrire par exemple « 9h-12h / 14h-17h », ou « fermé »")
    assert hours_from_form({"hours_jeudi": "fermé"})[1] == (
        "aucun jour ouvert : laisser les horaires vides s'ils sont inconnus")


# --------------------------------------------------------------------------- concurrency


def _in_threads(n: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:  # collected, asserted by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_fifty_simultaneous_proposals_and_two_moderators_lose_nothing(
        store_url_engine: Engine) -> None:
    factory = session_factory(store_url_engine)
    with factory.begin() as session:
        import_services(session, _services(), source_label="La Poste 2026")
        for name in ("a", "b"):
            _account(session, f"{name}@cd48.fr", "moderator", "48")

    def one_proposal(i: int) -> None:
        with factory.begin() as session:
            place = session.scalars(select(Place)).one()
            proposal = validate_proposal({"opening_hours": f"Mo-Fr 09:00-13:{i:02d}",
                                          "comment": f"proposition {i}"}, CHECKS,
                                         current=place.values())
            propose(session, proposal, place=place, author=None)

    assert _in_threads(50, one_proposal) == []
    with factory() as session:
        comments = session.scalars(select(Contribution.comment)).all()
        assert sorted(comments) == sorted(f"proposition {i}" for i in range(50))
        target = session.scalars(select(Contribution).order_by(Contribution.id)).first()
        assert target is not None
        target_id, version, hours = target.id, target.version, target.proposed["opening_hours"]
    outcomes: list[str] = []

    def moderate(i: int) -> None:
        name = "ab"[i]
        with factory.begin() as session:
            moderator = session.scalars(select(User).where(User.email == f"{name}@cd48.fr")
                                        ).one()
            contribution = session.get(Contribution, target_id)
            assert contribution is not None
            try:
                decide(session, contribution, moderator=moderator, accept=True,
                       expected_version=version)
                session.flush()
                outcomes.append("accepted")
            except StaleVersion:
                outcomes.append("stale")
                raise

    errors = _in_threads(2, moderate)
    assert sorted(outcomes) == ["accepted", "stale"]
    assert len(errors) == 1 and isinstance(errors[0], StaleVersion)
    with factory() as session:
        place = session.scalars(select(Place)).one()
        kinds = [e.kind for e in place.events]
        assert kinds == ["import", "contribution"]
        assert place.opening_hours == hours
        statuses = session.scalars(select(Contribution.status)).all()
        assert sorted(statuses).count("accepted") == 1
        assert statuses.count("pending") == 49
    assert ContributionKind.CORRECTION.value == "correction"
