"""Every origin -> service pair within a time cutoff: the cost table of potential measures.

Floating-catchment measures need all services in reach of each origin, not only the
nearest one. A full origin × service matrix is out of the question on a national graph,
so the search is bounded: Dijkstra from each service node on the *reversed* graph (so
times are origin -> service, as for :func:`proximite.access.nearest_service_times`),
stopped at the cutoff (``limit=``), services taken by batches and only the origins'
columns kept. Memory is one batch × all nodes while searching, then proportional to the
pairs kept.

Off-network legs are paid as in :mod:`proximite.access` (straight line at the access
speed, both ends). Points farther than ``max_snap_m`` from the network are left out; their
ids are in the result's ``attrs["excluded_origin_ids"]`` / ``attrs["excluded_service_ids"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from proximite.access import AccessParams, snap_points
from proximite.errors import ProximiteError, SettingError
from proximite.messages import short_number
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

BOUNDED_COLUMNS = ["origin_id", "service_id", "travel_time_min"]
# Slack on the search limit so float rounding in ``cutoff - legs`` never drops a pair at
# exactly the cutoff; the exact test ``total <= cutoff`` is applied afterwards.
_LIMIT_SLACK = 1e-9


def bounded_travel_times(
    graph: RoadGraph,
    origins: pd.DataFrame,
    services: pd.DataFrame,
    cutoff_min: float,
    params: AccessParams | None = None,
    *,
    snapper: Snapper | None = None,
    batch_size: int = 64,
) -> pd.DataFrame:
    """All (origin, service) pairs with origin leg + road + service leg <= ``cutoff_min``.

    ``origins``: ``origin_id, lon, lat``; ``services``: ``service_id, lon, lat`` (other
    columns ignored). Returns :data:`BOUNDED_COLUMNS`, sorted by origin (input order) then
    time; ids keep their input type. Off-network points: see the module docstring.
    """
    cutoff = float(cutoff_min)
    if not cutoff > 0:  # also rejects NaN
        raise SettingError("cutoff_min", short_number(cutoff), "un temps limite > 0 min")
    if batch_size < 1:
        raise SettingError("batch_size", batch_size, "un nombre d'origines par lot ≥ 1")
    for name, table, id_column in (("origines", origins, "origin_id"),
                                   ("services", services, "service_id")):
        missing = [c for c in (id_column, "lon", "lat") if c not in table.columns]
        if missing:
            raise ProximiteError(f"{name} : colonne(s) manquante(s) " + ", ".join(missing))
    params = params or AccessParams()
    snapper = snapper or Snapper.for_graph(graph)

    o_snap = snap_points(snapper, origins["lon"].to_numpy(), origins["lat"].to_numpy(), params)
    s_snap = snap_points(snapper, services["lon"].to_numpy(), services["lat"].to_numpy(),
                         params)
    o_leg = params.leg_minutes(o_snap.distance_m)
    s_leg = params.leg_minutes(s_snap.distance_m)
    origin_ids = origins["origin_id"].to_numpy()
    service_ids = services["service_id"].to_numpy()

    # Only points on the network, whose own leg leaves time for the rest, can pair up.
    o_rows = np.flatnonzero(o_snap.on_network & (o_leg <= cutoff))
    s_rows = np.flatnonzero(s_snap.on_network & (s_leg <= cutoff))
    pair_origin: list[np.ndarray] = []
    pair_service: list[np.ndarray] = []
    pair_time: list[np.ndarray] = []
    if len(o_rows) and len(s_rows):
        reversed_matrix = graph.reversed_matrix()
        o_nodes = o_snap.node[o_rows]
        o_legs = o_leg[o_rows]
        min_o_leg = float(o_legs.min())
        # Services with close legs in the same batch keep each search's limit tight.
        s_rows = s_rows[np.argsort(s_leg[s_rows], kind="stable")]
        for start in range(0, len(s_rows), batch_size):
            batch = s_rows[start:start + batch_size]
            batch_legs = s_leg[batch]
            nodes, node_of_service = np.unique(s_snap.node[batch], return_inverse=True)
            limit = cutoff - float(batch_legs.min()) - min_o_leg
            limit += _LIMIT_SLACK * max(1.0, cutoff)
            dist = dijkstra(reversed_matrix, directed=True, indices=nodes,
                            limit=max(limit, 0.0))
            road = dist[:, o_nodes]  # batch nodes × origins: the only part kept
            del dist
            total = (batch_legs[:, None] + road[node_of_service]) + o_legs[None, :]
            service_pos, origin_pos = np.nonzero(total <= cutoff)
            pair_service.append(batch[service_pos])
            pair_origin.append(o_rows[origin_pos])
            pair_time.append(total[service_pos, origin_pos])

    if pair_origin:
        origin_row = np.concatenate(pair_origin)
        service_row = np.concatenate(pair_service)
        minutes = np.concatenate(pair_time)
    else:
        origin_row = service_row = np.zeros(0, dtype=np.int64)
        minutes = np.zeros(0)
    order = np.lexsort((service_row, minutes, origin_row))
    result = pd.DataFrame({
        "origin_id": origin_ids[origin_row[order]],
        "service_id": service_ids[service_row[order]],
        "travel_time_min": minutes[order],
    }, columns=BOUNDED_COLUMNS)
    result.attrs["excluded_origin_ids"] = list(origin_ids[~o_snap.on_network])
    result.attrs["excluded_service_ids"] = list(service_ids[~s_snap.on_network])
    return result


def bounded_times_from(graph: RoadGraph, node: int, leg_min: float,
                       service_nodes: np.ndarray, service_leg_min: np.ndarray,
                       cutoff_min: float) -> np.ndarray:
    """Time from one origin (snapped to ``node``, off-network leg ``leg_min``) to each
    service: service leg + road + origin leg, inf beyond ``cutoff_min``.

    Why one forward search and not :func:`bounded_travel_times` (a search per service
    batch): a national géoportail answers a commune or a point on request, one Dijkstra
    stopped at the cutoff (~3 ms on the 157,000-node France graph), where the search
    from every service would cost seconds per request.
    """
    cutoff = float(cutoff_min)
    service_leg_min = np.asarray(service_leg_min, dtype=float)
    times = np.full(len(service_leg_min), np.inf)
    if not len(times) or leg_min > cutoff:
        return times
    limit = cutoff - float(service_leg_min.min()) - leg_min + _LIMIT_SLACK * max(1.0, cutoff)
    road = dijkstra(graph.matrix, directed=True, indices=[int(node)],
                    limit=max(limit, 0.0))[0]
    total = (service_leg_min + road[np.asarray(service_nodes, dtype=np.int64)]) + leg_min
    within = total <= cutoff
    times[within] = total[within]
    return times
