"""Compare plans (new sites and itinerant stops) side by side, before / after.

A plan is turned into a :class:`~proximite.analysis.scenario.Scenario` that opens its
new fixed sites (access mode ``on_site``) and its bus stops (``itinerant``), and is measured
with the same indicators as the diagnostic, recomputing only the plan's category. As in
the diagnostic, a bus stop never counts as a permanent site (a bus never halves a
median): the plan's row adds its own itinerant indicator instead, the median time to the
nearest stop and the stops' days per month.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from proximite.access import STATUS_OK, nearest_service_times
from proximite.analysis.scenario import Scenario, ScenarioResult, run_scenario
from proximite.indicators import weighted_quantile
from proximite.inventory.schedule import days_per_month
from proximite.inventory.schema import itinerant_mask
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
            if "opening_hours" in frame.columns:  # a stop's passages (its frequency)
                part["opening_hours"] = frame["opening_hours"].fillna("")
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
                             outcome.affected_population, opened)
                        | _stop_access(result, outcome.opened_services, category))
    return pd.DataFrame(rows), outcomes


def _stop_access(result: DiagnosticResult, opened: pd.DataFrame,
                 category: str) -> dict[str, object]:
    """The plan's own itinerant indicator: population-weighted median time to its nearest
    stop, and the stops' mean days per month (their opening_hours; NaN when unknown).
    The stops never change the permanent-site figures of the row."""
    stops = opened[itinerant_mask(opened)] if len(opened) else opened
    if not len(stops):
        return {"stops_opened": 0, "stop_median_min": np.nan,
                "stop_days_per_month": np.nan}
    times = nearest_service_times(result.graph, result.origins, stops,
                                  {category: sorted(result.catalogue.members(category))},
                                  result.options.access, itinerant=True)
    times = times.merge(result.origins[["origin_id", "population"]], on="origin_id")
    reached = times["status"] == STATUS_OK
    minutes = np.where(reached, times["travel_time_min"], np.inf)
    median = float(weighted_quantile(minutes, times["population"].to_numpy(dtype=float),
                                     0.5))
    days = [days_per_month(str(h)) for h in stops["opening_hours"]]
    known = [d for d in days if np.isfinite(d)]
    return {"stops_opened": len(stops),
            "stop_median_min": median if np.isfinite(median) else np.nan,
            "stop_days_per_month": float(np.mean(known)) if known else np.nan}


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
