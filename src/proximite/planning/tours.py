"""Itinerant service tours (e.g. a France Services bus): a weekly timetable of stops.

A bus cannot stop everywhere: each day it leaves its depot, spends ``service_time_min`` at
a few stops and must be back before the end of the working day. Which stops, on which day,
in which order is a *prize-collecting vehicle routing problem*: every candidate stop is an
optional client whose prize is the (weighted) population it serves, every working day of
the period is one vehicle with a time limit, and the solver (PyVRP) collects as much prize
as the days allow, travel time only breaking ties.

Prize of a stop ``s`` (the formula the timetable is optimised for)::

    prize(s) = sum over origins o with T(o -> s) <= X of  pop(o) * (t(o) / X) ** gamma

* ``T(o -> s)``: road time from the origin to the stop (same graph and off-network legs
  as the diagnostic), ``X`` = ``TourPlan.coverage_min``: the people within X minutes of a
  stop are "served" by it;
* ``t(o)``: the origin's time to the nearest *fixed* site of ``TourPlan.category`` (from
  ``result.access_times``); an origin with no reachable fixed site gets the largest finite
  time of the territory. With ``gamma`` = ``TourPlan.far_weight`` = 1, someone 30 min from a
  France Services counts twice as much as someone 15 min away, and someone next door to
  one counts for nothing: the bus goes where the fixed sites do not. ``gamma = 0`` (or
  ``category=None``) counts people only.

With ``TourPlan.shared_catchments`` (the default) each origin's weight is split evenly
between the ``n(o)`` candidate stops within X minutes of it (``pop(o)`` becomes
``pop(o) / n(o)`` above): the solver sums prizes, and without the split a cluster of
neighbouring stops would count the same people several times and draw the bus around the
towns. With ``shared_catchments=False`` each stop counts everyone within X minutes.
:attr:`ToursResult.population_served` always counts each person once.

Travel times are whole minutes, as PyVRP needs integers: each leg is computed in float
minutes, rounded to the second, then rounded *up* to the minute, so the timetable never
promises a shorter drive than the network gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from proximite.access import AccessParams
from proximite.errors import ProximiteError
from proximite.network.graph import shortest_times_from
from proximite.network.snap import Snapper

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FREQUENCIES = {"weekly": 1, "hebdomadaire": 1, "monthly": 4, "mensuelle": 4}
#: Prize points per weighted inhabitant: prizes dominate travel minutes (cost 1 each), so
#: the solver first serves people, then shortens the drive.
PRIZE_SCALE = 100
TIMETABLE_COLUMNS = [
    "week", "day", "weekday", "vehicle", "depot", "order", "stop_id", "code_insee", "name",
    "arrival", "departure", "arrival_min", "departure_min", "travel_min", "prize",
    "population_within",
]


@dataclass(frozen=True)
class TourDepot:
    """Where a bus starts and ends its day (its garage, a town hall...)."""

    name: str
    lon: float
    lat: float


@dataclass
class TourPlan:
    """What to plan: depots, fleet, working day, stop length, coverage and preference.

    ``n_vehicles`` buses are based at *each* depot; each works ``days_per_week`` days. With
    ``frequency="weekly"`` the plan is one week (each stop visited once a week, repeated
    every week); ``"monthly"`` plans 4 weeks (each stop visited once every 4 weeks).
    ``candidates`` (columns ``stop_id, name, lon, lat`` and optionally ``code_insee``)
    defaults to the communes' town halls.
    """

    depots: Sequence[TourDepot]
    n_vehicles: int = 1
    days_per_week: int = 5
    frequency: str = "weekly"
    day_length_min: int = 480
    service_time_min: int = 120
    day_start: str = "09:00"
    coverage_min: float = 15.0
    category: str | None = "france_services"
    far_weight: float = 1.0
    candidates: pd.DataFrame | None = None
    shared_catchments: bool = True
    label: str = "Bus France Services"

    def weeks(self) -> int:
        if self.frequency not in FREQUENCIES:
            raise ProximiteError(f"fréquence inconnue '{self.frequency}' (attendu : "
                                 + ", ".join(FREQUENCIES) + ")")
        return FREQUENCIES[self.frequency]

    def n_days(self) -> int:
        return self.days_per_week * self.weeks()

    def start_minutes(self) -> int:
        try:
            hours, minutes = (int(part) for part in self.day_start.split(":"))
        except ValueError:
            raise ProximiteError(f"heure de début de journée invalide '{self.day_start}' "
                                 "(attendu HH:MM)") from None
        if not (0 <= hours < 24 and 0 <= minutes < 60):
            raise ProximiteError(f"heure de début de journée invalide '{self.day_start}'")
        return hours * 60 + minutes

    def validate(self) -> None:
        """Reject plans that cannot mean anything, with a message the user can act on."""
        if self.n_vehicles < 1:
            raise ProximiteError(f"il faut au moins un véhicule (n_vehicles = {self.n_vehicles})")
        if not self.depots:
            raise ProximiteError("aucun dépôt : donner au moins un lieu de départ des tournées")
        if not 1 <= self.days_per_week <= 7:
            raise ProximiteError(f"jours par semaine entre 1 et 7 (reçu {self.days_per_week})")
        self.weeks()
        if self.day_length_min <= 0:
            raise ProximiteError(f"durée de journée invalide : {self.day_length_min} min")
        if self.service_time_min < 0:
            raise ProximiteError(f"durée d'arrêt invalide : {self.service_time_min} min")
        if not self.coverage_min > 0:
            raise ProximiteError(f"rayon de desserte invalide : {self.coverage_min} min")
        if self.far_weight < 0:
            raise ProximiteError(f"far_weight doit être >= 0 (reçu {self.far_weight})")
        if self.start_minutes() + self.day_length_min > 24 * 60:
            raise ProximiteError("la journée de travail dépasse minuit")


def depot_at_commune(result: Any, code_insee: str) -> TourDepot:
    """A depot at a commune's town hall (the origin point of the diagnostic)."""
    communes = result.territory.communes
    row = communes[communes["code_insee"].astype(str) == str(code_insee)]
    if row.empty:
        raise ProximiteError(f"commune {code_insee} absente du territoire")
    first = row.iloc[0]
    return TourDepot(name=str(first["nom"]), lon=float(first["origin_lon"]),
                     lat=float(first["origin_lat"]))


