"""The routable graph shared by every network source.

A :class:`RoadGraph` is a directed sparse matrix of travel times in minutes (row = from
node, column = to node) with node coordinates. Builders (OSM, BD TOPO, edge table) only
produce edge arrays and call :meth:`RoadGraph.from_edges`; routing never depends on where
the graph came from.

Each stored edge may carry a road class (``edge_class``: the OSM ``highway`` tag, the BD
TOPO ``nature``, an edge table's ``class`` column), kept aligned with ``matrix.data`` so
scenarios can change the speed of one class (:meth:`RoadGraph.with_speed_factors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from proximite.errors import ProximiteError
from proximite.messages import number

MODES = ("car", "walk")
#: How messages and network descriptions name each mode, in French.
MODE_WORDS = {"car": "en voiture", "walk": "à pied"}


@dataclass
class RoadGraph:
    """Directed travel-time graph.

    ``matrix[i, j]`` is the time in minutes to go from node ``i`` to node ``j``.
    ``node_ids`` keeps the source's identifiers (OSM node ids, INSEE codes...).
    """

    matrix: sp.csr_matrix
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    mode: str = "car"
    description: str = ""
    is_stand_in: bool = False
    warnings: list[str] = field(default_factory=list)
    # Road class of each stored edge, aligned with ``matrix.data`` (CSR order); None when
    # the source gave no class.
    edge_class: np.ndarray | None = None
    # What a builder knows about its network beyond the edges (its local-access leg, its
    # calibration and measured error...), for the pipeline, the report and the géoportail.
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.matrix.nnz)

    @classmethod
    def from_edges(
        cls,
        node_ids: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        from_index: np.ndarray,
        to_index: np.ndarray,
        travel_time_min: np.ndarray,
        *,
        mode: str = "car",
        description: str = "",
        is_stand_in: bool = False,
        keep_largest_component: bool = True,
        edge_class: np.ndarray | None = None,
    ) -> RoadGraph:
        """Build a graph from directed edges given as node indices.

        Parallel edges keep the fastest one (and its ``edge_class``). Self-loops are
        dropped. Zero-time edges are raised to a tiny positive time, since sparse graph
        tools read a stored zero as "no edge" in some code paths. The CSR arrays are built
        explicitly from the edges sorted by (from, to), so ``edge_class`` stays aligned
        with ``matrix.data``.
        """
        if mode not in MODES:
            raise ProximiteError(f"mode « {mode} » inconnu (attendu : {', '.join(MODES)})")
        from_index = np.asarray(from_index, dtype=np.int64)
        to_index = np.asarray(to_index, dtype=np.int64)
        minutes = np.asarray(travel_time_min, dtype=np.float64)
        n = len(node_ids)
        if len(from_index) == 0:
            raise ProximiteError(f"{description or 'réseau'} : aucun arc praticable "
                                 f"{MODE_WORDS.get(mode, mode)}")
        if not np.all(np.isfinite(minutes)) or np.any(minutes < 0):
            raise ProximiteError(f"{description} : les temps des arcs doivent être des "
                                 "nombres finis ≥ 0")
        classes = None
        if edge_class is not None:
            classes = np.asarray(edge_class, dtype=object)
            if len(classes) != len(from_index):
                raise ProximiteError(f"{description} : {len(classes)} classes de route pour "
                                     f"{len(from_index)} arcs (attendu : une par arc)")
        keep = from_index != to_index
        from_index, to_index, minutes = from_index[keep], to_index[keep], minutes[keep]
        minutes = np.maximum(minutes, 1e-9)
        # Fastest of parallel edges: sort by time descending so the last (fastest) wins.
        order = np.lexsort((-minutes, to_index, from_index))
        from_index, to_index, minutes = from_index[order], to_index[order], minutes[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (from_index[1:] != from_index[:-1]) | (to_index[1:] != to_index[:-1])
        if classes is not None:
            classes = classes[keep][order][last]
        matrix = _csr_from_sorted(from_index[last], to_index[last], minutes[last], n)
        graph = cls(
            matrix=matrix,
            node_ids=np.asarray(node_ids),
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            mode=mode,
            description=description,
            is_stand_in=is_stand_in,
            edge_class=classes,
        )
        return graph.largest_strong_component() if keep_largest_component else graph

    def largest_strong_component(self) -> RoadGraph:
        """Keep the largest strongly connected component (every node reaches every other).

        Without this, origins snapped to a dead-end island would be unreachable from
        everything; the number of dropped nodes is kept as a warning.
        """
        n_comp, labels = csgraph.connected_components(self.matrix, directed=True,
                                                      connection="strong")
        if n_comp <= 1:
            return self
        sizes = np.bincount(labels)
        keep = labels == int(np.argmax(sizes))
        idx = np.flatnonzero(keep)
        # Explicit sub-matrix (not fancy indexing) so edge_class stays aligned with data:
        # rows stay sorted and the renumbering is monotonic, so the CSR order is kept.
        rows = np.repeat(np.arange(self.n_nodes), np.diff(self.matrix.indptr))
        cols = self.matrix.indices
        inside = keep[rows] & keep[cols]
        new_index = np.cumsum(keep) - 1
        sub = _csr_from_sorted(new_index[rows[inside]], new_index[cols[inside]],
                               self.matrix.data[inside], len(idx))
        dropped = self.n_nodes - len(idx)
        graph = RoadGraph(
            matrix=sub,
            node_ids=self.node_ids[idx],
            lon=self.lon[idx],
            lat=self.lat[idx],
            mode=self.mode,
            description=self.description,
            is_stand_in=self.is_stand_in,
            warnings=[*self.warnings,
                      f"{number(dropped)} nœud(s) du réseau sur {number(self.n_nodes)} sont hors "
                      "de sa plus "
                      "grande composante fortement connexe et ont été écartés"],
            edge_class=None if self.edge_class is None else self.edge_class[inside],
            metadata=dict(self.metadata),
        )
        return graph

    def reversed_matrix(self) -> sp.csr_matrix:
        """Transpose: searching from services on it gives origin -> service times."""
        return self.matrix.transpose().tocsr()

    def edge_classes(self) -> list[str]:
        """The road classes present in the graph (sorted)."""
        return [] if self.edge_class is None else sorted({str(c) for c in self.edge_class})

    def with_speed_factors(self, factors: dict[str, float]) -> RoadGraph:
        """A copy where each edge of a class takes ``time / factor`` (0.8 = 20 % slower).

        Used by scenarios (a road closed to trucks, a 30 km/h zone...). Only the fastest
        of parallel edges was kept at construction, so a slowed class does not fall back
        on a parallel edge of another class: times can only be overestimated there.
        """
        if self.edge_class is None:
            raise ProximiteError(f"{self.description or 'réseau'} : les arcs n'ont pas de "
                                 "classe de route, impossible de changer les vitesses par "
                                 "classe")
        present = self.edge_classes()
        unknown = sorted(str(c) for c in factors if str(c) not in present)
        if unknown:
            raise ProximiteError(f"classe(s) de route inconnue(s) {', '.join(unknown)} "
                                 f"(classes du réseau : {', '.join(present)})")
        bad = sorted(f"{c}={f}" for c, f in factors.items()
                     if not (np.isfinite(float(f)) and float(f) > 0))
        if bad:
            raise ProximiteError("les facteurs de vitesse doivent être finis et > 0 (reçu : "
                                 f"{', '.join(bad)})")
        divisor = np.ones(self.n_edges)
        labels = self.edge_class.astype(str)
        for code, factor in factors.items():
            divisor[labels == str(code)] = float(factor)
        matrix = self.matrix.copy()
        matrix.data = np.maximum(matrix.data / divisor, 1e-9)
        changes = ", ".join(f"{c} x{float(f):g}" for c, f in factors.items())
        return RoadGraph(
            matrix=matrix, node_ids=self.node_ids, lon=self.lon, lat=self.lat,
            mode=self.mode,
            description=f"{self.description} (vitesses : {changes})" if factors
            else self.description,
            is_stand_in=self.is_stand_in, warnings=list(self.warnings),
            edge_class=self.edge_class, metadata=dict(self.metadata),
        )


def _csr_from_sorted(rows: np.ndarray, cols: np.ndarray, data: np.ndarray,
                     n: int) -> sp.csr_matrix:
    """CSR matrix from unique edges sorted by (row, col), data kept in that exact order."""
    counts = np.bincount(np.asarray(rows, dtype=np.int64), minlength=n)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    index_dtype = np.int32 if n < np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(cols, dtype=index_dtype),
         indptr.astype(index_dtype)), shape=(n, n))
    matrix.has_sorted_indices = True
    return matrix


def shortest_times_from(matrix: sp.csr_matrix, node: int, *, limit: float = np.inf,
                        ) -> np.ndarray:
    """Dijkstra times (min) from one node to every node, ``inf`` beyond ``limit``.

    One typed entry point: SciPy accepts a single source index, its stubs only an array.
    """
    return np.asarray(csgraph.dijkstra(matrix, directed=True, indices=[int(node)],
                                       limit=limit)[0])
