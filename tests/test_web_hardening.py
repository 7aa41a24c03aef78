"""The géoportail resisting misuse and telling the truth (issue 10, "Géoportail").

Each test states one behaviour: no 5xx on any filter the directory offers nor in the
daylight-saving gap, 422 bodies that match the published schema, security headers and
allowed hosts, HEAD, CSV formula neutralisation, bidirectional controls stripped, names
with their case, search by INSEE code, and pages that describe the network in use.
"""

from __future__ import annotations

import dataclasses
import re
from importlib.metadata import version
from itertools import product

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from proximite.web.app import ALLOWED_HOSTS_ENV, create_app
from proximite.web.exports import neutralise_cell, read_export_csv, restore_cell
from proximite.web.hours import paris_time
from proximite.web.schemas import ValidationErrorOut
from proximite.web.store import PortalData, public_network_note, split_modes
from proximite.web.text import display_text, repair_case

MODES = ("on_site", "itinerant", "phone", "video", "online")
SAINT_CHELY = "48140"
MENDE = "48095"
DST_GAP = "2026-03-29T02:30:00"


@pytest.fixture(scope="module")
def portal(demo_portal: PortalData) -> PortalData:
    return demo_portal  # PortalData.from_result(demo_result), from the run's pickle


@pytest.fixture(scope="module")
def client(portal: PortalData) -> TestClient:
    return TestClient(create_app(portal))


def _variant(portal: PortalData, **changes) -> PortalData:
    """A copy of the portal with fresh memo caches (they would hold the old answers)."""
    return dataclasses.replace(portal, near_cache={}, record_cache={}, layer_cache={},
                               export_cache={}, list_cache={}, **changes)


# ---------------------------------------------------------------- no 5xx
def test_every_filter_combination_of_the_directory_answers(client, portal) -> None:
    """Each category the directory offers x each access mode x open now: 200, and the
    services and total match an independent filtering of the inventory."""
    offered = [None] + [c["code"] for c in client.get("/api/categories").json()
                        if c["has_data"]]
    combos = list(product(offered, (None, *MODES), (None, True, False)))
    assert len(combos) == 10 * 6 * 3
    at = "2026-06-02T10:00:00"
    for category, mode, open_now in combos:
        params = {"limit": 100, "at": at}
        for key, value in (("category", category), ("access_mode", mode),
                           ("open_now", open_now)):
            if value is not None:
                params[key] = str(value).lower() if isinstance(value, bool) else value
        response = client.get("/api/services", params=params)
        assert response.status_code == 200, (params, response.text[:200])
        body = response.json()
        frame = portal.services
        if category:
            frame = frame[frame["category"].isin(portal.catalogue.members(category))]
        if mode:
            frame = frame[[mode in split_modes(m) for m in frame["access_modes"]]]
        if open_now is None:
            assert body["total"] == len(frame), params
        for service in body["services"]:
            assert category is None or service["category"] in portal.members(category)
            assert mode is None or mode in service["access_modes"]
            assert open_now is None or service["open_now"] is open_now


def test_on_site_filter_with_no_match_is_an_empty_page(client) -> None:
    """The case of the issue: a category with no service of that access mode."""
    body = client.get("/api/services", params={"category": "gare",
                                               "access_mode": "itinerant"}).json()
    assert body["services"] == [] and body["total"] == 0 and body["next_cursor"] is None


@pytest.mark.parametrize("url", [
    f"/api/communes/{MENDE}", f"/api/services/near?commune={MENDE}&category=france_services",
    "/api/services?category=france_services", "/api/services/fs:2596"])
def test_a_time_in_the_daylight_saving_gap_is_read_as_summer_time(client, url) -> None:
    sep = "&" if "?" in url else "?"
    response = client.get(f"{url}{sep}at={DST_GAP}")
    assert response.status_code == 200, response.text[:300]
    if "evaluated_at" in response.json():
        assert response.json()["evaluated_at"] == "2026-03-29T03:30:00+02:00"


def test_paris_time_gives_real_instants() -> None:
    from datetime import datetime

    assert paris_time(datetime(2026, 3, 29, 2, 30)).isoformat() == "2026-03-29T03:30:00+02:00"
    # the repeated autumn hour: its first occurrence (summer time)
    assert paris_time(datetime(2026, 10, 25, 2, 30)).isoformat() == "2026-10-25T02:30:00+02:00"


# ---------------------------------------------------------------- 422 bodies
@pytest.mark.parametrize("value", ["1.9", "1790000000", "demain", "2026-13-01T10:00:00"])
def test_at_must_be_an_iso_date(client, value) -> None:
    response = client.get("/api/services", params={"at": value})
    assert response.status_code == 422
    body = response.json()
    assert "« at »" in body["detail"] and "ISO 8601" in body["detail"]
    ValidationErrorOut.model_validate(body)
    assert body["errors"][0]["loc"] == ["query", "at"]


