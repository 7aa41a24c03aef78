"""The géoportail page in real headless Chromium (Debian package, driven by Playwright).

The page is served by the real app (uvicorn on 127.0.0.1, in a thread) over the Lozère
demo. Chromium is installed by ``make test`` (``make browser``); a missing browser is a
failure, not a skip, unless PROXIMITE_SKIP_BROWSER_TESTS=1 is set on purpose.
Screenshots are written to ``build/screenshots/``.
"""

from __future__ import annotations

import json
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
    check_pages,
    describe_violations,
    run_axe,
)

if os.environ.get("PROXIMITE_SKIP_BROWSER_TESTS") == "1":
    pytest.skip("browser tests disabled by PROXIMITE_SKIP_BROWSER_TESTS=1",
                allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
SAINT_CHELY = "48140"


@pytest.fixture(scope="module")
def portal(demo_portal):
    return demo_portal  # PortalData.from_result(demo_result), from the run's pickle


@pytest.fixture(scope="module")
def base_url(portal) -> Iterator[str]:
    from proximite.web.app import create_app

    with served(create_app(portal)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM_PATH).is_file():
        pytest.fail(f"{CHROMIUM_PATH} absent: `make browser` installs Debian's chromium "
                    "(or set PROXIMITE_SKIP_BROWSER_TESTS=1 to skip these tests)")
    with playwright_sync.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM_PATH,
                                          args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, base_url):
    # bypass_csp: Playwright's wait_for_function polls its predicate with eval(), which
    # the portal's Content-Security-Policy forbids; test_pages_run_under_the_csp checks
    # the pages with the policy enforced.
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR",
                                  timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.requested = requested
    page.errors = errors
    yield page
    context.close()


def _open(page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.wait_for_selector("body[data-ready='1']")


def _minutes_text(value: float) -> str:
    rounded = round(value)
    return "moins d'une minute" if rounded < 1 else f"{rounded} min"


def _active(page) -> str:
    """A short description of the focused element: id, or tag + text."""
    return page.evaluate("""() => {
        const a = document.activeElement;
        return a.id ? '#' + a.id : a.tagName.toLowerCase() + ':' + a.textContent.trim();
    }""")


def test_search_st_chely_lists_nearest_la_poste_with_road_times(page, base_url,
                                                                  portal) -> None:
    _open(page, base_url)
    page.fill("#commune", "st chely")
    page.select_option("#categorie", "la_poste")
    page.click("button[type=submit]")
    page.wait_for_selector("#resultats li")
    heading = page.inner_text("#resultats-titre")
    assert "Saint-Chély-d'Apcher" in heading and "La Poste" in heading

    expected = portal.near_commune(SAINT_CHELY, "la_poste")[:10]
    items = page.query_selector_all("#resultats li.service")
    assert len(items) == len(expected) == 10
    for item, (service_id, minutes) in zip(items, expected, strict=True):
        assert item.get_attribute("data-service-id") == service_id
        assert item.query_selector("h3").inner_text() == portal.service(service_id)["name"]
        assert item.query_selector(".temps").inner_text() == \
            f"{_minutes_text(minutes)} en voiture"
        record = portal.service(service_id)
        assert item.query_selector("a.osm").get_attribute("href") == (
            f"https://www.openstreetmap.org/?mlat={record['lat']:.5f}&mlon={record['lon']:.5f}"
            f"#map=17/{record['lat']:.5f}/{record['lon']:.5f}")
    shown = [float(m) if m != "moins d'une minute" else 0.0 for m in re.findall(
        r"^(\d+|moins d'une minute)", "\n".join(i.query_selector(".temps").inner_text()
                                                 for i in items), re.M)]
    assert shown == sorted(shown)
    assert "10 résultats" in page.inner_text("#annonce")

    if page.get_attribute("body", "data-maplibre") == "1":
        page.wait_for_selector("#carte[data-rendered='la_poste']")
        assert page.query_selector("#carte canvas") is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "geoportail-st-chely.png"), full_page=True)
    assert (SCREENSHOTS / "geoportail-st-chely.png").stat().st_size > 10_000
    assert page.errors == []


