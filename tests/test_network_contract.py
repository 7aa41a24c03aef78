"""Degree-2 contraction: fewer nodes, the very same shortest times."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra

from contract_reference import reference_contract_degree2
from proximite.access import AccessParams, nearest_service_times
from proximite.network.contract import contract_degree2
from proximite.network.graph import RoadGraph
from proximite.network.osm import build_osm_graph
from proximite.network.snap import Snapper
from proximite.network.travelmapping import build_network, read_travelmapping

DATA = Path(__file__).parent / "data"
TM_FIXTURE = DATA / "travelmapping" / "lozere_mini.tar.gz"
HELSINKI = DATA / "osm" / "Helsinki.osm.pbf"


def _graph(edges: list[tuple[int, int, float]], n: int,
           classes: list[str] | None = None) -> RoadGraph:
    u, v, t = (np.array(x) for x in zip(*edges, strict=True))
    return RoadGraph.from_edges(
        node_ids=np.array([f"n{i}" for i in range(n)], dtype=object), lon=np.arange(n) * 0.01,
        lat=np.zeros(n), from_index=u, to_index=v, travel_time_min=t,
        keep_largest_component=False,
        edge_class=None if classes is None else np.array(classes, dtype=object))


def test_hand_made_chains() -> None:
    # 0 - 1 - 2 - 3 both ways (times 1, 2, 3 and back 1.5, 2.5, 3.5), 3 - 4 and 3 - 5
    # both ways: node 3 has degree 3; 1 and 2 are the chain's inside.
    edges = [(0, 1, 1.0), (1, 2, 2.0), (2, 3, 3.0), (1, 0, 1.5), (2, 1, 2.5), (3, 2, 3.5),
             (3, 4, 1.0), (4, 3, 1.0), (3, 5, 1.0), (5, 3, 1.0)]
    result = contract_degree2(_graph(edges, 6))
    assert list(result.graph.node_ids) == ["n0", "n3", "n4", "n5"]
    m = result.graph.matrix
    a, b = result.nodes(np.array([0, 3]))
    assert m[a, b] == pytest.approx(6.0, abs=1e-12)  # 1 + 2 + 3
    assert m[b, a] == pytest.approx(7.5, abs=1e-12)  # 3.5 + 2.5 + 1.5
    assert result.graph.n_edges == 6
    assert (result.new_index[[1, 2]] == -1).all()
    with pytest.raises(ValueError, match="keep"):
        result.nodes(np.array([1]))
    # a kept node stays and splits the chain; a class change stays too
    kept = contract_degree2(_graph(edges, 6), keep=np.array([2]))
    assert list(kept.graph.node_ids) == ["n0", "n2", "n3", "n4", "n5"]
    classes = ["A", "A", "B", "A", "A", "B", "C", "C", "C", "C"]
    by_class = contract_degree2(_graph(edges, 6, classes))
    assert list(by_class.graph.node_ids) == ["n0", "n2", "n3", "n4", "n5"]
    assert sorted(set(by_class.graph.edge_class)) == ["A", "B", "C"]


def test_one_way_chain_has_no_way_back() -> None:
    edges = [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0), (3, 0, 5.0), (0, 4, 1.0), (4, 0, 1.0)]
    result = contract_degree2(_graph(edges, 5))
    full = dijkstra(_graph(edges, 5).matrix)
    kept = np.flatnonzero(result.new_index >= 0)
    small = dijkstra(result.graph.matrix)
    assert np.array_equal(full[np.ix_(kept, kept)], small)
    assert result.graph.n_nodes < 5


@pytest.mark.parametrize("seed", range(5))
def test_random_graphs_keep_every_time_between_kept_nodes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # a random tree (junctions) whose edges are cut into chains, a few one-way
    parent = [int(rng.integers(0, i)) for i in range(1, 40)]
    edges: list[tuple[int, int, float]] = []
    nxt = 40
    for child, par in enumerate(parent, start=1):
        path = [par, *range(nxt, nxt + int(rng.integers(0, 6))), child]
        nxt += len(path) - 2
        for a, b in itertools.pairwise(path):
            edges.append((a, b, float(rng.uniform(0.1, 5))))
            if rng.random() > 0.1:
                edges.append((b, a, float(rng.uniform(0.1, 5))))
    n = nxt
    graph = _graph(edges, n)
    keep = rng.choice(n, 15, replace=False)
    result = contract_degree2(graph, keep)
    assert result.graph.n_nodes < n
    kept = np.flatnonzero(result.new_index >= 0)
    full = dijkstra(graph.matrix, indices=kept)[:, kept]
    small = dijkstra(result.graph.matrix, indices=result.new_index[kept])[
        :, result.new_index[kept]]
    assert np.array_equal(np.isinf(full), np.isinf(small))
    finite = np.isfinite(full)
    assert np.max(np.abs(full[finite] - small[finite])) < 1e-9


def _nearest_both_ways(graph: RoadGraph, origins: pd.DataFrame,
                       services: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    params = AccessParams(max_snap_m=5000.0)
    members = {c: [c] for c in services["category"].unique()}
    full = nearest_service_times(graph, origins, services, members, params, contract=False)
    contracted = nearest_service_times(graph, origins, services, members, params,
                                       contract=True)
    return full, contracted


def _assert_same_times(full: pd.DataFrame, contracted: pd.DataFrame) -> None:
    assert (full["status"] == contracted["status"]).all()
    a, b = full["travel_time_min"].to_numpy(), contracted["travel_time_min"].to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) < 1e-9
    assert np.isfinite(a).sum() > 0


def test_travelmapping_fixture_same_nearest_times() -> None:
    graph = build_network(read_travelmapping(TM_FIXTURE)).graph()
    rng = np.random.default_rng(0)
    pick = rng.choice(graph.n_nodes, 60, replace=False)
    jitter = rng.normal(0, 0.002, (60, 2))
    points = pd.DataFrame({"lon": graph.lon[pick] + jitter[:, 0],
                           "lat": graph.lat[pick] + jitter[:, 1]})
    origins = points.iloc[:40].assign(origin_id=[f"o{i}" for i in range(40)])
    services = points.iloc[40:].assign(service_id=[f"s{i}" for i in range(20)],
                                       category=["a", "b"] * 10)
    full, contracted = _nearest_both_ways(graph, origins, services)
    _assert_same_times(full, contracted)
    node = np.concatenate([Snapper.for_graph(graph).snap(p["lon"], p["lat"])[0]
                           for p in (origins, services)])
    reduced = contract_degree2(graph, node)
    assert reduced.graph.n_nodes < 0.8 * graph.n_nodes


def test_osm_fixture_same_nearest_times() -> None:
    graph = build_osm_graph(HELSINKI)
    origins = pd.read_csv(DATA / "osm" / "helsinki_origins.csv", dtype={"origin_id": str})
    services = pd.read_csv(DATA / "osm" / "helsinki_services.csv", dtype=str)
    services[["lon", "lat"]] = services[["lon", "lat"]].astype(float)
    full, contracted = _nearest_both_ways(graph, origins, services)
    _assert_same_times(full, contracted)
    node = np.concatenate([Snapper.for_graph(graph).snap(p["lon"], p["lat"])[0]
                           for p in (origins, services)])
    assert contract_degree2(graph, node).graph.n_nodes < 0.8 * graph.n_nodes


def test_travelmapping_segments_contracted_once_stay_exact_for_any_speeds() -> None:
    from proximite.network.travelmapping import TravelMappingParams

    network = build_network(read_travelmapping(TM_FIXTURE))
    rng = np.random.default_rng(3)
    keep = rng.choice(len(network.node_ids), 12, replace=False)
    small = network.contracted(keep)
    assert len(small.node_ids) < 0.8 * len(network.node_ids)
    assert set(network.node_ids[keep]) <= set(small.node_ids)
    # a segment's length is kept whole: the total is the same
    assert small.length_km.sum() == pytest.approx(network.length_km.sum(), rel=1e-12)
    slow_n = TravelMappingParams().with_values(speed_kmh={"nationale": 30.0,
                                                          "departementale": 90.0})
    for params in (TravelMappingParams(), slow_n):
        full_graph, small_graph = network.graph(params), small.graph(params)
        ids = network.node_ids[keep]
        at_full = pd.Index(full_graph.node_ids).get_indexer(ids)
        at_small = pd.Index(small_graph.node_ids).get_indexer(ids)
        ok = (at_full >= 0) & (at_small >= 0)  # both in their largest component
        assert ok.sum() >= 8
        a = dijkstra(full_graph.matrix, indices=at_full[ok])[:, at_full[ok]]
        b = dijkstra(small_graph.matrix, indices=at_small[ok])[:, at_small[ok]]
        assert np.max(np.abs(a - b)) < 1e-9


def _assert_same_contraction(graph: RoadGraph, keep: np.ndarray | None) -> None:
    """The vectorised walk gives the old walk's graph to the bit (times, classes, nodes)."""
    new, old = contract_degree2(graph, keep), reference_contract_degree2(graph, keep)
    assert np.array_equal(new.new_index, old.new_index)
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(new.graph.matrix, name), getattr(old.graph.matrix, name))
    if old.graph.edge_class is None:
        assert new.graph.edge_class is None
    else:
        assert new.graph.edge_class is not None
        assert np.array_equal(new.graph.edge_class, old.graph.edge_class)
    assert new.graph.n_nodes < graph.n_nodes  # there were chains to contract


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_walk_equals_the_python_walk_on_random_graphs(seed: int) -> None:
    # chains of 0-8 nodes hung on a random tree, one-way edges, two road classes, loops
    # (a chain from a junction back to itself) and a few kept nodes inside chains
    rng = np.random.default_rng(100 + seed)
    edges: list[tuple[int, int, float]] = []
    classes: list[str] = []
    nxt = 30
    links = [(int(rng.integers(0, i)), i) for i in range(1, 30)]
    links += [(int(a), int(a)) for a in rng.choice(30, 4, replace=False)]
    for par, child in links:
        path = [par, *range(nxt, nxt + int(rng.integers(0, 9))), child]
        nxt += len(path) - 2
        road = str(rng.choice(["D", "N"]))
        for a, b in itertools.pairwise(path):
            edges.append((a, b, float(rng.uniform(0.1, 5))))
            classes.append(road)
            if rng.random() > 0.15:
                edges.append((b, a, float(rng.uniform(0.1, 5))))
                classes.append(road)
    graph = _graph(edges, nxt, classes if seed % 2 else None)
    _assert_same_contraction(graph, rng.choice(nxt, 5, replace=False) if seed > 2 else None)


def test_vectorised_walk_equals_the_python_walk_on_the_fixtures() -> None:
    tm = build_network(read_travelmapping(TM_FIXTURE)).graph()
    _assert_same_contraction(tm, np.arange(0, tm.n_nodes, 97))
    osm = build_osm_graph(HELSINKI)
    _assert_same_contraction(osm, np.arange(0, osm.n_nodes, 53))