def whole_minutes(minutes: np.ndarray) -> np.ndarray:
    """Round to the second, then up to the minute (never shorter than the network)."""
    values = np.asarray(minutes, dtype=float)
    seconds = np.round(values * 60.0)
    out = np.full(values.shape, -1, dtype=np.int64)
    finite = np.isfinite(values)
    out[finite] = np.ceil(seconds[finite] / 60.0).astype(np.int64)
    return out


def clock(start_min: int, offset_min: int) -> str:
    total = start_min + int(offset_min)
    return f"{total // 60:02d}:{total % 60:02d}"


@dataclass
class ToursResult:
    """The timetable and what it serves (written by :mod:`proximite.io.tours`, drawn by
    :mod:`proximite.report.tour_map`)."""

    plan: TourPlan
    timetable: pd.DataFrame
    days: pd.DataFrame
    stops: pd.DataFrame
    population_served: float
    population_total: float
    weighted_served: float
    total_prize: float
    travel_min: np.ndarray = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    communes: Any = field(default=None, repr=False)


def _candidate_stops(result: Any, plan: TourPlan) -> pd.DataFrame:
    if plan.candidates is not None:
        frame = plan.candidates.copy()
        missing = [c for c in ("stop_id", "name", "lon", "lat") if c not in frame]
        if missing:
            raise ProximiteError("arrêts candidats : colonne(s) manquante(s) "
                                 + ", ".join(missing))
        if "code_insee" not in frame:
            frame["code_insee"] = ""
    else:
        communes = result.territory.communes
        if len(communes):
            frame = pd.DataFrame({
                "stop_id": communes["code_insee"].astype(str).to_numpy(),
                "name": communes["nom"].astype(str).to_numpy(),
                "code_insee": communes["code_insee"].astype(str).to_numpy(),
                "lon": communes["origin_lon"].to_numpy(dtype=float),
                "lat": communes["origin_lat"].to_numpy(dtype=float),
            })
        else:
            origins = result.origins
            frame = pd.DataFrame({
                "stop_id": origins["origin_id"].astype(str).to_numpy(),
                "name": origins["origin_id"].astype(str).to_numpy(),
                "code_insee": origins.get("code_insee", pd.Series("", index=origins.index))
                .astype(str).to_numpy(),
                "lon": origins["lon"].to_numpy(dtype=float),
                "lat": origins["lat"].to_numpy(dtype=float),
            })
    frame = frame[["stop_id", "name", "code_insee", "lon", "lat"]].reset_index(drop=True)
    frame["stop_id"] = frame["stop_id"].astype(str)
    if frame.empty:
        raise ProximiteError("aucun arrêt candidat : la liste des arrêts possibles est vide")
    if frame["stop_id"].duplicated().any():
        dup = frame.loc[frame["stop_id"].duplicated(), "stop_id"].iloc[0]
        raise ProximiteError(f"arrêt candidat en double : '{dup}'")
    return frame


