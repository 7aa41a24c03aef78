"""The acceptance path in headless Chromium: a visitor proposes new hours for a La Poste
point, a moderator sees the before/after and accepts, the place's fiche shows the new
hours and its history, and the next diagnostic's services layer carries the change with
its provenance; axe-core finds no A/AA violation on the new pages.

Same harness as ``test_web_page.py`` (Debian chromium, Playwright, uvicorn in a thread);
the store is a SQLite file seeded with the stand-in demo's places.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from live_server import served
from proximite.settings import StoreSettings
from proximite.store.accounts import create_user
from proximite.store.db import make_engine, session_factory, upgrade
from proximite.store.models import Place, Role
from proximite.store.places import import_services, services_frame
from proximite.web.a11y_check import AXE_PATH, CHROMIUM_ARGS, CHROMIUM_PATH, run_axe

if os.environ.get("PROXIMITE_SKIP_BROWSER_TESTS") == "1":
    pytest.skip("browser tests disabled by PROXIMITE_SKIP_BROWSER_TESTS=1",
                allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

PASSWORD = "un mot de passe assez long"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
NEW_HOURS = "Mo-Fr 09:00-12:00,14:00-16:30"


@pytest.fixture(scope="module")
def store(demo_portal: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from proximite.web.contrib import ContribStore

    portal = demo_portal  # PortalData.from_result(demo_result), from the run's pickle
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}")
    upgrade(engine)
    factory = session_factory(engine)
    with factory.begin() as session:
        import_services(session, portal.services.reset_index(drop=True), source_label="démo")
        create_user(session, email="m48@cd48.fr", password=PASSWORD, display_name="Modo 48",
                    role=Role.MODERATOR, territories=("48",))
    return portal, ContribStore(factory, StoreSettings(secure_cookies=False))


@pytest.fixture(scope="module")
def base_url(store: Any) -> Iterator[str]:
    from proximite.web.app import create_app

    portal, contrib = store
    with served(create_app(portal, store=contrib)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM_PATH).is_file():
        pytest.fail(f"{CHROMIUM_PATH} absent: `make browser` installs Debian's chromium")
    with playwright_sync.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM_PATH,
                                          args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


def _page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _axe_clean(page: Any, name: str) -> None:
    results = run_axe(page)
    from proximite.web.a11y_check import describe_violations

    assert results["violations"] == [], f"{name}: {describe_violations(results)}"
    assert len(results["passes"]) >= 10
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"contrib-{name}.png"), full_page=True)


def test_visitor_proposes_moderator_accepts_fiche_and_diagnostic_follow(
        browser: Any, base_url: str, store: Any, demo_result: Any) -> None:
    assert AXE_PATH.is_file(), "axe-core absent: `make install` runs npm ci"
    _, contrib = store
    with contrib.factory() as session:
        place = session.scalars(select(Place).where(
            Place.category == "bureau_de_poste", Place.territory == "48").order_by(
            Place.service_id)).first()
        assert place is not None
        service_id, old_hours = place.service_id, place.opening_hours

    # A visitor, from the place's fiche, with the keyboard.
    visitor = _page(browser)
    visitor.goto(f"{base_url}/lieux/{service_id}")
    _axe_clean(visitor, "fiche-lieu")
    visitor.get_by_role("link", name="Signaler une erreur / proposer une modification").click()
    visitor.wait_for_url("**/signaler")
    _axe_clean(visitor, "signaler")
    visitor.get_by_label("Horaires au format OpenStreetMap").fill("")
    visitor.get_by_label("Lundi").fill("9h-12h / 14h-16h30 / le soir")
    visitor.keyboard.press("Enter")
    visitor.wait_for_selector("#erreurs")
    assert "horaires illisibles (lundi)" in visitor.inner_text("#erreurs")
    _axe_clean(visitor, "signaler-erreurs")
    for day in WEEKDAYS:
        visitor.get_by_label(day.capitalize(), exact=True).fill("9h-12h / 14h-16h30")
    visitor.get_by_label("Commentaire").fill("Horaires affichés sur la porte")
    visitor.get_by_role("button", name="Envoyer la proposition").click()
    visitor.wait_for_url("**/contributions/**")
    assert "en attente de modération" in visitor.inner_text("main")
    follow_url = visitor.url
    _axe_clean(visitor, "suivi")

    # The moderator of Lozère signs in, sees the before/after, accepts.
    moderator = _page(browser)
    moderator.goto(f"{base_url}/moderation")
    assert "Connexion nécessaire" in moderator.inner_text("main")
    moderator.goto(f"{base_url}/connexion")
    _axe_clean(moderator, "connexion")
    moderator.get_by_label("Adresse électronique").fill("m48@cd48.fr")
    moderator.get_by_label("Mot de passe").fill(PASSWORD)
    moderator.get_by_role("button", name="Se connecter").click()
    moderator.wait_for_url("**/moderation")
    _axe_clean(moderator, "file-moderation")
    moderator.get_by_role("link", name="correction n°").first.click()
    cells = moderator.locator("table tbody tr").first.locator("th, td").all_inner_texts()
    assert cells == ["Horaires (OpenStreetMap)", old_hours or "—", NEW_HOURS]
    _axe_clean(moderator, "moderer")
    moderator.get_by_role("button", name="Accepter").click()
    moderator.wait_for_url("**/moderation")
    assert "0 proposition en attente" in moderator.inner_text("main")

    # The fiche shows the new hours and the history; the visitor sees the outcome.
    visitor.goto(f"{base_url}/lieux/{service_id}")
    main = visitor.inner_text("main")
    assert NEW_HOURS in main
    assert "contribution acceptée" in main and "Modo 48 (proposé par visiteur anonyme)" in main
    visitor.goto(follow_url)
    assert "acceptée" in visitor.inner_text("main")

    # The géoportail's results link each place to its fiche.
    visitor.goto(f"{base_url}/")
    visitor.wait_for_selector("body[data-ready='1']")
    assert visitor.evaluate("document.body.dataset.contributions") == "1"

    # The next diagnostic, reading its inventory from the store, carries the change.
    from proximite.pipeline import run_diagnostic
    from proximite.settings import DemoSettings, Settings

    with contrib.factory() as session:
        inventory = services_frame(session)
    result = run_diagnostic(settings=Settings(demo=DemoSettings(network="stand-in")),
                            inventory=inventory)
    row = result.services.set_index("service_id").loc[service_id]
    assert row["opening_hours"] == NEW_HOURS
    assert str(row["source"]).startswith("contribution | ")
    assert str(row["source_id"]).startswith("contribution:")
    assert len(result.services) == len(demo_result.services)
    assert result.provenance[-1] == {
        "dataset": "Contributions modérées (1 lieu)",
        "producer": "contributeurs du géoportail, après modération",
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "date": str(row["data_date"])}


def test_cartoparty_page_is_walkable_and_axe_clean(browser: Any, base_url: str,
                                                    store: Any) -> None:
    _, contrib = store
    from datetime import date

    from proximite.store.models import Cartoparty

    with contrib.factory.begin() as session:
        if not session.scalars(select(Cartoparty).where(Cartoparty.slug == "poste")).first():
            session.add(Cartoparty(slug="poste", title="Cartoparty des bureaux de poste",
                                   territory="48", event_date=date(2026, 12, 5),
                                   categories=["bureau_de_poste"]))
    page = _page(browser)
    page.goto(f"{base_url}/cartoparties/poste")
    _axe_clean(page, "cartoparty")
    items = page.locator("ol.lieux-cartoparty li a")
    assert items.count() > 5
    items.first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == items.nth(1).inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url("**/signaler?cartoparty=poste")
    assert "cartoparty" in page.url
