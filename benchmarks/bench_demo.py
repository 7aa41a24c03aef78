"""Time the embedded Lozère demo end to end (target: under 30 s on 2 cores).

Run: ``.venv/bin/python benchmarks/bench_demo.py``. Prints each step and the total, and
the ratio of the total against the target.
"""

from __future__ import annotations

import tempfile
import time

from proximite.outputs import write_outputs
from proximite.pipeline import run_diagnostic

TARGET_S = 30.0


def main() -> None:
    start = time.perf_counter()
    result = run_diagnostic(step=lambda name: print(f"[{time.perf_counter() - start:6.2f} s] "
                                                    f"{name}", flush=True))
    with tempfile.TemporaryDirectory() as out:
        write_started = time.perf_counter()
        write_outputs(result, out)
        write_s = time.perf_counter() - write_started
    total = time.perf_counter() - start
    for name, seconds in result.timings_s.items():
        print(f"  {name:<20} {seconds:6.2f} s")
    print(f"  {'écriture':<20} {write_s:6.2f} s")
    print(f"demo end to end: {total:.2f} s for {len(result.territory.communes)} communes, "
          f"{len(result.categories)} categories, {len(result.baskets)} baskets")
    print(f"ratio to target ({TARGET_S:.0f} s): {total / TARGET_S:.2f} -> "
          f"{'PASS' if total <= TARGET_S else 'FAIL'}")


if __name__ == "__main__":
    main()
