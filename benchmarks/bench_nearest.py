"""Benchmark of the nearest-service search on a synthetic, road-like graph.

Why this exists: a département-scale car network has on the order of a million nodes, and
the observatory runs one search per service category (about twenty). The target is that
one category costs at most about one second per million nodes, so a whole département is
routed in well under a minute. The script also runs networkx on the same reversed graph in
the same process, both as an independent check of the times and as a yardstick.

The graph is a perturbed 2-D grid in a ~100 km square around 3.5E 44.5N: roughly the
degree, edge-length spread and one-way share of a real rural road network, without needing
any download. Run, for example::

    .venv/bin/python benchmarks/bench_nearest.py --nodes 1000000 --categories 20
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from proximite.access import multi_source_search
from proximite.network.graph import RoadGraph

CENTRE_LON = 3.5
CENTRE_LAT = 44.5
SQUARE_SIDE_M = 100_000.0
METRES_PER_DEGREE_LAT = 111_320.0
# Ordinary road classes (km/h) and how often each occurs off the highway rows/columns.
ROAD_SPEEDS_KMH = np.array([30.0, 50.0, 80.0])
ROAD_SPEED_SHARES = np.array([0.5, 0.35, 0.15])
HIGHWAY_SPEED_KMH = 110.0
HIGHWAY_COUNT_PER_AXIS = 8
REMOVED_EDGE_SHARE = 0.10
ONE_WAY_SHARE = 0.15
MAX_SERVICE_OFFSET_MIN = 15.0  # off-network leg of a service: up to ~1.2 km on foot
TARGET_SECONDS_PER_CATEGORY_PER_MILLION_NODES = 1.0


def log(message: str) -> None:
    """Progress line, flushed at once: the full run takes minutes."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class SyntheticEdges:
    """Directed edge arrays ready for :meth:`RoadGraph.from_edges`."""

    lon: np.ndarray
    lat: np.ndarray
    from_index: np.ndarray
    to_index: np.ndarray
    travel_time_min: np.ndarray


def synthetic_road_edges(n_nodes: int, rng: np.random.Generator, *,
                         square_side_m: float = SQUARE_SIDE_M,
                         removed_edge_share: float = REMOVED_EDGE_SHARE,
                         highways_per_axis: int = HIGHWAY_COUNT_PER_AXIS) -> SyntheticEdges:
    """Perturbed grid with road classes, a few highways, gaps and one-way streets.

    Gaps (removed edges) and one-way edges are what make the strong-component step and the
    reversed search matter; highways make shortest paths leave the grid's Manhattan
    geometry, as real fast roads do. ``benchmarks/bench_synthetic.py`` widens the square
    to France's size and removes more edges (a contracted road graph's degree).
    """
    side = max(2, round(math.sqrt(n_nodes)))
    spacing_m = square_side_m / (side - 1)
    row, col = np.divmod(np.arange(side * side, dtype=np.int64), side)
    x_m = col * spacing_m + rng.uniform(-0.3, 0.3, side * side) * spacing_m
    y_m = row * spacing_m + rng.uniform(-0.3, 0.3, side * side) * spacing_m
    metres_per_degree_lon = METRES_PER_DEGREE_LAT * math.cos(math.radians(CENTRE_LAT))
    lon = CENTRE_LON + (x_m - square_side_m / 2) / metres_per_degree_lon
    lat = CENTRE_LAT + (y_m - square_side_m / 2) / METRES_PER_DEGREE_LAT
    del row, col

    grid = np.arange(side * side, dtype=np.int64).reshape(side, side)
    highway_lines = np.unique(np.linspace(0, side - 1, highways_per_axis).round()
                              .astype(np.int64))
    is_highway_line = np.zeros(side, dtype=bool)
    is_highway_line[highway_lines] = True
    # Horizontal edges run along a row, vertical ones along a column.
    horizontal_a, horizontal_b = grid[:, :-1].ravel(), grid[:, 1:].ravel()
    vertical_a, vertical_b = grid[:-1, :].ravel(), grid[1:, :].ravel()
    horizontal_highway = np.repeat(is_highway_line, side - 1)
    vertical_highway = np.tile(is_highway_line, side - 1)
    end_a = np.concatenate([horizontal_a, vertical_a])
    end_b = np.concatenate([horizontal_b, vertical_b])
    highway = np.concatenate([horizontal_highway, vertical_highway])
    del grid, horizontal_a, horizontal_b, vertical_a, vertical_b

    kept = highway | (rng.random(len(end_a)) >= removed_edge_share)
    end_a, end_b, highway = end_a[kept], end_b[kept], highway[kept]
    detour = rng.uniform(1.0, 1.3, len(end_a))  # roads are not straight lines
    length_m = np.hypot(x_m[end_a] - x_m[end_b], y_m[end_a] - y_m[end_b]) * detour
    speed_kmh = rng.choice(ROAD_SPEEDS_KMH, size=len(end_a), p=ROAD_SPEED_SHARES)
    speed_kmh[highway] = HIGHWAY_SPEED_KMH
    minutes = length_m / 1000.0 / speed_kmh * 60.0
    del length_m, speed_kmh, detour, x_m, y_m

    one_way = ~highway & (rng.random(len(end_a)) < ONE_WAY_SHARE)
    flip = one_way & (rng.random(len(end_a)) < 0.5)  # one-way in either direction
    start = np.where(flip, end_b, end_a)
    end = np.where(flip, end_a, end_b)
    two_way = ~one_way
    return SyntheticEdges(
        lon=lon,
        lat=lat,
        from_index=np.concatenate([start, end[two_way]]),
        to_index=np.concatenate([end, start[two_way]]),
        travel_time_min=np.concatenate([minutes, minutes[two_way]]),
    )


