"""The géoportail's map layers and HTML pages, through FastAPI's TestClient."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from proximite.model import DiagnosticResult
from proximite.web.app import create_app
from proximite.web.map_layers import commune_shapes
from proximite.web.pages import _fill, load_check_results
from proximite.web.store import PortalData


@pytest.fixture(scope="module")
def portal(real_demo_result: DiagnosticResult) -> PortalData:
    """What ``PortalData.demo()`` builds, from the session's real demo (conftest)."""
    return PortalData.from_result(real_demo_result)


def test_the_demo_portal_is_the_real_demo(monkeypatch: pytest.MonkeyPatch,
                                          real_demo_result: DiagnosticResult) -> None:
    """``PortalData.demo()`` (what ``proximite serve`` shows by default) is the portal of
    the real demo: ``run_diagnostic()`` without arguments, called once."""
    calls: list[tuple[tuple, dict]] = []

    def run_diagnostic(*args: object, **kwargs: object) -> DiagnosticResult:
        calls.append((args, kwargs))
        return real_demo_result

    monkeypatch.setattr("proximite.pipeline.run_diagnostic", run_diagnostic)
    portal = PortalData.demo()
    assert calls == [((), {})]
    assert portal.territory_name == "Lozère (48)" and len(portal.communes) == 152
    assert not portal.network_is_stand_in


@pytest.fixture(scope="module")
def client(portal) -> TestClient:
    return TestClient(create_app(portal))


def test_commune_layer_carries_the_diagnostic_times(client: TestClient, portal) -> None:
    layer = client.get("/api/carte/communes", params={"category": "france_services"}).json()
    assert layer["type"] == "FeatureCollection"
    assert len(layer["features"]) == len(portal.communes) == 152
    rows = portal.access_times[portal.access_times["category"] == "france_services"]
    expected = dict(zip(rows["origin_id"], rows["travel_time_min"], strict=True))
    for feature in layer["features"]:
        props = feature["properties"]
        origin = portal.communes[props["code_insee"]].origin_id
        assert props["travel_time_min"] == pytest.approx(round(expected[origin], 1))
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    lons = [c[0] for f in layer["features"] if f["geometry"]["type"] == "Polygon"
            for c in f["geometry"]["coordinates"][0]]
    assert min(lons) > 2.9 and max(lons) < 4.0  # Lozère, in WGS84 degrees


def test_commune_layer_for_a_basket(client: TestClient) -> None:
    layer = client.get("/api/carte/communes", params={"category": "socle_demo"}).json()
    times = [f["properties"]["travel_time_min"] for f in layer["features"]]
    assert all(t is None or (t >= 0 and not math.isnan(t)) for t in times)
    assert sum(t is not None for t in times) > 100


def test_services_layer_counts_sub_categories(client: TestClient, portal) -> None:
    layer = client.get("/api/carte/services", params={"category": "la_poste"}).json()
    members = portal.members("la_poste")
    assert len(layer["features"]) == int(portal.services["category"].isin(members).sum()) == 237
    ids = {f["properties"]["service_id"] for f in layer["features"]}
    assert "fs:902" not in ids  # a France Services, not La Poste


@pytest.mark.parametrize("path", ["/api/carte/communes", "/api/carte/services"])
def test_layers_reject_unknown_or_missing_category(client: TestClient, path: str) -> None:
    response = client.get(path, params={"category": "boulangerie_volante"})
    assert response.status_code == 404
    assert "boulangerie_volante" in response.json()["detail"]
    assert client.get(path).status_code == 422


def test_simplified_shapes_keep_every_commune_and_come_out_in_wgs84() -> None:
    import geopandas as gpd

    from proximite.pipeline import DemoBundle

    communes = gpd.read_file(DemoBundle.load().path("communes"))
    shapes = commune_shapes(communes)
    assert set(shapes) == set(communes["code_insee"].astype(str))
    lambert = commune_shapes(communes.to_crs(2154))  # a GIS analyst's Lambert-93 file
    ring = lambert["48095"]["coordinates"]
    while isinstance(ring[0][0], list):
        ring = ring[0]
    assert all(3.3 < lon < 3.7 and 44.4 < lat < 44.7 for lon, lat in ring)  # Mende


def test_index_page_is_french_and_serves_maplibre_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text
    assert "Lozère (48)" in page.text
    assert 'data-maplibre="1"' in page.text, "make install copies MapLibre from npm"
    assert "https://" not in page.text.split("<footer")[0]
    module = client.get("/static/vendor/maplibre-gl/maplibre-gl.mjs")
    assert module.status_code == 200
    assert module.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/app.js").status_code == 200


def test_statement_page_shows_the_check_results(client: TestClient) -> None:
    page = client.get("/accessibilite")
    assert page.status_code == 200
    assert "Déclaration d'accessibilité" in page.text
    results = load_check_results()
    assert results is not None
    assert f"axe-core {results['axe_version']}" in page.text
    for entry in results["pages"]:
        assert f"<th scope=\"row\">{entry['name'].replace(chr(39), '&#x27;')}</th>" \
            f"<td>0</td>" in page.text


def test_template_values_are_escaped_by_the_caller() -> None:
    import html

    assert _fill("<p>{{x}}</p>", {"x": html.escape("<script>")}) == "<p>&lt;script&gt;</p>"


def test_epci_list_and_directory_page(client: TestClient, portal) -> None:
    epcis = client.get("/api/epcis").json()
    assert {e["code"] for e in epcis} == set(portal.epcis)
    assert sum(e["n_communes"] for e in epcis) == sum(
        1 for c in portal.communes.values() if c.epci_code)
    assert [e["name"] for e in epcis] == sorted(e["name"] for e in epcis)
    page = client.get("/annuaire")
    assert page.status_code == 200 and "Annuaire des services au public" in page.text
    assert '<a href="/annuaire" aria-current="page">Annuaire</a>' in page.text
