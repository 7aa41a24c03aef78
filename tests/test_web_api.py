"""The géoportail JSON API on the embedded Lozère demo (store, hours, routes)."""

from __future__ import annotations

import base64
from datetime import date, datetime

import holidays
import pytest
from fastapi.testclient import TestClient

from proximite.settings import DEFAULT_ALLOWED_HOSTS
from proximite.web.app import create_app
from proximite.web.hours import PARIS, hours_status
from proximite.web.store import PortalData, fold_name

SAINT_CHELY = "48140"
MENDE = "48095"


@pytest.fixture(scope="module")
def result(demo_result):  # type: ignore[no-untyped-def]
    return demo_result


@pytest.fixture(scope="module")
def client(result) -> TestClient:
    return TestClient(create_app(PortalData.from_result(result)))


# ---------------------------------------------------------------- commune search
def test_fold_name_handles_accents_abbreviations_and_punctuation() -> None:
    assert fold_name("Saint-Chély-d'Apcher") == "saint chely d apcher"
    assert fold_name("ST  CHÉLY") == "saint chely"
    assert fold_name("Ste-Énimie") == "sainte enimie"


def test_search_st_chely_finds_saint_chely_first(client: TestClient) -> None:
    body = client.get("/api/communes", params={"q": "st chely"}).json()
    assert body["results"][0]["code_insee"] == SAINT_CHELY
    assert body["results"][0]["name"] == "Saint-Chély-d'Apcher"
    assert SAINT_CHELY in [r["code_insee"] for r in client.get(
        "/api/communes", params={"q": "Saint-Chély-d'Apcher"}).json()["results"]]


def test_search_mende_first_and_accent_insensitive(client: TestClient) -> None:
    assert client.get("/api/communes", params={"q": "Mende"}).json()["results"][0][
        "code_insee"] == MENDE
    accented = client.get("/api/communes", params={"q": "saint chély"}).json()["results"]
    plain = client.get("/api/communes", params={"q": "SAINT CHELY"}).json()["results"]
    assert accented == plain and accented


def test_search_limit_bounds(client: TestClient) -> None:
    assert client.get("/api/communes", params={"q": "saint", "limit": 51}).status_code == 422
    assert len(client.get("/api/communes",
                          params={"q": "saint", "limit": 3}).json()["results"]) == 3


# ---------------------------------------------------------------- near services
def test_near_commune_sorted_by_road_time_matches_diagnostic(client: TestClient,
                                                              result) -> None:
    response = client.get("/api/services/near",
                          params={"commune": SAINT_CHELY, "category": "la_poste", "limit": 10})
    assert response.status_code == 200
    services = response.json()["services"]
    times = [s["travel_time_min"] for s in services]
    assert len(times) >= 2 and times == sorted(times)
    access = result.access_times
    row = access[(access["code_insee"] == SAINT_CHELY) & (access["category"] == "la_poste")
                 & (access["target_kind"] == "category")].iloc[0]
    assert times[0] == pytest.approx(float(row["travel_time_min"]), abs=1e-9)
    assert services[0]["service_id"] == row["nearest_service_id"]
    assert {"name", "address", "opening_hours", "open_now", "next_change", "access_modes",
            "source"} <= set(services[0])


def test_near_point_sorted_and_snapped(client: TestClient) -> None:
    body = client.get("/api/services/near", params={
        "lon": 3.4993, "lat": 44.5181, "category": "france_services", "limit": 5}).json()
    times = [s["travel_time_min"] for s in body["services"]]
    assert body["origin"]["kind"] == "point" and times == sorted(times) and times


def test_fiche_has_indicators_nearest_and_profile(client: TestClient, result) -> None:
    fiche = client.get(f"/api/communes/{SAINT_CHELY}").json()
    assert fiche["name"] == "Saint-Chély-d'Apcher" and fiche["epci_code"]
    by_category = {a["category"]: a for a in fiche["access"] if a["target_kind"] == "category"}
    assert set(result.categories) <= set(by_category)
    poste = by_category["la_poste"]
    assert poste["status"] == "ok" and poste["nearest_service"]["service_id"]
    assert poste["median_min"] == pytest.approx(poste["travel_time_min"])
    assert by_category["pharmacie"]["status"] == "no_service"
    # the profile is on the allier_17 basket: the stand-in has no health data, so the
    # fiche gives no profile and says why
    assert fiche["profile"]["profile"] == ""
    assert fiche["profile"]["details"]["status"] == "incomplete"
    assert fiche["profile"]["explanation"].startswith("pas de profil : pas de temps pour")


# ---------------------------------------------------------------- hours
def test_open_on_monday_morning_closed_on_christmas() -> None:
    monday = hours_status("Mo-Fr 09:00-12:00; PH off", at=datetime(2026, 12, 21, 10, 0))
    assert monday.state == "open" and monday.open_now is True
    assert monday.next_change == datetime(2026, 12, 21, 12, 0, tzinfo=PARIS)
    christmas = hours_status("Mo-Fr 09:00-12:00; PH off", at=datetime(2026, 12, 25, 10, 0))
    assert christmas.open_now is False and christmas.public_holiday
    assert christmas.next_change == datetime(2026, 12, 28, 9, 0, tzinfo=PARIS)
    # without "PH off" a Friday holiday is an ordinary Friday
    assert hours_status("Mo-Fr 09:00-12:00", at=datetime(2026, 12, 25, 10, 0)).open_now


