"""Nearest-service travel times, origin -> service, on a road graph.

One shortest-path search per category: a virtual source linked to every service's node
(with the service's off-network leg as weight) on the *reversed* graph, so a single
scipy Dijkstra gives, for every node, the time to its nearest service. The nearest
service itself is recovered from the predecessor tree by pointer jumping (vectorised).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from proximite.inventory.schema import itinerant_mask, permanent_mask
from proximite.messages import number
from proximite.model import (
    STATUS_NO_SERVICE,
    STATUS_OK,
    STATUS_UNREACHABLE,
    AccessParams,
)
from proximite.network.contract import contract_degree2
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

ACCESS_COLUMNS = [
    "origin_id",
    "category",
    "travel_time_min",
    "status",
    "status_detail",
    "nearest_service_id",
    "snap_distance_m",
    "service_snap_distance_m",
]


def multi_source_search(
    reversed_matrix: sp.csr_matrix, source_nodes: np.ndarray, source_offsets_min: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shortest time from every node to the nearest source, with per-source offsets.

    Returns ``(time_min, root_node)``: ``root_node[v]`` is the source node where the
    shortest path from ``v`` ends (-1 where unreachable).
    """
    n = reversed_matrix.shape[0]
    source_nodes = np.asarray(source_nodes, dtype=np.int64)
    offsets = np.asarray(source_offsets_min, dtype=np.float64)
    rev = reversed_matrix
    # Augmented graph: node n is a virtual source with one edge to every service node.
    indptr = np.concatenate([rev.indptr, [rev.indptr[-1] + len(source_nodes)]])
    indices = np.concatenate([rev.indices, source_nodes.astype(rev.indices.dtype)])
    data = np.concatenate([rev.data, offsets])
    augmented = sp.csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
    dist_2d, pred_2d = dijkstra(augmented, directed=True, indices=[n],
                                return_predecessors=True)
    dist = dist_2d[0, :n]
    pred = pred_2d[0, :n]
    parent = pred.astype(np.int64)
    own = np.arange(n, dtype=np.int64)
    is_root = (parent == n) | (parent < 0)
    parent[is_root] = own[is_root]
    root = parent
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    root = root.copy()
    root[~np.isfinite(dist)] = -1
    return dist, root


@dataclass
class SnappedPoints:
    node: np.ndarray
    distance_m: np.ndarray
    on_network: np.ndarray  # bool: within max_snap_m


def snap_points(snapper: Snapper, lon: np.ndarray, lat: np.ndarray,
                params: AccessParams) -> SnappedPoints:
    node, distance = snapper.snap(lon, lat)
    return SnappedPoints(node=node, distance_m=distance, on_network=distance <= params.max_snap_m)


#: ``search(source_nodes, source_offsets_min, origin_nodes) -> (time_min, root_node)`` at
#: the origins' nodes: the whole-graph search by default, a cut one for a territory block.
Search = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class PreparedAccess:
    """Origins and services snapped once, with their off-network legs: what every
    category's search needs (one category, or one category x block, at a time)."""

    origin_ids: np.ndarray
    origins: SnappedPoints
    origin_leg_min: np.ndarray
    service_ids: np.ndarray
    service_categories: np.ndarray
    services: SnappedPoints
    service_leg_min: np.ndarray
    n_nodes: int
    params: AccessParams
    # Categories of the services left out (itinerant or remote when timing sites): said
    # in the status of a category that has only those.
    other_categories: np.ndarray = field(default_factory=lambda: np.array([], dtype=str))
    itinerant: bool = False
    # The graph the searches run on (node numbers of ``origins.node``/``services.node``);
    # not needed by a worker that is given its own search.
    routing: RoadGraph | None = None


def prepare_access(graph: RoadGraph, origins: pd.DataFrame, services: pd.DataFrame,
                   params: AccessParams | None = None, *,
                   snapper: Snapper | None = None, contract: bool = True,
                   itinerant: bool = False) -> PreparedAccess:
    """Snap the origins and services on the graph (the whole graph: a cut one would move
    a point near its edge to another node), then contract its degree-2 chains keeping
    the snapped nodes (``contract``: same times, :mod:`proximite.network.contract`).

    Only permanent sites are kept (:func:`~proximite.inventory.schema.permanent_mask`);
    ``itinerant=True`` keeps the itinerant stops instead.
    """
    keep = itinerant_mask(services) if itinerant else permanent_mask(services)
    others = services[~keep]
    services = services[keep]
    params = params or AccessParams()
    snapper = snapper or Snapper.for_graph(graph)
    o_snap = snap_points(snapper, origins["lon"].to_numpy(), origins["lat"].to_numpy(), params)
    s_snap = snap_points(snapper, services["lon"].to_numpy(), services["lat"].to_numpy(), params)
    routing = graph
    if contract:
        contracted = contract_degree2(graph, np.concatenate([o_snap.node, s_snap.node]))
        o_snap = SnappedPoints(contracted.nodes(o_snap.node), o_snap.distance_m,
                               o_snap.on_network)
        s_snap = SnappedPoints(contracted.nodes(s_snap.node), s_snap.distance_m,
                               s_snap.on_network)
        routing = contracted.graph
    return PreparedAccess(
        origin_ids=origins["origin_id"].to_numpy(), origins=o_snap,
        origin_leg_min=params.leg_minutes(o_snap.distance_m),
        service_ids=services["service_id"].to_numpy().astype(str),
        service_categories=services["category"].to_numpy().astype(str), services=s_snap,
        service_leg_min=params.leg_minutes(s_snap.distance_m), n_nodes=routing.n_nodes,
        params=params, other_categories=others["category"].to_numpy().astype(str),
        itinerant=itinerant, routing=routing)