def test_422_bodies_are_french_and_match_the_published_schema(client) -> None:
    schema = client.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        for op in ops.values():
            if op.get("parameters"):
                ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ValidationErrorOut"), path
    body = client.get("/api/services/near", params={"category": "la_poste", "limit": "x",
                                                    "lat": 200}).json()
    ValidationErrorOut.model_validate(body)
    assert body["detail"] == ("Paramètre invalide « lat » : doit être inférieur ou égal à 90 ; "
                              "« limit » : nombre entier attendu")
    assert [e["msg"] for e in body["errors"]] == ["doit être inférieur ou égal à 90",
                                                  "nombre entier attendu"]


def test_starlette_errors_are_french_too(client) -> None:
    assert client.get("/nulle-part").json()["detail"].startswith("Adresse inconnue")
    assert client.post("/api/categories").json()["detail"].startswith("Méthode non autorisée")


def test_api_version_is_the_package_version(client) -> None:
    assert client.get("/openapi.json").json()["info"]["version"] == version("proximite")


# ---------------------------------------------------------------- headers, hosts, HEAD
@pytest.mark.parametrize("url", ["/", "/annuaire", "/docs", "/api/categories",
                                 "/static/style.css", "/nulle-part", "/api/services?at=x"])
def test_security_headers_on_every_response(client, url) -> None:
    headers = client.get(url).headers
    csp = dict(part.strip().split(" ", 1) for part in
               headers["content-security-policy"].split(";"))
    assert csp["script-src"] == "'self'"  # no inline script, no third party, no eval
    assert csp["default-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("url", ["/", "/annuaire", "/accessibilite", "/docs", "/redoc"])
def test_pages_have_no_inline_script_and_only_local_assets(client, url) -> None:
    text = client.get(url).text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", text, flags=re.S)
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+\s*=", text)  # no inline event handler
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", text.replace(
        'href="https://www.openstreetmap.org', ""))


def test_host_header_must_be_allowed(client, portal, monkeypatch) -> None:
    wrong = client.get("/", headers={"host": "attaquant.example"})
    assert wrong.status_code == 400 and "Host" in wrong.json()["detail"]
    assert "x-frame-options" in wrong.headers
    named = TestClient(create_app(portal, hosts=["portail.example.fr"]),
                       base_url="http://portail.example.fr")
    assert named.get("/api/epcis").status_code == 200
    assert named.get("/api/epcis", headers={"host": "testserver"}).status_code == 400
    monkeypatch.setenv(ALLOWED_HOSTS_ENV, "carto.lozere.fr, *.lozere.fr")
    configured = TestClient(create_app(portal), base_url="http://services.lozere.fr:8000")
    assert configured.get("/api/epcis").status_code == 200
    assert configured.get("/api/epcis", headers={"host": "lozere.fr.example"}
                          ).status_code == 400
    assert "web.allowed_hosts" in configured.get(
        "/api/epcis", headers={"host": "lozere.fr.example"}).json()["detail"]


def test_allowed_hosts_are_a_setting_of_the_tree(tmp_path) -> None:
    from proximite.errors import SettingError
    from proximite.settings import DEFAULT_ALLOWED_HOSTS, load_settings

    assert load_settings(environ={}).web.allowed_hosts == DEFAULT_ALLOWED_HOSTS
    env = load_settings(environ={ALLOWED_HOSTS_ENV: "carto.lozere.fr, *.lozere.fr"})
    assert env.web.allowed_hosts == ("carto.lozere.fr", "*.lozere.fr")
    assert env.source("web.allowed_hosts") == ALLOWED_HOSTS_ENV
    toml = tmp_path / "proximite.toml"
    toml.write_text('[web]\nallowed_hosts = ["portail.example.fr"]\n', encoding="utf-8")
    assert load_settings(toml, environ={}).web.allowed_hosts == ("portail.example.fr",)
    with pytest.raises(SettingError, match="PROXIMITE_WEB__ALLOWED_HOSTS"):
        load_settings(environ={ALLOWED_HOSTS_ENV: " , "})


@pytest.mark.parametrize("url", ["/", "/api/categories", "/static/app.js",
                                 "/api/exports/data-inclusion/structures.csv"])
def test_head_is_answered_like_get_without_a_body(client, url) -> None:
    head, get = client.head(url), client.get(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]


# ---------------------------------------------------------------- CSV and displayed text
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(portal) -> None:
    services = portal.services.copy()
    first = services.index[0]
    services.loc[first, "name"] = '=HYPERLINK("http://x","clic")'
    services.loc[first, "operator"] = "@SOMME(A1)"
    services.loc[first, "address"] = "+33 rue du Piège"
    client = TestClient(create_app(_variant(portal, services=services)))
    text = client.get("/api/exports/data-inclusion/structures.csv").text
    row = read_export_csv(text).set_index("id").loc[first]
    assert "\n" + first + ",'=HYPERLINK" not in text  # the raw text holds the quote
    assert ",\"'=HYPERLINK(\"\"http://x\"\",\"\"clic\"\")\"," in text
    assert row["nom"] == '=HYPERLINK("http://x","clic")'  # read back exactly
    assert row["proximite_operator"] == "@SOMME(A1)"
    for line in text.splitlines()[1:]:
        for cell in next(iter(pd.read_csv(__import__("io").StringIO(line), header=None,
                                          dtype=str, keep_default_na=False).values)):
            assert not re.match(r"[=+@\t\r]", cell) and not re.match(r"-[^\d]", cell)


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+1", "'=1+1"), ("+33 4 66", "'+33 4 66"), ("-x", "'-x"), ("@A1", "'@A1"),
    ("\t=1", "'\t=1"), ("'=x", "''=x"), ("-1.5", "-1.5"), ("-3e-5", "-3e-5"),
    ("'t Hoekje", "'t Hoekje"), ("Mende", "Mende")])
