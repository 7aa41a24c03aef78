"""Tests of :func:`proximite.analysis.bounded.bounded_travel_times`.

Why: the bounded search trades exactness for memory in three places (a search limit
shared by a batch, only the origins' columns kept, legs added afterwards); each could drop
a pair at the edge of the cutoff or mix up the direction. A full, unbounded Dijkstra over
every service is the brute-force oracle; the nearest pair must agree with
:func:`proximite.access.nearest_service_times`; the hand example fixes the direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from proximite.access import AccessParams, nearest_service_times
from proximite.analysis.bounded import (
    BOUNDED_COLUMNS,
    bounded_times_from,
    bounded_travel_times,
)
from proximite.errors import ProximiteError
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# 60 km/h off the network: 1 min per km, so legs matter but do not swamp the road times.
PARAMS = AccessParams(access_speed_kmh=60.0, max_snap_m=1500.0)


def random_case(seed: int, n_nodes: int, n_origins: int, n_services: int
                ) -> tuple[RoadGraph, pd.DataFrame, pd.DataFrame]:
    """A random directed graph (often not strongly connected) and points scattered on it."""
    rng = np.random.default_rng(seed)
    n_edges = int(rng.integers(n_nodes, 4 * n_nodes))
    start = rng.integers(0, n_nodes, n_edges)
    end = rng.integers(0, n_nodes, n_edges)
    minutes = rng.uniform(0.2, 8.0, n_edges)
    lon = 3.5 + rng.uniform(-0.1, 0.1, n_nodes)
    lat = 44.5 + rng.uniform(-0.1, 0.1, n_nodes)
    graph = RoadGraph.from_edges(np.arange(n_nodes), lon, lat, start, end, minutes,
                                 keep_largest_component=False)

    def points(count: int) -> tuple[np.ndarray, np.ndarray]:
        # Near the graph, a few far enough (> 1.5 km) to be off the network.
        near = rng.integers(0, n_nodes, count)
        spread = np.where(rng.uniform(size=count) < 0.15, 0.05, 0.006)
        return (lon[near] + rng.uniform(-1, 1, count) * spread,
                lat[near] + rng.uniform(-1, 1, count) * spread)

    o_lon, o_lat = points(n_origins)
    s_lon, s_lat = points(n_services)
    origins = pd.DataFrame({"origin_id": [f"o{i}" for i in range(n_origins)],
                            "lon": o_lon, "lat": o_lat})
    services = pd.DataFrame({"service_id": [f"s{j}" for j in range(n_services)],
                             "category": "gp", "lon": s_lon, "lat": s_lat})
    return graph, origins, services


def brute_force_pairs(graph: RoadGraph, origins: pd.DataFrame, services: pd.DataFrame,
                      cutoff: float, params: AccessParams) -> pd.DataFrame:
    """Unbounded Dijkstra from every service node on the reversed graph, then filter."""
    snapper = Snapper(graph)
    o_node, o_dist = snapper.snap(origins["lon"].to_numpy(), origins["lat"].to_numpy())
    s_node, s_dist = snapper.snap(services["lon"].to_numpy(), services["lat"].to_numpy())
    road = dijkstra(graph.reversed_matrix(), directed=True, indices=s_node)  # services × nodes
    rows = []
    for j, service_id in enumerate(services["service_id"]):
        if s_dist[j] > params.max_snap_m:
            continue
        s_leg = float(params.leg_minutes(s_dist[j]))
        for i, origin_id in enumerate(origins["origin_id"]):
            if o_dist[i] > params.max_snap_m:
                continue
            total = (s_leg + road[j, o_node[i]]) + float(params.leg_minutes(o_dist[i]))
            if total <= cutoff:
                rows.append((origin_id, service_id, total))
    return pd.DataFrame(rows, columns=BOUNDED_COLUMNS)


def as_sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["origin_id", "service_id"]).reset_index(drop=True)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 40),
       n_origins=st.integers(1, 25), n_services=st.integers(1, 15),
       cutoff=st.floats(0.5, 25.0), batch_size=st.sampled_from([1, 3, 64]))
def test_equals_brute_force(seed: int, n_nodes: int, n_origins: int, n_services: int,
                            cutoff: float, batch_size: int) -> None:
    graph, origins, services = random_case(seed, n_nodes, n_origins, n_services)
    result = bounded_travel_times(graph, origins, services, cutoff, PARAMS,
                                  batch_size=batch_size)
    expected = brute_force_pairs(graph, origins, services, cutoff, PARAMS)
    assert list(result.columns) == BOUNDED_COLUMNS
    assert not result.duplicated(["origin_id", "service_id"]).any()
    pd.testing.assert_frame_equal(as_sorted(result), as_sorted(expected),
                                  check_exact=False, rtol=1e-12, atol=1e-9,
                                  check_dtype=False)
    snapper = Snapper(graph)
    _, o_dist = snapper.snap(origins["lon"].to_numpy(), origins["lat"].to_numpy())
    _, s_dist = snapper.snap(services["lon"].to_numpy(), services["lat"].to_numpy())
    assert result.attrs["excluded_origin_ids"] == list(
        origins["origin_id"][o_dist > PARAMS.max_snap_m])
    assert result.attrs["excluded_service_ids"] == list(
        services["service_id"][s_dist > PARAMS.max_snap_m])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 40),
       n_origins=st.integers(1, 25), n_services=st.integers(1, 15),
       cutoff=st.floats(0.5, 25.0))
def test_nearest_pair_matches_nearest_service_times(seed: int, n_nodes: int, n_origins: int,
                                                     n_services: int, cutoff: float) -> None:
    graph, origins, services = random_case(seed, n_nodes, n_origins, n_services)
    result = bounded_travel_times(graph, origins, services, cutoff, PARAMS, batch_size=4)
    nearest = nearest_service_times(graph, origins, services, {"gp": ["gp"]}, PARAMS)
    nearest = nearest.set_index("origin_id")["travel_time_min"]
    best = result.groupby("origin_id")["travel_time_min"].min()
    within = nearest[nearest <= cutoff]
    assert set(best.index) == set(within.index)
    np.testing.assert_allclose(best.reindex(within.index), within, rtol=1e-12, atol=1e-9)
    # Rows come sorted by origin (input order), then time: the first row is the nearest.
    first = result.groupby("origin_id", sort=False).head(1).set_index("origin_id")
    np.testing.assert_array_equal(first["travel_time_min"], best.reindex(first.index))


def hand_graph() -> RoadGraph:
    """A -> B 4 min, B -> C 3 min, C -> A 10 min, B -> A 2 min (one-way streets).

    Nodes 0.05° apart in longitude (~4 km at 44.5°N), far from each other compared with
    the snap distances used below.
    """
    lon = np.array([3.50, 3.55, 3.60])
    lat = np.array([44.5, 44.5, 44.5])
    return RoadGraph.from_edges(np.array(["A", "B", "C"]), lon, lat,
                                np.array([0, 1, 2, 1]), np.array([1, 2, 0, 0]),
                                np.array([4.0, 3.0, 10.0, 2.0]),
                                keep_largest_component=False)


def test_hand_example() -> None:
    graph = hand_graph()
    origins = pd.DataFrame({"origin_id": [1, 2, 3],
                            "lon": [3.50, 3.60, 8.0], "lat": [44.5, 44.5, 44.5]})
    services = pd.DataFrame({"service_id": ["at_B", "at_C", "far"],
                             "lon": [3.55, 3.60, 3.55], "lat": [44.5, 44.5, 45.5]})
    params = AccessParams(access_speed_kmh=60.0, max_snap_m=500.0)
    result = bounded_travel_times(graph, origins, services, 8.0, params, batch_size=1)
    # Origin 1 (at A): A -> B 4, A -> B -> C 7. Origin 2 (at C): C itself 0; C -> A -> B
    # is 14 > 8. Origin 3 and service "far" are off the network.
    assert list(result["origin_id"]) == [1, 1, 2]
    assert list(result["service_id"]) == ["at_B", "at_C", "at_C"]
    np.testing.assert_allclose(result["travel_time_min"], [4.0, 7.0, 0.0], atol=1e-6)
    assert result.attrs["excluded_origin_ids"] == [3]
    assert result.attrs["excluded_service_ids"] == ["far"]
    tight = bounded_travel_times(graph, origins, services, 6.0, params)
    assert list(zip(tight["origin_id"], tight["service_id"], strict=True)) == [
        (1, "at_B"), (2, "at_C")]


def test_hand_example_with_legs() -> None:
    """An origin ~1.1 km north of A pays its leg at 60 km/h on top of the road."""
    graph = hand_graph()
    origins = pd.DataFrame({"origin_id": ["north_of_A"], "lon": [3.50], "lat": [44.51]})
    services = pd.DataFrame({"service_id": ["at_B"], "lon": [3.55], "lat": [44.5]})
    params = AccessParams(access_speed_kmh=60.0, max_snap_m=2000.0)
    _, distance_m = Snapper(graph).snap(np.array([3.50]), np.array([44.51]))
    leg_min = distance_m[0] / 1000.0  # 1 min per km at 60 km/h
    assert 1.0 < leg_min < 1.2
    result = bounded_travel_times(graph, origins, services, 6.0, params)
    assert result["travel_time_min"].tolist() == pytest.approx([4.0 + leg_min])
    assert bounded_travel_times(graph, origins, services, 4.0 + leg_min - 1e-6, params).empty


def test_bad_cutoff_and_empty_inputs() -> None:
    graph = hand_graph()
    origins = pd.DataFrame({"origin_id": [1], "lon": [3.50], "lat": [44.5]})
    services = pd.DataFrame({"service_id": ["x"], "lon": [3.55], "lat": [44.5]})
    for cutoff in (0, -1.0, float("nan")):
        with pytest.raises(ProximiteError, match="cutoff_min .* : attendu un temps limite > 0 min"):
            bounded_travel_times(graph, origins, services, cutoff)
    with pytest.raises(ProximiteError, match="origines : colonne"):
        bounded_travel_times(graph, origins.drop(columns="lat"), services, 5.0)
    empty = bounded_travel_times(graph, origins, services.iloc[:0], 5.0)
    assert empty.empty and list(empty.columns) == BOUNDED_COLUMNS


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_nodes=st.integers(2, 40),
       n_origins=st.integers(1, 10), n_services=st.integers(1, 15),
       cutoff=st.floats(0.5, 25.0))
def test_forward_search_from_one_origin_equals_brute_force(
        seed: int, n_nodes: int, n_origins: int, n_services: int, cutoff: float) -> None:
    # bounded_times_from: the géoportail's search on request, one forward Dijkstra from
    # the origin; the same pairs and times as the search from every service
    graph, origins, services = random_case(seed, n_nodes, n_origins, n_services)
    expected = brute_force_pairs(graph, origins, services, cutoff, PARAMS)
    snapper = Snapper(graph)
    o_node, o_dist = snapper.snap(origins["lon"].to_numpy(), origins["lat"].to_numpy())
    s_node, s_dist = snapper.snap(services["lon"].to_numpy(), services["lat"].to_numpy())
    on = s_dist <= PARAMS.max_snap_m
    rows = []
    for i, origin_id in enumerate(origins["origin_id"]):
        if o_dist[i] > PARAMS.max_snap_m:
            continue
        times = bounded_times_from(graph, int(o_node[i]), float(PARAMS.leg_minutes(o_dist[i])),
                                   s_node[on], PARAMS.leg_minutes(s_dist[on]), cutoff)
        assert np.all(np.isinf(times) | (times <= cutoff))
        rows += [(origin_id, service_id, t) for service_id, t
                 in zip(services["service_id"][on], times, strict=True) if np.isfinite(t)]
    got = pd.DataFrame(rows, columns=BOUNDED_COLUMNS)
    pd.testing.assert_frame_equal(as_sorted(got), as_sorted(expected), check_exact=False,
                                  rtol=1e-12, atol=1e-9, check_dtype=False)
