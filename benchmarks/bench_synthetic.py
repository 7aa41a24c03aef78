"""National-size benchmark: a synthetic road-like graph of 20 million nodes, 25 categories.

Why: a national OSM car graph, contracted, is of the order of 20 million nodes; issue 15
asks that the observatory's own nearest-service path routes 25 categories on it in under
15 minutes on one machine, with its peak memory reported.

The graph is ``bench_nearest``'s perturbed grid widened to France's extent (a 740 km
square, ~550,000 km²) with a quarter of the grid edges removed, so the mean degree (~3
roads per node) is that of a road graph whose degree-2 chains are contracted; road classes
30/50/80 km/h, a few 110 km/h highway rows and columns, 15 % one-way streets; the largest
strong component is kept (:meth:`RoadGraph.from_edges`). Services: 25 categories whose
counts run geometrically from 10 to 20,000 (the national range: maternités to La Poste
points), placed near random nodes (up to ~300 m off the network, so their legs matter).
Origins: 35,000 by default (the communes of France; ``--origins 500000`` for a 1 km grid).

What is timed is the pipeline's own path, the functions
:func:`proximite.access.nearest_service_times` calls, phase by phase:
``prepare_access`` (snap + degree-2 contraction), the reversed matrix, then one
``category_times`` per category through ``whole_graph_search``. Graph generation is
printed apart. ``--dask-workers N`` also runs :class:`proximite.distributed.DaskAccess`
(what ``diagnostic --france`` uses) on a LocalCluster of N processes, with the origins
spread over 96 synthetic départements, and checks its table equals the single-process one.

Baseline in the same run: scipy's raw multi-source Dijkstra
(``scipy.sparse.csgraph.dijkstra(..., indices=<service nodes>, min_only=True)``) on the same
contracted reversed graph for the median-size category, without legs, nearest-service
ids or tables, then that category again through our path just after it (the machine is
shared: the two must see the same load); the ratio is ours / raw. As a check, the project's
search with zero legs must give the same times as the raw one.

Memory: peak resident set (``getrusage``) after each phase. A watchdog stops the run (exit
3) if the machine's available memory falls below ``--min-available-gb`` (default 6 GB: the
machine is shared). Build up from 1 M and 5 M nodes before a 20 M run::

    .venv/bin/python benchmarks/bench_synthetic.py --nodes 1000000
    .venv/bin/python benchmarks/bench_synthetic.py --nodes 5000000
    .venv/bin/python benchmarks/bench_synthetic.py            # 20 million nodes
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from scipy.sparse.csgraph import dijkstra

from proximite.access import (
    ACCESS_COLUMNS,
    category_times,
    multi_source_search,
    prepare_access,
    whole_graph_search,
)
from proximite.model import AccessParams
from proximite.network.graph import RoadGraph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_nearest import METRES_PER_DEGREE_LAT, synthetic_road_edges

FRANCE_SQUARE_SIDE_M = 740_000.0  # a square of France's area (~550,000 km²)
REMOVED_EDGE_SHARE = 0.25  # mean degree ~3: a road graph with its degree-2 chains contracted
HIGHWAYS_PER_AXIS = 40
MIN_SERVICES, MAX_SERVICES = 10, 20_000
MAX_OFFSET_M = 300.0  # how far a service or an origin lies off its node
TARGET_S = 15 * 60.0
SYNTHETIC_DEPARTEMENTS = 96


def log(message: str) -> None:
    """Progress line, flushed at once: the 20 M run takes many minutes."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def peak_rss_gb() -> float:
    """Peak resident set of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def watch_memory(min_available_gb: float, stop: threading.Event) -> None:
    """Stop the whole process if the shared machine runs short of memory."""
    while not stop.wait(0.5):
        available = psutil.virtual_memory().available / 1e9
        if available < min_available_gb:
            print(f"ABORT: available memory {available:.1f} GB < {min_available_gb} GB "
                  f"(peak RSS of this run {peak_rss_gb():.1f} GB)", file=sys.stderr,
                  flush=True)
            os._exit(3)


def points_near_nodes(graph: RoadGraph, count: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points, each within ``MAX_OFFSET_M`` of a random node (lon, lat)."""
    nodes = rng.integers(0, graph.n_nodes, size=count)
    lat = graph.lat[nodes]
    dlat = rng.uniform(-1, 1, count) * MAX_OFFSET_M / math.sqrt(2) / METRES_PER_DEGREE_LAT
    dlon = (rng.uniform(-1, 1, count) * MAX_OFFSET_M / math.sqrt(2)
            / (METRES_PER_DEGREE_LAT * np.cos(np.radians(lat))))
    return graph.lon[nodes] + dlon, lat + dlat


