"""Travel Mapping "HighwayData" waypoint files as a coarse road graph.

Travel Mapping (https://travelmapping.net) lists every numbered road (autoroutes, routes
nationales, the D-roads of each département) as waypoint files
``hwy_data/<region>/<system>/<root>.wpt``: one line per waypoint, ``LABEL [ALT...] URL``
with ``lat=..&lon=..`` in the URL. The routes of a system are listed in
``hwy_data/_systems/<system>.csv``. Two routes meet where they share a waypoint at
identical coordinates: those waypoints become one node (a junction); routes that cross
without a shared waypoint do not connect (a bridge, or a gap in the data).

The graph is coarse: straight segments between waypoints and no speed. Each edge gets a
road class from its system and route name, and its time is
``straight length x length factor / speed`` with a speed and a length factor per class
(:class:`TravelMappingParams`, uncalibrated defaults from domain.md, or a calibration file
fitted on a real reference: :mod:`proximite.network.calibration`). Origins and services
reach the graph by a local-access leg (crow-fly distance x detour factor at an access
speed), stated in the network's description.

Territory filter: an edge is kept when one of its two waypoints lies within the
territory's bounding box widened by ``margin_m``; routes are thus cut one segment beyond
the margin, not kept whole (a whole autoroute would cross France for nothing).

Reading is split from building: :func:`read_travelmapping` does the I/O (a ``.tar.gz``
read in memory, never unpacked to disk, or an unpacked folder) and returns
:class:`TravelMappingData`; :func:`build_network` and :meth:`TravelMappingNetwork.graph`
are pure.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Geod

from proximite.errors import InputError, ProximiteError, SettingError
from proximite.network.graph import RoadGraph

ROAD_CLASSES = ("autoroute", "nationale", "departementale", "autre")
CLASS_LABELS_FR = {"autoroute": "autoroutes", "nationale": "nationales",
                   "departementale": "départementales", "autre": "autres"}
# Systems that re-list roads already present in another system (E roads over A/N roads,
# tourist routes, a Swiss tour): their own waypoints would add straight chords over the
# real roads, so they are left out by default.
OVERLAY_SYSTEMS = ("eure", "fratr", "chegts")
_WAYPOINT = re.compile(rb"lat=([-+]?[0-9.]+)&lon=([-+]?[0-9.]+)")
# One waypoint line: its primary label, then the coordinates of its URL.
_WAYPOINT_LINE = re.compile(rb"^[ \t]*(\S+)[^\n]*?lat=([-+]?[0-9.]+)&lon=([-+]?[0-9.]+)",
                            re.MULTILINE)
_NON_BLANK_LINE = re.compile(rb"^[ \t]*\S", re.MULTILINE)
_D_SYSTEM = re.compile(r"^fra[a-z]{3}d\d")
_M_SYSTEM = re.compile(r"^fra[a-z]{3}m\d")
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class TravelMappingParams:
    """Speeds, length factors and the local-access leg of a Travel Mapping graph.

    Uncalibrated defaults (domain.md): A 115, N 80, D 65 km/h, every length x 1.3 (the
    straight segments are 20-35 % short on winding roads); "autre" (métropolitaines...)
    50 km/h. The access leg joins a point to its nearest node: crow-fly distance x
    ``access_detour_factor`` at ``access_speed_kmh`` (communal streets and tracks the
    graph does not hold); points farther than ``max_snap_m`` are not reachable. Segments
    are kept within the territory's box + ``margin_m``. Flat fields, so that each one is
    a key of the settings tree (``network.travelmapping.nationale_speed_kmh``); a
    calibration file, when one applies, replaces the speeds and factors.
    """

    autoroute_speed_kmh: float = 115.0
    nationale_speed_kmh: float = 80.0
    departementale_speed_kmh: float = 65.0
    autre_speed_kmh: float = 50.0
    autoroute_length_factor: float = 1.3
    nationale_length_factor: float = 1.3
    departementale_length_factor: float = 1.3
    autre_length_factor: float = 1.3
    access_speed_kmh: float = 30.0
    access_detour_factor: float = 1.3
    max_snap_m: float = 5000.0
    margin_m: float = 30_000.0
    excluded_systems: tuple[str, ...] = OVERLAY_SYSTEMS

    def __post_init__(self) -> None:
        for name, values in (("speed_kmh", self.speed_kmh),
                             ("length_factor", self.length_factor)):
            bad = [f"{c}_{name}={v}" for c, v in values.items()
                   if not (np.isfinite(v) and v > 0)]
            if bad:
                raise SettingError(bad[0].split("=")[0], bad[0].split("=")[1],
                                   "un nombre > 0")
        if not (self.access_speed_kmh > 0):
            raise SettingError("access_speed_kmh", self.access_speed_kmh, "une vitesse > 0")
        if not (self.access_detour_factor >= 1.0):
            raise SettingError("access_detour_factor", self.access_detour_factor,
                               "un facteur >= 1")
        for name in ("max_snap_m", "margin_m"):
            if not getattr(self, name) >= 0:  # also rejects NaN
                raise SettingError(name, getattr(self, name), "une distance ≥ 0 m")

    @property
    def speed_kmh(self) -> dict[str, float]:
        return {c: float(getattr(self, f"{c}_speed_kmh")) for c in ROAD_CLASSES}

    @property
    def length_factor(self) -> dict[str, float]:
        return {c: float(getattr(self, f"{c}_length_factor")) for c in ROAD_CLASSES}

    def with_values(self, *, speed_kmh: dict[str, float] | None = None,
                    length_factor: dict[str, float] | None = None,
                    **others: float) -> TravelMappingParams:
        """A copy with some class speeds / factors (by class) and other fields changed."""
        changes: dict[str, Any] = dict(others)
        for suffix, values in (("speed_kmh", speed_kmh or {}),
                               ("length_factor", length_factor or {})):
            for code, value in values.items():
                if code not in ROAD_CLASSES:
                    raise ProximiteError(f"classe de route inconnue : {code} (attendu : "
                                         + ", ".join(ROAD_CLASSES) + ")")
                changes[f"{code}_{suffix}"] = float(value)
        return replace(self, **changes)

    def minutes_per_km(self) -> dict[str, float]:
        """Minutes per straight-line km of each class (all a time fit can identify)."""
        return {c: self.length_factor[c] / self.speed_kmh[c] * 60.0 for c in ROAD_CLASSES}

    def access(self) -> dict[str, float]:
        """Keyword arguments of :class:`proximite.access.AccessParams` for this network."""
        return {"access_speed_kmh": self.access_speed_kmh,
                "detour_factor": self.access_detour_factor,
                "max_snap_m": self.max_snap_m}

    def summary_fr(self, calibration: dict[str, Any] | None = None) -> str:
        """One French sentence: speeds, factors, access leg and ``calibration`` (its
        reference and fit figures; None: uncalibrated)."""
        classes = ", ".join(f"{CLASS_LABELS_FR[c]} {_fr(self.speed_kmh[c], 0)} km/h × "
                            f"{_fr(self.length_factor[c], 2)}" for c in ROAD_CLASSES)
        text = (f"vitesses et facteurs de longueur : {classes} ; accès local à vol d'oiseau "
                f"× {_fr(self.access_detour_factor, 2)} à {_fr(self.access_speed_kmh, 0)} km/h "
                f"(au plus {_fr(self.max_snap_m / 1000, 0)} km)")
        cal = calibration
        if cal:
            fit = cal.get("fit", {})
            text += (f" ; calibré sur {cal.get('reference', '?')} : écart médian "
                     f"{_fr(fit.get('median_abs_error_min', math.nan), 1)} min "
                     f"({_fr(100 * fit.get('median_rel_error', math.nan), 1)} %), "
                     f"r² {_fr(fit.get('r2', math.nan), 2)}")
            if not cal.get("length_factors_fitted", False):
                text += (" ; facteurs de longueur non ajustés (la référence ne donne que des "
                         "temps : les vitesses absorbent l'ajustement)")
        else:
            text += " ; non calibré (valeurs par défaut)"
        return text


def _fr(value: float, digits: int) -> str:
    """A number with a decimal comma."""
    return f"{value:.{digits}f}".replace(".", ",")


@dataclass
class TravelMappingData:
    """Every waypoint of the routes read, in file order.

    ``routes``: one row per route file (``system, region, route, root, road_class, path``);
    ``route_of``: the route row of each waypoint; ``lon``/``lat``/``label``: the waypoints
    (labels as ASCII bytes, as in the files).
    """

    source: str
    routes: pd.DataFrame
    route_of: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    label: np.ndarray
    warnings: list[str] = field(default_factory=list)


def road_class(system: str, route: str) -> str:
    """Road class from the system (fraa, fran, fra<reg>d<dep>...) then the route name."""
    system = system.lower()
    name = route.upper()
    if system in ("fraa", "frasf"):
        return "autoroute"
    if system in ("fran", "fracort"):
        return "nationale"
    if _D_SYSTEM.match(system) or system == "fracord":
        return "departementale"
    if _M_SYSTEM.match(system):
        return "autre"
    if re.match(r"^A\d", name):
        return "autoroute"
    if re.match(r"^[NT]\d", name):
        return "nationale"
    if re.match(r"^D\d", name):
        return "departementale"
    return "autre"


# ---------------------------------------------------------------------------------------
# Reading (I/O)


def _archive_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """(relative name, content) of every regular file of a .tar(.gz) or a folder."""
    if path.is_dir():
        root = path
        for file in sorted(root.rglob("*")):
            if file.is_file() and (file.suffix in (".wpt", ".csv")):
                yield file.relative_to(root).as_posix(), file.read_bytes()
        return
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)  # one pass in memory, faster than a seeking stream
        members = _ustar_members(raw)
        if members is None:  # an extension (pax, GNU long names): the standard library
            with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
                members = [(m.name, archive.extractfile(m).read())  # type: ignore[union-attr]
                           for m in archive if m.isfile()]
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise InputError(f"archive Travel Mapping illisible ou corrompue (« {exc} »)", path=path,
                         expected="une archive .tar.gz du dépôt HighwayData") from exc
    for name, content in members:
        yield (name[2:] if name.startswith("./") else name), content


def _ustar_members(raw: bytes) -> list[tuple[str, bytes]] | None:
    """(name, content) of the regular files of a plain ustar/GNU archive held in memory.

    Why not :mod:`tarfile` alone: it spends most of the build decoding its 40,000
    headers field by field (benchmarks/bench_travelmapping.py); this reads only name,
    size, type and checksum. It returns None for any header it does not handle (pax,
    GNU long names, links), and the caller then uses :mod:`tarfile`.
    """
    members = []
    offset, end = 0, len(raw)
    while offset + 512 <= end:
        header = raw[offset:offset + 512]
        if header.count(0) == 512:
            break  # end-of-archive blocks
        try:
            size = int(header[124:136].strip(b"\0 ") or b"0", 8)
            checksum = int(header[148:156].strip(b"\0 "), 8)
        except ValueError:
            return None
        if checksum != sum(header[:148]) + 256 + sum(header[156:]):
            raise tarfile.ReadError(f"somme de contrôle d'en-tête fausse à l'octet {offset}")
        flag = header[156:157]
        if flag not in (b"0", b"\0", b"5"):
            return None
        name = header[:100].split(b"\0", 1)[0]
        if header[257:262] == b"ustar":
            prefix = header[345:500].split(b"\0", 1)[0]
            if prefix:
                name = prefix + b"/" + name
        start = offset + 512
        if flag != b"5":
            if start + size > end:
                raise tarfile.ReadError("archive tronquée")
            members.append((name.decode("utf-8", "replace"), raw[start:start + size]))
        offset = start + (size + 511) // 512 * 512
    return members


def _read_system_lists(files: dict[str, bytes], path: Path) -> pd.DataFrame:
    """Routes listed by ``hwy_data/_systems/<system>.csv`` (the ``_con`` files are not)."""
    rows = []
    for name, content in sorted(files.items()):
        parts = name.split("/")
        if len(parts) < 3 or parts[-2] != "_systems" or name.endswith("_con.csv"):
            continue
        text = content.decode("utf-8-sig", errors="replace")
        # Headers differ between files (fileNameRoot / root, system / systemName): the
        # columns are read by position, as Travel Mapping's own site-update tool does.
        reader = csv.reader(io.StringIO(text), delimiter=";")
        next(reader, None)
        for line, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            cells = [cell.strip() for cell in record] + [""] * 7
            system, region, route, banner, root = (cells[0], cells[1], cells[2], cells[3],
                                                   cells[6])
            if not (root and system and region):
                raise InputError("ligne de système incomplète", path=f"{path}/{name}",
                                 line=line, field="system/region/root",
                                 expected="system;region;route;banner;abbrev;city;root")
            rows.append({"system": system, "region": region, "route": route + banner,
                         "root": root, "listed_in": f"{name}:{line}"})
    return pd.DataFrame(rows, columns=["system", "region", "route", "root", "listed_in"])


def _declared_systems(files: dict[str, bytes]) -> set[str] | None:
    """Systems of the top-level ``systems.csv`` (None when the extract has none)."""
    content = next((c for n, c in files.items() if n.split("/")[-1] == "systems.csv"), None)
    if content is None:
        return None
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig", errors="replace")),
                        delimiter=";")
    next(reader, None)
    return {row[0].strip() for row in reader if row and row[0].strip()}


INDEX_FORMAT = "proximite-travelmapping-index/1"
ROUTE_COLUMNS = ("system", "region", "route", "root", "path", "road_class")


def index_path(archive: Path) -> Path:
    """Where the parsed index of an archive lives: next to it, ``<name>.index.npz``."""
    return archive.with_name(archive.name + ".index.npz")


def write_index(data: TravelMappingData, archive: Path,
                excluded_systems: tuple[str, ...] = OVERLAY_SYSTEMS) -> Path:
    """Write the parsed waypoints of ``archive`` next to it (``scripts/`` does this for
    the shipped archive), keyed by the archive's SHA-256 so a changed archive is parsed
    again. Coordinates are kept as integer micro-degrees when that is exact (the files
    publish 6 decimals), labels as one newline-joined blob: ~2 MB for all of France.
    """
    lon6, lat6 = np.round(data.lon * 1e6), np.round(data.lat * 1e6)
    exact = np.array_equal(lon6 / 1e6, data.lon) and np.array_equal(lat6 / 1e6, data.lat)
    arrays: dict[str, Any] = {
        "format": np.array(INDEX_FORMAT), "sha256": np.array(_sha256(archive)),
        "excluded": np.array(sorted(excluded_systems), dtype=str),
        "warnings": np.array(data.warnings, dtype=str),
        "counts": np.bincount(data.route_of, minlength=len(data.routes)).astype(np.int32),
        "labels": np.frombuffer(b"\n".join(data.label.tolist()), dtype=np.uint8),
        **{f"route_{c}": data.routes[c].to_numpy(dtype=str) for c in ROUTE_COLUMNS}}
    if exact:
        arrays |= {"lon6": lon6.astype(np.int32), "lat6": lat6.astype(np.int32)}
    else:
        arrays |= {"lon": data.lon, "lat": data.lat}
    out = index_path(archive)
    with out.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_index(archive: Path, excluded_systems: tuple[str, ...]) -> TravelMappingData | None:
    """The archive's index when it exists and was made from these very bytes with the
    same excluded systems; None otherwise (the archive is then parsed: same result)."""
    where = index_path(archive)
    if not where.is_file():
        return None
    try:
        with np.load(where, allow_pickle=False) as index:
            if (str(index["format"]) != INDEX_FORMAT
                    or str(index["sha256"]) != _sha256(archive)
                    or list(index["excluded"]) != sorted(excluded_systems)):
                return None
            counts = index["counts"].astype(np.int64)
            if "lon6" in index:
                lon, lat = index["lon6"] / 1e6, index["lat6"] / 1e6
            else:
                lon, lat = index["lon"], index["lat"]
            labels = index["labels"].tobytes().split(b"\n")
            routes = pd.DataFrame({c: index[f"route_{c}"].tolist() for c in ROUTE_COLUMNS})
            warnings = [str(w) for w in index["warnings"]]
    except (OSError, ValueError, KeyError, zlib.error):
        return None  # an unreadable index is only a lost shortcut
    return TravelMappingData(
        source=str(archive), routes=routes,
        route_of=np.repeat(np.arange(len(counts), dtype=np.int64), counts),
        lon=np.asarray(lon, dtype=np.float64), lat=np.asarray(lat, dtype=np.float64),
        label=np.array(labels), warnings=warnings)


def read_travelmapping(path: str | Path,
                       excluded_systems: tuple[str, ...] = OVERLAY_SYSTEMS, *,
                       use_index: bool = True) -> TravelMappingData:
    """Read every route of a Travel Mapping archive or folder (I/O only, no filtering).

    Every route listed in a ``_systems`` file must have its waypoint file; a waypoint line
    must carry ``lat=`` and ``lon=``. Waypoint files no system lists are read too (their
    class comes from their folder's system) and counted in a warning. An archive with an
    up-to-date index next to it (:func:`write_index`) is read from the index: parsing
    40,000 small files costs seconds, the index a tenth of one (``use_index=False``: parse).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("réseau Travel Mapping introuvable", path=path)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("archive Travel Mapping vide", path=path,
                         expected="une archive .tar.gz du dépôt HighwayData")
    if use_index and path.is_file():
        indexed = _read_index(path, excluded_systems)
        if indexed is not None:
            return indexed
    files = dict(_archive_files(path))
    wpt = {name[name.index("hwy_data/"):] if "hwy_data/" in name else name: content
           for name, content in files.items() if name.endswith(".wpt")}
    if not wpt:
        raise InputError("aucun fichier de points (.wpt) dans le réseau Travel Mapping",
                         path=path, expected="hwy_data/<région>/<système>/<route>.wpt")
    warnings: list[str] = []
    listed = _read_system_lists(files, path)
    listed = listed[~listed["system"].isin(excluded_systems)]
    # Systems that systems.csv does not declare (in development) are not part of the
    # data; routes of regions the extract does not hold (a D-road ending in Switzerland)
    # are outside it. Any other listed route must have its file (names compare
    # case-insensitively, as Travel Mapping's own tools do).
    declared = _declared_systems(files)
    if declared is not None:
        listed = listed[listed["system"].isin(declared)]
    regions = {name.split("/")[1] for name in wpt if name.count("/") == 3}
    outside = ~listed["region"].isin(regions)
    if outside.any():
        warnings.append(f"{int(outside.sum())} route(s) listée(s) dans des régions absentes de "
                        f"{path.name} ignorée(s)")
    listed = listed[~outside]
    # Plain Python on ~40,000 names: pandas string columns cost more here than they save.
    listed_files = [f"hwy_data/{region}/{system}/{root}.wpt".lower() for region, system, root
                    in zip(listed["region"], listed["system"], listed["root"], strict=True)]
    original = {name.lower(): name for name in wpt}
    wpt = {name.lower(): content for name, content in wpt.items()}
    missing = [i for i, name in enumerate(listed_files) if name not in wpt]
    if missing:
        first = listed.iloc[missing[0]]
        raise InputError(
            f"{len(missing)} route(s) listée(s) sans fichier de points, dont "
            f"{listed_files[missing[0]]}", path=f"{path}/{first['listed_in']}",
            field="root", expected="un fichier .wpt pour chaque route listée")
    route_name = dict(zip(listed_files, listed["route"], strict=True))
    unlisted = 0
    rows: list[dict[str, str]] = []
    kept: list[bytes] = []
    counts: list[int] = []
    for name in sorted(wpt):
        parts = name.split("/")
        if len(parts) != 4:
            continue
        _, region, system, filename = original[name].split("/")
        if system in excluded_systems:
            continue
        content = wpt[name]
        # Counting in C first: a file whose every line holds one ``lat=`` is parsed with
        # the others in one pass below; only the odd one is checked line by line.
        n_points = content.count(b"lat=")
        if n_points != content.count(b"\n") + (not content.endswith(b"\n")):
            n_points = _checked_count(content, f"{path}/{original[name]}")
        if n_points < 2:
            continue  # a one-point route has no segment
        if name not in route_name:
            unlisted += 1
        kept.append(content if content.endswith(b"\n") else content + b"\n")
        counts.append(n_points)
        route = route_name.get(name, filename.removesuffix(".wpt").split(".")[-1].upper())
        rows.append({"system": system, "region": region, "route": route,
                     "root": filename.removesuffix(".wpt"), "path": original[name],
                     "road_class": road_class(system, route)})
    if not rows:
        raise InputError("aucune route d'au moins deux points dans le réseau Travel Mapping",
                         path=path)
    if unlisted:
        warnings.append(f"{unlisted} fichier(s) de points de {path.name} ne sont listés dans "
                        "aucun fichier _systems : classe tirée du dossier du système")
    found = _WAYPOINT_LINE.findall(b"".join(kept))
    if len(found) != sum(counts):  # a line with two ``lat=`` (never seen): file by file
        found = [w for content in kept for w in _WAYPOINT_LINE.findall(content)]
    labels, lats, lons = zip(*found, strict=True)
    return TravelMappingData(
        source=str(path), routes=pd.DataFrame(rows),
        route_of=np.repeat(np.arange(len(rows), dtype=np.int64), counts),
        lon=np.array(lons).astype(np.float64), lat=np.array(lats).astype(np.float64),
        label=np.array(labels), warnings=warnings)


def _checked_count(content: bytes, where: str) -> int:
    """Waypoints of a file with blank or malformed lines: refused at the first line
    without coordinates, else the number of waypoint lines."""
    found = _WAYPOINT_LINE.findall(content)
    if len(found) != len(_NON_BLANK_LINE.findall(content)):
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip() and not _WAYPOINT.search(line):
                raise InputError("ligne de point sans coordonnées", path=where,
                                 line=number, field="lat/lon",
                                 expected="LABEL http://www.openstreetmap.org/?lat=..&lon=..")
    return len(found)


# ---------------------------------------------------------------------------------------
# Building (pure)


@dataclass
class TravelMappingNetwork:
    """Junction-merged nodes and undirected segments, before speeds are applied.

    ``u``/``v`` index the nodes; ``length_km`` is the straight (geodesic) length of each
    segment; ``road_class`` its class. :meth:`graph` turns it into a :class:`RoadGraph`
    for given parameters, so a calibration can re-weight it cheaply.
    """

    source: str
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_km: np.ndarray
    road_class: np.ndarray
    n_routes: int
    warnings: list[str] = field(default_factory=list)

    def minutes(self, params: TravelMappingParams) -> np.ndarray:
        """Time of each segment: length x class factor / class speed."""
        per_km = params.minutes_per_km()
        factor = np.array([per_km[c] for c in ROAD_CLASSES])
        return self.length_km * factor[_class_codes(self.road_class)]

    def graph(self, params: TravelMappingParams | None = None,
              calibration: dict[str, Any] | None = None) -> RoadGraph:
        """The routable graph (both directions: Travel Mapping gives no one-way).

        ``calibration``: where ``params`` come from (reference, fit figures), said in the
        description and kept in the metadata for the report and the géoportail.
        """
        params = params or TravelMappingParams()
        minutes = self.minutes(params)
        graph = RoadGraph.from_edges(
            node_ids=self.node_ids, lon=self.lon, lat=self.lat,
            from_index=np.concatenate([self.u, self.v]),
            to_index=np.concatenate([self.v, self.u]),
            travel_time_min=np.concatenate([minutes, minutes]),
            mode="car", description=self.description(params, calibration),
            edge_class=np.concatenate([self.road_class, self.road_class]))
        graph.warnings[:0] = self.warnings
        graph.metadata = {"kind": "travelmapping", "access": params.access(),
                          "calibration": calibration,
                          "speed_kmh": dict(params.speed_kmh),
                          "length_factor": dict(params.length_factor)}
        return graph

    def contracted(self, keep: np.ndarray | None = None) -> TravelMappingNetwork:
        """The network with its degree-2 chains of one class merged into single segments
        (nodes ``keep`` stay): every time between kept nodes is the same for any speeds
        (:func:`proximite.network.contract.contract_segments`)."""
        from proximite.network.contract import contract_segments

        codes = _class_codes(self.road_class)
        u, v, length_km, code, kept = contract_segments(self.u, self.v, self.length_km, codes,
                                                        len(self.node_ids), keep)
        new_index = np.cumsum(kept) - 1
        return replace(self, node_ids=self.node_ids[kept], lon=self.lon[kept],
                       lat=self.lat[kept], u=new_index[u], v=new_index[v],
                       length_km=length_km,
                       road_class=np.asarray(ROAD_CLASSES, dtype=object)[code],
                       warnings=list(self.warnings))

    def description(self, params: TravelMappingParams,
                    calibration: dict[str, Any] | None = None) -> str:
        return (f"routes numérotées Travel Mapping ({Path(self.source).name}, "
                f"{self.n_routes} routes, segments droits entre points, pas de voirie "
                f"communale) ; {params.summary_fr(calibration)}")


def _class_codes(classes: np.ndarray) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(ROAD_CLASSES)}
    return np.fromiter((lookup[c] for c in classes), dtype=np.int64, count=len(classes))


