"""Oracle and property tests of :mod:`proximite.access` against networkx.

Why: the nearest-service search is the number every indicator is built on, and its speed
comes from tricks (a virtual source on the reversed graph, root recovery by pointer
jumping) that are easy to get subtly wrong. networkx's plain Dijkstra, run on the
*original* edge list, is an independent oracle; the hand-computed example pins down how
the off-network legs are added; the monotonicity properties catch any mix-up between a
service and its neighbours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proximite.access import (
    ACCESS_COLUMNS,
    STATUS_NO_SERVICE,
    STATUS_OK,
    STATUS_UNREACHABLE,
    AccessParams,
    multi_source_search,
    nearest_service_times,
)
from proximite.network.graph import RoadGraph

TOLERANCE_MIN = 1e-9
ORACLE_SETTINGS = settings(max_examples=50, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- random graphs


@dataclass
class RandomNetwork:
    """A small directed network, as the edge list given to ``from_edges`` and as built."""

    graph: RoadGraph
    from_index: list[int]
    to_index: list[int]
    minutes: list[float]


@st.composite
def random_networks(draw: st.DrawFn, keep_largest_component: bool = False) -> RandomNetwork:
    """Directed graphs of 2-49 nodes with one-way and two-way edges.

    Edges are drawn independently, so with few of them the graph falls apart into
    several pieces and isolated nodes: unreachable nodes are the common case, not a rare
    one. Parallel edges and self-loops are allowed on purpose (``from_edges`` must keep
    the fastest and drop loops).
    """
    n_nodes = draw(st.integers(min_value=2, max_value=49))
    node = st.integers(min_value=0, max_value=n_nodes - 1)
    roads = draw(st.lists(
        st.tuples(node, node, st.floats(min_value=0.01, max_value=60.0), st.booleans()),
        min_size=1, max_size=3 * n_nodes))
    from_index: list[int] = []
    to_index: list[int] = []
    minutes: list[float] = []
    for start, end, time_min, one_way in roads:
        from_index.append(start)
        to_index.append(end)
        minutes.append(time_min)
        if not one_way:
            from_index.append(end)
            to_index.append(start)
            minutes.append(time_min)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lon = 3.5 + rng.uniform(-0.05, 0.05, n_nodes)
    lat = 44.5 + rng.uniform(-0.05, 0.05, n_nodes)
    graph = RoadGraph.from_edges(
        np.array([f"n{i}" for i in range(n_nodes)]), lon, lat,
        np.array(from_index), np.array(to_index), np.array(minutes),
        keep_largest_component=keep_largest_component)
    return RandomNetwork(graph, from_index, to_index, minutes)


def oracle_reversed_digraph(network: RandomNetwork) -> nx.DiGraph:
    """Reversed graph from the *raw* edge list: fastest parallel edge, no self-loops.

    Built independently of ``RoadGraph.matrix`` so a bug in ``from_edges`` or in
    ``reversed_matrix`` would show up as a disagreement.
    """
    reversed_graph = nx.DiGraph()
    reversed_graph.add_nodes_from(range(len(network.graph.node_ids)))
    for start, end, time_min in zip(network.from_index, network.to_index, network.minutes,
                                    strict=True):
        if start == end:
            continue
        previous = reversed_graph.get_edge_data(end, start, default={"weight": math.inf})
        if time_min < previous["weight"]:
            reversed_graph.add_edge(end, start, weight=time_min)
    return reversed_graph


def oracle_times_with_offsets(reversed_graph: nx.DiGraph, source_nodes: list[int],
                              offsets_min: list[float]) -> dict[int, float]:
    """networkx multi-source Dijkstra where each source starts at its own offset.

    A super-source with one edge per source (weight = offset, the smallest one when a
    node is listed twice) turns the offsets into ordinary edge weights.
    """
    with_super = reversed_graph.copy()
    super_source = "super-source"
    for node, offset in zip(source_nodes, offsets_min, strict=True):
        previous = with_super.get_edge_data(super_source, node, default={"weight": math.inf})
        if offset < previous["weight"]:
            with_super.add_edge(super_source, node, weight=offset)
    lengths = nx.multi_source_dijkstra_path_length(with_super, {super_source})
    lengths.pop(super_source)
    return lengths


@st.composite
def networks_with_sources(draw: st.DrawFn) -> tuple[RandomNetwork, list[int], list[float]]:
    """A random network with 1-6 sources (possibly repeated) and offsets (possibly 0)."""
    network = draw(random_networks())
    n_nodes = network.graph.n_nodes
    sources = draw(st.lists(st.integers(0, n_nodes - 1), min_size=1, max_size=6))
    offsets = draw(st.lists(
        st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=30.0)),
        min_size=len(sources), max_size=len(sources)))
    return network, sources, offsets


# ------------------------------------------------------------------ multi_source_search


@ORACLE_SETTINGS
@given(networks_with_sources())
def test_multi_source_search_matches_networkx(
    case: tuple[RandomNetwork, list[int], list[float]],
) -> None:
    network, sources, offsets = case
    n_nodes = network.graph.n_nodes
    time_min, root_node = multi_source_search(
        network.graph.reversed_matrix(), np.array(sources), np.array(offsets))
    reversed_graph = oracle_reversed_digraph(network)
    expected = oracle_times_with_offsets(reversed_graph, sources, offsets)

    assert time_min.shape == root_node.shape == (n_nodes,)
    for node in range(n_nodes):
        if node in expected:
            assert time_min[node] == pytest.approx(expected[node], abs=TOLERANCE_MIN)
        else:
            assert time_min[node] == math.inf
            assert root_node[node] == -1

    # The root is a source, and its own offset plus the road time from the node to the
    # root is the node's time: the root really is the nearest service.
    best_offset: dict[int, float] = {}
    for node, offset in zip(sources, offsets, strict=True):
        best_offset[node] = min(offset, best_offset.get(node, math.inf))
    reached = np.flatnonzero(np.isfinite(time_min))
    for root in np.unique(root_node[reached]):
        assert int(root) in best_offset
        road_time = nx.single_source_dijkstra_path_length(reversed_graph, int(root))
        for node in reached[root_node[reached] == root]:
            assert best_offset[int(root)] + road_time[int(node)] == pytest.approx(
                time_min[node], abs=TOLERANCE_MIN)


@ORACLE_SETTINGS
@given(random_networks(), st.data())
def test_zero_offsets_match_plain_multi_source_dijkstra(
    network: RandomNetwork, data: st.DataObject,
) -> None:
    """Without offsets the result is networkx's own multi-source Dijkstra, unchanged."""
    n_nodes = network.graph.n_nodes
    sources = data.draw(st.sets(st.integers(0, n_nodes - 1), min_size=1, max_size=5))
    time_min, root_node = multi_source_search(
        network.graph.reversed_matrix(), np.array(sorted(sources)), np.zeros(len(sources)))
    expected = nx.multi_source_dijkstra_path_length(oracle_reversed_digraph(network), sources)
    reached = {int(node) for node in np.flatnonzero(np.isfinite(time_min))}
    assert reached == set(expected)
    for node, length in expected.items():
        assert time_min[node] == pytest.approx(length, abs=TOLERANCE_MIN)
    for source in sources:
        assert time_min[source] == 0.0
        assert root_node[source] == source


