"""Time the embedded Lozère demo end to end (target: under 30 s on 2 cores).

The demo is what ``make demo`` runs: Lozère's shipped bundle (152 communes, the full
inventory, the calibrated Travel Mapping cut), the diagnosis (profiles, poles, deficits,
2SFCA, example scenario) and every output (GeoPackage, CSV, report). The baseline, in the
same process, is the stand-in demo (commune contiguity graph, 7 open lists) run the same
way: the ratio says what the real network and inventory cost on this machine today.

Run: ``.venv/bin/python benchmarks/bench_demo.py``.
"""

from __future__ import annotations

import tempfile
import time

from proximite.analysis.diagnosis import categories_with_data, run_analysis
from proximite.outputs import write_outputs
from proximite.pipeline import run_diagnostic
from proximite.settings import DemoSettings, Settings

TARGET_S = 30.0


def run(settings: Settings, label: str) -> float:
    start = time.perf_counter()
    result = run_diagnostic(settings=settings)
    analysis = run_analysis(result, settings.analysis)
    with tempfile.TemporaryDirectory() as out:
        written_at = time.perf_counter()
        write_outputs(result, out, analysis=analysis)
        write_s = time.perf_counter() - written_at
    total = time.perf_counter() - start
    print(f"{label}: {total:.2f} s for {len(result.territory.communes)} communes, "
          f"{len(categories_with_data(result))} categories with data, "
          f"{len(result.services)} services, {result.graph.n_nodes} network nodes")
    for name, seconds in {**result.timings_s, **analysis.timings_s}.items():
        print(f"  {name:<28} {seconds:6.2f} s")
    print(f"  {'écriture (GeoPackage, CSV, rapport)':<28} {write_s:6.2f} s")
    return total


def main() -> None:
    baseline = run(Settings(demo=DemoSettings(network="stand-in")), "baseline: stand-in demo")
    total = run(Settings(), "demo (Travel Mapping, full inventory)")
    print(f"ratio to the stand-in baseline: {total / baseline:.2f}")
    print(f"ratio to target ({TARGET_S:.0f} s): {total / TARGET_S:.2f} -> "
          f"{'PASS' if total <= TARGET_S else 'FAIL'}")


if __name__ == "__main__":
    main()