def test_every_request_stays_on_the_local_server(page, base_url) -> None:
    """No CDN: MapLibre, styles and data all come from 127.0.0.1."""
    _open(page, base_url)
    page.fill("#commune", "Mende")
    page.click("button[type=submit]")
    page.wait_for_selector("#resultats li")
    if page.get_attribute("body", "data-maplibre") == "1":
        page.wait_for_selector("#carte[data-rendered]")
    remote = [url for url in page.requested
              if not url.startswith((base_url, "data:", "blob:"))]
    assert remote == []
    assert any("/static/vendor/maplibre-gl/maplibre-gl.mjs" in u for u in page.requested)


def _open_fiche(page, base_url: str, commune: str) -> None:
    """Search a commune, then open its fiche."""
    _open(page, base_url)
    page.fill("#commune", commune)
    page.click("button[type=submit]")
    page.wait_for_selector("#resultats li")
    page.click(".ouvrir-fiche button")
    page.wait_for_selector("#fiche:not([hidden]) table")


def test_fiche_shows_the_commune_times(page, base_url, portal) -> None:
    _open_fiche(page, base_url, "Saint-Chély-d'Apcher")
    assert page.inner_text("#fiche-titre") == "Fiche de Saint-Chély-d'Apcher"
    assert _active(page) == "#fiche-titre"
    rows = {row.query_selector("th").inner_text(): row.query_selector("td").inner_text()
            for row in page.query_selector_all("#fiche tbody tr")}
    access = portal.commune_access(SAINT_CHELY).set_index("category")
    france_services = portal.catalogue.categories["france_services"].label
    assert rows[france_services] == _minutes_text(
        access.loc["france_services", "travel_time_min"])
    text = page.inner_text("#fiche")
    assert "Profil d'accès" in text and "Intercommunalité" in text
    # the stand-in has no health data: no allier_17 profile, and the fiche says why
    assert "Profil d'accès : aucun, pas de temps pour" in text


def test_keyboard_only_search_results_and_fiche(page, base_url) -> None:
    _open(page, base_url)
    order = []
    for _ in range(10):
        page.keyboard.press("Tab")
        order.append(_active(page))
    assert order == ["a:Aller au contenu", "a:Aller aux résultats", "a:Trouver un service",
                     "a:Annuaire", "a:Suivi des schémas", "a:Accessibilité", "a:API",
                     "#commune", "#categorie", "button:Rechercher"]
    # Visible focus (RGAA 10.7): the focused button has an outline.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert _active(page) == "#commune"
    page.keyboard.type("st chely")
    page.keyboard.press("Enter")
    page.wait_for_selector("#resultats li")
    page.wait_for_function("document.activeElement.id === 'resultats-titre'")
    page.keyboard.press("Tab")
    assert _active(page).startswith("button:Mas-Saint-Chély")
    page.keyboard.press("Tab")
    assert _active(page) == "button:Voir la fiche de Saint-Chély-d'Apcher"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'fiche-titre'")
    assert page.is_visible("#fiche table")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "geoportail-fiche-clavier.png"), full_page=True)