def _origin_weights(result: Any, plan: TourPlan, warnings: list[str]) -> np.ndarray:
    """(t(o) / X) ** gamma per origin; 1 when no preference is asked or possible."""
    origins = result.origins
    if plan.category is None or plan.far_weight == 0:
        return np.ones(len(origins))
    access = result.access_times
    rows = access[access["category"] == plan.category]
    if "target_kind" in rows:
        rows = rows[rows["target_kind"].isin(["category", "basket"])]
    if rows.empty:
        available = sorted(set(access["category"].astype(str)))
        raise ProximiteError(f"catégorie '{plan.category}' absente des temps d'accès "
                             "(calculées : " + ", ".join(available) + ")")
    times = rows.drop_duplicates("origin_id").set_index("origin_id")["travel_time_min"]
    ok = rows.drop_duplicates("origin_id").set_index("origin_id")["status"] == "ok"
    times = times.where(ok)
    finite = times[np.isfinite(times.astype(float))]
    if finite.empty:
        warnings.append(f"aucun temps d'accès à '{plan.category}' : les arrêts sont "
                        "pondérés par la seule population")
        return np.ones(len(origins))
    fallback = float(finite.max())
    values = times.reindex(origins["origin_id"].to_numpy()).astype(float).to_numpy()
    values = np.where(np.isfinite(values), values, fallback)
    return (np.maximum(values, 0.0) / plan.coverage_min) ** plan.far_weight


