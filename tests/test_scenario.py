"""Scenarios: closures never shorten, openings never lengthen, slower roads never help;
only the touched categories are recomputed; road classes stay aligned with the graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from proximite.access import AccessParams, nearest_service_times
from proximite.analysis.scenario import (
    NO_SERVICE_LEFT,
    Scenario,
    make_example_closure,
    run_scenario,
)
from proximite.catalogue import load_catalogue
from proximite.cli import app
from proximite.errors import ProximiteError
from proximite.indicators import basket_times, compute_indicators
from proximite.inventory.schema import normalise_services
from proximite.io.tables import read_open_services
from proximite.model import DiagnosticOptions, DiagnosticResult
from proximite.network.graph import RoadGraph
from proximite.pipeline import (
    categories_to_compute,
)
from proximite.territory import territory_from_origins

CATALOGUE = load_catalogue()
SERVICE_CATEGORIES = ["france_services", "bureau_de_poste", "agence_postale",
                      "mediation_numerique"]
LON = (3.0, 3.6)
LAT = (44.3, 44.8)


# --- a tiny diagnostic built by hand from a random graph ----------------------------------

@st.composite
def tiny_networks(draw: st.DrawFn) -> dict:
    """A strongly connected random graph (a ring plus chords) with two road classes."""
    n = draw(st.integers(3, 10))
    lon = draw(st.lists(st.floats(*LON), min_size=n, max_size=n))
    lat = draw(st.lists(st.floats(*LAT), min_size=n, max_size=n))
    ring_from = list(range(n))
    ring_to = [(i + 1) % n for i in range(n)]
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=2 * n))
    frm = ring_from + [a for a, _ in extra]
    to = ring_to + [b for _, b in extra]
    minutes = draw(st.lists(st.floats(0.5, 20.0), min_size=len(frm), max_size=len(frm)))
    classes = draw(st.lists(st.sampled_from(["a", "b"]), min_size=len(frm),
                            max_size=len(frm)))
    n_origins = draw(st.integers(1, 8))
    origins = pd.DataFrame({
        "origin_id": [f"o{i}" for i in range(n_origins)],
        "lon": draw(st.lists(st.floats(*LON), min_size=n_origins, max_size=n_origins)),
        "lat": draw(st.lists(st.floats(*LAT), min_size=n_origins, max_size=n_origins)),
        "population": draw(st.lists(st.integers(0, 5000), min_size=n_origins,
                                    max_size=n_origins)),
    })
    origins["population"] = origins["population"].astype(float)
    origins["code_insee"] = [f"480{i:02d}" for i in range(n_origins)]
    n_services = draw(st.integers(1, 6))
    services = normalise_services(pd.DataFrame({
        "service_id": [f"s{i}" for i in range(n_services)],
        "category": draw(st.lists(st.sampled_from(SERVICE_CATEGORIES), min_size=n_services,
                                  max_size=n_services)),
        "lon": draw(st.lists(st.floats(*LON), min_size=n_services, max_size=n_services)),
        "lat": draw(st.lists(st.floats(*LAT), min_size=n_services, max_size=n_services)),
        "code_insee": [f"480{i:02d}" for i in range(n_services)],
    }))
    graph = RoadGraph.from_edges(np.arange(n), np.array(lon), np.array(lat), np.array(frm),
                                 np.array(to), np.array(minutes), edge_class=np.array(classes))
    return {"graph": graph, "origins": origins, "services": services}


def tiny_result(graph: RoadGraph, origins: pd.DataFrame,
                services: pd.DataFrame) -> DiagnosticResult:
    """What run_diagnostic would return on these inputs (no files, milliseconds)."""
    options = DiagnosticOptions(access=AccessParams(access_speed_kmh=30.0, max_snap_m=60_000))
    baskets = ["socle_demo"]
    categories = categories_to_compute(CATALOGUE, services, baskets)
    members = {c: sorted(CATALOGUE.members(c)) for c in categories}
    access = nearest_service_times(graph, origins, services, members, options.access)
    access["target_kind"] = "category"
    basket_rows = basket_times(access, CATALOGUE, baskets)
    basket_rows["target_kind"] = "basket"
    access_all = pd.concat([access, basket_rows], ignore_index=True).merge(
        origins[["origin_id", "code_insee"]], on="origin_id", how="left")
    indicators = compute_indicators(access_all, origins, None, options.indicators)
    return DiagnosticResult(
        territory=territory_from_origins(origins, "tiny"), services=services, rejected=[],
        duplicates=pd.DataFrame(), origins=origins, graph=graph, access_times=access_all,
        indicators=indicators, categories=categories, baskets=baskets, catalogue=CATALOGUE,
        options=options, network_note="")


def _both_ok(comparison: pd.DataFrame) -> pd.DataFrame:
    return comparison[(comparison.status_before == "ok") & (comparison.status_after == "ok")]


PROPERTY = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(tiny_networks(), st.data())
def test_closing_a_service_never_shortens_a_time(net: dict, data: st.DataObject) -> None:
    result = tiny_result(**net)
    closed = data.draw(st.sampled_from(list(net["services"]["service_id"])))
    outcome = run_scenario(result, Scenario(close_service_ids=[closed]))
    comparison = outcome.comparison
    assert (_both_ok(comparison)["delta_min"] >= -1e-9).all()
    regained = (comparison.status_before != "ok") & (comparison.status_after == "ok")
    assert not regained.any()
    assert (outcome.threshold_changes["population_no_longer_beyond"] == 0).all()


@PROPERTY
@given(tiny_networks(), st.sampled_from(SERVICE_CATEGORIES), st.floats(*LON),
       st.floats(*LAT))
def test_opening_a_service_never_lengthens_a_time(net: dict, category: str, lon: float,
                                                  lat: float) -> None:
    result = tiny_result(**net)
    outcome = run_scenario(result, Scenario(open_services=[(category, lon, lat, "new")]))
    comparison = outcome.comparison
    assert (_both_ok(comparison)["delta_min"] <= 1e-9).all()
    lost = (comparison.status_before == "ok") & (comparison.status_after != "ok")
    assert not lost.any()
    assert (outcome.threshold_changes["population_now_beyond"] == 0).all()
    assert set(CATALOGUE.ancestors(category)) <= set(outcome.recomputed)


@PROPERTY
@given(tiny_networks(), st.floats(0.05, 1.0), st.sampled_from(["a", "b"]))
def test_slower_roads_never_shorten_a_time(net: dict, factor: float, road_class: str) -> None:
    result = tiny_result(**net)
    if road_class not in result.graph.edge_classes():
        return
    outcome = run_scenario(result, Scenario(speed_factor_by_class={road_class: factor}))
    assert (_both_ok(outcome.comparison)["delta_min"] >= -1e-9).all()
    assert set(result.categories) <= set(outcome.recomputed)


@settings(PROPERTY, max_examples=8)
@given(tiny_networks())
def test_a_scenario_without_change_changes_nothing(net: dict) -> None:
    result = tiny_result(**net)
    outcome = run_scenario(result, Scenario(speed_factor_by_class={"a": 1.0, "b": 1.0}
                                            if len(result.graph.edge_classes()) == 2 else {}))
    assert outcome.affected_population == 0
    assert (outcome.threshold_changes["net"] == 0).all()


# --- road classes on the graph ------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.1, 10.0),
                       st.sampled_from(["motorway", "primary", "residential"])),
             min_size=1, max_size=30))))
def test_edge_class_stays_aligned_with_the_fastest_parallel_edge(case: tuple) -> None:
    n, edges = case
    frm, to, minutes, classes = (np.array(x) for x in zip(*edges, strict=True))
    if (frm == to).all():
        return
    graph = RoadGraph.from_edges(np.arange(n), np.zeros(n), np.zeros(n), frm, to, minutes,
                                 keep_largest_component=False, edge_class=classes)
    assert graph.edge_class is not None and len(graph.edge_class) == graph.n_edges
    rows = np.repeat(np.arange(n), np.diff(graph.matrix.indptr))
    for i, j, t, c in zip(rows, graph.matrix.indices, graph.matrix.data, graph.edge_class,
                          strict=True):
        same = (frm == i) & (to == j)
        assert t == pytest.approx(minutes[same].min())
        assert c in set(classes[same & np.isclose(minutes, minutes[same].min())])
    # The strongly connected part keeps the alignment too.
    component = RoadGraph.from_edges(np.arange(n), np.zeros(n), np.zeros(n), frm, to,
                                     minutes, edge_class=classes)
    assert len(component.edge_class) == component.n_edges
    if component.n_nodes < graph.n_nodes:
        ids = component.node_ids
        crow = np.repeat(np.arange(component.n_nodes), np.diff(component.matrix.indptr))
        for i, j, t, c in zip(crow, component.matrix.indices, component.matrix.data,
                              component.edge_class, strict=True):
            k = np.flatnonzero((rows == ids[i]) & (graph.matrix.indices == ids[j]))[0]
            assert (t, c) == (graph.matrix.data[k], graph.edge_class[k])


def test_with_speed_factors_divides_times_of_one_class_and_checks_input() -> None:
    graph = RoadGraph.from_edges(np.arange(3), np.zeros(3), np.zeros(3),
                                 np.array([0, 1, 2, 1]), np.array([1, 2, 0, 0]),
                                 np.array([1.0, 2.0, 3.0, 4.0]),
                                 edge_class=np.array(["a", "b", "a", "b"]))
    slower = graph.with_speed_factors({"a": 0.5})
    assert slower.matrix[0, 1] == 2.0 and slower.matrix[2, 0] == 6.0
    assert slower.matrix[1, 2] == 2.0 and graph.matrix[0, 1] == 1.0
    with pytest.raises(ProximiteError, match=r"classe\(s\) de route inconnue\(s\) z .*a, b"):
        graph.with_speed_factors({"z": 0.5})
    with pytest.raises(ProximiteError, match="> 0"):
        graph.with_speed_factors({"a": 0.0})
    plain = RoadGraph.from_edges(np.arange(2), np.zeros(2), np.zeros(2), np.array([0, 1]),
                                 np.array([1, 0]), np.array([1.0, 1.0]))
    assert plain.edge_class is None
    with pytest.raises(ProximiteError, match="pas de classe de route"):
        plain.with_speed_factors({"a": 0.5})


def test_edge_table_class_column_and_default(tmp_path: Path) -> None:
    from proximite.network.edges import read_edge_table

    nodes = pd.DataFrame({"node_id": ["x", "y", "z"], "lon": [3.0, 3.1, 3.2],
                          "lat": [44.5, 44.5, 44.5]})
    table = tmp_path / "edges.csv"
    table.write_text("from,to,travel_time_min,road_class\nx,y,1,primary\ny,z,2,\n")
    graph = read_edge_table(table, node_coordinates=nodes)
    assert sorted(graph.edge_classes()) == ["edge_table", "primary"]
    table.write_text("from,to,travel_time_min\nx,y,1\ny,z,2\n")
    assert read_edge_table(table, node_coordinates=nodes).edge_classes() == ["edge_table"]


def test_osm_graph_carries_highway_classes() -> None:
    from proximite.network.osm import CAR_HIGHWAYS, build_osm_graph

    graph = build_osm_graph(Path(__file__).parent / "data" / "osm" / "test.osm.pbf")
    assert graph.edge_class is not None and len(graph.edge_class) == graph.n_edges
    assert set(graph.edge_classes()) <= set(CAR_HIGHWAYS)
    some = graph.edge_classes()[0]
    slower = graph.with_speed_factors({some: 0.5})
    changed = graph.edge_class == some
    assert np.allclose(slower.matrix.data[changed], graph.matrix.data[changed] * 2)
    assert np.array_equal(slower.matrix.data[~changed], graph.matrix.data[~changed])


# --- the demo ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_result: DiagnosticResult) -> DiagnosticResult:
    return demo_result


def test_example_closure_recomputes_only_la_poste_and_its_baskets(demo) -> None:
    scenario = make_example_closure(demo)
    (closed,) = scenario.close_service_ids
    assert demo.services.set_index("service_id").loc[closed, "category"] == "bureau_de_poste"
    outcome = run_scenario(demo, scenario)
    baskets = {b for b in demo.baskets if {"la_poste", "bureau_de_poste"}
               & set(demo.catalogue.baskets[b].categories)}
    assert set(outcome.recomputed) == {"la_poste", "bureau_de_poste"} | baskets
    assert set(outcome.comparison["category"]) == set(outcome.recomputed)
    assert outcome.affected_population > 0
    changed = outcome.comparison[outcome.comparison["nearest_before"] == closed]
    assert len(changed) and (changed["nearest_after"] != closed).all()
    assert (changed["delta_min"] > 0).all()
    office = outcome.threshold_changes.query("category == 'bureau_de_poste'")
    assert office["net"].max() > 0
    after = outcome.indicators_after.set_index("category")
    before = outcome.indicators_before.set_index("category")
    assert after.loc["bureau_de_poste", "mean_min"] > before.loc["bureau_de_poste", "mean_min"]


def test_closing_every_france_services_leaves_no_service(demo) -> None:
    outcome = run_scenario(demo, Scenario(close_categories=["france_services"]))
    rows = outcome.comparison.query("category == 'france_services'")
    assert (rows["status_after"] == "no_service").all()
    assert (rows["status_detail_after"] == NO_SERVICE_LEFT).all()
    assert any(NO_SERVICE_LEFT in w and "france_services" in w for w in outcome.warnings)
    population = demo.origins["population"].sum()
    lost = outcome.threshold_changes.query("category == 'france_services'")
    assert lost["net"].max() <= population and lost["net"].min() > 0
    # the parent grouping (France Services + médiation numérique) is recomputed too
    assert set(outcome.recomputed) == {"france_services", "accompagnement_numerique",
                                       "socle_demo"}


def test_unknown_ids_and_categories_are_named(demo) -> None:
    with pytest.raises(ProximiteError, match="identifiant\\(s\\) de service inconnu\\(s\\) nope:1"):
        run_scenario(demo, Scenario(close_service_ids=["nope:1"]))
    with pytest.raises(ProximiteError, match=r"catégorie\(s\) inconnue\(s\) bakery.*catégories "
                                             "connues : accompagnement_numerique, "
                                             "france_services"):
        run_scenario(demo, Scenario(close_categories=["bakery"]))
    with pytest.raises(ProximiteError, match=r"catégorie\(s\) inconnue\(s\) dentist"):
        run_scenario(demo, Scenario(open_services=[("dentist", 3.5, 44.5, "x")]))
    with pytest.raises(ProximiteError, match="commune\\(s\\) inconnue\\(s\\) 99999"):
        run_scenario(demo, Scenario(close_communes=["99999"]))


def test_demo_slower_roads_and_commune_closure(demo) -> None:
    slower = run_scenario(demo, Scenario(speed_factor_by_class={"edge_table": 0.5}))
    assert (_both_ok(slower.comparison)["delta_min"] >= -1e-9).all()
    assert slower.affected_population > 0
    mende = run_scenario(demo, Scenario(close_communes=["48095"]))
    assert mende.closed_service_ids
    assert set(demo.services.set_index("service_id").loc[mende.closed_service_ids,
                                                         "code_insee"]) == {"48095"}


def test_read_open_services(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text("category,lon,lat,name\nfrance_services,3.5,44.5,Nouvelle MFS\n")
    frame = read_open_services(path)
    assert frame.loc[0, "lon"] == 3.5
    path.write_text("category,lon,lat\nfrance_services,abc,44.5\n")
    with pytest.raises(ProximiteError, match="line 2.*lon|lon.*line 2|abc"):
        read_open_services(path)


def test_cli_scenario_writes_tables_and_fails_cleanly(tmp_path: Path) -> None:
    runner = CliRunner()
    opened = tmp_path / "open.csv"
    opened.write_text("category,lon,lat,name\nbureau_de_poste,3.5,44.5,Nouveau bureau\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["scenario", "--close-category", "france_services",
                                 "--open", str(opened), "--speed-factor", "edge_table=0.9",
                                 "--demo-network", "stand-in", "--out", str(out)])
    assert result.exit_code == 0, result.output
    comparison = pd.read_csv(out / "scenario_comparison.csv")
    thresholds = pd.read_csv(out / "scenario_thresholds.csv")
    assert {"before_min", "after_min", "delta_min", "status_before",
            "status_after"} <= set(comparison.columns)
    assert {"population_now_beyond", "population_no_longer_beyond",
            "net"} <= set(thresholds.columns)
    assert "France Services" in result.output
    opened.write_text("category,lon\nbureau_de_poste,3.5\n")  # fails before the diagnostic
    bad = runner.invoke(app, ["scenario", "--open", str(opened), "--out", str(out)])
    assert bad.exit_code == 2
    assert "lat" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(app, ["scenario", "--speed-factor", "fast", "--out", str(out)])
    assert bad.exit_code == 2 and "CLASSE=FACTEUR" in bad.output
