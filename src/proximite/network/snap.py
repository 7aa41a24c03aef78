"""Snap points (origins, services) to the nearest node of a road graph.

Distances are measured in a metric projection: Lambert-93 (EPSG:2154) for metropolitan
France, the local UTM zone elsewhere. Every snap distance is kept so the off-network leg
is paid at a stated access speed and can be audited.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from scipy.spatial import cKDTree

from proximite.network.graph import RoadGraph

LAMBERT93 = "EPSG:2154"
_FRANCE_BBOX = (-5.5, 41.0, 10.0, 51.5)


def metric_crs_for(lon: np.ndarray, lat: np.ndarray) -> str:
    """Lambert-93 when the points are in metropolitan France, else their UTM zone."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    west, south, east, north = _FRANCE_BBOX
    if len(lon) == 0 or (
        lon.min() >= west and lon.max() <= east and lat.min() >= south and lat.max() <= north
    ):
        return LAMBERT93
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(
            float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
        ),
    )
    return CRS.from_epsg(int(infos[0].code)).to_string()


@lru_cache(maxsize=64)
def transformer(source: str | int | CRS, target: str | int | CRS) -> Transformer:
    """The (lon, lat)-ordered transformer between two CRSs, built once per process.

    Building one looks the operation up in PROJ's database (~17 ms); applying it to a
    few points takes microseconds, and a diagnostic, a scenario or a catchment asks for
    the same few transformers many times. pyproj's transformers are thread-safe (3.1+).
    """
    return Transformer.from_crs(source, target, always_xy=True)


def project(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = transformer("EPSG:4326", crs).transform(np.asarray(lon, dtype=float),
                                                   np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


class Snapper:
    """Nearest-node lookup on one graph (KD-tree built once, queried many times).

    Use :meth:`for_graph`: every step (diagnostic, analysis, scenarios, planning, API)
    then shares one KD-tree per graph instead of projecting all nodes again.
    """

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self.crs = metric_crs_for(graph.lon, graph.lat)
        x, y = project(graph.lon, graph.lat, self.crs)
        self._tree = cKDTree(np.column_stack([x, y]))

    @classmethod
    def for_graph(cls, graph: RoadGraph) -> Snapper:
        """The graph's snapper, built on first use and kept on the graph itself (so it
        lives and dies with the graph; a graph is never modified in place)."""
        snapper = graph.__dict__.get("_snapper")
        if snapper is None:
            snapper = cls(graph)
            graph.__dict__["_snapper"] = snapper
        return snapper

    def snap(self, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Return (node index, snap distance in metres) for each point."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if len(lon) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        x, y = project(lon, lat, self.crs)
        distance_m, node = self._tree.query(np.column_stack([x, y]))
        return np.asarray(node, dtype=np.int64), np.asarray(distance_m, dtype=float)