def _travel_and_coverage(result: Any, lon: np.ndarray, lat: np.ndarray, n_stops: int,
                         coverage_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float minutes between all places (depots then stops), origin -> stop times, snaps.

    One forward Dijkstra per place gives place -> place times; one reversed, bounded
    Dijkstra per stop gives which origins are within the coverage radius.
    """
    graph = result.graph
    params: AccessParams = getattr(result.options, "access", None) or AccessParams()
    snapper = Snapper.for_graph(graph)
    node, snap_m = snapper.snap(lon, lat)
    leg = params.leg_minutes(snap_m)
    n_places = len(lon)
    travel = np.full((n_places, n_places), np.inf)
    for i in range(n_places):
        dist = shortest_times_from(graph.matrix, node[i])
        travel[i] = leg[i] + dist[node] + leg
    np.fill_diagonal(travel, 0.0)
    origins = result.origins
    o_node, o_snap = snapper.snap(origins["lon"].to_numpy(), origins["lat"].to_numpy())
    o_leg = np.where(o_snap <= params.max_snap_m, params.leg_minutes(o_snap), np.inf)
    reverse = graph.reversed_matrix()
    to_stop = np.full((n_stops, len(origins)), np.inf)
    first_stop = n_places - n_stops
    for k in range(n_stops):
        i = first_stop + k
        budget = coverage_min - leg[i]
        if budget < 0:
            continue
        dist = shortest_times_from(reverse, node[i], limit=budget + 1e-9)
        to_stop[k] = o_leg + dist[o_node] + leg[i]
    return travel, to_stop, snap_m


def plan_tours(result: Any, plan: TourPlan, *, seed: int = 1, runtime_s: float = 5.0,
               max_iterations: int | None = None) -> ToursResult:
    """Plan the tours of ``plan`` on the diagnostic ``result``'s network and population.

    Each working day of the period is one PyVRP vehicle (``num_available`` = buses ×
    days per depot) limited to ``day_length_min``; stops are optional clients with the
    prize of the module docstring. ``max_iterations`` (if given) replaces the time limit,
    for reproducible runs.
    """
    from pyvrp import Model
    from pyvrp.stop import MaxIterations, MaxRuntime

    plan.validate()
    warnings: list[str] = []
    stops = _candidate_stops(result, plan)
    params: AccessParams = getattr(result.options, "access", None) or AccessParams()
    n_depots = len(plan.depots)
    lon = np.concatenate([[d.lon for d in plan.depots], stops["lon"].to_numpy(dtype=float)])
    lat = np.concatenate([[d.lat for d in plan.depots], stops["lat"].to_numpy(dtype=float)])
    travel_f, to_stop, snap_m = _travel_and_coverage(result, lon, lat, len(stops),
                                                     plan.coverage_min)
    for d, depot in enumerate(plan.depots):
        if snap_m[d] > params.max_snap_m:
            raise ProximiteError(
                f"dépôt '{depot.name}' hors réseau : le nœud le plus proche est à "
                f"{snap_m[d] / 1000:.1f} km (maximum {params.max_snap_m / 1000:.1f} km)")
    travel = whole_minutes(travel_f)

    # Prizes: weighted population within the coverage radius of each stop.
    population = result.origins["population"].to_numpy(dtype=float)
    weights = _origin_weights(result, plan, warnings)
    within = to_stop <= plan.coverage_min
    stops["population_within"] = within @ population
    share = within.sum(axis=0) if plan.shared_catchments else np.ones(len(population))
    stops["prize"] = within @ (population * weights / np.maximum(share, 1))
    off_network = snap_m[n_depots:] > params.max_snap_m

    # Stops a bus can reach, serve and leave within one day from some depot.
    service = int(plan.service_time_min)
    round_trip = np.full(len(stops), np.iinfo(np.int64).max, dtype=np.int64)
    for d in range(n_depots):
        out, back = travel[d, n_depots:], travel[n_depots:, d]
        ok = (out >= 0) & (back >= 0)
        round_trip = np.where(ok, np.minimum(round_trip, out + service + back), round_trip)
    round_trip[off_network] = np.iinfo(np.int64).max
    feasible = round_trip <= plan.day_length_min
    if off_network.any():
        warnings.append(f"{int(off_network.sum())} arrêt(s) candidat(s) à plus de "
                        f"{params.max_snap_m:.0f} m du réseau, écartés")
    if not feasible.any():
        reachable = round_trip[~off_network]
        if len(reachable) == 0 or reachable.min() == np.iinfo(np.int64).max:
            raise ProximiteError("aucun arrêt candidat n'est accessible par la route depuis "
                                 "le(s) dépôt(s)")
        best = int(np.argmin(np.where(off_network, np.iinfo(np.int64).max, round_trip)))
        shortest = int(round_trip[best])
        raise ProximiteError(
            f"journée trop courte : même l'arrêt le plus proche ({stops['name'].iloc[best]}) "
            f"demande {shortest} min (aller, {service} min d'arrêt, retour) pour une journée "
            f"de {plan.day_length_min} min, soit {shortest - plan.day_length_min} min de trop")
    if (~feasible & ~off_network).any():
        warnings.append(f"{int((~feasible & ~off_network).sum())} arrêt(s) trop loin(s) pour "
                        "un aller-retour dans la journée, écarté(s)")

    # The prize-collecting VRP: each vehicle of a depot's type is one working day.
    n_days = plan.n_days()
    model = Model()
    locations = [model.add_location(x=float(x), y=float(y)) for x, y in zip(lon, lat,
                                                                            strict=True)]
    vrp_depots = [model.add_depot(locations[d], tw_early=0, tw_late=plan.day_length_min,
                              name=depot.name) for d, depot in enumerate(plan.depots)]
    used = np.flatnonzero(feasible)
    places = list(range(n_depots)) + [n_depots + int(k) for k in used]
    for k in used:
        model.add_client(locations[n_depots + int(k)], service_duration=service,
                         prize=round(float(stops["prize"].iloc[k]) * PRIZE_SCALE),
                         required=False, name=str(stops["stop_id"].iloc[k]))
    for d, vrp_depot in enumerate(vrp_depots):
        model.add_vehicle_type(num_available=plan.n_vehicles * n_days, start_depot=vrp_depot,
                               end_depot=vrp_depot, tw_early=0, tw_late=plan.day_length_min,
                               shift_duration=plan.day_length_min,
                               name=plan.depots[d].name)
    for i in places:
        for j in places:
            if i != j and travel[i, j] >= 0:
                minutes = int(travel[i, j])
                model.add_edge(locations[i], locations[j], distance=minutes, duration=minutes)
    stop_rule = MaxIterations(max_iterations) if max_iterations else MaxRuntime(runtime_s)
    solved = model.solve(stop=stop_rule, seed=seed, display=False, collect_stats=False)
    if not solved.is_feasible():
        raise ProximiteError("le solveur n'a pas trouvé de tournées réalisables : "
                             "allonger la durée du calcul (runtime_s) ou la journée")

    tours: dict[int, list[list[int]]] = {d: [] for d in range(n_depots)}
    for route in solved.best.routes():
        # client activities are numbered among clients, in the order they were added
        visits = [int(used[a.idx]) for a in route if a.is_client()]
        if visits:
            tours[route.start_depot()].append(visits)
    return _timetable(plan, stops, travel, travel_f, tours, to_stop, population, weights,
                      warnings, getattr(result.territory, "communes", None))


def _timetable(plan: TourPlan, stops: pd.DataFrame, travel: np.ndarray,
               travel_f: np.ndarray, tours: dict[int, list[list[int]]],
               to_stop: np.ndarray, population: np.ndarray, weights: np.ndarray,
               warnings: list[str], communes: Any) -> ToursResult:
    """Clock times per stop, then the checks no timetable may fail."""
    n_depots = len(plan.depots)
    n_days = plan.n_days()
    start = plan.start_minutes()
    rows: list[dict[str, Any]] = []
    day_rows: list[dict[str, Any]] = []
    for d, routes in tours.items():
        # Richest tours first, so day 1 is never the empty one; ties by first stop.
        routes = sorted(routes, key=lambda r: (-float(stops["prize"].iloc[r].sum()),
                                               str(stops["stop_id"].iloc[r[0]])))
        for k, route in enumerate(routes):
            day_index, vehicle = k % n_days, k // n_days + 1
            week, weekday = divmod(day_index, plan.days_per_week)
            now, here = 0, d
            for order, stop in enumerate(route, start=1):
                place = n_depots + stop
                leg = int(travel[here, place])
                arrival = now + leg
                departure = arrival + plan.service_time_min
                rows.append({
                    "week": week + 1, "day": day_index + 1, "weekday": WEEKDAYS_FR[weekday],
                    "vehicle": vehicle + d * plan.n_vehicles, "depot": plan.depots[d].name,
                    "order": order, "stop_id": stops["stop_id"].iloc[stop],
                    "code_insee": stops["code_insee"].iloc[stop],
                    "name": stops["name"].iloc[stop],
                    "arrival": clock(start, arrival), "departure": clock(start, departure),
                    "arrival_min": arrival, "departure_min": departure, "travel_min": leg,
                    "prize": float(stops["prize"].iloc[stop]),
                    "population_within": float(stops["population_within"].iloc[stop]),
                })
                now, here = departure, place
            back = int(travel[here, d])
            day_rows.append({
                "week": week + 1, "day": day_index + 1, "weekday": WEEKDAYS_FR[weekday],
                "vehicle": vehicle + d * plan.n_vehicles, "depot": plan.depots[d].name,
                "n_stops": len(route), "leave": clock(start, 0),
                "back": clock(start, now + back), "end_min": now + back,
                "travel_min": int(sum(r["travel_min"] for r in rows[-len(route):])) + back,
                "within_day": now + back <= plan.day_length_min,
            })
    timetable = pd.DataFrame(rows, columns=TIMETABLE_COLUMNS)
    timetable = timetable.sort_values(["week", "day", "vehicle", "order"]).reset_index(drop=True)
    days = pd.DataFrame(day_rows, columns=["week", "day", "weekday", "vehicle", "depot",
                                           "n_stops", "leave", "back", "end_min",
                                           "travel_min", "within_day"])
    days = days.sort_values(["week", "day", "vehicle"]).reset_index(drop=True)

    # Checks: every day ends in time (return included), every stop once per period.
    late = days[~days["within_day"]]
    if len(late):
        raise ProximiteError("tournée hors journée : " + ", ".join(
            f"{r.weekday} véhicule {r.vehicle} ({r.end_min} min > {plan.day_length_min})"
            for r in late.itertuples()))
    if timetable["stop_id"].duplicated().any():
        dup = timetable.loc[timetable["stop_id"].duplicated(), "stop_id"].iloc[0]
        raise ProximiteError(f"arrêt {dup} visité plusieurs fois dans la période")

    visited = stops["stop_id"].isin(timetable["stop_id"]).to_numpy()
    stops = stops.assign(visited=visited)
    served = (to_stop[visited] <= plan.coverage_min).any(axis=0) if visited.any() \
        else np.zeros(len(population), dtype=bool)
    return ToursResult(
        plan=dataclasses.replace(plan), timetable=timetable, days=days, stops=stops,
        population_served=float(population[served].sum()),
        population_total=float(population.sum()),
        weighted_served=float((population * weights)[served].sum()),
        total_prize=float(stops.loc[visited, "prize"].sum()),
        travel_min=travel_f, warnings=warnings, communes=communes)
