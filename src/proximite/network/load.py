"""Pick the right network builder from a file (formats in :mod:`proximite.network.formats`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from proximite.network.formats import detect
from proximite.network.graph import RoadGraph


def load_network(path: str | Path, *, mode: str = "car",
                 node_coordinates: pd.DataFrame | None = None,
                 nodes_path: str | Path | None = None,
                 edge_speed_kmh: float = 60.0,
                 is_stand_in: bool | None = None) -> RoadGraph:
    """Build a :class:`RoadGraph` from any supported network file (or folder)."""
    path = Path(path)
    return detect(path).build(path, mode=mode, node_coordinates=node_coordinates,
                              nodes_path=nodes_path, edge_speed_kmh=edge_speed_kmh,
                              is_stand_in=is_stand_in)
