"""The plan pages in real headless Chromium: a staff member signs in, enters a review for
one action, and the public page shows it; axe-core finds no level A/AA violation on the
public page, the sign-in page and the review form (with the CSP enforced)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import served
from proximite.web.a11y_check import (
    AXE_PATH,
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    describe_violations,
    run_axe,
)
from test_web_plans import PASSWORD, make_site

if os.environ.get("PROXIMITE_SKIP_BROWSER_TESTS") == "1":
    pytest.skip("browser tests disabled by PROXIMITE_SKIP_BROWSER_TESTS=1",
                allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def base_url(demo_portal, tmp_path_factory) -> Iterator[str]:
    from proximite.web.app import create_app

    site = make_site(tmp_path_factory.mktemp("store") / "plans.sqlite")
    with served(create_app(demo_portal, store=site)) as url:  # from_result(demo_result)
        yield url


@pytest.fixture(scope="module")
def page(base_url):
    if not Path(CHROMIUM_PATH).is_file():
        pytest.fail(f"{CHROMIUM_PATH} absent: `make browser` installs Debian's chromium")
    with playwright_sync.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM_PATH,
                                         args=list(CHROMIUM_ARGS))
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        yield page
        browser.close()


def _axe(page, name: str, checked: dict) -> None:
    results = run_axe(page)
    # the rules really ran (an empty result would also have "no violation")
    assert len(results.get("passes", [])) >= 10, name
    checked[name] = results


def test_enter_a_review_and_see_the_public_page_updated(page, base_url) -> None:
    assert AXE_PATH.is_file(), "axe-core absent: `make install` runs npm ci"
    checked: dict[str, dict] = {}
    page.goto(f"{base_url}/suivi/plan-test-lozere")
    level = page.locator("#element-2\\.1 .niveau")
    assert level.inner_text() == "sans niveau"
    _axe(page, "plan public", checked)

    page.click("text=Saisir une revue (accès réservé)")
    page.wait_for_url(re.compile(r"/connexion\?suite=/gestion/suivi/plan-test-lozere$"))
    _axe(page, "connexion", checked)
    page.fill("#champ-email", "admin@example.org")
    page.fill("#champ-password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/gestion/suivi/plan-test-lozere")
    _axe(page, "formulaire de revue", checked)

    page.fill("#date", "2025-01-15")
    page.select_option("#item", "2.1")
    page.select_option("#level", "atteint")
    page.fill("#facts", "3 lieux ouverts\n2 conseillers numériques")
    page.fill("#comment", "Objectif tenu")
    page.click("text=Enregistrer l'évaluation")
    page.wait_for_selector(".succes")
    assert "Enregistré : « 2.1 »" in page.inner_text(".succes")
    _axe(page, "formulaire après enregistrement", checked)

    page.click("text=Voir la page publique du plan")
    page.wait_for_url("**/suivi/plan-test-lozere")
    assert level.inner_text() == "atteint"
    item = page.inner_text("#element-2\\.1")
    assert "3 lieux ouverts" in item and "Commentaire : Objectif tenu" in item
    assert "progression pondérée : 66,7\u00a0%" in page.inner_text("#revue-courante")
    _axe(page, "plan public après la revue", checked)
    page.click("#element-2\\.1 h3 a")
    page.wait_for_url("**/suivi/plan-test-lozere/elements/2.1")
    assert "Objectif tenu" in page.inner_text("table")
    _axe(page, "historique d'une action", checked)
    assert page.errors == []
    failures = {name: describe_violations(r) for name, r in checked.items()
                if r["violations"]}
    assert failures == {}
