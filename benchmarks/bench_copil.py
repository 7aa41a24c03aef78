"""Time the committee pack of the Allier 2019 review (``proximite copil``): HTML, then PDF.

The pack is read by people, so its budget is "seconds, not minutes" (target: the whole
pack under 15 s of CPU on 2 cores, the PDF included). The baseline, in the same process,
is the HTML alone: the ratio says what WeasyPrint's layout of the same page costs. CPU
time (``process_time``) is reported beside wall time: on a shared machine the wall time
mostly measures the neighbours.

Run: ``.venv/bin/python benchmarks/bench_copil.py``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from proximite.io.plans import read_indicators, read_plan, shipped_indicators
from proximite.report.copil import render_copil, write_pdf

PLAN = "allier-sdaasp-2018-2023"
REVIEW = dt.date(2019, 7, 10)
TARGET_CPU_S = 15.0


def main() -> None:
    plan = read_plan(PLAN)
    read_indicators(plan, shipped_indicators(PLAN))
    render_copil(plan, REVIEW, [], [])  # warm: imports, templates, matplotlib fonts
    wall, cpu = time.perf_counter(), time.process_time()
    html = render_copil(plan, REVIEW, [], [])
    html_wall, html_cpu = time.perf_counter() - wall, time.process_time() - cpu
    with tempfile.TemporaryDirectory() as out:
        wall, cpu = time.perf_counter(), time.process_time()
        path = write_pdf(html, Path(out) / "copil.pdf")
        pdf_wall, pdf_cpu = time.perf_counter() - wall, time.process_time() - cpu
        size_kb = path.stat().st_size / 1024
    total_cpu = html_cpu + pdf_cpu
    print(f"{PLAN}, review of {REVIEW}: {len(plan.items)} items, {len(plan.indicators)} "
          "indicators")
    print(f"  HTML  {html_cpu:6.2f} s CPU ({html_wall:6.2f} s wall), {len(html) / 1024:.0f} kB")
    print(f"  PDF   {pdf_cpu:6.2f} s CPU ({pdf_wall:6.2f} s wall), {size_kb:.0f} kB")
    print(f"  ratio PDF / HTML: {pdf_cpu / html_cpu:.1f}")
    verdict = "OK" if total_cpu <= TARGET_CPU_S else "OVER"
    print(f"  total {total_cpu:.2f} s CPU (target <= {TARGET_CPU_S:g} s): {verdict}")


if __name__ == "__main__":
    main()
