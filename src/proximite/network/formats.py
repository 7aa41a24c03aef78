"""The network file formats: one registry used by the loader, the CLI help and the docs.

A format is recognised by its file name suffix, else by sniffing its first bytes (a
``.dat`` OSM PBF, a BD TOPO dump without ``.sql``). :func:`register` adds a format (e.g.
the Travel Mapping folder or archive) without touching the loader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from proximite.errors import InputError
from proximite.network.graph import RoadGraph

SNIFF_BYTES = 4096


class Builder(Protocol):
    def __call__(self, path: Path, *, mode: str, node_coordinates: pd.DataFrame | None,
                 nodes_path: str | Path | None, edge_speed_kmh: float,
                 is_stand_in: bool | None) -> RoadGraph: ...


@dataclass(frozen=True)
class NetworkFormat:
    """One kind of network file: how to recognise it and which builder reads it."""

    name: str
    label: str  # French, shown in the CLI help, errors and docs
    suffixes: tuple[str, ...]
    build: Builder
    sniff: Callable[[bytes], bool] | None = None
    directory: bool = False  # read from a folder rather than a file

    def describe(self) -> str:
        return f"{self.label} ({', '.join(self.suffixes)})" if self.suffixes else self.label


def _osm(path: Path, *, mode: str, **_: Any) -> RoadGraph:
    from proximite.network.osm import build_osm_graph

    return build_osm_graph(path, mode=mode)


def _bdtopo(path: Path, *, mode: str, **_: Any) -> RoadGraph:
    from proximite.network.bdtopo import build_bdtopo_graph

    return build_bdtopo_graph(path, mode=mode)


def _edges(path: Path, *, mode: str, node_coordinates: pd.DataFrame | None,
           nodes_path: str | Path | None, edge_speed_kmh: float,
           is_stand_in: bool | None) -> RoadGraph:
    from proximite.network.edges import read_edge_table

    return read_edge_table(path, node_coordinates=node_coordinates, mode=mode,
                           nodes_path=nodes_path, speed_kmh=edge_speed_kmh,
                           is_stand_in=is_stand_in)


def _is_osm(head: bytes) -> bool:
    return (b"OSMHeader" in head[:64] or head.startswith(b"\xff\xe0\x04o5m2")
            or (b"<osm" in head and head.lstrip().startswith(b"<")))


def _is_bdtopo(head: bytes) -> bool:
    text = head.lower()
    return (head.startswith(b"SQLite format 3\x00")
            or (b"troncon_de_route" in text and (b"insert into" in text
                                                 or b"create table" in text)))


FORMATS: list[NetworkFormat] = [
    NetworkFormat("osm", "extrait OpenStreetMap",
                  (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2", ".o5m", ".opl"),
                  _osm, _is_osm),
    NetworkFormat("bdtopo", "table troncon_de_route de la BD TOPO (IGN)",
                  (".sql", ".gpkg", ".shp", ".geojson", ".json", ".fgb"), _bdtopo, _is_bdtopo),
    NetworkFormat("edges", "table d'arcs", (".csv", ".tsv", ".txt"), _edges),
]


def register(fmt: NetworkFormat, *, first: bool = False) -> None:
    """Add a format (``first``: tried before the others, for a more specific suffix)."""
    FORMATS.insert(0, fmt) if first else FORMATS.append(fmt)


def formats_help() -> str:
    """The supported formats, in French, for help texts and error messages."""
    return " ; ".join(fmt.describe() for fmt in FORMATS)


def detect(path: str | Path) -> NetworkFormat:
    """The format of ``path``: by suffix (longest first), else by its first bytes."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier de réseau introuvable", path=path, expected=formats_help())
    if path.is_dir():
        for fmt in FORMATS:
            if fmt.directory:
                return fmt
        raise InputError("un dossier n'est pas un réseau lisible", path=path,
                         expected=formats_help())
    name = path.name.lower()
    matches = [(len(s), fmt) for fmt in FORMATS if not fmt.directory
               for s in fmt.suffixes if name.endswith(s)]
    if matches:
        return max(matches, key=lambda m: m[0])[1]
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for fmt in FORMATS:
        if fmt.sniff is not None and fmt.sniff(head):
            return fmt
    raise InputError("format de réseau inconnu", path=path, expected=formats_help())