def whole_graph_search(reversed_matrix: sp.csr_matrix) -> Search:
    """The search on the whole (reversed) graph."""
    def search(nodes: np.ndarray, offsets: np.ndarray,
               origin_nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dist, root = multi_source_search(reversed_matrix, nodes, offsets)
        return dist[origin_nodes], root[origin_nodes]
    return search


def category_times(prepared: PreparedAccess, code: str, members: Sequence[str],
                   search: Search, rows: np.ndarray | None = None) -> pd.DataFrame:
    """Time from each origin (``rows`` of the table, default all) to the nearest service
    whose category is in ``members``; one row per origin, columns :data:`ACCESS_COLUMNS`."""
    params = prepared.params
    rows = np.arange(len(prepared.origin_ids)) if rows is None else np.asarray(rows)
    o_node = prepared.origins.node[rows]
    o_distance = prepared.origins.distance_m[rows]
    o_on_network = prepared.origins.on_network[rows]
    o_leg = prepared.origin_leg_min[rows]
    s_snap, s_leg = prepared.services, prepared.service_leg_min
    in_cat = np.isin(prepared.service_categories, list(members))
    usable = in_cat & s_snap.on_network
    frame = pd.DataFrame({
        "origin_id": prepared.origin_ids[rows],
        "category": code,
        "travel_time_min": np.nan,
        "status": STATUS_OK,
        "status_detail": "",
        "nearest_service_id": "",
        "snap_distance_m": o_distance,
        "service_snap_distance_m": np.nan,
    })
    if not usable.any():
        frame["status"] = STATUS_NO_SERVICE
        elsewhere = int(np.isin(prepared.other_categories, list(members)).sum())
        frame["status_detail"] = (
            f"aucun site permanent de cette catégorie, seulement {elsewhere} service(s) "
            "itinérant(s) ou à distance (non comptés comme sites)"
            if not in_cat.any() and elsewhere and not prepared.itinerant
            else "aucun service de cette catégorie dans le territoire et sa marge"
            if not in_cat.any()
            else f"{int(in_cat.sum())} service(s) de cette catégorie, tous à plus de "
            f"{number(params.max_snap_m, 0)} m du réseau"
        )
        return frame
    idx = np.flatnonzero(usable)
    # Best service per node: the one with the shortest off-network leg.
    order = np.lexsort((s_leg[idx], s_snap.node[idx]))
    idx = idx[order]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = s_snap.node[idx][1:] != s_snap.node[idx][:-1]
    idx = idx[first]
    o_dist, o_root = search(s_snap.node[idx], s_leg[idx], o_node)
    best_at_node = np.full(prepared.n_nodes, -1, dtype=np.int64)
    best_at_node[s_snap.node[idx]] = idx
    reached = o_on_network & np.isfinite(o_dist)
    svc = np.where(reached, best_at_node[np.maximum(o_root, 0)], -1)
    frame["travel_time_min"] = np.where(reached, o_leg + o_dist, np.nan)
    frame["nearest_service_id"] = np.where(reached, prepared.service_ids[np.maximum(svc, 0)],
                                           "")
    frame["service_snap_distance_m"] = np.where(
        reached, s_snap.distance_m[np.maximum(svc, 0)], np.nan)
    frame.loc[~reached, "status"] = STATUS_UNREACHABLE
    off = ~o_on_network
    frame.loc[off, "status_detail"] = [
        f"origine à {number(d / 1000, 1)} km du réseau routier "
        f"(plus de {number(params.max_snap_m / 1000, 1)} km)"
        for d in o_distance[off]
    ]
    no_path = o_on_network & ~np.isfinite(o_dist)
    frame.loc[no_path, "status_detail"] = "aucun chemin routier vers un service de cette catégorie"
    return frame


def nearest_service_times(
    graph: RoadGraph,
    origins: pd.DataFrame,
    services: pd.DataFrame,
    categories: dict[str, list[str]],
    params: AccessParams | None = None,
    *,
    snapper: Snapper | None = None,
    progress: object | None = None,
    contract: bool = True,
    itinerant: bool = False,
) -> pd.DataFrame:
    """Travel time from each origin to the nearest service of each category.

    ``origins``: columns ``origin_id, lon, lat``. ``services``: ``service_id, category,
    lon, lat`` (and ``access_modes``). ``categories`` maps a reported category to the
    service categories that count for it (a category and its children). Returns one row
    per origin and category with the columns :data:`ACCESS_COLUMNS`; no row is ever dropped.
    Points snap to the full graph; the searches run on it with its degree-2 chains
    contracted (``contract``, same times: :mod:`proximite.network.contract`).

    Only permanent sites count (:func:`~proximite.inventory.schema.permanent_mask`): a bus
    there one day a week must not halve a median. ``itinerant=True`` times the itinerant
    stops instead (the indicator "accès à une permanence itinérante").
    """
    prepared = prepare_access(graph, origins, services, params, snapper=snapper,
                              contract=contract, itinerant=itinerant)
    assert prepared.routing is not None
    search = whole_graph_search(prepared.routing.reversed_matrix())
    frames = []
    for code, members in categories.items():
        frames.append(category_times(prepared, code, members, search))
        if progress is not None:
            progress()  # type: ignore[operator]
    if not frames:
        return pd.DataFrame(columns=ACCESS_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ACCESS_COLUMNS]
