"""The plan pages of the géoportail over a store (SQLite file): the public progress page,
sign-in, the review and indicator forms, their refusals (CSRF, rights, bad values)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from language import english_sentences, visible_text
from proximite.io.plans import read_plan
from proximite.settings import StoreSettings
from proximite.store.accounts import create_user
from proximite.store.db import make_engine, session_factory, transaction, upgrade
from proximite.store.models import Role
from proximite.store.plans import load_plan, save_plan
from proximite.web.contrib import ContribStore

TEST_PLAN = Path(__file__).parent / "data" / "plans" / "plan_test_lozere.yaml"
PASSWORD = "un mot de passe assez long"


def make_site(path: Path) -> ContribStore:
    """A store with the Allier plan and the small Lozère test plan, an administrator and a
    moderator of the Lozère."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        save_plan(session, read_plan("allier-sdaasp-2018-2023"))
        save_plan(session, read_plan(TEST_PLAN))
        create_user(session, email="admin@example.org", password=PASSWORD,
                    display_name="Chargée de mission", role=Role.ADMIN)
        create_user(session, email="moderateur@example.org", password=PASSWORD,
                    display_name="Modérateur 48", role=Role.MODERATOR, territories=("48",))
    return ContribStore(factory, StoreSettings(secure_cookies=False))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> ContribStore:
    return make_site(tmp_path_factory.mktemp("store") / "plans.sqlite")