def networkx_reversed_graph(reversed_matrix: sp.csr_matrix):  # type: ignore[no-untyped-def]
    """The same reversed graph as a networkx DiGraph (plain Python ints and floats)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(reversed_matrix.shape[0]))
    coo = reversed_matrix.tocoo()
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(),
                                      strict=True))
    return graph


def networkx_times(graph, n_nodes: int, source_nodes: np.ndarray,  # type: ignore[no-untyped-def]
                   offsets_min: np.ndarray) -> np.ndarray:
    """Multi-source Dijkstra with per-source offsets, through a temporary super-source.

    networkx's multi-source search has no per-source offset, so a super-source node with
    one edge (weight = offset) to each service stands in for it, as in proximite.
    """
    import networkx as nx

    super_source = n_nodes
    graph.add_weighted_edges_from(
        (super_source, int(node), float(offset))
        for node, offset in zip(source_nodes, offsets_min, strict=True))
    try:
        lengths = nx.multi_source_dijkstra_path_length(graph, {super_source})
    finally:
        graph.remove_node(super_source)
    times = np.full(n_nodes, np.inf)
    del lengths[super_source]
    times[np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))] = np.fromiter(
        lengths.values(), dtype=np.float64, count=len(lengths))
    return times


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000,
                        help="approximate node count before the strong-component step")
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--services-per-category", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--networkx-categories", type=int, default=1,
                        help="categories also routed with networkx (0 to skip networkx)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)

    log(f"generating a perturbed grid of ~{args.nodes:,} nodes (seed {args.seed})")
    started = time.perf_counter()
    edges = synthetic_road_edges(args.nodes, rng)
    generate_s = time.perf_counter() - started
    log(f"  {len(edges.lon):,} nodes, {len(edges.from_index):,} directed edges "
        f"in {generate_s:.2f} s")

    log("building RoadGraph.from_edges (largest strong component kept)")
    started = time.perf_counter()
    graph = RoadGraph.from_edges(
        np.arange(len(edges.lon)), edges.lon, edges.lat, edges.from_index, edges.to_index,
        edges.travel_time_min, description="synthetic grid")
    build_s = time.perf_counter() - started
    del edges
    gc.collect()
    log(f"  {graph.n_nodes:,} nodes, {graph.n_edges:,} edges in {build_s:.2f} s")
    for warning in graph.warnings:
        log(f"  warning: {warning}")

    started = time.perf_counter()
    reversed_matrix = graph.reversed_matrix()
    reverse_s = time.perf_counter() - started
    log(f"reversed matrix in {reverse_s:.2f} s")

    n_nodes = graph.n_nodes
    k = min(args.services_per_category, n_nodes)
    categories = [
        (rng.choice(n_nodes, size=k, replace=False),
         rng.uniform(0.0, MAX_SERVICE_OFFSET_MIN, size=k))
        for _ in range(args.categories)
    ]
    n_checked = min(args.networkx_categories, args.categories)
    kept_times: list[np.ndarray] = []
    category_s: list[float] = []
    for number, (source_nodes, offsets) in enumerate(categories, start=1):
        started = time.perf_counter()
        times, root = multi_source_search(reversed_matrix, source_nodes, offsets)
        category_s.append(time.perf_counter() - started)
        reached = int(np.isfinite(times).sum())
        log(f"proximite category {number}/{args.categories}: {category_s[-1]:.3f} s, "
            f"{reached:,} nodes reached, max time {np.max(times[np.isfinite(times)]):.1f} min")
        if number <= n_checked:
            kept_times.append(times)
        del root

    networkx_build_s = math.nan
    networkx_s: list[float] = []
    max_abs_diff = math.nan
    same_reach = True
    if n_checked:
        log("building the networkx DiGraph of the reversed graph (slow, memory-hungry)")
        started = time.perf_counter()
        nx_graph = networkx_reversed_graph(reversed_matrix)
        networkx_build_s = time.perf_counter() - started
        log(f"  networkx graph in {networkx_build_s:.1f} s")
        diffs = []
        for number in range(n_checked):
            source_nodes, offsets = categories[number]
            started = time.perf_counter()
            nx_times = networkx_times(nx_graph, n_nodes, source_nodes, offsets)
            networkx_s.append(time.perf_counter() - started)
            ours = kept_times[number]
            finite = np.isfinite(ours)
            same_reach &= bool(np.array_equal(finite, np.isfinite(nx_times)))
            diffs.append(float(np.max(np.abs(ours[finite] - nx_times[finite]), initial=0.0)))
            log(f"networkx category {number + 1}/{n_checked}: {networkx_s[-1]:.2f} s, "
                f"max abs diff {diffs[-1]:.3g} min")
        max_abs_diff = max(diffs)
        del nx_graph

    millions = n_nodes / 1e6
    mean_s = statistics.fmean(category_s)
    per_million = mean_s / millions
    rows = [
        ("synthetic edges generated (s)", f"{generate_s:.2f}"),
        ("graph build, from_edges + SCC (s)", f"{build_s:.2f}"),
        ("reversed matrix (s)", f"{reverse_s:.2f}"),
        ("nodes", f"{n_nodes:,}"),
        ("edges", f"{graph.n_edges:,}"),
        ("categories x services", f"{args.categories} x {k}"),
        ("proximite s/category mean", f"{mean_s:.3f}"),
        ("proximite s/category median", f"{statistics.median(category_s):.3f}"),
        ("proximite s/category max", f"{max(category_s):.3f}"),
        ("proximite s/category/million nodes", f"{per_million:.3f}"),
    ]
    if n_checked:
        nx_mean = statistics.fmean(networkx_s)
        rows += [
            ("networkx graph build (s)", f"{networkx_build_s:.1f}"),
            ("networkx s/category mean", f"{nx_mean:.3f} (over {n_checked})"),
            ("ratio networkx / proximite", f"{nx_mean / mean_s:.1f}"),
            ("same reached nodes", "yes" if same_reach else "NO"),
            ("max abs diff vs networkx (min)", f"{max_abs_diff:.3g}"),
        ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    verdict = ("PASS" if per_million <= TARGET_SECONDS_PER_CATEGORY_PER_MILLION_NODES
               else "FAIL")
    print(f"target: <= {TARGET_SECONDS_PER_CATEGORY_PER_MILLION_NODES:g} s per category per "
          f"million nodes: {verdict}")
    agrees = not n_checked or (same_reach and max_abs_diff <= 1e-6)
    if not agrees:
        print("networkx check: MISMATCH", file=sys.stderr)
    return 0 if agrees else 1


if __name__ == "__main__":
    raise SystemExit(main())