def test_library_holidays_match_french_calendar() -> None:
    for day in holidays.France(years=2026):
        noon = datetime(day.year, day.month, day.day, 12, 0)
        assert hours_status("PH 10:00-14:00", at=noon).open_now, day
    assert not hours_status("PH 10:00-14:00", at=datetime(2026, 6, 2, 12)).open_now
    assert date(2026, 7, 14) in holidays.France(years=2026)


def test_raw_text_only_hours_are_unknown() -> None:
    status = hours_status("", "01:00-01:00 sauf Dimanche", at=datetime(2026, 12, 21, 10))
    assert status.state == "unknown" and status.open_now is None
    assert status.raw == "01:00-01:00 sauf Dimanche"


def test_aware_datetime_is_converted_to_paris() -> None:
    from zoneinfo import ZoneInfo

    utc_nine = datetime(2026, 12, 21, 8, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Paris
    assert hours_status("Mo-Fr 09:00-12:00", at=utc_nine).open_now


# ---------------------------------------------------------------- directory
def test_directory_pages_cover_every_service_once_in_stable_order(client: TestClient,
                                                                  result) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        params = {"limit": 37} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/services", params=params).json()
        seen.extend(s["service_id"] for s in body["services"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(result.services["service_id"].astype(str))
    assert len(seen) == len(set(seen)) == len(result.services)


def test_directory_filters(client: TestClient) -> None:
    poste = client.get("/api/services", params={"category": "la_poste", "limit": 100}).json()
    assert poste["services"] and all(s["category"] in {
        "la_poste", "bureau_de_poste", "relais_poste", "agence_postale"}
        for s in poste["services"])
    in_mende = client.get("/api/services", params={"commune": MENDE, "limit": 100}).json()
    assert in_mende["services"] and {s["code_insee"] for s in in_mende["services"]} == {MENDE}
    fiche = client.get(f"/api/communes/{MENDE}").json()
    epci = client.get("/api/services", params={"epci": fiche["epci_code"],
                                               "limit": 100}).json()["services"]
    assert {s["service_id"] for s in in_mende["services"]} <= {s["service_id"] for s in epci}
    itinerant = client.get("/api/services", params={"access_mode": "itinerant"}).json()
    assert all("itinerant" in s["access_modes"] for s in itinerant["services"])
    monday = "2026-12-21T10:00:00"
    open_rows = client.get("/api/services", params={"open_now": "true", "at": monday,
                                                    "limit": 100}).json()["services"]
    assert open_rows and all(s["open_now"] is True for s in open_rows)


def test_service_by_id(client: TestClient, result) -> None:
    service_id = str(result.services["service_id"].iloc[0])
    assert client.get(f"/api/services/{service_id}").json()["service_id"] == service_id


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(("url", "params", "needle"), [
    ("/api/communes/99999", {}, "99999"),
    ("/api/services/near", {"commune": "99999", "category": "la_poste"}, "Commune inconnue"),
    ("/api/services/near", {"commune": MENDE, "category": "licorne"}, "licorne"),
    ("/api/services", {"category": "licorne"}, "Catégorie inconnue"),
    ("/api/services", {"epci": "000"}, "EPCI inconnu"),
    ("/api/services/inconnu:1", {}, "inconnu:1"),
])
def test_unknown_things_are_404_with_message(client: TestClient, url: str, params: dict,
                                             needle: str) -> None:
    response = client.get(url, params=params)
    assert response.status_code == 404
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(("params", "needle"), [
    ({"lon": 200, "lat": 44.5, "category": "la_poste"}, "lon"),
    ({"lon": 3.5, "lat": -91, "category": "la_poste"}, "lat"),
    ({"lon": "abc", "lat": 44.5, "category": "la_poste"}, "lon"),
    ({"lon": 3.5, "category": "la_poste"}, "lon et lat"),
    ({"commune": MENDE, "category": "la_poste", "limit": 51}, "limit"),
    ({"commune": MENDE, "category": "la_poste", "limit": 0}, "limit"),
    ({"commune": MENDE, "lon": 3.5, "lat": 44.5, "category": "la_poste"}, "pas les deux"),
])
def test_near_bad_input_is_422(client: TestClient, params: dict, needle: str) -> None:
    response = client.get("/api/services/near", params=params)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(("params", "needle"), [
    ({"limit": 101}, "limit"),
    ({"limit": 0}, "limit"),
    ({"cursor": "pas-un-curseur!"}, "Curseur"),
    ({"cursor": base64.urlsafe_b64encode(b'{"x": 1}').decode()}, "Curseur"),
])
def test_directory_bad_paging_is_422(client: TestClient, params: dict, needle: str) -> None:
    response = client.get("/api/services", params=params)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_query_text_is_data_not_code(client: TestClient) -> None:
    response = client.get("/api/communes", params={"q": "'; DROP TABLE communes; --"})
    assert response.status_code == 200 and response.json()["results"] == []


def test_openapi_lists_endpoints(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/categories", "/api/communes", "/api/communes/{code_insee}",
            "/api/services/near", "/api/services", "/api/services/{service_id}"} <= set(
        schema["paths"])
    assert schema["info"]["title"].startswith("Proximité")


def test_categories(client: TestClient) -> None:
    categories = {c["code"]: c for c in client.get("/api/categories").json()}
    assert categories["la_poste"]["n_services"] > categories["bureau_de_poste"]["n_services"]
    assert categories["pharmacie"]["has_data"] is False


def test_serve_command_binds_to_loopback_by_default(monkeypatch, real_demo_result) -> None:  # type: ignore[no-untyped-def]
    """`proximite serve` builds the demo data and serves on 127.0.0.1 unless told."""
    from typer.testing import CliRunner

    import proximite.pipeline as pipeline
    import proximite.web.server as web_server
    from proximite.cli import app as cli_app

    # The diagnostic itself is the session's real demo (built once for the whole suite);
    # what is checked here is that the command asks for the demo: no input file given.
    asked: list[dict] = []

    def demo_diagnostic(files=None, **kwargs):  # type: ignore[no-untyped-def]
        asked.append({"files": files, **kwargs})
        return real_demo_result

    monkeypatch.setattr(pipeline, "run_diagnostic", demo_diagnostic)
    calls: list[tuple[str, int, int, str, tuple[str, ...]]] = []
    stores: list[object] = []
    monkeypatch.setattr(web_server, "serve",
                        lambda host, port, workers, data, allowed_hosts, store:
                        calls.append((host, port, workers, data.territory_name,
                                      allowed_hosts)) or stores.append(store))
    monkeypatch.setattr(web_server, "default_workers", lambda: 2)
    result = CliRunner().invoke(cli_app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    # the diagnostic is built once, in the command, and handed to the workers
    # with the hosts of the settings tree (web.allowed_hosts, here its default)
    assert calls == [("127.0.0.1", 8123, 2, "Lozère (48)", DEFAULT_ALLOWED_HOSTS)]
    result = CliRunner().invoke(cli_app, ["serve", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert calls[-1] == ("127.0.0.1", 8000, 1, "Lozère (48)", DEFAULT_ALLOWED_HOSTS)
    assert "http://127.0.0.1:8000/ " in result.output
    assert len(asked) == 2
    assert all(kwargs["files"] is None or kwargs["files"].is_demo() for kwargs in asked)
    assert all(kwargs["settings"].demo.network == "travelmapping" for kwargs in asked)
    assert stores == [None, None]  # read-only unless --contributions


def test_serve_command_reports_bad_input_without_starting(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    import proximite.web.server as web_server
    from proximite.cli import app as cli_app

    monkeypatch.setattr(web_server, "serve", lambda **_: pytest.fail("server started"))
    empty = tmp_path / "communes.geojson"
    empty.write_text("")
    result = CliRunner().invoke(cli_app, ["serve", "--communes", str(empty)])
    assert result.exit_code == 2
    assert "communes.geojson" in result.output and "Traceback" not in result.output


def test_workers_load_the_data_shared_by_the_parent(result, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """serve(data=..., workers>1) pickles the data once; each worker's app reads them."""
    import os
    import stat

    from proximite.web.server import PORTAL_FILE_ENV, portal_app, share_portal

    data = PortalData.from_result(result)
    data.territory_name = "Territoire partagé"  # so that a rebuilt demo would show
    shared = share_portal(data)
    try:
        assert stat.S_IMODE(os.stat(shared).st_mode) == 0o600
        monkeypatch.setenv(PORTAL_FILE_ENV, str(shared))
        worker = TestClient(portal_app())
    finally:
        shared.unlink()
    assert "Territoire partagé" in worker.get("/").text
    near = worker.get("/api/services/near", params={"commune": SAINT_CHELY,
                                                     "category": "la_poste"}).json()
    expected = data.near_commune(SAINT_CHELY, "la_poste")[:10]
    assert [(s["service_id"], s["travel_time_min"]) for s in near["services"]] == expected


def test_warm_fills_the_memo_with_the_same_answers(result) -> None:
    warmed = PortalData.from_result(result)
    cold = PortalData.from_result(result)
    built = warmed.warm()
    assert built == len(warmed.communes) * len(warmed.categories_with_data) > 1000
    assert len(warmed.near_cache) == len({c.origin_id for c in warmed.communes.values()}) \
        * len(warmed.categories_with_data)
    assert len(warmed.record_cache) == len(warmed.service_ids)
    for code in (SAINT_CHELY, MENDE):
        for category in warmed.categories_with_data:
            assert warmed.near_commune(code, category) == cold.near_commune(code, category)
    # every commune, for a parent category (its sub-categories' services included) and two
    # categories of their own
    for category in ("la_poste", "france_services", "accompagnement_numerique"):
        assert category in warmed.categories_with_data
        for code in warmed.communes:
            assert warmed.near_commune(code, category) == cold.near_commune(code, category)
