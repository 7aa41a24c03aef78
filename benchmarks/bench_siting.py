"""Benchmark of the siting models: 5,000 demand points × 500 candidates, 30-min coverage.

Why: a département-scale study (every commune or IRIS as demand, every town hall as a
candidate) must solve in an interactive time. The graph is a synthetic road-like one: a
perturbed ~50k-node grid (500 m spacing, 10 % of streets missing, mixed speeds). Prints
the cost-matrix time, the LSCP and MCLP (k = 20) solve times with CBC, their gaps, and
"target < 60 s: PASS/FAIL" (matrix + both solves).

Run: ``.venv/bin/python benchmarks/bench_siting.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from proximite.access import AccessParams
from proximite.io.solver import cbc_with_log
from proximite.network.graph import RoadGraph
from proximite.planning.siting import (
    Candidates,
    coverage_matrix_on_graph,
    solve_lscp,
    solve_mclp,
)

SIDE = 224  # 224² = 50,176 nodes
SPACING_M = 500.0
N_DEMAND = 5_000
N_CANDIDATES = 500
CUTOFF_MIN = 30.0
K_NEW = 20
K_SMALL = 10  # informative: fewer sites than the LSCP needs, so coverage is partial
TARGET_S = 60.0


def road_like_graph(seed: int = 1) -> RoadGraph:
    """A perturbed grid: jittered nodes, missing streets, speeds 30/50/80 km/h."""
    rng = np.random.default_rng(seed)
    row, col = np.divmod(np.arange(SIDE * SIDE), SIDE)
    x = col * SPACING_M + rng.normal(0, 80, row.size)
    y = row * SPACING_M + rng.normal(0, 80, row.size)
    lat = 44.0 + y / 111_000.0
    lon = 3.0 + x / (111_000.0 * np.cos(np.radians(44.5)))
    right = np.flatnonzero(col < SIDE - 1)
    up = np.flatnonzero(row < SIDE - 1)
    start = np.concatenate([right, up])
    end = np.concatenate([right + 1, up + SIDE])
    keep = rng.uniform(size=start.size) > 0.10
    start, end = start[keep], end[keep]
    length_m = np.hypot(x[end] - x[start], y[end] - y[start])
    speed = rng.choice([30.0, 50.0, 80.0], size=start.size, p=[0.5, 0.35, 0.15])
    minutes = length_m / 1000.0 / speed * 60.0
    return RoadGraph.from_edges(
        np.arange(row.size), lon, lat, np.concatenate([start, end]),
        np.concatenate([end, start]), np.concatenate([minutes, minutes]),
        description="grille perturbée synthétique")


def main() -> None:
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    graph = road_like_graph()
    build_s = time.perf_counter() - start
    nodes = rng.choice(graph.n_nodes, N_DEMAND + N_CANDIDATES, replace=False)
    jitter = rng.normal(0, 0.0005, (nodes.size, 2))
    lon, lat = graph.lon[nodes] + jitter[:, 0], graph.lat[nodes] + jitter[:, 1]
    demand = pd.DataFrame({
        "origin_id": [f"o{i}" for i in range(N_DEMAND)],
        "lon": lon[:N_DEMAND], "lat": lat[:N_DEMAND],
        "population": np.round(rng.lognormal(5.5, 1.2, N_DEMAND))})
    candidates = Candidates(pd.DataFrame({
        "candidate_id": [f"c{j}" for j in range(N_CANDIDATES)],
        "lon": lon[N_DEMAND:], "lat": lat[N_DEMAND:], "name": "mairie"}))
    params = AccessParams(access_speed_kmh=30.0, max_snap_m=2000.0)

    start = time.perf_counter()
    matrix = coverage_matrix_on_graph(graph, demand, candidates, CUTOFF_MIN, params)
    matrix_s = time.perf_counter() - start
    print(f"graphe : {graph.n_nodes} nœuds, {graph.n_edges} arcs ({build_s:.1f} s)")
    print(f"matrice {matrix.shape[0]} × {matrix.shape[1]} à {CUTOFF_MIN:g} min : "
          f"{len(matrix.time_min)} paires couvrantes en {matrix_s:.1f} s")

    start = time.perf_counter()
    lscp = solve_lscp(matrix, uncoverable="report", solver=cbc_with_log)
    lscp_s = time.perf_counter() - start
    start = time.perf_counter()
    mclp = solve_mclp(matrix, K_NEW, solver=cbc_with_log)
    mclp_s = time.perf_counter() - start
    for result, wall in ((lscp, lscp_s), (mclp, mclp_s)):
        gap = "n/a" if result.gap_rel is None else f"{result.gap_rel:.4%}"
        print(f"{result.model} : {len(result.selected)} sites, objectif {result.objective:,.0f}, "
              f"couverture {result.covered_share:.1%}, statut {result.status}, "
              f"écart {gap} ({result.gap_source}), CBC {result.solve_time_s:.1f} s, "
              f"total modèle {wall:.1f} s")
        for warning in result.warnings:
            print("  avertissement :", warning[:200])
    total = matrix_s + lscp_s + mclp_s
    verdict = "PASS" if total < TARGET_S else "FAIL"
    print(f"total matrice + LSCP + MCLP : {total:.1f} s — target < {TARGET_S:g} s: {verdict}")
    small = solve_mclp(matrix, K_SMALL, solver=cbc_with_log)
    gap = "n/a" if small.gap_rel is None else f"{small.gap_rel:.4%}"
    print(f"(hors cible) MCLP k={K_SMALL} : couverture {small.covered_share:.1%}, statut "
          f"{small.status}, écart {gap} ({small.gap_source}), CBC {small.solve_time_s:.1f} s")


if __name__ == "__main__":
    main()
