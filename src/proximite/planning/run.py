"""The planning job: LSCP, MCLP, p-median and an itinerant tour for one category, and
the comparison of the resulting plans with today's situation."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from proximite.analysis.scenario import ScenarioResult
from proximite.errors import SettingError
from proximite.inventory.hours import OSM_DAYS
from proximite.messages import short_number
from proximite.model import DiagnosticResult
from proximite.planning.compare import compare_plans, plan_scenario
from proximite.planning.siting import (
    Candidates,
    SitingResult,
    Solver,
    coverage_matrix,
    solve_lscp,
    solve_mclp,
)
from proximite.planning.tours import (
    FREQUENCIES,
    WEEKDAYS_FR,
    TourPlan,
    ToursResult,
    depot_at_commune,
    plan_tours,
)


@dataclass(frozen=True)
class PlanningOptions:
    """What to plan (defaults: the France Services promise of a site within 30 min)."""

    category: str = "france_services"
    cutoff_min: float = 30.0
    k_new: int = 2
    depot_insee: str | None = None  # default: the most populated commune
    candidates_csv: str | Path | None = None  # default: the communes' town halls
    n_vehicles: int = 1
    days_per_week: int = 5
    day_length_min: float = 480.0
    service_time_min: float = 120.0
    coverage_min: float = 15.0
    tour_runtime_s: float = 5.0
    time_limit_s: float = 60.0

    def __post_init__(self) -> None:
        # checked here so that a bad proximite.toml value is refused naming its key
        # (planning.cutoff_min...), before any computation
        positive = {"cutoff_min": "un temps > 0 min", "day_length_min": "une durée > 0 min",
                    "coverage_min": "un temps > 0 min", "tour_runtime_s": "une durée > 0 s",
                    "time_limit_s": "une durée > 0 s"}
        for name, expected in positive.items():
            value = float(getattr(self, name))
            if not (math.isfinite(value) and value > 0):
                raise SettingError(name, short_number(value), expected)
        if not (math.isfinite(self.service_time_min) and self.service_time_min >= 0):
            raise SettingError("service_time_min", short_number(self.service_time_min),
                               "une durée d'arrêt ≥ 0 min")
        if self.k_new < 0:
            raise SettingError("k_new", self.k_new, "un nombre de nouveaux sites ≥ 0")
        if self.n_vehicles < 1:
            raise SettingError("n_vehicles", self.n_vehicles, "au moins un véhicule")
        if not 1 <= self.days_per_week <= 7:
            raise SettingError("days_per_week", self.days_per_week, "un nombre de jours entre "
                               "1 et 7")


@dataclass
class PlanningResult:
    lscp: SitingResult
    mclp: SitingResult
    tours: ToursResult | None
    comparison: pd.DataFrame
    scenarios: dict[str, ScenarioResult]
    candidates: Candidates
    options: PlanningOptions
    existing_in_territory: int
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _sites(candidates: Candidates, ids: list[str]) -> pd.DataFrame:
    table = candidates.table.set_index("candidate_id")
    return table.loc[ids, ["lon", "lat", "name"]].reset_index()


def with_passages(stops: pd.DataFrame, timetable: pd.DataFrame,
                  frequency: str) -> pd.DataFrame:
    """The stops with their passages as OSM ``opening_hours`` (their frequency): a weekly
    tour passes on its weekday every week, a four-week tour on that weekday every fourth
    week (``week 02-53/4 Tu 10:00-12:00``)."""
    if not len(timetable) or "stop_id" not in stops.columns:
        return stops
    every = FREQUENCIES.get(frequency, 1)
    hours = {}
    for rec in timetable.to_dict("records"):
        day = OSM_DAYS[WEEKDAYS_FR.index(str(rec["weekday"]))]
        span = f"{day} {rec['arrival']}-{rec['departure']}"
        hours[rec["stop_id"]] = span if every == 1 else (
            f"week {int(rec['week']):02d}-53/{every} {span}")
    return stops.assign(opening_hours=stops["stop_id"].map(hours).fillna(""))



def run_planning(result: DiagnosticResult, options: PlanningOptions | None = None, *,
                 candidates: pd.DataFrame | None = None,
                 solver: Solver | None = None) -> PlanningResult:
    """Solve the siting models and the tour, then compare the plans.

    ``candidates``: the sites of ``options.candidates_csv`` as read by
    :func:`proximite.io.tables.read_candidates` (default: the town halls); ``solver``: see
    :data:`proximite.planning.siting.Solver` (the CLI keeps CBC's log for the gap).
    """
    options = options or PlanningOptions()
    if options.candidates_csv and candidates is None:
        # programmer error: the CLI reads the file first (English on purpose)
        raise ValueError("options.candidates_csv is a file: read it with "
                         "proximite.io.tables.read_candidates and pass candidates=")
    result.catalogue.category(options.category)
    timings: dict[str, float] = {}
    existing = Candidates.from_services(result.services, sorted(
        result.catalogue.members(options.category)))
    new_candidates = (Candidates(candidates) if candidates is not None
                      else Candidates.from_town_halls(result))
    sites = new_candidates.combined(existing)
    start = time.perf_counter()
    matrix = coverage_matrix(result, sites, options.cutoff_min)
    timings["matrice de couverture"] = time.perf_counter() - start
    # LSCP from scratch (how many sites would the promise need?), existing sites allowed
    # as candidates but not imposed; MCLP keeps the existing sites open (flag in the table).
    lscp = solve_lscp(matrix, existing=[], time_limit_s=options.time_limit_s, solver=solver)
    mclp = solve_mclp(matrix, options.k_new, time_limit_s=options.time_limit_s,
                      solver=solver)
    communes = result.territory.communes
    depot_code = options.depot_insee or str(
        communes.sort_values("population", ascending=False)["code_insee"].iloc[0])
    start = time.perf_counter()
    tour_plan = TourPlan(
        depots=[depot_at_commune(result, depot_code)], n_vehicles=options.n_vehicles,
        days_per_week=options.days_per_week, day_length_min=round(options.day_length_min),
        service_time_min=round(options.service_time_min), coverage_min=options.coverage_min,
        category=options.category)
    tours = plan_tours(result, tour_plan, runtime_s=options.tour_runtime_s)
    timings["tournées"] = time.perf_counter() - start
    visited = tours.stops[tours.stops["visited"]] if "visited" in tours.stops else tours.stops
    visited = with_passages(visited, tours.timetable, tour_plan.frequency)
    plans = {
        f"MCLP : {options.k_new} nouveaux sites": plan_scenario(
            "MCLP", options.category, new_sites=_sites(sites, mclp.selected_new)),
        "Bus itinérant (1 jour par semaine par arrêt)": plan_scenario(
            "bus", options.category, tour_stops=visited),
        "MCLP + bus": plan_scenario(
            "MCLP + bus", options.category, new_sites=_sites(sites, mclp.selected_new),
            tour_stops=visited),
    }
    start = time.perf_counter()
    comparison, scenarios = compare_plans(result, plans, options.category)
    timings["comparaison des plans"] = time.perf_counter() - start
    inside = existing.table
    in_territory = 0
    if len(communes):
        import shapely

        territory = result.territory.geometry()
        in_territory = int(shapely.contains_xy(territory, inside["lon"], inside["lat"]).sum())
    return PlanningResult(lscp=lscp, mclp=mclp, tours=tours, comparison=comparison,
                          scenarios=scenarios, candidates=sites, options=options,
                          existing_in_territory=in_territory, timings_s=timings,
                          warnings=[*lscp.warnings, *mclp.warnings, *tours.warnings])
