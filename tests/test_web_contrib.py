"""The contribution pages over HTTP: propose, sign in, moderate, history, roles, CSRF, rate
limit, HTML shown as text, cartoparty results.

On SQLite only: the pages go through the same store functions whose tests run on both
back-ends (test_store_*.py); each test gets a copy of one seeded database file (seeding
the demo's 447 places takes about a second, a copy nothing).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from proximite.settings import StoreSettings
from proximite.store.accounts import create_user
from proximite.store.db import make_engine, session_factory, upgrade
from proximite.store.models import Contribution, Place, Role
from proximite.store.places import import_services, services_frame
from proximite.web.app import create_app
from proximite.web.contrib import ContribStore
from proximite.web.exports import read_export_csv
from proximite.web.store import PortalData

PASSWORD = "un mot de passe assez long"
NEW_HOURS = "Mo-Fr 09:00-12:00,14:00-16:30; Sa 09:00-12:00"


@pytest.fixture(scope="module")
def portal(demo_portal: PortalData) -> PortalData:
    return demo_portal  # PortalData.from_result(demo_result), from the run's pickle


@pytest.fixture(scope="module")
def seeded(portal: PortalData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "seeded.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        import_services(session, portal.services.reset_index(drop=True),
                        source_label="démo")
        create_user(session, email="m48@cd48.fr", password=PASSWORD, display_name="Modo 48",
                    role=Role.MODERATOR, territories=("48",))
        create_user(session, email="m15@cd15.fr", password=PASSWORD, display_name="Modo 15",
                    role=Role.MODERATOR, territories=("15",))
        create_user(session, email="mairie@example.fr", password=PASSWORD,
                    display_name="Mairie", role=Role.CONTRIBUTOR)
        create_user(session, email="admin@example.fr", password=PASSWORD,
                    display_name="Admin", role=Role.ADMIN)
    engine.dispose()  # the last connection closed: SQLite folds its WAL into the file
    return path


@pytest.fixture
def store(seeded: Path, tmp_path: Path) -> ContribStore:
    path = tmp_path / "store.sqlite"
    shutil.copy(seeded, path)
    factory = session_factory(make_engine(f"sqlite:///{path}"))
    return ContribStore(factory, StoreSettings(secure_cookies=False,
                                               proposal_rate_limit="8/minute"))


@pytest.fixture
def client(portal: PortalData, store: ContribStore) -> Iterator[TestClient]:
    with TestClient(create_app(portal, store=store)) as test_client:
        yield test_client


def _post_office(store: ContribStore) -> Place:
    with store.factory() as session:
        return session.scalars(select(Place).where(
            Place.category == "bureau_de_poste", Place.territory == "48").order_by(
            Place.service_id)).first()  # type: ignore[return-value]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def _sign_in(client: TestClient, email: str) -> None:
    page = client.get("/connexion")
    answer = client.post("/connexion", data={"email": email, "password": PASSWORD,
                                             "csrf": _csrf(page.text), "suite": "/moderation"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _propose_hours(client: TestClient, place: Place, hours: str = NEW_HOURS,
                   **extra: str) -> Any:
    form = client.get(f"/lieux/{place.service_id}/signaler")
    assert form.status_code == 200
    return client.post(f"/lieux/{place.service_id}/signaler",
                       data={"csrf": _csrf(form.text), "kind": "correction",
                             "opening_hours": hours, "comment": "affiché sur la porte",
                             **extra}, follow_redirects=False)


def test_the_whole_path_over_http(client: TestClient, store: ContribStore) -> None:
    place = _post_office(store)
    sent = _propose_hours(client, place)
    assert sent.status_code == 303
    follow = sent.headers["location"]
    status = client.get(follow)
    assert "en attente de modération" in status.text
    _sign_in(client, "m48@cd48.fr")
    queue = client.get("/moderation")
    assert "1 proposition en attente" in queue.text
    (contribution_id,) = re.findall(r'href="/moderation/(\d+)"', queue.text)
    item = client.get(f"/moderation/{contribution_id}")
    assert "Avant et après, champ par champ" in item.text
    assert NEW_HOURS in item.text
    version = re.search(r'name="version" value="(\d+)"', item.text).group(1)  # type: ignore[union-attr]
    decided = client.post(f"/moderation/{contribution_id}", data={
        "csrf": _csrf(item.text), "version": version, "decision": "accept", "reason": ""},
        follow_redirects=False)
    assert decided.status_code == 303
    fiche = client.get(f"/lieux/{place.service_id}")
    assert NEW_HOURS in fiche.text
    assert "contribution acceptée" in fiche.text
    assert "Modo 48 (proposé par visiteur anonyme)" in fiche.text
    assert "Signaler une erreur / proposer une modification" in fiche.text
    assert "acceptée" in client.get(follow).text
    with store.factory() as session:
        row = services_frame(session).set_index("service_id").loc[place.service_id]
    assert row["opening_hours"] == NEW_HOURS
    assert row["source"].startswith("contribution | ")
    assert row["source_id"].startswith(f"contribution:{contribution_id} | ")
    exported = read_export_csv(client.get("/api/exports/data-inclusion/structures.csv").text)
    mine = exported.set_index("id").loc[place.service_id]
    assert mine["horaires_accueil"] == NEW_HOURS
    assert mine["proximite_licence"] == "Licence Ouverte / Open Licence 2.0 (Etalab)"
    assert (exported["proximite_licence"] != "").sum() == 1  # official rows: their source's
    again = client.post(f"/moderation/{contribution_id}", data={
        "csrf": _csrf(item.text), "version": version, "decision": "reject",
        "reason": "trop tard"})
    assert again.status_code == 409
    assert "déjà été traitée par Modo 48" in again.text


def test_every_field_is_checked_with_a_french_message(client: TestClient,
                                                      store: ContribStore) -> None:
    form = client.get("/proposer")
    answer = client.post("/proposer", data={
        "csrf": _csrf(form.text), "kind": "new", "name": "", "category": "piscine",
        "lon": "2,35", "lat": "48,85", "hours_lundi": "le matin"})
    assert answer.status_code == 422
    text = answer.text
    assert "4 champs à corriger" in text
    assert "« piscine » n&#39;est pas un type de service du catalogue" in text
    assert "ce point n&#39;est dans aucune commune de" in text
    assert "horaires illisibles (lundi)" in text
    assert 'aria-invalid="true"' in text
    with store.factory() as session:
        assert session.scalars(select(Contribution)).all() == []


def test_html_in_a_field_is_shown_as_text(client: TestClient, store: ContribStore) -> None:
    place = _post_office(store)
    _propose_hours(client, place, comment="<script>alert('x')</script>")
    _sign_in(client, "m48@cd48.fr")
    queue = client.get("/moderation")
    (contribution_id,) = re.findall(r'href="/moderation/(\d+)"', queue.text)
    item = client.get(f"/moderation/{contribution_id}")
    assert "<script>alert" not in item.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in item.text


def test_roles(client: TestClient, store: ContribStore) -> None:
    place = _post_office(store)
    _propose_hours(client, place)
    with store.factory() as session:
        contribution_id = session.scalars(select(Contribution.id)).one()
    anonymous = client.get("/moderation")
    assert anonymous.status_code == 401 and "Connexion nécessaire" in anonymous.text
    assert client.get(f"/moderation/{contribution_id}").status_code == 401
    _sign_in(client, "mairie@example.fr")
    assert client.get("/moderation").status_code == 403
    item = client.get(f"/moderation/{contribution_id}")
    assert item.status_code == 403
    _sign_in(client, "m15@cd15.fr")
    assert "0 proposition en attente" in client.get("/moderation").text
    assert client.get(f"/moderation/{contribution_id}").status_code == 403
    forged = client.post(f"/moderation/{contribution_id}", data={
        "csrf": _csrf(client.get("/connexion").text), "version": "1",
        "decision": "accept"})
    assert forged.status_code == 403
    with store.factory() as session:
        assert session.get(Contribution, contribution_id).status == "pending"  # type: ignore[union-attr]
    _sign_in(client, "admin@example.fr")
    assert "1 proposition en attente" in client.get("/moderation").text


def test_a_contributor_sees_the_outcome_of_their_proposals(client: TestClient,
                                                           store: ContribStore) -> None:
    assert client.get("/mes-contributions").status_code == 401
    _sign_in(client, "mairie@example.fr")
    place = _post_office(store)
    _propose_hours(client, place)
    mine = client.get("/mes-contributions")
    assert "correction n° 1" in mine.text and "en attente de modération" in mine.text
    _sign_in(client, "m48@cd48.fr")
    item = client.get("/moderation/1")
    version = re.search(r'name="version" value="(\d+)"', item.text).group(1)  # type: ignore[union-attr]
    client.post("/moderation/1", data={"csrf": _csrf(item.text), "version": version,
                                       "decision": "reject", "reason": "horaires d'été"})
    _sign_in(client, "mairie@example.fr")
    mine = client.get("/mes-contributions")
    assert "refusée" in mine.text and "horaires d&#39;été" in mine.text
    assert "refusée" in client.get("/contributions/1").text  # the author, without the link


def test_forms_without_the_session_token_are_refused(client: TestClient,
                                                     store: ContribStore) -> None:
    place = _post_office(store)
    client.get(f"/lieux/{place.service_id}/signaler")
    answer = client.post(f"/lieux/{place.service_id}/signaler",
                         data={"csrf": "faux", "opening_hours": NEW_HOURS})
    assert answer.status_code == 403 and "Formulaire expiré" in answer.text
    other = TestClient(client.app)
    stolen = _csrf(client.get(f"/lieux/{place.service_id}/signaler").text)
    assert other.post(f"/lieux/{place.service_id}/signaler",
                      data={"csrf": stolen, "opening_hours": NEW_HOURS}).status_code == 403
    with store.factory() as session:
        assert session.scalars(select(Contribution)).all() == []


def test_proposals_are_rate_limited_per_client(client: TestClient,
                                               store: ContribStore) -> None:
    place = _post_office(store)
    codes = [_propose_hours(client, place, hours=f"Mo-Fr 09:00-12:{i:02d}").status_code
             for i in range(1, 11)]
    assert codes == [303] * 8 + [429] * 2
    limited = _propose_hours(client, place, hours="Mo 10:00-11:00")
    assert "Trop de propositions" in limited.text and "8/minute" in limited.text
    with store.factory() as session:
        assert len(session.scalars(select(Contribution)).all()) == 8


def test_revert_from_the_history(client: TestClient, store: ContribStore) -> None:
    place = _post_office(store)
    before = place.opening_hours
    _propose_hours(client, place)
    _sign_in(client, "m48@cd48.fr")
    with store.factory() as session:
        contribution = session.scalars(select(Contribution)).one()
        cid, version = contribution.id, contribution.version
    item = client.get(f"/moderation/{cid}")
    client.post(f"/moderation/{cid}", data={"csrf": _csrf(item.text), "version": version,
                                            "decision": "accept"})
    fiche = client.get(f"/lieux/{place.service_id}")
    event_id = re.findall(r"/historique/(\d+)/annuler", fiche.text)[-1]
    reverted = client.post(f"/lieux/{place.service_id}/historique/{event_id}/annuler",
                           data={"csrf": _csrf(fiche.text), "reason": "erreur de saisie"},
                           follow_redirects=False)
    assert reverted.status_code == 303
    fiche = client.get(f"/lieux/{place.service_id}")
    assert "annulation" in fiche.text and "erreur de saisie" in fiche.text
    with store.factory() as session:
        assert session.get(Place, place.id).opening_hours == before  # type: ignore[union-attr]


def test_cartoparty_page_and_results(client: TestClient, store: ContribStore) -> None:
    _sign_in(client, "m48@cd48.fr")
    form = client.get("/cartoparties/nouvelle")
    bad = client.post("/cartoparties", data={"csrf": _csrf(form.text), "title": "",
                                             "slug": "A B", "territory": "48",
                                             "event_date": "demain"})
    assert bad.status_code == 422 and "4 champs à corriger" in bad.text
    made = client.post("/cartoparties", data={
        "csrf": _csrf(form.text), "title": "Cartoparty La Poste", "slug": "poste-48",
        "territory": "48", "event_date": "2026-12-05", "categories": "bureau_de_poste"},
        follow_redirects=False)
    assert made.status_code == 303
    page = client.get("/cartoparties/poste-48")
    assert "Cartoparty La Poste" in page.text and "05/12/2026" in page.text
    links = re.findall(r'href="/lieux/([^"/]+)/signaler\?cartoparty=poste-48"', page.text)
    with store.factory() as session:
        expected = session.scalars(select(Place.service_id).where(
            Place.category == "bureau_de_poste", Place.territory == "48")).all()
    assert sorted(unquote(link) for link in links) == sorted(expected) and links
    place = _post_office(store)
    _propose_hours(client, place, cartoparty="poste-48")
    csv_text = client.get("/cartoparties/poste-48/resultats.csv").text
    header, row = csv_text.strip().split("\n")
    assert header.startswith("contribution,etat,type,service_id,nom")
    assert f",pending,correction,{place.service_id}," in row
    assert row.endswith("Licence Ouverte / Open Licence 2.0 (Etalab)")


def test_a_read_only_portal_has_no_contribution_pages(portal: PortalData) -> None:
    client = TestClient(create_app(portal))
    answer = client.get("/moderation")
    assert answer.status_code == 404
    assert answer.json()["detail"].startswith("Adresse inconnue")
    assert 'data-contributions="0"' in client.get("/").text