def synthetic_services(graph: RoadGraph, n_categories: int, rng: np.random.Generator
                       ) -> pd.DataFrame:
    """Services of ``n_categories`` categories, counts geometric from 10 to 20,000."""
    counts = np.geomspace(MIN_SERVICES, MAX_SERVICES, n_categories).round().astype(int)
    codes = np.repeat([f"cat{c:02d}" for c in range(n_categories)], counts)
    lon, lat = points_near_nodes(graph, len(codes), rng)
    return pd.DataFrame({"service_id": [f"s{i}" for i in range(len(codes))],
                         "category": codes, "lon": lon, "lat": lat})


def synthetic_origins(graph: RoadGraph, count: int, rng: np.random.Generator) -> pd.DataFrame:
    """Origins with a commune-like code: the département is a band of longitude, so the
    Dask path's blocks of départements are compact boxes, as real ones are."""
    lon, lat = points_near_nodes(graph, count, rng)
    edges = np.quantile(lon, np.linspace(0, 1, SYNTHETIC_DEPARTEMENTS + 1)[1:-1])
    departement = np.searchsorted(edges, lon) + 1
    codes = [f"{d:02d}{i % 1000:03d}" for i, d in enumerate(departement)]
    return pd.DataFrame({"origin_id": [f"o{i}" for i in range(count)], "code_insee": codes,
                         "lon": lon, "lat": lat})


