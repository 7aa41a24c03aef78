"""Pick the right network builder from a file (formats in :mod:`proximite.network.formats`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from proximite.errors import InputError
from proximite.network.formats import detect
from proximite.network.graph import RoadGraph
from proximite.network.travelmapping import TravelMappingParams


def load_network(path: str | Path, *, mode: str = "car",
                 node_coordinates: pd.DataFrame | None = None,
                 nodes_path: str | Path | None = None,
                 edge_speed_kmh: float = 60.0,
                 is_stand_in: bool | None = None,
                 calibration: str | Path | None = None,
                 travelmapping: TravelMappingParams | None = None,
                 use_calibration: bool = True) -> RoadGraph:
    """Build a :class:`RoadGraph` from any supported network file (or folder).

    ``calibration``: a calibration file for a Travel Mapping network (default: the
    shipped Isère calibration) applied over ``travelmapping`` (the settings' parameters);
    cut to ``node_coordinates`` + margin when given.
    """
    path = Path(path)
    from proximite.network.travelmapping import is_travelmapping

    if path.exists() and is_travelmapping(path):
        from proximite.network.calibration_io import load_travelmapping

        if mode != "car":
            raise InputError("le réseau Travel Mapping ne sert qu'en voiture", path=path,
                             field="mode", expected="--mode car")
        return load_travelmapping(path, points=node_coordinates, calibration=calibration,
                                  params=travelmapping, use_calibration=use_calibration)
    return detect(path).build(path, mode=mode, node_coordinates=node_coordinates,
                              nodes_path=nodes_path, edge_speed_kmh=edge_speed_kmh,
                              is_stand_in=is_stand_in)
