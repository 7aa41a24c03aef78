"""The routable graph shared by every network source.

A :class:`RoadGraph` is a directed sparse matrix of travel times in minutes (row = from
node, column = to node) with node coordinates. Builders (OSM, BD TOPO, edge table) only
produce edge arrays and call :meth:`RoadGraph.from_edges`; routing never depends on where
the graph came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from proximite.errors import ProximiteError

MODES = ("car", "walk")


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
    ) -> RoadGraph:
        """Build a graph from directed edges given as node indices.

        Parallel edges keep the fastest one. Self-loops are dropped. Zero-time edges are
        raised to a tiny positive time, since sparse graph tools read a stored zero as
        "no edge" in some code paths.
        """
        if mode not in MODES:
            raise ProximiteError(f"unknown mode '{mode}' (expected one of {', '.join(MODES)})")
        from_index = np.asarray(from_index, dtype=np.int64)
        to_index = np.asarray(to_index, dtype=np.int64)
        minutes = np.asarray(travel_time_min, dtype=np.float64)
        n = len(node_ids)
        if len(from_index) == 0:
            raise ProximiteError(f"{description or 'network'}: no usable edge for mode '{mode}'")
        if not np.all(np.isfinite(minutes)) or np.any(minutes < 0):
            raise ProximiteError(f"{description}: edge travel times must be finite and >= 0")
        keep = from_index != to_index
        from_index, to_index, minutes = from_index[keep], to_index[keep], minutes[keep]
        minutes = np.maximum(minutes, 1e-9)
        # Fastest of parallel edges: sort by time descending so the last (fastest) wins.
        order = np.lexsort((-minutes, to_index, from_index))
        from_index, to_index, minutes = from_index[order], to_index[order], minutes[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (from_index[1:] != from_index[:-1]) | (to_index[1:] != to_index[:-1])
        matrix = sp.csr_matrix(
            (minutes[last], (from_index[last], to_index[last])), shape=(n, n)
        )
        graph = cls(
            matrix=matrix,
            node_ids=np.asarray(node_ids),
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            mode=mode,
            description=description,
            is_stand_in=is_stand_in,
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
        sub = self.matrix[idx][:, idx].tocsr()
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
                      f"{dropped} of {self.n_nodes} network nodes are outside the largest "
                      "strongly connected component and were set aside"],
        )
        return graph

    def reversed_matrix(self) -> sp.csr_matrix:
        """Transpose: searching from services on it gives origin -> service times."""
        return self.matrix.transpose().tocsr()
