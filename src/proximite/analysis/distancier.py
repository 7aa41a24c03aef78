"""Distancier: the time and distance matrix between two point sets on one network.

What INSEE's Metric gives for town halls, on any network: one row per (from, to) pair,
``travel_time_min`` and ``distance_km`` including both local-access legs (the network's
own, stated in its description). A point and itself (same id) are 0 apart. Distances are
known where the network knows lengths (Travel Mapping: straight km x length factor per
class); elsewhere the column stays empty (said in :attr:`Distancier.note`). It adds the
access legs of :mod:`proximite.access`, hence its place above the network; the points'
reader is :func:`proximite.network.calibration_io.read_points_csv`, the writer
:func:`proximite.io.distancier.write_distancier`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.access import AccessParams
from proximite.network.contract import contract_degree2
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

MATRIX_COLUMNS = ["from_id", "to_id", "travel_time_min", "distance_km", "status"]


@dataclass
class Distancier:
    matrix: pd.DataFrame
    note: str


def _straight_km(graph: RoadGraph) -> np.ndarray | None:
    """Straight km of each stored edge when the graph says its speeds and factors."""
    speed = graph.metadata.get("speed_kmh")
    factor = graph.metadata.get("length_factor")
    if not speed or not factor or graph.edge_class is None:
        return None
    per_km = {c: factor[c] / speed[c] * 60.0 for c in speed}
    return graph.matrix.data / np.array([per_km[str(c)] for c in graph.edge_class])


def compute_distancier(graph: RoadGraph, origins: pd.DataFrame, destinations: pd.DataFrame,
                       access: AccessParams) -> Distancier:
    """Times (min) and distances (km) from every origin to every destination.

    ``origins`` / ``destinations``: ``id, lon, lat``. A point farther than
    ``access.max_snap_m`` from the network has no time (status ``hors_reseau``).
    """
    from proximite.network.calibration import path_class_lengths
    from proximite.network.travelmapping import ROAD_CLASSES

    snapper = Snapper.for_graph(graph)
    o_node, o_m = snapper.snap(origins["lon"], origins["lat"])
    d_node, d_m = snapper.snap(destinations["lon"], destinations["lat"])
    # Searches on the graph with its degree-2 chains contracted: same times, fewer nodes.
    contracted = contract_degree2(graph, np.concatenate([o_node, d_node]))
    routing = contracted.graph
    o_node, d_node = contracted.nodes(o_node), contracted.nodes(d_node)
    straight = _straight_km(routing)
    if straight is None:
        from scipy.sparse.csgraph import dijkstra

        unique = np.unique(o_node)
        times = dijkstra(routing.matrix, directed=True, indices=unique)
        times = times[np.searchsorted(unique, o_node)][:, d_node]
        road_km = np.full(times.shape, np.nan)
    else:
        times, lengths = path_class_lengths(routing, straight, o_node, d_node)
        factor = np.array([graph.metadata["length_factor"][c] for c in ROAD_CLASSES])
        road_km = lengths @ factor
    leg_min_o, leg_min_d = access.leg_minutes(o_m), access.leg_minutes(d_m)
    leg_km_o = o_m * access.detour_factor / 1000.0
    leg_km_d = d_m * access.detour_factor / 1000.0
    total_min = times + leg_min_o[:, None] + leg_min_d[None, :]
    total_km = road_km + leg_km_o[:, None] + leg_km_d[None, :]
    off = (o_m > access.max_snap_m)[:, None] | (d_m > access.max_snap_m)[None, :]
    same = origins["id"].to_numpy()[:, None] == destinations["id"].to_numpy()[None, :]
    total_min = np.where(same, 0.0, np.where(off | ~np.isfinite(total_min), np.nan, total_min))
    total_km = np.where(same, 0.0, np.where(off, np.nan, total_km))
    status = np.where(same, "ok", np.where(off, "hors_reseau",
                                           np.where(np.isnan(total_min), "inaccessible", "ok")))
    n_o, n_d = len(origins), len(destinations)
    matrix = pd.DataFrame({
        "from_id": np.repeat(origins["id"].to_numpy(), n_d),
        "to_id": np.tile(destinations["id"].to_numpy(), n_o),
        "travel_time_min": total_min.ravel().round(2),
        "distance_km": total_km.ravel().round(3),
        "status": status.ravel(),
    })
    note = (f"Temps et distances sur : {graph.description}. Accès local compris aux deux "
            "bouts ; même identifiant = 0.")
    if straight is None:
        note += " Ce réseau ne donne pas les longueurs : distance_km est vide."
    return Distancier(matrix=matrix, note=note)
