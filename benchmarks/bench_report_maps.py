"""Time the report's small multiples and the digital axis against baselines in the same run.

* Small multiples (every category with data mapped, nine a figure): seconds per panel
  against seconds per full-size choropleth (the report's main maps), on the Lozère demo.
  Target: a panel costs at most half a full map (they are drawn from precomputed rings in
  one PolyCollection, not a geopandas plot each).
* Digital axis (fibre, 4G within the radius, nearest help place, index): seconds against
  the diagnostic's nearest-service times step of the same run. Target: under that step.

Run: ``.venv/bin/python benchmarks/bench_report_maps.py``.
"""

from __future__ import annotations

import time

from proximite.pipeline import run_diagnostic
from proximite.report.maps import choropleth_png, simplified, small_multiples_png
from proximite.report.targets import commune_values, targets

PANELS = 9


def main() -> None:
    result = run_diagnostic()
    shapes = simplified(result.territory.communes)
    with_data = [t for t in targets(result, "category") if t.has_data][:PANELS]
    values = [(t.label, commune_values(result, t.code, t.kind)) for t in with_data]
    start = time.perf_counter()
    for title, series in values[:3]:
        choropleth_png(shapes, series, title)
    full_s = (time.perf_counter() - start) / 3
    start = time.perf_counter()
    small_multiples_png(shapes, values)
    panel_s = (time.perf_counter() - start) / len(values)
    print(f"full-size map: {full_s:.2f} s; small-multiple panel: {panel_s:.2f} s "
          f"(ratio {panel_s / full_s:.2f}, target ≤ 0.5)")
    digital_s = result.timings_s["axe numérique"]
    access_s = result.timings_s["temps d'accès"]
    print(f"digital axis: {digital_s:.2f} s; nearest-service times: {access_s:.2f} s "
          f"(ratio {digital_s / access_s:.2f}, target < 1)")


if __name__ == "__main__":
    main()