def territory_box(lon: np.ndarray, lat: np.ndarray,
                  margin_m: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of points widened by ``margin_m`` (degrees from metres
    at the box's mean latitude: a few metres off at most, enough for a filter)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = margin_m / 111_320.0
    dlon = margin_m / (111_320.0 * np.cos(np.radians(float(np.mean(lat)))))
    return (float(lon.min() - dlon), float(lat.min() - dlat),
            float(lon.max() + dlon), float(lat.max() + dlat))


def build_network(data: TravelMappingData,
                  box: tuple[float, float, float, float] | None = None) -> TravelMappingNetwork:
    """Merge junctions and make segments between consecutive waypoints of each route.

    Waypoints at identical coordinates (to the published 6 decimals) become one node;
    with ``box``, only segments with at least one end inside it are kept.
    """
    same_route = data.route_of[1:] == data.route_of[:-1]
    a = np.flatnonzero(same_route)
    b = a + 1
    if box is not None:
        west, south, east, north = box
        inside = ((data.lon >= west) & (data.lon <= east)
                  & (data.lat >= south) & (data.lat <= north))
        keep = inside[a] | inside[b]
        a, b = a[keep], b[keep]
    if len(a) == 0:
        raise InputError("aucun segment du réseau Travel Mapping dans le territoire et sa "
                         "marge", path=data.source)
    used = np.unique(np.concatenate([a, b]))
    key = (np.round(data.lat[used] * 1e6).astype(np.int64) * 1_000_000_000
           + np.round(data.lon[used] * 1e6).astype(np.int64))
    _, first, node_of_used = np.unique(key, return_index=True, return_inverse=True)
    node_of = np.full(len(data.lon), -1, dtype=np.int64)
    node_of[used] = node_of_used.ravel()
    rep = used[first]
    routes = data.routes
    node_ids = np.asarray([f"{root}:{label.decode('ascii', 'replace')}" for root, label in
                           zip(routes["root"].to_numpy()[data.route_of[rep]], data.label[rep],
                               strict=True)], dtype=object)
    _, _, distance_m = _GEOD.inv(data.lon[a], data.lat[a], data.lon[b], data.lat[b])
    classes = routes["road_class"].to_numpy(dtype=object)[data.route_of[a]]
    n_routes = len(np.unique(data.route_of[a]))
    return TravelMappingNetwork(
        source=data.source, node_ids=node_ids, lon=data.lon[rep], lat=data.lat[rep],
        u=node_of[a], v=node_of[b], length_km=np.asarray(distance_m) / 1000.0,
        road_class=classes, n_routes=n_routes, warnings=list(data.warnings))


def build_travelmapping_graph(path: str | Path, *,
                              points: pd.DataFrame | None = None,
                              params: TravelMappingParams | None = None) -> RoadGraph:
    """Read, cut to the box of ``points`` (``lon, lat``) + margin, and weight a graph."""
    params = params or TravelMappingParams()
    data = read_travelmapping(path, params.excluded_systems)
    box = None
    if points is not None and len(points):
        box = territory_box(points["lon"].to_numpy(), points["lat"].to_numpy(),
                            params.margin_m)
    return build_network(data, box).graph(params)


def with_calibration(params: TravelMappingParams, values: dict[str, Any]) -> TravelMappingParams:
    """Parameters updated from a calibration's ``parameters`` mapping."""
    others = {key: float(values[key]) for key in ("access_speed_kmh", "access_detour_factor")
              if key in values}
    return params.with_values(speed_kmh=values.get("speed_kmh", {}),
                              length_factor=values.get("length_factor", {}), **others)


def is_travelmapping(path: Path) -> bool:
    """A .tar.gz / .tgz / .tar archive, or a folder holding ``hwy_data``."""
    name = path.name.lower()
    return name.endswith((".tar.gz", ".tgz", ".tar")) or (
        path.is_dir() and (path / "hwy_data").is_dir())