def test_neutralise_cell_is_reversible(cell, safe) -> None:
    assert neutralise_cell(cell) == safe
    assert restore_cell(safe) == cell


def test_bidirectional_controls_are_stripped_from_displayed_names(portal) -> None:
    services = portal.services.copy()
    sid = "fs:2596"
    services.loc[sid, "name"] = "France services \u202egpj.exe\u202c du Vigan"
    client = TestClient(create_app(_variant(portal, services=services)))
    assert client.get(f"/api/services/{sid}").json()["name"] == (
        "France services gpj.exe du Vigan")
    layer = client.get("/api/carte/services", params={"category": "france_services"}).json()
    names = [f["properties"]["nom"] for f in layer["features"]]
    assert "France services gpj.exe du Vigan" in names
    assert not any(ch in name for name in names for ch in "\u202a\u202b\u202c\u202d\u202e")
    assert display_text("a\u2066b\u2069\u200fc\u061c") == "abc"


def test_names_keep_their_capitals(client) -> None:
    """prix-carburants writes 'SAINT-CHéLY' (an ASCII-only upper-casing upstream)."""
    service = client.get("/api/services/carbu:48200005").json()
    assert service["name"] == "Station-service SAINT-CHÉLY-D'APCHER (Boulevard Guérin d'Apcher)"
    assert service["address"] == "Boulevard Guérin d'Apcher, 48200 SAINT-CHÉLY-D'APCHER"
    assert repair_case("LèS Vans, Saint-Chély, é, CœUR") == "LÈS Vans, Saint-Chély, é, CŒUR"


def test_search_accepts_an_insee_code(client) -> None:
    results = client.get("/api/communes", params={"q": SAINT_CHELY}).json()["results"]
    assert [r["code_insee"] for r in results] == [SAINT_CHELY]
    assert client.get("/api/communes", params={"q": "2A004"}).json()["results"] == []
    assert client.get("/api/communes", params={"q": " 48095 "}).json()["results"][0][
        "name"] == "Mende"


# ---------------------------------------------------------------- the directory's scope
def test_directory_can_keep_to_the_territory(client, portal) -> None:
    inside = client.get("/api/services", params={"in_territory": "true", "limit": 100})
    body = inside.json()
    assert body["total"] == len(portal.territory_ids) == 158
    outside = client.get("/api/services", params={"in_territory": "false"}).json()
    assert outside["total"] == len(portal.services) - 158
    ids = set()
    cursor = None
    while True:
        params = {"in_territory": "true", "limit": 100, **({"cursor": cursor} if cursor
                                                            else {})}
        page = client.get("/api/services", params=params).json()
        ids |= {s["service_id"] for s in page["services"]}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert "laposte:01006A" not in ids  # Berrias-et-Casteljau, Ardèche
    assert "carbu:48200005" in ids  # Saint-Chély-d'Apcher, no code_insee in the source
    assert "laposte:08849A" in ids  # Chasseradès, named by its pre-merger code 48040


# ---------------------------------------------------------------- the network described
def test_pages_describe_the_stand_in_network_and_give_no_cli_advice(client) -> None:
    for url in ("/", "/annuaire"):
        text = client.get(url).text
        assert "par la route" not in text and "--network" not in text
        assert "réseau de substitution" in text.lower()
    assert "--" not in client.get(f"/api/communes/{MENDE}").json()["network_note"]


def test_pages_follow_a_real_network(portal) -> None:
    note = "Réseau : OpenStreetMap lozere.osm.pbf (walk), 1200 nœuds, 3400 arcs, mode walk."
    client = TestClient(create_app(_variant(portal, network_is_stand_in=False,
                                            travel_mode="walk", network_note=note)))
    text = client.get("/").text
    assert note in text and "substitution" not in text
    assert "Les temps sont des temps de trajet à pied sur le réseau décrit" in text
    assert 'data-mode="à pied"' in text


def test_public_network_note_drops_the_operator_advice() -> None:
    note = ("Réseau de substitution : ce n'est PAS un réseau routier. Ils donnent des "
            "ordres de grandeur. Fournir un extrait OpenStreetMap (.osm.pbf) avec "
            "--network pour des temps réels.")
    assert public_network_note(note) == ("Réseau de substitution : ce n'est PAS un réseau "
                                         "routier. Ils donnent des ordres de grandeur.")
