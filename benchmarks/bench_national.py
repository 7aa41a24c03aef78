"""Benchmark of the national run: every commune of France, as ``diagnostic --france`` runs it.

Targets (issue 15): the national run of the shipped national categories under 5 minutes
on 2 cores, wall time and peak memory reported; 1 and 2 Dask workers on the same run,
speed-up reported. Each configuration is one whole run in a fresh Python process (so its
peak memory is its own, and it pays its imports and the cluster start as a user does):
reading the shipped national inputs, the diagnostic, the national tables, writing the
GeoPackage, the CSV tables and the maps into a temporary folder. Configurations: the
nearest-service times in the main process, then on a ``LocalCluster`` of 1 and of 2 worker
processes (fresh work folders: nothing reused). It prints the wall time of every step,
the peak resident memory of the main process and of each worker, the load average
around each run (other jobs share the cores), checks that the three access tables are
identical, and gives the 1 -> 2 workers speed-up as ratios in the same run. Run::

    .venv/bin/python benchmarks/bench_national.py [--only single|1|2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGURATIONS = ("single", "1", "2")


def one_run(configuration: str, folder: Path) -> dict[str, object]:
    """The whole national run, in this process; its figures as a dict."""
    start = time.perf_counter()
    load_before = os.getloadavg()
    from proximite.analysis.national import NationalResult
    from proximite.distributed import DaskAccess
    from proximite.outputs import write_output_files
    from proximite.outputs_france import write_national_files
    from proximite.pipeline import run_national
    from proximite.settings import Settings

    settings = Settings()
    imports_s = time.perf_counter() - start
    runner = None
    if configuration != "single":
        national = settings.national
        runner = DaskAccess(departements_per_block=national.departements_per_block,
                            margin_m=national.block_margin_km * 1000,
                            work_dir=folder / "travail", workers=int(configuration),
                            memory_limit=national.memory_limit)
        runner.start()  # as the CLI does: the workers start while the inputs are read
    try:
        result: NationalResult = run_national(settings, access_times=runner)
    finally:
        if runner is not None:
            runner.close()
    timings = {"imports": imports_s, **result.result.timings_s}
    out = folder / "out"
    out.mkdir()
    step = time.perf_counter()
    write_output_files(result.result, out, "bench", report=False)
    timings["écriture GeoPackage et CSV"] = time.perf_counter() - step
    step = time.perf_counter()
    write_national_files(result, out)
    timings["tableaux nationaux et cartes"] = time.perf_counter() - step
    result.result.access_times.to_parquet(folder / "access.parquet")
    return {
        "configuration": configuration, "wall_s": time.perf_counter() - start,
        "steps_s": timings,
        "peak_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
        "peak_workers_mb": list(runner.worker_memory_mb.values()) if runner else [],
        "blocks": runner.computed if runner else 0,
        "load_before": load_before, "load_after": os.getloadavg(),
        "communes": len(result.result.territory.communes),
        "output_mb": sum(p.stat().st_size for p in out.iterdir()) / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CONFIGURATIONS)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one run, JSON on stdout
    args = parser.parse_args(argv)
    if args.child:
        figures = one_run(args.only, Path(args.child))
        print("RESULT " + json.dumps(figures, ensure_ascii=False), flush=True)
        return 0
    import pandas as pd

    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for configuration in (args.only,) if args.only else CONFIGURATIONS:
            folder = Path(tmp) / configuration
            folder.mkdir()
            done = subprocess.run([sys.executable, __file__, "--only", configuration,
                                   "--child", str(folder)], capture_output=True, text=True,
                                  check=True)
            line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
            runs[configuration] = figures = json.loads(line.removeprefix("RESULT "))
            steps = "; ".join(f"{k} {v:.1f}" for k, v in figures["steps_s"].items())
            workers = ", ".join(f"{mb:,.0f}" for mb in figures["peak_workers_mb"])
            print(f"[{configuration}] whole run {figures['wall_s']:.1f} s wall "
                  f"({figures['communes']:,} communes, {figures['output_mb']:,.0f} MB written); "
                  f"peak RSS main {figures['peak_main_mb']:,.0f} MB"
                  + (f", workers {workers} MB ({figures['blocks']} tasks)" if workers else "")
                  + f"; load average {figures['load_before'][0]:.1f} before, "
                  f"{figures['load_after'][0]:.1f} after", flush=True)
            print(f"    steps (s): {steps}", flush=True)
        tables = {c: pd.read_parquet(Path(tmp) / c / "access.parquet") for c in runs}
    first = next(iter(tables.values()))
    for table in tables.values():
        pd.testing.assert_frame_equal(table, first, check_dtype=False)
    print(f"access tables identical across {', '.join(runs)}")
    if {"1", "2"} <= runs.keys():
        one, two = runs["1"], runs["2"]
        access = "temps d'accès"
        print(f"speed-up 1 -> 2 workers: whole run {one['wall_s'] / two['wall_s']:.2f}x, "
              f"access times {one['steps_s'][access] / two['steps_s'][access]:.2f}x")
    if {"single", "2"} <= runs.keys():
        print(f"2 workers / single process, whole run: "
              f"{runs['single']['wall_s'] / runs['2']['wall_s']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