@settings(max_examples=15, deadline=None)
@given(random_networks(keep_largest_component=True), st.data())
def test_largest_component_reaches_every_node(
    network: RandomNetwork, data: st.DataObject,
) -> None:
    """With the largest strong component kept, no node is ever unreachable."""
    n_nodes = network.graph.n_nodes
    source = data.draw(st.integers(0, n_nodes - 1))
    time_min, root_node = multi_source_search(
        network.graph.reversed_matrix(), np.array([source]), np.array([1.5]))
    assert np.all(np.isfinite(time_min))
    assert np.all(root_node == source)


def test_unreachable_nodes_get_inf_and_no_root() -> None:
    """A one-way street and an island: the far side and the island cannot reach 0."""
    graph = RoadGraph.from_edges(
        np.array(["a", "b", "c", "island-1", "island-2"]),
        np.full(5, 3.5), np.full(5, 44.5),
        np.array([1, 0, 3]), np.array([0, 2, 4]), np.array([2.0, 3.0, 1.0]),
        keep_largest_component=False)
    time_min, root_node = multi_source_search(
        graph.reversed_matrix(), np.array([0]), np.array([0.25]))
    np.testing.assert_array_equal(time_min, [0.25, 2.25, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(root_node, [0, 0, -1, -1, -1])


# ----------------------------------------------------------------- nearest_service_times


class FixedSnapper:
    """Snapper stand-in returning hand-set (node, distance) pairs keyed by coordinates.

    It lets the hand-computed example use round snap distances instead of ones that
    depend on a map projection.
    """

    def __init__(self, snaps: dict[tuple[float, float], tuple[int, float]]) -> None:
        self.snaps = snaps

    def snap(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self.snaps[(float(x), float(y))] for x, y in zip(lon, lat, strict=True)]
        nodes = np.array([node for node, _ in pairs], dtype=np.int64)
        distances = np.array([distance for _, distance in pairs], dtype=float)
        return nodes, distances


def diamond_graph() -> RoadGraph:
    """0 -> 1 -> 3 (4 + 5 = 9 min) beats 0 -> 2 -> 3 (3 + 7 = 10 min); 4 is an island.

    The edges 1 -> 3 and 2 -> 3 are one-way: from 3 nothing leads back to 1 or 2.
    """
    return RoadGraph.from_edges(
        np.array(["n0", "n1", "n2", "n3", "n4"]),
        np.array([3.50, 3.51, 3.51, 3.52, 3.60]), np.full(5, 44.5),
        np.array([0, 1, 0, 2, 1, 2, 3]),
        np.array([1, 0, 2, 0, 3, 3, 0]),
        np.array([4.0, 4.0, 3.0, 3.0, 5.0, 7.0, 12.0]),
        keep_largest_component=False)


def test_hand_computed_travel_time_adds_both_snap_legs() -> None:
    # At the default 5 km/h: 500 m = 6 min, 250 m = 3 min, 100 m = 1.2 min.
    snapper = FixedSnapper({
        (0.0, 0.0): (0, 500.0),     # origin "home", 500 m from node 0
        (1.0, 0.0): (3, 0.0),       # origin "at-3", right on node 3
        (2.0, 0.0): (0, 2500.0),    # origin "far", beyond max_snap_m = 2000 m
        (3.0, 0.0): (4, 0.0),       # origin "island", on node 4 (no road to node 3)
        (10.0, 0.0): (3, 250.0),    # school "far-door", 250 m from node 3
        (11.0, 0.0): (3, 100.0),    # school "near-door", 100 m from node 3
        (12.0, 0.0): (2, 3000.0),   # doctor, 3 km from the network: not usable
    })
    origins = pd.DataFrame({"origin_id": ["home", "at-3", "far", "island"],
                            "lon": [0.0, 1.0, 2.0, 3.0], "lat": [0.0] * 4})
    services = pd.DataFrame({
        "service_id": ["far-door", "near-door", "doctor"],
        "category": ["school", "school", "doctor"],
        "lon": [10.0, 11.0, 12.0], "lat": [0.0] * 3,
    })
    categories = {"school": ["school"], "doctor": ["doctor"], "bakery": ["bakery"]}
    result = nearest_service_times(diamond_graph(), origins, services, categories,
                                   AccessParams(access_speed_kmh=5.0, max_snap_m=2000.0),
                                   snapper=snapper)  # type: ignore[arg-type]

    assert list(result.columns) == ACCESS_COLUMNS
    assert len(result) == len(origins) * len(categories)  # no row dropped
    assert not result.duplicated(["origin_id", "category"]).any()
    rows = result.set_index(["origin_id", "category"])

    home = rows.loc[("home", "school")]
    # 6 min walk to node 0 + 9 min drive 0 -> 1 -> 3 + 1.2 min walk from node 3 to the
    # nearer of the two doors at node 3.
    assert home["travel_time_min"] == pytest.approx(6.0 + 9.0 + 1.2, abs=1e-12)
    assert home["status"] == STATUS_OK
    assert home["nearest_service_id"] == "near-door"
    assert home["snap_distance_m"] == 500.0
    assert home["service_snap_distance_m"] == 100.0

    at_node = rows.loc[("at-3", "school")]
    assert at_node["travel_time_min"] == pytest.approx(1.2, abs=1e-12)
    assert at_node["nearest_service_id"] == "near-door"

    far = rows.loc[("far", "school")]
    assert far["status"] == STATUS_UNREACHABLE
    assert math.isnan(far["travel_time_min"])
    assert far["nearest_service_id"] == ""
    assert far["status_detail"] == "origine à 2,5 km du réseau routier (plus de 2,0 km)"

    island = rows.loc[("island", "school")]
    assert island["status"] == STATUS_UNREACHABLE
    assert math.isnan(island["travel_time_min"])
    assert island["status_detail"] == "aucun chemin routier vers un service de cette catégorie"

    bakery = result[result["category"] == "bakery"]
    assert len(bakery) == len(origins)
    assert (bakery["status"] == STATUS_NO_SERVICE).all()
    assert bakery["travel_time_min"].isna().all()
    assert (bakery["status_detail"] != "").all()

    doctor = result[result["category"] == "doctor"]
    assert (doctor["status"] == STATUS_NO_SERVICE).all()
    assert doctor["status_detail"].str.contains("tous à plus de 2\u202f000 m du réseau").all()


def test_closest_service_at_a_node_wins_whatever_the_input_order() -> None:
    snapper = FixedSnapper({(0.0, 0.0): (0, 0.0), (10.0, 0.0): (3, 250.0),
                            (11.0, 0.0): (3, 100.0)})
    origins = pd.DataFrame({"origin_id": ["home"], "lon": [0.0], "lat": [0.0]})
    services = pd.DataFrame({"service_id": ["far-door", "near-door"],
                             "category": ["school", "school"],
                             "lon": [10.0, 11.0], "lat": [0.0, 0.0]})
    for ordered in (services, services.iloc[::-1].reset_index(drop=True)):
        result = nearest_service_times(diamond_graph(), origins, ordered,
                                       {"school": ["school"]},
                                       snapper=snapper)  # type: ignore[arg-type]
        assert result.loc[0, "nearest_service_id"] == "near-door"
        assert result.loc[0, "travel_time_min"] == pytest.approx(9.0 + 1.2, abs=1e-12)


def test_real_snapper_marks_remote_origins_unreachable() -> None:
    """With the real projection, an origin ~8 km off the network is not snapped."""
    graph = diamond_graph()
    origins = pd.DataFrame({"origin_id": ["on-node", "remote"],
                            "lon": [3.50, 3.50], "lat": [44.5, 44.57]})
    services = pd.DataFrame({"service_id": ["s"], "category": ["school"],
                             "lon": [3.52], "lat": [44.5]})
    result = nearest_service_times(graph, origins, services, {"school": ["school"]})
    rows = result.set_index("origin_id")
    assert rows.loc["on-node", "status"] == STATUS_OK
    assert rows.loc["on-node", "travel_time_min"] == pytest.approx(9.0, abs=1e-6)
    assert rows.loc["remote", "status"] == STATUS_UNREACHABLE
    assert rows.loc["remote", "status_detail"].startswith("origine à 7,8 km du réseau routier")


# ------------------------------------------------------------------- monotonicity property


def nearest_by_origin(graph: RoadGraph, origins: pd.DataFrame,
                      services: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Travel time (+inf when none) and nearest service id per origin, for 'school'."""
    result = nearest_service_times(graph, origins, services, {"school": ["school"]},
                                   AccessParams(max_snap_m=50_000.0))
    assert len(result) == len(origins)
    return (result["travel_time_min"].fillna(math.inf).to_numpy(),
            result["nearest_service_id"].to_numpy())


def random_points(rng: np.random.Generator, prefix: str, count: int) -> pd.DataFrame:
    """Points scattered over (and a little beyond) the random networks' extent."""
    return pd.DataFrame({f"{prefix}_id": [f"{prefix[0]}{i}" for i in range(count)],
                         "lon": 3.5 + rng.uniform(-0.06, 0.06, count),
                         "lat": 44.5 + rng.uniform(-0.06, 0.06, count)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_networks(), st.data())
def test_closing_a_service_never_shortens_and_opening_one_never_lengthens(
    network: RandomNetwork, data: st.DataObject,
) -> None:
    graph = network.graph
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    origins = random_points(rng, "origin", data.draw(st.integers(1, 8)))
    services = random_points(rng, "service", data.draw(st.integers(2, 7)))
    services["category"] = "school"
    base = services.iloc[:-1]  # "opening" adds the last one back
    closed_id = base["service_id"].iloc[data.draw(st.integers(0, len(base) - 1))]

    base_time, base_nearest = nearest_by_origin(graph, origins, base)
    closed_time, _ = nearest_by_origin(graph, origins, base[base["service_id"] != closed_id])
    opened_time, _ = nearest_by_origin(graph, origins, services)

    assert np.all(closed_time >= base_time - TOLERANCE_MIN)
    assert np.all(opened_time <= base_time + TOLERANCE_MIN)
    # Origins that were not using the closed service do not notice the closure.
    unaffected = base_nearest != closed_id
    np.testing.assert_allclose(closed_time[unaffected], base_time[unaffected],
                               rtol=0, atol=TOLERANCE_MIN)
