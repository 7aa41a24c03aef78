"""Compare plans (new sites and itinerant stops) side by side, before / after.

A plan is turned into a :class:`~proximite.analysis.scenario.Scenario` that opens its
new fixed sites (access mode ``on_site``) and its bus stops (``itinerant``: the service
is there one day a week, which the comparison table states), and is measured with the
same indicators as the diagnostic, recomputing only the plan's category.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from proximite.analysis.scenario import Scenario, ScenarioResult, run_scenario
from proximite.model import DiagnosticResult


def plan_scenario(name: str, category: str, *, new_sites: pd.DataFrame | None = None,
                  tour_stops: pd.DataFrame | None = None) -> Scenario:
    """A scenario opening ``new_sites`` and ``tour_stops`` (columns lon, lat, name)."""
    frames = []
    for frame, mode in ((new_sites, "on_site"), (tour_stops, "itinerant")):
        if frame is not None and len(frame):
            part = frame[["lon", "lat"]].copy()
            part["name"] = frame.get("name", "")
            part["category"] = category
            part["access_modes"] = mode
            frames.append(part)
    opened = pd.concat(frames, ignore_index=True) if frames else None
    return Scenario(open_services=opened, name=name)


def compare_plans(result: DiagnosticResult, plans: Mapping[str, Scenario],
                  category: str) -> tuple[pd.DataFrame, dict[str, ScenarioResult]]:
    """Territory indicators of ``category`` now and under each plan, one row per option."""
    params = result.options.indicators
    rows = []
    outcomes: dict[str, ScenarioResult] = {}
    current = result.indicators[(result.indicators["level"] == "territory")
                                & (result.indicators["category"] == category)]
    if len(current):
        rows.append(_row("situation actuelle", current.iloc[0], params.thresholds_min, 0.0, 0))
    for name, scenario in plans.items():
        outcome = run_scenario(result, scenario)
        outcomes[name] = outcome
        after = outcome.indicators_after
        after = after[after["category"] == category] if len(after) else after
        opened = len(outcome.opened_services)
        if len(after):
            rows.append(_row(name, after.iloc[0], params.thresholds_min,
                             outcome.affected_population, opened))
    return pd.DataFrame(rows), outcomes


def _row(name: str, indicators: pd.Series, thresholds: tuple[float, ...],
         affected: float, opened: int) -> dict[str, object]:
    row: dict[str, object] = {"plan": name, "sites_or_stops_opened": opened,
                              "median_min": indicators.get("median_min"),
                              "d9_min": indicators.get("d9_min")}
    for threshold in thresholds:
        row[f"pop_over_{threshold:g}"] = indicators.get(f"pop_over_{threshold:g}")
    row["population_unreachable"] = indicators.get("population_unreachable")
    row["population_with_shorter_time"] = affected
    return row
