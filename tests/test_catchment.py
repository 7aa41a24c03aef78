"""Catchments partition the population that reaches a category; reachable areas are built
from the graph, contain their service and grow with the time budget."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proximite.access import AccessParams, nearest_service_times
from proximite.analysis.catchment import population_within, reachable_area, service_catchments
from proximite.errors import ProximiteError
from proximite.pipeline import DiagnosticResult
from test_scenario import SERVICE_CATEGORIES, tiny_networks

PARAMS = AccessParams(access_speed_kmh=30.0, max_snap_m=60_000)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_networks(), st.sampled_from(SERVICE_CATEGORIES), st.none() | st.floats(1, 60))
def test_catchment_populations_sum_to_the_population_reaching_the_category(
        net: dict, category: str, time_min: float | None) -> None:
    graph, origins, services = net["graph"], net["origins"], net["services"]
    table = service_catchments((graph, origins, services), category, time_min, params=PARAMS)
    assert set(table["service_id"]) == set(services.loc[services.category == category,
                                                        "service_id"])
    times = nearest_service_times(graph, origins, services, {category: [category]}, PARAMS)
    ok = times["status"] == "ok"
    reaching = origins.set_index("origin_id").loc[times.loc[ok, "origin_id"], "population"]
    assert table["population"].sum() == pytest.approx(reaching.sum())
    assert table["n_origins"].sum() == ok.sum()
    if time_min is not None:
        within = times.loc[ok & (times["travel_time_min"] <= time_min), "origin_id"]
        expected = origins.set_index("origin_id").loc[within, "population"].sum()
        assert table["population_within_time"].sum() == pytest.approx(expected)
        assert (table["population_within_time"] <= table["population"] + 1e-9).all()


@pytest.fixture(scope="module")
def demo(demo_result: DiagnosticResult) -> DiagnosticResult:
    return demo_result


def test_demo_catchments_partition_the_population(demo) -> None:
    for category in ("france_services", "la_poste"):
        table = service_catchments(demo, category, 20)
        rows = demo.access_times.query("category == @category and status == 'ok'")
        expected = demo.origins.set_index("origin_id").loc[rows["origin_id"], "population"]
        assert table["population"].sum() == pytest.approx(expected.sum())
        members = demo.catalogue.members(category)
        assert len(table) == demo.services["category"].isin(members).sum()
    top = service_catchments(demo, "bureau_de_poste").iloc[0]
    assert top["population"] > 0 and top["communes"]
    with pytest.raises(ProximiteError, match="catégorie « bakery » inconnue"):
        service_catchments(demo, "bakery")


def test_reachable_area_contains_the_service_and_grows_with_time(demo) -> None:
    inside = demo.services["code_insee"].str.startswith("48")
    service = demo.services[inside & (demo.services["category"] == "france_services")].iloc[0]
    point = shapely.Point(service.lon, service.lat)
    areas = {t: reachable_area(demo.graph, service.lon, service.lat, t, demo.options.access)
             for t in (10, 20, 40)}
    for area in areas.values():
        assert area.contains(point)
    assert areas[10].area < areas[20].area < areas[40].area
    assert areas[10].difference(areas[20]).area <= 1e-9 * areas[10].area
    # Built from the graph: not the circle the access speed alone would give.
    radius_deg = 40 * demo.options.access.access_speed_kmh / 60 / 111.0
    circle = point.buffer(radius_deg)
    assert abs(areas[40].area - circle.area) / circle.area > 0.05
    hull = reachable_area(demo.graph, service.lon, service.lat, 40, demo.options.access,
                          method="concave_hull")
    assert hull.contains(point)


def test_population_within_grows_and_covers_the_catchment(demo) -> None:
    table = service_catchments(demo, "france_services", 15)
    for _, row in table.head(3).iterrows():
        values = [population_within(demo, row["service_id"], t) for t in (5, 15, 30, 60)]
        assert values == sorted(values)
        assert values[1] >= row["population_within_time"] - 1e-6
    assert population_within(demo, table.iloc[0]["service_id"], 10_000) == pytest.approx(
        demo.origins["population"].sum())
    with pytest.raises(ProximiteError, match="identifiant de service inconnu nope"):
        population_within(demo, "nope", 10)


def test_reachable_area_on_a_tiny_line_graph() -> None:
    from proximite.network.graph import RoadGraph

    lon = np.array([3.0, 3.1, 3.2])
    lat = np.array([44.5, 44.5, 44.5])
    graph = RoadGraph.from_edges(np.arange(3), lon, lat, np.array([0, 1, 1, 2]),
                                 np.array([1, 0, 2, 1]), np.array([5.0, 5.0, 5.0, 5.0]))
    params = AccessParams(access_speed_kmh=5.0, max_snap_m=500)
    short = reachable_area(graph, 3.0, 44.5, 4, params)
    long = reachable_area(graph, 3.0, 44.5, 8, params)  # node 1 at 5 min, 3 min to spare
    assert not short.contains(shapely.Point(3.1, 44.5))
    assert long.contains(shapely.Point(3.1, 44.5)) and long.contains(shapely.Point(3.15, 44.5))
    assert not long.contains(shapely.Point(3.2, 44.5))
