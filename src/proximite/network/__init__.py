"""Routable road graphs: built from OSM PBF, IGN BD TOPO or a plain edge table."""

from proximite.network.graph import RoadGraph

__all__ = ["RoadGraph"]
