"""Fit a Travel Mapping graph's class speeds to a reference matrix of town-hall times.

Pure computation (no file I/O: :mod:`proximite.network.calibration_io` reads and writes).

On a fixed path, a trip's time is linear in the parameters:
``sum_c L_c x m_c + leg_km x a`` where ``L_c`` is the straight length of class ``c``
along the path, ``m_c = length_factor_c / speed_c x 60`` the minutes per straight km of
the class and ``a = detour / access_speed x 60`` that of the two local-access legs. The
fit alternates: shortest paths for the current parameters give each pair's ``L_c``; a
bounded robust least squares (``scipy.optimize.least_squares``, soft-L1 loss, so a few
pairs the coarse network cannot serve do not drag the fit) gives new parameters; repeat
until the parameters stop moving. Each step runs on the network with its degree-2
chains contracted (same times between the points, fewer nodes). A time matrix only
identifies ``m_c``: with no reference distances the length factors stay at their values
and the speeds absorb the fit (said in the result).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import least_squares
from scipy.sparse.csgraph import dijkstra

from proximite.errors import ProximiteError
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper
from proximite.network.travelmapping import (
    ROAD_CLASSES,
    TravelMappingNetwork,
    TravelMappingParams,
)

# The robust losses scipy.optimize.least_squares knows.
LeastSquaresLoss = Literal["linear", "soft_l1", "huber", "cauchy", "arctan"]
DISTANCE_BANDS_KM = (0.0, 10.0, 20.0, 40.0, 80.0, np.inf)
SPEED_BOUNDS_KMH = (20.0, 140.0)
ACCESS_SPEED_BOUNDS_KMH = (5.0, 90.0)
MIN_CLASS_SHARE = 0.005  # a class below this share of the path lengths is not fitted


@dataclass
class Reference:
    """A reference OD matrix: ``time_min[i, j]`` from point ``i`` to point ``j``."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    time_min: np.ndarray
    name: str = ""

    def subset(self, keep: np.ndarray) -> Reference:
        idx = np.flatnonzero(keep)
        return Reference(self.ids[idx], self.lon[idx], self.lat[idx],
                         self.time_min[np.ix_(idx, idx)], self.name)


@dataclass
class FitFigures:
    """How close the network's times are to the reference's (off-diagonal pairs)."""

    n_pairs: int
    median_abs_error_min: float
    median_rel_error: float
    bias_min: float
    r2: float
    # ``to_km`` is None for the last, open band.
    bias_by_band: list[dict[str, float | None]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"n_pairs": self.n_pairs,
                "median_abs_error_min": round(self.median_abs_error_min, 3),
                "median_rel_error": round(self.median_rel_error, 4),
                "bias_min": round(self.bias_min, 3), "r2": round(self.r2, 4),
                "bias_by_band": self.bias_by_band}


@dataclass
class CalibrationResult:
    params: TravelMappingParams
    converged: bool
    message: str
    iterations: int
    fit: FitFigures
    uncalibrated: FitFigures
    fitted_classes: list[str]
    n_points: int
    n_points_off_network: int


def fit_figures(model_min: np.ndarray, reference_min: np.ndarray,
                crow_km: np.ndarray) -> FitFigures:
    """Median absolute / relative error, bias, r² and bias by crow-fly distance band."""
    error = model_min - reference_min
    rel = np.abs(error) / np.maximum(reference_min, 1e-9)
    ss_res = float(np.sum(error ** 2))
    ss_tot = float(np.sum((reference_min - reference_min.mean()) ** 2))
    bands = []
    for low, high in itertools.pairwise(DISTANCE_BANDS_KM):
        inside = (crow_km >= low) & (crow_km < high)
        if inside.any():
            bands.append({"from_km": low, "to_km": None if np.isinf(high) else high,
                          "n_pairs": int(inside.sum()),
                          "median_error_min": round(float(np.median(error[inside])), 3),
                          "median_rel_error": round(float(np.median(
                              error[inside] / np.maximum(reference_min[inside], 1e-9))), 4)})
    return FitFigures(n_pairs=len(error), median_abs_error_min=float(np.median(np.abs(error))),
                      median_rel_error=float(np.median(rel)), bias_min=float(np.median(error)),
                      r2=1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
                      bias_by_band=bands)


