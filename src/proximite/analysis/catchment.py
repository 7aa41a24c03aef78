"""Service catchments: who depends on each service, and what it reaches within T minutes.

Two notions, both answering "what does this service serve?":

* nearest-service catchments (:func:`service_catchments`): the origins whose *nearest*
  service of the category is this one. They partition the population that reaches the
  category, so closing a service moves exactly its catchment to other services.
* the reachable area (:func:`reachable_area`) and :func:`population_within`: everything
  within T minutes of the service *whatever the other services*, for maps and for
  "how many people live within 15 minutes of this France Services".

The area is built from the road graph, not as a circle around the service: a bounded
Dijkstra (``limit`` = T minus the service's own off-network leg) finds the nodes within
T, then the polygon is the union of (1) a disc around each reached node whose radius is
the distance coverable off-network at the access speed in the remaining time (capped at
the maximum snap distance: that is how an origin near that node is timed), (2) the
reached edges, buffered by ``edge_buffer_m`` and clipped at the fraction of a partly
reached edge that the remaining time covers, and (3) the disc the access speed covers
around the service itself. ``method="concave_hull"`` instead takes
``shapely.concave_hull`` of the reached nodes and edge ends (faster on large graphs,
coarser, not nested in T).

The disc of a node is an approximation: an origin is timed from its *nearest* node, and
a point inside the disc of a reached node may snap to another, farther node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from proximite.access import STATUS_OK, AccessParams, nearest_service_times
from proximite.catalogue import Catalogue
from proximite.errors import ProximiteError
from proximite.network.graph import RoadGraph, shortest_times_from
from proximite.network.snap import Snapper, project, transformer

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

CATCHMENT_COLUMNS = [
    "service_id", "name", "category", "lon", "lat", "n_origins", "population",
    "population_within_time", "mean_time_min", "max_time_min", "communes",
]

def service_catchments(
    source: DiagnosticResult | tuple[RoadGraph, pd.DataFrame, pd.DataFrame],
    category: str,
    time_min: float | None = None,
    *,
    params: AccessParams | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Nearest-service catchment of every service of ``category`` (one row per service).

    ``source`` is a diagnostic (its access times are reused) or ``(graph, origins,
    services)`` (times are computed; the services counted are ``category`` and, with a
    ``catalogue``, its children). ``population`` is the whole catchment,
    ``population_within_time`` the part within ``time_min`` (NaN without it). Services
    that are nobody's nearest are listed with zero. Origins that reach no service belong
    to no catchment, so the populations sum to the population reaching the category.
    """
    if time_min is not None and not time_min > 0:
        raise ProximiteError(f"le temps doit être > 0 minute (reçu : {time_min})")
    if isinstance(source, tuple):
        graph, origins, services = source
        members = sorted(catalogue.members(category)) if catalogue else [category]
        if catalogue:
            catalogue.category(category)
        rows = nearest_service_times(graph, origins, services, {category: members},
                                     params or AccessParams())
    else:
        origins, services, catalogue = source.origins, source.services, source.catalogue
        catalogue.category(category)
        members = sorted(catalogue.members(category))
        access = source.access_times
        rows = access[(access["category"] == category) & (access["target_kind"] == "category")]
        if rows.empty:
            raise ProximiteError(f"la catégorie {category} n'a pas été calculée dans ce "
                                 f"diagnostic (calculées : {', '.join(source.categories)})")
    population = origins.set_index("origin_id")["population"]
    codes = (origins.set_index("origin_id")["code_insee"].astype(str)
             if "code_insee" in origins else pd.Series("", index=population.index))
    served = rows[(rows["status"] == STATUS_OK) & (rows["nearest_service_id"] != "")].copy()
    served["population"] = population.reindex(served["origin_id"]).to_numpy(dtype=float)
    served["code_insee"] = codes.reindex(served["origin_id"]).to_numpy()
    within = (served["travel_time_min"] <= time_min) if time_min is not None else None
    served["within_population"] = (np.where(within, served["population"], 0.0)
                                   if within is not None else np.nan)
    served["weighted_time"] = served["travel_time_min"] * served["population"]
    grouped = served.groupby("nearest_service_id")
    summary = pd.DataFrame({
        "n_origins": grouped.size(),
        "population": grouped["population"].sum(),
        "population_within_time": grouped["within_population"].sum(min_count=1),
        # population-weighted (plain mean where the catchment has no inhabitant)
        "mean_time_min": (grouped["weighted_time"].sum() / grouped["population"].sum()
                          ).where(grouped["population"].sum() > 0,
                                  grouped["travel_time_min"].mean()),
        "max_time_min": grouped["travel_time_min"].max(),
        "communes": grouped["code_insee"].agg(
            lambda c: ",".join(sorted({x for x in c if x}))),
    })
    of_category = services[services["category"].isin(members)]
    table = of_category[["service_id", "name", "category", "lon", "lat"]].merge(
        summary, left_on="service_id", right_index=True, how="left")
    table["n_origins"] = table["n_origins"].fillna(0).astype(int)
    table["population"] = table["population"].fillna(0.0)
    if time_min is not None:
        table["population_within_time"] = table["population_within_time"].fillna(0.0)
    else:
        table["population_within_time"] = np.nan
    table["communes"] = table["communes"].fillna("")
    return table[CATCHMENT_COLUMNS].sort_values(
        "population", ascending=False, kind="stable").reset_index(drop=True)


def _bounded_times(graph: RoadGraph, node: int, limit: float,
                   direction: Literal["to_service", "from_service"]) -> np.ndarray:
    matrix = graph.reversed_matrix() if direction == "to_service" else graph.matrix
    return shortest_times_from(matrix, node, limit=max(limit, 0.0))