@pytest.fixture(scope="module")
def app(demo_portal, site):
    from proximite.web.app import create_app

    return create_app(demo_portal, store=site)  # from_result(demo_result), pickled


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", " ".join(visible_text(html)))


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _version(html: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def _signed_in(app, email: str = "admin@example.org") -> TestClient:
    client = TestClient(app)
    page = client.get("/connexion?suite=/suivi")
    response = client.post("/connexion", data={
        "email": email, "password": PASSWORD, "csrf": _csrf(page.text), "suite": "/suivi"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def test_public_pages(app) -> None:
    client = TestClient(app)
    index = client.get("/suivi")
    assert index.status_code == 200
    assert "/suivi/allier-sdaasp-2018-2023" in index.text
    page = client.get("/suivi/allier-sdaasp-2018-2023")
    text = _text(page.text)
    assert ("Revue du 10 juillet 2019 : 29 actions, dont 2 avec un niveau ; progression "
            "pondérée : 0,0 %") in text
    assert "11 MSAP existantes (pas d'évolution en 2018)" in text
    assert english_sentences(text) == []
    assert client.get("/suivi/absent").status_code == 404
    assert "Aucune revue du 2020-01-01" in client.get(
        "/suivi/allier-sdaasp-2018-2023?revue=2020-01-01").json()["detail"]


def test_staff_pages_need_an_account_with_rights(app) -> None:
    client = TestClient(app)
    response = client.get("/gestion/suivi/plan-test-lozere", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?suite=/gestion/suivi/plan-test-lozere"
    moderator = _signed_in(app, "moderateur@example.org")
    assert moderator.get("/gestion/suivi/plan-test-lozere").status_code == 200
    # the Allier is not the moderator's département
    assert moderator.get("/gestion/suivi/allier-sdaasp-2018-2023",
                         follow_redirects=False).status_code == 303


def test_entering_a_review_updates_the_public_page(app, site) -> None:
    client = _signed_in(app)
    form = client.get("/gestion/suivi/plan-test-lozere")
    csrf, version = _csrf(form.text), _version(form.text)
    bad = client.post("/gestion/suivi/plan-test-lozere/revue", data={
        "csrf": csrf, "version": version, "date": "2025-01-15", "item": "2.1",
        "level": "fini"})
    assert bad.status_code == 422
    assert "niveau « fini » hors de l'échelle" in _text(bad.text)
    no_csrf = client.post("/gestion/suivi/plan-test-lozere/revue", data={
        "csrf": "x", "version": version, "date": "2025-01-15", "item": "2.1"})
    assert no_csrf.status_code == 403
    saved = client.post("/gestion/suivi/plan-test-lozere/revue", data={
        "csrf": csrf, "version": version, "date": "2025-01-15", "item": "2.1",
        "level": "atteint", "facts": "3 lieux ouverts\n\n2 conseillers numériques",
        "comment": "Objectif tenu"}, follow_redirects=False)
    assert saved.status_code == 303
    assert "Enregistré : « 2.1 »" in _text(client.get(saved.headers["location"]).text)
    stale = client.post("/gestion/suivi/plan-test-lozere/revue", data={
        "csrf": csrf, "version": version, "date": "2025-01-15", "item": "1.1",
        "level": "atteint"})
    assert stale.status_code == 409 and "modifié entre-temps" in _text(stale.text)
    text = _text(TestClient(app).get("/suivi/plan-test-lozere").text)
    # 1.1 (2/3), 1.2 (1/3), 2.1 (1): (2/3 + 1/3 + 1) / 3 = 66,7 %
    assert "3 actions, dont 3 avec un niveau ; progression pondérée : 66,7 %" in text
    assert "Action 2.1 : Ouvrir des lieux de médiation numérique Niveau : atteint " \
           "3 lieux ouverts 2 conseillers numériques Commentaire : Objectif tenu" in text
    with site.factory() as session:
        plan, _ = load_plan(session, "plan-test-lozere")
    entry = plan.reviews[max(plan.reviews)].entries["2.1"]
    assert entry.who == "Chargée de mission"


def test_declared_indicator_value(app) -> None:
    client = _signed_in(app)
    form = client.get("/gestion/suivi/plan-test-lozere")
    data = {"csrf": _csrf(form.text), "version": _version(form.text),
            "indicator": "formations", "date": "2025-06-30", "source": "CNFPT"}
    bad = client.post("/gestion/suivi/plan-test-lozere/indicateur", data={**data,
                                                                          "value": "beaucoup"})
    assert bad.status_code == 422
    assert "valeur « beaucoup » : un nombre est attendu" in _text(bad.text)
    computed = client.post("/gestion/suivi/plan-test-lozere/indicateur", data={
        **data, "indicator": "fs-lieux", "value": "3"})
    assert computed.status_code == 422 and "pas un indicateur déclaré" in _text(computed.text)
    ok = client.post("/gestion/suivi/plan-test-lozere/indicateur",
                     data={**data, "value": "70,5"}, follow_redirects=False)
    assert ok.status_code == 303
    text = _text(TestClient(app).get("/suivi/plan-test-lozere").text)
    assert ("Indicateur « Secrétaires de mairie formées » : 70,5 personnes (30 juin 2025), "
            "en hausse de +15,5 personnes depuis le 15 janvier 2025 (favorable)") in text


def test_without_a_store_the_pages_say_so(demo_result) -> None:
    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    client = TestClient(create_app(PortalData.from_result(demo_result)))
    assert "n'est pas activé sur ce serveur" in _text(client.get("/suivi").text)
    assert client.get("/suivi/allier-sdaasp-2018-2023").status_code == 404


def test_item_history_across_reviews(app) -> None:
    client = TestClient(app)
    text = _text(client.get("/suivi/plan-test-lozere/elements/1.1").text)
    assert ("15 janvier 2024 initié 20 France Services — — 15 janvier 2025 en partie "
            "atteint Deux ouvertures Bon rythme Chargée de mission") in text
    assert "Pilotes : Préfecture" in text and "Partenaires : Département, EPCI" in text
    assert client.get("/suivi/plan-test-lozere/elements/9.9").status_code == 404


def test_item_pilots_partners_calendar_form(app) -> None:
    client = _signed_in(app)
    form = client.get("/gestion/suivi/plan-test-lozere")
    data = {"csrf": _csrf(form.text), "version": _version(form.text), "element": "1.1"}
    nothing = client.post("/gestion/suivi/plan-test-lozere/element", data=data)
    assert nothing.status_code == 422 and "rien à modifier" in _text(nothing.text)
    ok = client.post("/gestion/suivi/plan-test-lozere/element", data={
        **data, "pilots": "Préfecture\nDépartement", "calendar": "2026"},
        follow_redirects=False)
    assert ok.status_code == 303
    text = _text(TestClient(app).get("/suivi/plan-test-lozere/elements/1.1").text)
    # partners left empty: unchanged
    assert "Pilotes : Préfecture, Département" in text
    assert "Partenaires : Département, EPCI" in text and "Calendrier : 2026" in text
    form = client.get("/gestion/suivi/plan-test-lozere")
    cleared = client.post("/gestion/suivi/plan-test-lozere/element", data={
        "csrf": _csrf(form.text), "version": _version(form.text), "element": "1.1",
        "partners": "-"}, follow_redirects=False)
    assert cleared.status_code == 303
    assert "Partenaires" not in _text(TestClient(app).get(
        "/suivi/plan-test-lozere/elements/1.1").text)