def path_class_lengths(graph: RoadGraph, straight_km: np.ndarray, sources: np.ndarray,
                       targets: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Shortest times and the straight km of each class along each shortest path.

    ``straight_km`` is the straight length of each stored edge (aligned with
    ``graph.matrix.data``). Returns ``(time_min[s, t], lengths[s, t, class])``. The
    per-class sums walk up the predecessor trees from the targets only, every pair of
    a batch at once (vectorised), dropping the pairs whose walk has reached its source:
    work in proportion to the path lengths, not to the graph's size.
    """
    matrix = graph.matrix
    n = graph.n_nodes
    codes = {c: i for i, c in enumerate(ROAD_CLASSES)}
    class_code = np.fromiter((codes[str(c)] for c in _edge_classes(graph)), dtype=np.int64,
                             count=graph.n_edges)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    keys = rows * n + matrix.indices.astype(np.int64)  # sorted: CSR order
    straight_km = np.asarray(straight_km, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.int64)
    times = np.empty((len(sources), len(targets)))
    lengths = np.empty((len(sources), len(targets), len(ROAD_CLASSES)))
    for start in range(0, len(sources), batch):
        chunk = sources[start:start + batch]
        dist, pred = dijkstra(matrix, directed=True, indices=chunk, return_predecessors=True)
        times[start:start + len(chunk)] = dist[:, targets]
        flat_pred = pred.astype(np.int64).ravel()
        # The stored edge from each node's predecessor into it, once per batch.
        has = flat_pred >= 0
        edge_in = np.full(len(flat_pred), -1, dtype=np.int64)
        edge_in[has] = np.searchsorted(keys, flat_pred[has] * n + np.flatnonzero(has) % n)
        pair = np.arange(len(chunk) * len(targets))
        at = np.repeat(np.arange(len(chunk), dtype=np.int64) * n, len(targets)) + np.tile(
            targets, len(chunk))  # (source, node) flat index of each pair's walk
        acc = np.zeros((len(pair), len(ROAD_CLASSES)))
        while len(pair):
            edge = edge_in[at]
            live = edge >= 0
            pair, at, edge = pair[live], at[live], edge[live]
            acc[pair, class_code[edge]] += straight_km[edge]  # pairs are unique here
            at = at - at % n + flat_pred[at]
        lengths[start:start + len(chunk)] = acc.reshape(len(chunk), len(targets), -1)
    return times, lengths


def _params_from(theta: np.ndarray, fitted: list[str],
                 base: TravelMappingParams) -> TravelMappingParams:
    speeds = {code: base.length_factor[code] * 60.0 / float(value)
              for value, code in zip(theta[:-1], fitted, strict=True)}
    return base.with_values(speed_kmh=speeds,
                            access_speed_kmh=base.access_detour_factor * 60.0 / float(theta[-1]))


def calibrate(network: TravelMappingNetwork, reference: Reference,
              initial: TravelMappingParams | None = None, *,
              max_iterations: int = 10, tolerance: float = 1e-3,
              loss: LeastSquaresLoss = "soft_l1", f_scale_min: float = 2.0) -> CalibrationResult:
    """Fit the class speeds and the access speed to the reference times.

    Pairs whose points are farther than ``max_snap_m`` from the network are left out
    (counted). ``converged`` is False when least squares fails or the parameters still
    move after ``max_iterations``: the caller then keeps the defaults.
    """
    params = initial or TravelMappingParams()
    graph = network.graph(params)
    snapper = Snapper.for_graph(graph)
    node, snap_m = snapper.snap(reference.lon, reference.lat)
    on = snap_m <= params.max_snap_m
    ref = reference.subset(on)
    node, snap_km = node[on], snap_m[on] / 1000.0
    n = len(ref.ids)
    off_diagonal = ~np.eye(n, dtype=bool)
    target = ref.time_min[off_diagonal]
    legs = (snap_km[:, None] + snap_km[None, :])[off_diagonal]
    x, y = snapper_xy(snapper, ref.lon, ref.lat)
    crow_km = (np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) / 1000.0)[off_diagonal]
    # Contracted once, by length: exact times between the snapped points for any speeds,
    # on a network a third smaller that each step re-weights.
    position = {nid: i for i, nid in enumerate(network.node_ids)}
    small = network.contracted(np.array([position[nid] for nid in graph.node_ids[node]],
                                        dtype=np.int64))

    def model(current: TravelMappingParams) -> tuple[np.ndarray, np.ndarray]:
        g = small.graph(current)
        straight = _straight_km(g, current)
        times, lengths = path_class_lengths(g, straight, _node_in(g, graph, node),
                                            _node_in(g, graph, node))
        leg_min = legs * current.access_detour_factor / current.access_speed_kmh * 60.0
        return times[off_diagonal] + leg_min, lengths[off_diagonal]

    times, lengths = model(params)
    uncalibrated = fit_figures(times, target, crow_km)
    share = lengths.sum(axis=0) / max(lengths.sum(), 1e-9)
    fitted = [c for c, s in zip(ROAD_CLASSES, share, strict=True) if s >= MIN_CLASS_SHARE]
    fitted_idx = [ROAD_CLASSES.index(c) for c in fitted]
    low = [params.length_factor[c] * 60.0 / SPEED_BOUNDS_KMH[1] for c in fitted]
    high = [params.length_factor[c] * 60.0 / SPEED_BOUNDS_KMH[0] for c in fitted]
    low.append(params.access_detour_factor * 60.0 / ACCESS_SPEED_BOUNDS_KMH[1])
    high.append(params.access_detour_factor * 60.0 / ACCESS_SPEED_BOUNDS_KMH[0])
    per_km = params.minutes_per_km()
    theta = np.clip(np.array([per_km[c] for c in fitted]
                             + [params.access_detour_factor / params.access_speed_kmh * 60]),
                    low, high)
    message = "ajustement convergé"
    converged = False
    iteration = 0
    fixed = [i for i in range(len(ROAD_CLASSES)) if i not in fitted_idx]
    current = params
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported)
        design = np.column_stack([lengths[:, fitted_idx], legs])
        offset = lengths[:, fixed] @ np.array([current.minutes_per_km()[ROAD_CLASSES[i]]
                                                for i in fixed]) if fixed else 0.0
        solution = least_squares(_residuals(design, offset, target), theta,
                                 jac=_jacobian(design), bounds=(low, high), loss=loss,
                                 f_scale=f_scale_min)
        if not solution.success:
            message = f"les moindres carrés n'ont pas convergé ({solution.message})"
            break
        change = float(np.max(np.abs(solution.x - theta) / theta))
        theta = solution.x
        current = _params_from(theta, fitted, params)
        times, lengths = model(current)
        if change < tolerance:
            converged = True
            break
    else:
        message = (f"les paramètres bougent encore après {max_iterations} itérations "
                   "(chemins instables)")
    return CalibrationResult(
        params=current, converged=converged, message=message, iterations=iteration,
        fit=fit_figures(times, target, crow_km), uncalibrated=uncalibrated,
        fitted_classes=fitted, n_points=n, n_points_off_network=int((~on).sum()))


def _residuals(design: np.ndarray, offset: np.ndarray | float, target: np.ndarray
               ) -> Callable[[np.ndarray], np.ndarray]:
    """Model minus reference minutes, for the design of one iteration."""
    return lambda theta: design @ theta + offset - target


def _jacobian(design: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The model is linear in the minutes per km: its Jacobian is the design matrix."""
    return lambda theta: design


def snapper_xy(snapper: Snapper, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    from proximite.network.snap import project

    return project(lon, lat, snapper.crs)


def _straight_km(graph: RoadGraph, params: TravelMappingParams) -> np.ndarray:
    """Straight length of each stored edge, recovered from its time and class."""
    per_km = params.minutes_per_km()
    return graph.matrix.data / np.array([per_km[str(c)] for c in _edge_classes(graph)])


def _edge_classes(graph: RoadGraph) -> np.ndarray:
    """The road class of each stored edge (calibration needs a classed network)."""
    if graph.edge_class is None:
        raise ProximiteError("le calage demande un réseau dont les arcs portent leur classe de "
                             "route (attendu : un réseau Travel Mapping ou OSM classé)")
    return graph.edge_class


def _node_in(graph: RoadGraph, reference_graph: RoadGraph, node: np.ndarray) -> np.ndarray:
    """Node indices of ``reference_graph`` in ``graph`` (same ids; re-weighting keeps the
    node set, this only guards the order)."""
    if graph.n_nodes == reference_graph.n_nodes and np.array_equal(graph.node_ids,
                                                                   reference_graph.node_ids):
        return node
    position = {nid: i for i, nid in enumerate(graph.node_ids)}
    return np.array([position[nid] for nid in reference_graph.node_ids[node]])