def reachable_area(
    graph: RoadGraph,
    service_lon: float,
    service_lat: float,
    time_min: float,
    params: AccessParams | None = None,
    *,
    direction: Literal["to_service", "from_service"] = "to_service",
    method: Literal["buffers", "concave_hull"] = "buffers",
    edge_buffer_m: float = 100.0,
    snapper: Snapper | None = None,
) -> shapely.Geometry:
    """Area (WGS84 polygon) from which the service is reached within ``time_min``.

    ``direction="to_service"`` (default) times trips towards the service, like the access
    times; ``"from_service"`` times trips leaving it. See the module doc for the
    construction. A service farther than ``max_snap_m`` from the network only gets the
    disc its access leg covers.
    """
    if not time_min > 0:
        raise ProximiteError(f"le temps doit être > 0 minute (reçu : {time_min})")
    params = params or AccessParams()
    snapper = snapper or Snapper.for_graph(graph)
    metres_per_min = params.access_speed_kmh * 1000.0 / 60.0
    node_arr, dist_arr = snapper.snap(np.array([service_lon]), np.array([service_lat]))
    node, snap_m = int(node_arr[0]), float(dist_arr[0])
    sx, sy = project(np.array([service_lon]), np.array([service_lat]), snapper.crs)
    service_point = shapely.Point(float(sx[0]), float(sy[0]))
    parts = [service_point.buffer(max(min(time_min * metres_per_min, params.max_snap_m), 1.0))]
    budget = time_min - float(params.leg_minutes(np.array([snap_m]))[0])
    if snap_m <= params.max_snap_m and budget > 0:
        times = _bounded_times(graph, node, budget, direction)
        reached = np.flatnonzero(np.isfinite(times) & (times <= budget))
        x, y = project(graph.lon, graph.lat, snapper.crs)
        remaining = budget - times[reached]
        radius = np.clip(remaining * metres_per_min, 1.0, max(params.max_snap_m, 1.0))
        points = shapely.points(x[reached], y[reached])
        segments = _reached_segments(graph, times, budget, x, y, direction)
        if method == "concave_hull":
            coords = np.vstack([np.column_stack([x[reached], y[reached]]),
                                shapely.get_coordinates(segments)])
            hull = shapely.concave_hull(shapely.multipoints(coords), ratio=0.3)
            parts.append(cast(Polygon, shapely.buffer(hull, edge_buffer_m)))
        elif method == "buffers":
            parts.extend(shapely.buffer(points, radius, quad_segs=8))
            if len(segments):
                parts.extend(shapely.buffer(segments, edge_buffer_m, quad_segs=4))
        else:
            raise ProximiteError(f"méthode « {method} » inconnue (buffers ou concave_hull)")
    area = shapely.union_all(parts)
    to_wgs84 = transformer(snapper.crs, "EPSG:4326")
    return shapely.transform(area, lambda xy: np.column_stack(
        to_wgs84.transform(xy[:, 0], xy[:, 1])))


def _reached_segments(graph: RoadGraph, times: np.ndarray, budget: float, x: np.ndarray,
                      y: np.ndarray, direction: str) -> np.ndarray:
    """Edges leading towards the service from within the budget, clipped at the budget.

    With ``to_service``, an edge u->v is usable from a point at fraction f before v when
    times[v] + (1 - f) * w <= budget; with ``from_service`` the same holds on the forward
    edge leaving a reached node. Both read as: from the reached end, cover
    ``min(1, (budget - times[end]) / w)`` of the edge.
    """
    matrix = graph.matrix.tocoo()
    if direction == "to_service":
        near, far = matrix.col, matrix.row  # reached end = head of the road edge
    else:
        near, far = matrix.row, matrix.col
    ok = np.isfinite(times[near]) & (times[near] <= budget)
    near, far, weight = near[ok], far[ok], matrix.data[ok]
    if not len(near):
        return np.empty(0, dtype=object)
    fraction = np.clip((budget - times[near]) / weight, 0.0, 1.0)
    x_end = x[near] + fraction * (x[far] - x[near])
    y_end = y[near] + fraction * (y[far] - y[near])
    coords = np.stack([np.column_stack([x[near], y[near]]),
                       np.column_stack([x_end, y_end])], axis=1)
    return np.asarray(shapely.linestrings(coords))


def population_within(result: DiagnosticResult, service_id: str, time_min: float, *,
                      direction: Literal["to_service", "from_service"] = "to_service") -> float:
    """Population of the origins that reach this service within ``time_min``.

    Any service, not only the nearest: this is the population a service *could* serve.
    Times include both off-network legs, as in the access times.
    """
    if not time_min > 0:
        raise ProximiteError(f"le temps doit être > 0 minute (reçu : {time_min})")
    services = result.services
    row = services[services["service_id"].astype(str) == str(service_id)]
    if row.empty:
        raise ProximiteError(f"identifiant de service inconnu {service_id} : absent des "
                             "services du diagnostic (voir services.csv)")
    params = result.options.access or AccessParams()
    snapper = Snapper.for_graph(result.graph)
    s_node, s_dist = snapper.snap(row["lon"].to_numpy(), row["lat"].to_numpy())
    if s_dist[0] > params.max_snap_m:
        return 0.0
    budget = time_min - float(params.leg_minutes(s_dist)[0])
    if budget <= 0:
        return 0.0
    times = _bounded_times(result.graph, int(s_node[0]), budget, direction)
    origins = result.origins
    o_node, o_dist = snapper.snap(origins["lon"].to_numpy(), origins["lat"].to_numpy())
    total = params.leg_minutes(o_dist) + times[o_node]
    inside = (o_dist <= params.max_snap_m) & (total <= budget)
    return float(origins["population"].to_numpy(dtype=float)[inside].sum())


__all__ = ["population_within", "reachable_area", "service_catchments"]