def test_skip_link_moves_focus_to_main_content(page, base_url) -> None:
    _open(page, base_url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert _active(page) == "#contenu"


def test_unknown_commune_is_said_in_the_page(page, base_url) -> None:
    _open(page, base_url)
    page.fill("#commune", "Paris")
    page.click("button[type=submit]")
    # the empty-results line is visible from the start ("Aucune recherche pour
    # l'instant."): wait for the search's own words, not for the line
    page.wait_for_selector("#resultats-vide:not([hidden]):has-text('« Paris »')")
    assert "Aucune commune ne correspond à « Paris »" in page.inner_text("#annonce")
    assert page.query_selector_all("#resultats li") == []


def test_without_the_map_library_the_list_still_works(page, base_url) -> None:
    """If MapLibre cannot load (or WebGL is missing), the page says so and still works."""
    page.route("**/maplibre-gl.mjs", lambda route: route.abort())
    _open(page, base_url)
    page.wait_for_selector("#carte .carte-absente")
    page.fill("#commune", "Mende")
    page.click("button[type=submit]")
    page.wait_for_selector("#resultats li")
    assert "la liste des résultats donne toutes les informations" in \
        page.inner_text("#carte")
    assert page.query_selector_all("#resultats li") != []
    assert not any("sur la carte" in button.inner_text()
                   for button in page.query_selector_all("#resultats button"))


def test_link_to_a_commune_opens_its_results(page, base_url) -> None:
    page.goto(f"{base_url}/#commune={SAINT_CHELY}&categorie=france_services")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#resultats li")
    assert page.inner_text("#resultats-titre").endswith("Saint-Chély-d'Apcher")
    assert page.input_value("#categorie") == "france_services"


def test_axe_finds_no_level_a_or_aa_violation(page, base_url) -> None:
    assert AXE_PATH.is_file(), "axe-core absent: `make install` runs npm ci"
    checked = check_pages(page, base_url)
    assert len(checked) == 6
    failures = {name: describe_violations(results) for name, results in checked
                if results["violations"]}
    assert failures == {}
    # The rules really ran (an empty result would also have "no violation").
    assert all(len(results["passes"]) >= 10 for _, results in checked)


def test_api_documentation_has_no_level_a_or_aa_violation(page, base_url) -> None:
    """Swagger UI on /docs: its colours below 4.5:1 are overridden (static/docs.css) and
    its deep links, nested in the toggle buttons, are off."""
    page.goto(f"{base_url}/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    page.wait_for_selector(".swagger-ui .opblock-summary-method")
    results = run_axe(page)
    assert describe_violations(results) == ""
    assert len(results["passes"]) >= 10


def test_shipped_check_results_are_current() -> None:
    """The statement page shows the results of the axe version the tests use."""
    from proximite.web.pages import load_check_results

    shipped = load_check_results()
    assert shipped is not None
    installed = json.loads((AXE_PATH.parent / "package.json").read_text())["version"]
    assert shipped["axe_version"] == installed
    assert [p["violations"] for p in shipped["pages"]] == [0] * 6


def test_page_reflows_at_320_px_without_horizontal_scrolling(browser, base_url) -> None:
    """RGAA 10.11 / WCAG 1.4.10: usable at 320 CSS px wide (a phone, or 400 % zoom)."""
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{base_url}/#commune={SAINT_CHELY}&categorie=accompagnement_numerique")
        page.wait_for_selector("#resultats li")
        page.click(".ouvrir-fiche button")
        page.wait_for_selector("#fiche:not([hidden]) table")
        overflow = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1
                         && !e.closest('.tableau'))
            .map(e => e.tagName + (e.id ? '#' + e.id : ''))""")
        assert overflow == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        # the wide table scrolls in its own region, which the keyboard can reach
        assert page.get_attribute("#fiche .tableau", "tabindex") == "0"
        results = run_axe(page)
        assert results["violations"] == [], describe_violations(results)
    finally:
        context.close()


def test_directory_filters_pages_and_keyboard(page, base_url, portal) -> None:
    """The annuaire: filter by EPCI and category, page with the cursor, keyboard only."""
    page.goto(f"{base_url}/annuaire")
    page.wait_for_selector("body[data-ready='1']")
    assert len(page.query_selector_all("#liste li")) == 20  # first page, no filter
    epci_code, epci_name = next(iter(sorted(portal.epcis.items())))
    page.select_option("#epci", epci_code)
    page.select_option("#categorie", "la_poste")
    page.focus("button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'liste-titre'")
    codes = {c for c, e in portal.communes.items() if e.epci_code == epci_code}
    expected = portal.services[portal.services["code_insee"].isin(codes)
                               & portal.services["category"].isin(portal.members("la_poste"))]
    shown = [li.get_attribute("data-service-id")
             for li in page.query_selector_all("#liste li")]
    while page.is_visible("#suite"):
        before = len(shown)
        page.focus("#suite")
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelectorAll('#liste li').length > {before}")
        shown = [li.get_attribute("data-service-id")
                 for li in page.query_selector_all("#liste li")]
        # the focus goes to the first new place, where reading continues
        assert page.evaluate("document.activeElement.dataset.serviceId") == shown[before]
    assert shown == sorted(expected["service_id"])  # every place once, stable order
    assert len(shown) > 0 and epci_name
    results = run_axe(page)
    assert results["violations"] == [], describe_violations(results)


def test_directory_says_when_nothing_matches(page, base_url) -> None:
    page.goto(f"{base_url}/annuaire")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#categorie", "gare")
    page.select_option("#mode", "video")
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelector('#annonce').textContent.includes('Aucun')")
    assert page.query_selector_all("#liste li") == []
    assert not page.is_visible("#suite")


# ---------------------------------------------------------------- issue 10: the portal
def test_back_forward_and_a_pasted_permalink_update_the_view(page, base_url) -> None:
    _open(page, base_url)
    page.fill("#commune", "Mende")
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelector('#resultats-titre').textContent"
                           ".includes('Mende')")
    page.fill("#commune", "st chely")
    page.click("button[type=submit]")
    page.wait_for_function("document.querySelector('#resultats-titre').textContent"
                           ".includes('Saint-Chély')")
    assert "commune=48140" in page.url
    page.go_back()
    page.wait_for_function("document.querySelector('#resultats-titre').textContent"
                           ".includes('Mende')")
    assert "commune=48095" in page.url and page.input_value("#commune") == "Mende"
    page.go_forward()
    page.wait_for_function("document.querySelector('#resultats-titre').textContent"
                           ".includes('Saint-Chély')")
    # a permalink pasted into the address bar of the open page
    page.evaluate("location.hash = '#categorie=gare&commune=48095'")
    page.wait_for_function("document.querySelector('#resultats-titre').textContent"
                           ".startsWith('Gare')")
    assert page.input_value("#categorie") == "gare"
    assert "Mende" in page.inner_text("#resultats-titre")


def test_directory_opens_on_the_territory_with_page_and_total(page, base_url,
                                                              portal) -> None:
    page.goto(f"{base_url}/annuaire")
    page.wait_for_selector("body[data-ready='1']")
    total = len(portal.territory_ids)
    shown = [li.get_attribute("data-service-id") for li in page.query_selector_all("#liste li")]
    assert len(shown) == 20 and set(shown) <= portal.territory_ids
    assert page.inner_text("#liste-titre") == f"Lieux : 1 à 20 sur {total} lieux"
    assert page.inner_text("#annonce") == f"{total} lieux trouvés ; 20 affichés (1 à 20)."
    page.click("#suite")
    page.wait_for_function("document.querySelectorAll('#liste li').length > 20")
    assert page.inner_text("#annonce") == f"20 lieux de plus : 21 à 40 sur {total} lieux."


def test_directory_filters_live_in_the_address(page, base_url, portal) -> None:
    page.goto(f"{base_url}/annuaire")
    page.wait_for_selector("body[data-ready='1']")
    page.select_option("#zone", "tout")
    page.select_option("#categorie", "station_carburant")
    page.click("button[type=submit]")
    page.wait_for_function("location.hash.includes('station_carburant')")
    assert page.url.endswith("/annuaire#zone=tout&categorie=station_carburant")
    n_stations = int((portal.services["category"] == "station_carburant").sum())
    page.wait_for_function(f"document.querySelector('#liste-titre').textContent"
                           f".endsWith('sur {n_stations} lieux')")
    # the same address opened afresh gives the same filters and list
    other = page.context.new_page()
    other.goto(page.url)
    other.wait_for_selector("body[data-ready='1']")
    assert other.input_value("#zone") == "tout"
    assert other.input_value("#categorie") == "station_carburant"
    assert other.inner_text("#liste-titre") == page.inner_text("#liste-titre")
    other.close()
    page.go_back()  # back to the unfiltered territory
    page.wait_for_function("document.querySelector('#zone').value === 'territoire'")
    page.wait_for_function(f"document.querySelector('#liste-titre').textContent"
                           f".endsWith('sur {len(portal.territory_ids)} lieux')")


def test_hours_text_of_the_source_is_a_sentence(page, base_url) -> None:
    page.goto(f"{base_url}/annuaire#zone=tout&categorie=station_carburant")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#liste li")
    texts = page.eval_on_selector_all(".horaires", "els => els.map(e => e.textContent)")
    assert "01:00-01:00" not in " ".join(texts) and "sauf Dimanche" not in " ".join(texts)
    assert ("La source indique la même heure d'ouverture et de fermeture (1 h 00) : "
            "horaires inconnus, à vérifier auprès du lieu.") in texts
    sentence = page.evaluate("""async () => (await import('/static/common.js'))
        .rawHoursText('01:00-01:00 sauf Samedi|Dimanche')""")
    assert sentence == ("La source indique la même heure d'ouverture et de fermeture "
                        "(1 h 00), sauf le samedi et le dimanche : horaires inconnus, à "
                        "vérifier auprès du lieu.")
    assert page.evaluate("""async () => (await import('/static/common.js'))
        .rawHoursText('08:30-19:00 sauf Dimanche')""") == (
        "Horaires indiqués par la source : de 8 h 30 à 19 h 00, sauf le dimanche.")


@pytest.mark.parametrize("path", ["/", "/annuaire", "/accessibilite", "/docs", "/redoc"])
def test_pages_run_under_the_csp_with_the_network_off(browser, base_url, path) -> None:
    """The Content-Security-Policy enforced (no bypass) and every request to another
    host refused: the pages and the API documentation still work, nothing is blocked."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    context.route(re.compile(r"^(?!http://127\.0\.0\.1)(https?|wss?)://"),
                  lambda route: route.abort("internetdisconnected"))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("requestfailed", lambda r: refused.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base_url}{path}")
        if path in ("/", "/annuaire"):
            page.wait_for_selector("body[data-ready='1']")
        if path == "/":
            page.wait_for_selector("#carte[data-ready='1']")
        if path == "/docs":
            page.wait_for_selector(".swagger-ui .opblock-tag")
            assert "/api/services/near" in page.inner_text("#swagger-ui")
        if path == "/redoc":
            page.wait_for_selector("redoc [role=navigation], redoc .menu-content")
            assert "Annuaire des services" in page.inner_text("redoc")
        assert refused == [] and errors == []
    finally:
        context.close()


def test_fiche_and_map_show_the_digital_axis(page, base_url, portal) -> None:
    """The fiche says remote, itinerant and digital access in words; the map's digital
    layer switches its own legend and stays axe-clean."""
    _open_fiche(page, base_url, "Saint-Chély-d'Apcher")
    text = page.inner_text("#fiche")
    digital = portal.digital[SAINT_CHELY]
    index = f"{digital['indice_fragilite_numerique']:.1f}".replace(".", ",")
    assert f"Indice de fragilité numérique : {index} sur 100" in text
    assert f"{digital['operateurs_4g']} sur 4" in text
    assert "Aucun service de l'inventaire ne déclare d'accès par téléphone" in text
    page.check("input[value=numerique]")
    assert page.is_visible("#legende-numerique") and not page.is_visible("#legende")
    if page.get_attribute("#carte", "data-ready") == "1":
        page.wait_for_selector("#carte[data-rendered='numerique']")
    results = run_axe(page)
    assert results["violations"] == [], describe_violations(results)