def compare_contraction(graph: RoadGraph, rng: np.random.Generator) -> int:
    """The vectorised contraction against the former walk, same graph, same kept nodes."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from contract_reference import reference_contract_degree2
    from proximite.network.contract import contract_degree2

    keep = rng.integers(0, graph.n_nodes, 108_652)  # as many as the points snapped
    timings = []
    for label, contract in (("vectorised walk", contract_degree2),
                            ("former Python walk", reference_contract_degree2)):
        before = peak_rss_gb()
        started = time.perf_counter()
        result = contract(graph, keep)
        timings.append(time.perf_counter() - started)
        log(f"{label}: {timings[-1]:.1f} s, {result.graph.n_nodes:,} nodes; peak RSS "
            f"{before:.2f} -> {peak_rss_gb():.2f} GB")
        del result
        gc.collect()
    print(f"ratio former / vectorised: {timings[1] / timings[0]:.1f}; load average "
          + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=20_000_000,
                        help="grid nodes before the strong-component step")
    parser.add_argument("--categories", type=int, default=25)
    parser.add_argument("--origins", type=int, default=35_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--dask-workers", type=int, default=0,
                        help="also run the Dask path on N worker processes (0: skip)")
    parser.add_argument("--min-available-gb", type=float, default=6.0)
    parser.add_argument("--contraction-only", action="store_true",
                        help="only time the degree-2 contraction against its former Python "
                             "walk (tests/contract_reference.py) on the generated graph")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    threading.Thread(target=watch_memory, args=(args.min_available_gb, stop),
                     daemon=True).start()
    rng = np.random.default_rng(args.seed)
    rows: list[tuple[str, str]] = []

    log(f"generating a perturbed grid of ~{args.nodes:,} nodes over a "
        f"{FRANCE_SQUARE_SIDE_M / 1000:.0f} km square (seed {args.seed})")
    started = time.perf_counter()
    edges = synthetic_road_edges(args.nodes, rng, square_side_m=FRANCE_SQUARE_SIDE_M,
                                 removed_edge_share=REMOVED_EDGE_SHARE,
                                 highways_per_axis=HIGHWAYS_PER_AXIS)
    graph = RoadGraph.from_edges(
        np.arange(len(edges.lon)), edges.lon, edges.lat, edges.from_index, edges.to_index,
        edges.travel_time_min, description="synthetic national grid")
    del edges
    gc.collect()
    generate_s = time.perf_counter() - started
    degree = graph.n_edges / graph.n_nodes
    log(f"  {graph.n_nodes:,} nodes, {graph.n_edges:,} directed edges ({degree:.2f} per "
        f"node) in {generate_s:.1f} s; peak RSS {peak_rss_gb():.2f} GB")
    rows += [("graph generation + from_edges, apart (s)", f"{generate_s:.1f}"),
             ("nodes (largest strong component)", f"{graph.n_nodes:,}"),
             ("directed edges per node", f"{degree:.2f}"),
             ("peak RSS after generation (GB)", f"{peak_rss_gb():.2f}")]

    if args.contraction_only:
        return compare_contraction(graph, rng)

    services = synthetic_services(graph, args.categories, rng)
    origins = synthetic_origins(graph, args.origins, rng)
    counts = services["category"].value_counts().sort_index()
    categories = {code: [code] for code in counts.index}
    log(f"{len(origins):,} origins, {len(services):,} services in {len(categories)} "
        f"categories ({counts.min()}–{counts.max()} each)")
    params = AccessParams(max_snap_m=2000.0)

    # --- the pipeline's path (nearest_service_times), phase by phase
    total_started = time.perf_counter()
    started = time.perf_counter()
    prepared = prepare_access(graph, origins, services, params)
    assert prepared.routing is not None
    prepare_s = time.perf_counter() - started
    log(f"prepare_access (snap + contraction): {prepare_s:.1f} s, "
        f"{prepared.routing.n_nodes:,} nodes after contraction; peak RSS {peak_rss_gb():.2f} GB")
    started = time.perf_counter()
    reversed_matrix = prepared.routing.reversed_matrix()
    reverse_s = time.perf_counter() - started
    search = whole_graph_search(reversed_matrix)
    category_s: dict[str, float] = {}
    frames = []
    for number, (code, members) in enumerate(categories.items(), start=1):
        started = time.perf_counter()
        frames.append(category_times(prepared, code, members, search))
        category_s[code] = time.perf_counter() - started
        log(f"category {number}/{len(categories)} ({counts[code]:,} services): "
            f"{category_s[code]:.2f} s; peak RSS {peak_rss_gb():.2f} GB")
    table = pd.concat(frames, ignore_index=True)[ACCESS_COLUMNS]
    total_s = time.perf_counter() - total_started
    reached = float((table["status"] == "ok").mean())
    rows += [("prepare_access: snap + contraction (s)", f"{prepare_s:.1f}"),
             ("nodes after contraction", f"{prepared.routing.n_nodes:,}"),
             ("reversed matrix (s)", f"{reverse_s:.1f}"),
             ("category search s: mean / median / max",
              f"{statistics.fmean(category_s.values()):.2f} / "
              f"{statistics.median(category_s.values()):.2f} / {max(category_s.values()):.2f}"),
             ("access rows with a time", f"{len(table):,} rows, {reached:.1%} ok"),
             ("nearest-service path, all categories (s)", f"{total_s:.1f}"),
             ("peak RSS after the searches (GB)", f"{peak_rss_gb():.2f}")]

    # --- baseline: scipy's raw multi-source Dijkstra for the median-size category
    code = list(categories)[len(categories) // 2]
    in_cat = (prepared.service_categories == code) & prepared.services.on_network
    nodes = np.unique(prepared.services.node[in_cat])
    # timed back to back with the same category again, so both see the same load
    started = time.perf_counter()
    raw = dijkstra(reversed_matrix, directed=True, indices=nodes, min_only=True)
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    category_times(prepared, code, categories[code], search)
    again_s = time.perf_counter() - started
    ours, _ = multi_source_search(reversed_matrix, nodes, np.zeros(len(nodes)))
    same = bool(np.array_equal(ours, raw))
    ratio = again_s / raw_s
    log(f"scipy dijkstra min_only, {code} ({len(nodes):,} nodes): {raw_s:.2f} s; "
        f"ours again {again_s:.2f} s, ratio {ratio:.2f}; zero-leg times equal: {same}")
    rows += [(f"baseline scipy min_only, {code} (s)", f"{raw_s:.2f}"),
             (f"ours again, {code}, just after (s)", f"{again_s:.2f}"),
             (f"ratio ours / baseline, {code}", f"{ratio:.2f}"),
             ("zero-leg times identical to scipy", "yes" if same else "NO")]
    del raw, ours

    if args.dask_workers:
        from proximite.distributed import DaskAccess

        with tempfile.TemporaryDirectory() as work:
            runner = DaskAccess(workers=args.dask_workers, work_dir=Path(work),
                                memory_limit="6GiB")
            started = time.perf_counter()
            try:
                dask_table = runner(graph, origins, services, categories, params)
            finally:
                runner.close()
            dask_s = time.perf_counter() - started
        equal = dask_table.equals(table)
        memory = ", ".join(f"{mb:,.0f} MB" for mb in runner.worker_memory_mb.values())
        log(f"Dask, {args.dask_workers} workers: {dask_s:.1f} s ({runner.computed} tasks), "
            f"table identical: {equal}; workers' memory {memory}")
        rows += [(f"Dask path, {args.dask_workers} workers, with its prepare_access (s)",
                  f"{dask_s:.1f}"),
                 ("Dask table identical", "yes" if equal else "NO"),
                 ("Dask workers' resident memory", memory)]
    stop.set()

    rows.append(("load average (1, 5, 15 min)",
                 " ".join(f"{v:.1f}" for v in os.getloadavg())))
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    verdict = "PASS" if total_s < TARGET_S else "FAIL"
    print(f"target: all categories in < {TARGET_S / 60:.0f} min: {verdict}")
    ok = same and (not args.dask_workers or equal)
    return 0 if ok and total_s < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
