"""Itinerant and remote access: a bus is a presence, never a permanent site.

Hand-built line A - B - C (10 min per edge both ways, one commune per node, 100
inhabitants each), a fixed France Services at A, a France Services bus stopping at B (the
first and third Tuesday of the month) and at C (every Wednesday morning). Every figure
below is computed by hand from that picture.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from proximite.access import nearest_service_times
from proximite.access_modes import itinerant_access, remote_access
from proximite.analysis.scenario import run_scenario
from proximite.catalogue import load_catalogue
from proximite.inventory.schedule import days_per_month, hours_per_week
from proximite.inventory.schema import normalise_services
from proximite.io.reference import load_reference
from proximite.model import AccessParams, DiagnosticInputs, DiagnosticOptions
from proximite.network.graph import RoadGraph
from proximite.pipeline import diagnose
from proximite.planning.compare import compare_plans, plan_scenario
from proximite.planning.run import with_passages
from proximite.territory import Territory

CATALOGUE = load_catalogue()
LON = np.array([3.0, 3.1, 3.2])
LAT = np.array([44.5, 44.5, 44.5])
PARAMS = AccessParams(access_speed_kmh=30.0, max_snap_m=5_000)


def line_graph() -> RoadGraph:
    return RoadGraph.from_edges(np.arange(3), LON, LAT, np.array([0, 1, 1, 2]),
                                np.array([1, 0, 2, 1]), np.full(4, 10.0))


def origins() -> pd.DataFrame:
    return pd.DataFrame({"origin_id": ["48001", "48002", "48003"],
                         "code_insee": ["48001", "48002", "48003"],
                         "lon": LON, "lat": LAT, "population": [100.0, 100.0, 100.0]})


def services(*extra: dict[str, object]) -> pd.DataFrame:
    rows = [
        {"service_id": "fixe", "category": "france_services", "name": "France services A",
         "lon": LON[0], "lat": LAT[0], "code_insee": "48001", "access_modes": "on_site"},
        {"service_id": "bus:B", "category": "france_services", "name": "Bus, arrêt B",
         "lon": LON[1], "lat": LAT[1], "code_insee": "48002", "access_modes": "itinerant",
         "source_id": "bus", "opening_hours": "Tu[1,3] 09:30-12:00"},
        {"service_id": "bus:C", "category": "france_services", "name": "Bus, arrêt C",
         "lon": LON[2], "lat": LAT[2], "code_insee": "48003", "access_modes": "itinerant",
         "source_id": "bus", "opening_hours": "We 09:00-12:00"},
        *extra,
    ]
    return normalise_services(pd.DataFrame(rows))


def line_territory() -> Territory:
    """Three square communes of 0.1 degree, their town halls at the nodes."""
    boxes = [shapely.box(x - 0.05, 44.45, x + 0.05, 44.55) for x in LON]
    communes = gpd.GeoDataFrame({
        "code_insee": ["48001", "48002", "48003"], "nom": ["A", "B", "C"],
        "population": [100.0, 100.0, 100.0], "epci_code": "", "epci_nom": "",
        "pct_65plus": np.nan, "origin_lon": LON, "origin_lat": LAT},
        geometry=boxes, crs="EPSG:4326")
    return Territory(name="ligne", communes=communes, source="test")


def inputs(table: pd.DataFrame) -> DiagnosticInputs:
    origin_table = origins()
    territory = line_territory()
    return DiagnosticInputs(territory=territory, origins=origin_table, services=table,
                            graph=line_graph(), catalogue=CATALOGUE,
                            reference=load_reference())  # the shipped gamme tables (poles)


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return diagnose(inputs(services()), DiagnosticOptions(access=PARAMS, baskets=[]))


def test_frequency_of_a_stop_from_its_opening_hours() -> None:
    assert days_per_month("Tu[1,3] 09:30-12:00") == 2.0  # 24 days in the year
    assert days_per_month("We 09:00-12:00") == pytest.approx(52 / 12)  # 52 Wednesdays in 2026
    assert hours_per_week("We 09:00-12:00") == pytest.approx(52 * 3 / (365 / 7))
    assert math.isnan(days_per_month("")) and math.isnan(hours_per_week("pas un horaire"))


def test_a_bus_never_counts_as_a_fixed_site(result) -> None:  # type: ignore[no-untyped-def]
    fs = result.access_times[result.access_times["category"] == "france_services"]
    times = fs.set_index("origin_id")["travel_time_min"]
    assert times.to_dict() == pytest.approx({"48001": 0.0, "48002": 10.0, "48003": 20.0})
    assert set(fs["nearest_service_id"]) == {"fixe"}
    territory = result.indicators[(result.indicators["level"] == "territory")
                                  & (result.indicators["category"] == "france_services")]
    assert territory["median_min"].iloc[0] == pytest.approx(10.0)
    counts = result.indicators[(result.indicators["level"] == "commune")
                               & (result.indicators["category"] == "france_services")]
    # the bus stops are not counted among the commune's services either
    assert counts.set_index("zone_code")["services_in_zone"].to_dict() == {
        "48001": 1, "48002": 0, "48003": 0}


def test_the_itinerant_indicator_times_the_stops(result) -> None:  # type: ignore[no-untyped-def]
    itinerant = result.itinerant
    # france_services and its parent (France Services ou médiation numérique): same figures
    assert len(itinerant) == 6
    assert set(itinerant["category"]) == {"france_services", "accompagnement_numerique"}
    table = itinerant[itinerant["category"] == "france_services"].set_index("code_insee")
    assert table["stop_time_min"].to_dict() == pytest.approx(
        {"48001": 10.0, "48002": 0.0, "48003": 0.0})
    assert table["nearest_stop_id"].to_dict() == {"48001": "bus:B", "48002": "bus:B",
                                                  "48003": "bus:C"}
    assert table["days_per_month"].to_dict() == pytest.approx(
        {"48001": 2.0, "48002": 2.0, "48003": 4.33})
    assert set(table["itinerant_service_id"]) == {"bus"}
    assert table.loc["48003", "nom"] == "C"


def test_a_bus_known_by_its_base_only_is_neither_site_nor_stop() -> None:
    based = services({"service_id": "fs:base", "category": "france_services",
                      "name": "France services itinérante", "lon": LON[2], "lat": LAT[2],
                      "access_modes": "itinerant", "location_precision": "base",
                      "opening_hours": "Mo-Fr 10:00-15:00"})
    outcome = diagnose(inputs(based), DiagnosticOptions(access=PARAMS, baskets=[]))
    fs = outcome.access_times[outcome.access_times["category"] == "france_services"]
    assert fs.set_index("origin_id")["travel_time_min"]["48003"] == pytest.approx(20.0)
    assert "fs:base" not in set(outcome.itinerant["nearest_stop_id"])
    assert any("France services itinérante" in w and "sans arrêts" in w
               for w in outcome.warnings)


def test_only_a_bus_leaves_no_permanent_site() -> None:
    table = services().iloc[1:]
    times = nearest_service_times(line_graph(), origins(), table,
                                  {"france_services": ["france_services"]}, PARAMS)
    assert (times["status"] == "no_service").all()
    assert times["status_detail"].str.contains("seulement 2 service(s) itinérant(s)",
                                               regex=False).all()


def test_the_plan_comparison_uses_the_same_rule(result) -> None:  # type: ignore[no-untyped-def]
    bus = pd.DataFrame({"lon": [LON[2]], "lat": [LAT[2]], "name": ["arrêt C"]})
    outcome = run_scenario(result, plan_scenario("bus", "france_services", tour_stops=bus))
    assert (outcome.comparison["delta_min"].fillna(0) == 0).all()
    fixed = pd.DataFrame({"lon": [LON[2]], "lat": [LAT[2]], "name": ["site C"]})
    table, _ = compare_plans(result, {
        "bus": plan_scenario("bus", "france_services", tour_stops=bus),
        "site": plan_scenario("site", "france_services", new_sites=fixed)}, "france_services")
    medians = table.set_index("plan")["median_min"]
    assert medians["situation actuelle"] == pytest.approx(10.0)
    assert medians["bus"] == pytest.approx(10.0)  # a bus never halves a median
    assert medians["site"] == pytest.approx(0.0)  # a fixed site at C: 0, 10, 0 -> 0
    # the bus's own indicator: times to the stop at C are 20, 10, 0 -> median 10 min;
    # no opening hours given to this stop: its frequency is unknown, not invented
    bus_row = table.set_index("plan").loc["bus"]
    assert (bus_row["stops_opened"], bus_row["stop_median_min"]) == (1, pytest.approx(10.0))
    assert math.isnan(bus_row["stop_days_per_month"])
    weekly = bus.assign(opening_hours="We 09:00-12:00")
    table, _ = compare_plans(result, {
        "bus": plan_scenario("bus", "france_services", tour_stops=weekly)}, "france_services")
    assert table.set_index("plan").loc["bus", "stop_days_per_month"] == pytest.approx(52 / 12)


def test_remote_access_lists_the_nearest_remote_service() -> None:
    table = services(
        {"service_id": "caf:tel", "category": "caf", "name": "CAF, accueil téléphonique",
         "lon": LON[2], "lat": LAT[2], "access_modes": "phone|online"},
        {"service_id": "caf:loin", "category": "caf", "name": "CAF lointaine",
         "lon": 4.0, "lat": 45.0, "access_modes": "video"})
    communes = inputs(table).territory.communes
    remote = remote_access(communes, table, CATALOGUE).set_index("code_insee")
    assert set(remote["service_id"]) == {"caf:tel"}
    assert remote.loc["48003", "modes"] == "téléphone, en ligne"
    assert remote.loc["48003", "distance_km"] == 0.0
    # 0.2 degree of longitude at 44.5° N: 2 pi R cos(44.5°) * 0.2 / 360 = 15.9 km
    assert remote.loc["48001", "distance_km"] == pytest.approx(15.9, abs=0.05)
    assert itinerant_access(line_graph(), origins(), communes, table.iloc[:1], CATALOGUE,
                            ["france_services"], PARAMS).empty


def test_tour_passages_become_the_stops_opening_hours() -> None:
    stops = pd.DataFrame({"stop_id": ["s1", "s2"], "lon": [3.0, 3.1], "lat": [44.5, 44.5]})
    timetable = pd.DataFrame({"stop_id": ["s1", "s2"], "weekday": ["mardi", "jeudi"],
                              "week": [1, 2], "arrival": ["10:00", "14:00"],
                              "departure": ["12:00", "16:00"]})
    weekly = with_passages(stops, timetable, "weekly").set_index("stop_id")["opening_hours"]
    assert weekly.to_dict() == {"s1": "Tu 10:00-12:00", "s2": "Th 14:00-16:00"}
    monthly = with_passages(stops, timetable, "monthly").set_index("stop_id")["opening_hours"]
    assert monthly["s2"] == "week 02-53/4 Th 14:00-16:00"
    assert days_per_month(monthly["s2"]) == pytest.approx(13 / 12)  # every 4th week of 52


def test_the_commune_fiche_lists_remote_and_itinerant_access() -> None:
    from fastapi.testclient import TestClient

    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    table = services({"service_id": "caf:tel", "category": "caf",
                      "name": "CAF, accueil téléphonique", "lon": LON[2], "lat": LAT[2],
                      "access_modes": "phone|online"})
    outcome = diagnose(inputs(table), DiagnosticOptions(access=PARAMS, baskets=[]))
    fiche = TestClient(create_app(PortalData.from_result(outcome))).get(
        "/api/communes/48001").json()
    assert fiche["remote_access"] == [{
        "category": "caf", "label": CATALOGUE.categories["caf"].label,
        "service_id": "caf:tel", "name": "CAF, accueil téléphonique",
        "modes": ["téléphone", "en ligne"], "distance_km": pytest.approx(15.9, abs=0.05)}]
    stops = {(r["category"], r["stop_id"], r["travel_time_min"], r["days_per_month"])
             for r in fiche["itinerant_access"]}
    assert ("france_services", "bus:B", 10.0, 2.0) in stops
    assert fiche["digital"] is None  # no ARCEP file in this run


def test_a_bus_is_neither_an_existing_site_nor_equipment(result) -> None:  # type: ignore[no-untyped-def]
    from proximite.analysis.diagnosis import run_analysis
    from proximite.planning.siting import Candidates

    existing = Candidates.from_services(result.services, "france_services").table
    assert existing["candidate_id"].tolist() == ["fixe"]
    potential = run_analysis(result).potential
    # 2SFCA at 20 min on the fixed site alone: it reaches the 300 inhabitants (0, 10, 20
    # min), 1 site / 300 * 1000 for everyone (the bus stops would have added supply)
    assert potential["2sfca_france_services_20min"].tolist() == pytest.approx([10 / 3] * 3)
    # E2SFCA, DREES bands (1 up to 5 min, 0.3 up to 10, 0 beyond 15): weighted demand
    # 100 + 30 = 130; A gets 1/130, B 0.3/130, C nothing (per 1,000 inhabitants)
    assert potential["e2sfca_france_services"].tolist() == pytest.approx(
        [1000 / 130, 300 / 130, 0.0])


def test_the_portal_never_times_a_bus_base() -> None:
    from fastapi.testclient import TestClient

    from proximite.web.app import create_app
    from proximite.web.store import PortalData

    based = services({"service_id": "fs:base", "category": "france_services",
                      "name": "France services itinérante", "lon": LON[2], "lat": LAT[2],
                      "access_modes": "itinerant", "location_precision": "base"})
    outcome = diagnose(inputs(based), DiagnosticOptions(access=PARAMS, baskets=[]))
    client = TestClient(create_app(PortalData.from_result(outcome)))
    near = client.get("/api/services/near", params={"commune": "48003",
                                                    "category": "france_services"}).json()
    ids = [s["service_id"] for s in near["services"]]
    assert "fs:base" not in ids and ids[:2] == ["bus:C", "bus:B"]  # the stops, timed
    listed = client.get("/api/services", params={"category": "france_services"}).json()
    assert "fs:base" in {s["service_id"] for s in listed["services"]}  # still listed
