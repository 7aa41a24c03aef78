"""Pick the right network builder from a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from proximite.errors import InputError
from proximite.network.graph import RoadGraph
from proximite.network.travelmapping import TravelMappingParams

SUPPORTED = "an OSM extract (.osm.pbf, .osm), an IGN BD TOPO troncon_de_route table " \
    "(.sql dump, .gpkg, .shp), a Travel Mapping archive (.tar.gz or folder) or an edge " \
    "table (.csv)"


def load_network(path: str | Path, *, mode: str = "car",
                 node_coordinates: pd.DataFrame | None = None,
                 nodes_path: str | Path | None = None,
                 edge_speed_kmh: float = 60.0,
                 is_stand_in: bool | None = None,
                 calibration: str | Path | None = None,
                 travelmapping: TravelMappingParams | None = None,
                 use_calibration: bool = True) -> RoadGraph:
    """Build a :class:`RoadGraph` from any supported network file.

    ``calibration``: a calibration file for a Travel Mapping network (default: the
    shipped Isère calibration) applied over ``travelmapping`` (the settings' parameters);
    cut to ``node_coordinates`` + margin when given.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("network file not found", path=path, expected=SUPPORTED)
    name = path.name.lower()
    from proximite.network.travelmapping import is_travelmapping

    if is_travelmapping(path):
        from proximite.network.calibration_io import load_travelmapping

        if mode != "car":
            raise InputError("le réseau Travel Mapping ne sert qu'en voiture", path=path,
                             field="mode", expected="--mode car")
        return load_travelmapping(path, points=node_coordinates, calibration=calibration,
                                  params=travelmapping, use_calibration=use_calibration)
    if name.endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        from proximite.network.osm import build_osm_graph

        return build_osm_graph(path, mode=mode)
    if name.endswith((".sql", ".gpkg", ".shp", ".fgb")):
        from proximite.network.bdtopo import build_bdtopo_graph

        return build_bdtopo_graph(path, mode=mode)
    if name.endswith((".csv", ".tsv", ".txt")):
        from proximite.network.edges import read_edge_table

        return read_edge_table(path, node_coordinates=node_coordinates, mode=mode,
                               nodes_path=nodes_path,
                               speed_kmh=edge_speed_kmh, is_stand_in=is_stand_in)
    raise InputError("unknown network format", path=path, expected=SUPPORTED)
