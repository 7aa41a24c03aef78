"""Time a one-category closure scenario against a full diagnostic recomputation.

Run: ``.venv/bin/python benchmarks/bench_scenario.py``. Closes the demo's example post
office (the one nearest to the most people) and compares the scenario's time with
re-running the whole diagnostic in the same process (target: scenario under 1 s).
"""

from __future__ import annotations

import time

from proximite.analysis.scenario import make_example_closure, run_scenario
from proximite.pipeline import run_diagnostic

TARGET_S = 1.0
REPEATS = 5


def main() -> None:
    start = time.perf_counter()
    result = run_diagnostic()
    full_s = time.perf_counter() - start
    scenario = make_example_closure(result)
    run_scenario(result, scenario)  # first call builds and caches the snapper
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        outcome = run_scenario(result, scenario)
        timings.append(time.perf_counter() - started)
    best, first = min(timings), timings[0]
    print(f"scenario: {scenario.name}")
    print(f"  recomputed: {', '.join(outcome.recomputed)}")
    print(f"  affected population: {outcome.affected_population:,.0f}")
    print(f"full diagnostic: {full_s:.3f} s")
    print(f"scenario (best of {REPEATS}): {best:.3f} s, first repeat {first:.3f} s")
    for name, seconds in outcome.timings_s.items():
        print(f"  {name:<16} {seconds:6.3f} s")
    print(f"ratio scenario / full diagnostic: {best / full_s:.3f} "
          f"({full_s / best:.0f}x faster)")
    print(f"target < {TARGET_S:g} s: {'PASS' if best < TARGET_S else 'FAIL'}")


if __name__ == "__main__":
    main()
