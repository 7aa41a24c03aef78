"""OpenStreetMap extracts (.osm.pbf, .osm) as a routable :class:`RoadGraph`.

Reading uses pyosmium only. Every way tagged ``highway`` is kept or left out for the mode
(car or walk) from its class, access and oneway tags; each pair of consecutive way nodes
becomes one edge whose time is its great-circle length at the way's speed. The speed of a
car edge is the class default of :data:`CAR_SPEEDS_KMH` (realistic *average* speeds on
French rural roads), capped by the way's ``maxspeed`` when it is tagged lower. Why a cap
and not the tagged value: ``maxspeed`` is a legal *limit*; driving a 90 road at 90 km/h
end to end would make tagged roads faster than untagged ones of the same class, and
overstate every time. The tag still matters where it is lower than the class average
(villages, zones 30, dangerous sections) — as OSRM's ``take_minimum_of_speeds``.

Extracts are clipped: a way may refer to nodes outside the file. Edges touching such a
node are dropped and counted in the graph's warnings rather than given a made-up place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import osmium
from osmium.filter import KeyFilter

from proximite.errors import InputError, ProximiteError
from proximite.messages import number
from proximite.network.graph import MODE_WORDS, MODES, RoadGraph

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), used for the haversine length of edges."""

MPH_TO_KMH = 1.609344
KNOT_TO_KMH = 1.852
WALKING_PACE_KMH = 6.0
"""Speed read for ``maxspeed=walk`` ("allure du pas", pedestrian zones open to cars)."""

OSM_FILE_EXPECTED = "un extrait OpenStreetMap (.osm.pbf ou .osm XML)"

CAR_SPEEDS_KMH: dict[str, float] = {
    "motorway": 110.0,
    "trunk": 90.0,
    "primary": 80.0,
    "secondary": 70.0,
    "tertiary": 60.0,
    "unclassified": 50.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
    "motorway_link": 60.0,
    "trunk_link": 50.0,
    "primary_link": 45.0,
    "secondary_link": 40.0,
    "tertiary_link": 35.0,
    "track": 15.0,
    "road": 40.0,
}
"""Default car speed (km/h) per ``highway`` class when a way has no usable ``maxspeed``.

Average speeds, not limits: French rural roads (80 km/h limit on most two-lane roads since
2018, bends, villages) are driven below their limit; links are slower than their road.
``track`` and ``road`` have a speed so that they can be included on request.
"""

CAR_HIGHWAYS: frozenset[str] = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
})
"""``highway`` classes routed by car by default (tracks are left out: mostly unpaved)."""

WALK_HIGHWAYS: frozenset[str] = frozenset({
    "footway", "path", "pedestrian", "steps", "corridor", "track", "living_street",
    "residential", "service", "unclassified", "tertiary", "tertiary_link", "secondary",
    "secondary_link", "primary", "primary_link", "road",
})
"""``highway`` classes walkable by default (motorways and trunk roads are not)."""

WALK_IF_FOOT_ALLOWED: frozenset[str] = frozenset({"cycleway", "bridleway"})
"""Classes walkable only with an explicit ``foot=yes|designated|permissive``."""

CAR_ACCESS_KEYS = ("access", "vehicle", "motor_vehicle", "motorcar")
"""Access keys for a car, most general first: the most specific tag present decides."""
WALK_ACCESS_KEYS = ("access", "foot")
DENIED_ACCESS = frozenset({"no", "private", "agricultural", "forestry", "military",
                           "use_sidepath"})
"""Access values that close a way to the mode (destination, permissive, delivery... do not)."""
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})

ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_BOTH = frozenset({"no", "false", "0"})
ONEWAY_EXCLUDED = frozenset({"reversible", "alternating"})
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})

ZONE_SPEEDS_KMH: dict[str, float] = {
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "FR:trunk": 110.0,
    "FR:motorway": 130.0,
    "FR:walk": WALKING_PACE_KMH,
    "FR:living_street": 20.0,
    "FI:urban": 50.0,
    "FI:rural": 80.0,
    "FI:motorway": 120.0,
}
"""Implicit limits of country-zone values (``maxspeed=FR:urban``)."""

GENERIC_ZONE_SPEEDS_KMH: dict[str, float] = {
    "urban": 50.0,
    "rural": 80.0,
    "motorway": 110.0,
    "trunk": 90.0,
    "walk": WALKING_PACE_KMH,
    "living_street": 20.0,
}
"""Fallback for ``XX:urban``-like values of countries not in :data:`ZONE_SPEEDS_KMH`."""

_NUMBER_RE = re.compile(
    r"^(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>km/h|kmh|kph|mph|knots)?$", re.IGNORECASE
)
_ZONE_RE = re.compile(r"^(?P<country>[A-Za-z]{2}(?:-[A-Za-z0-9]+)?):(?P<zone>.+)$")
_ZONE_NUMBER_RE = re.compile(r"^zone:?(?P<value>\d+)$", re.IGNORECASE)


def _parse_one_maxspeed(value: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    match = _NUMBER_RE.match(text)
    if match:
        speed = float(match["value"].replace(",", "."))
        unit = (match["unit"] or "").lower()
        if unit == "mph":
            speed *= MPH_TO_KMH
        elif unit == "knots":
            speed *= KNOT_TO_KMH
        return speed if speed > 0 else None
    if text.lower() == "walk":
        return WALKING_PACE_KMH
    zone_match = _ZONE_RE.match(text)
    if zone_match:
        key = f"{zone_match['country'].upper()}:{zone_match['zone']}"
        if key in ZONE_SPEEDS_KMH:
            return ZONE_SPEEDS_KMH[key]
        zone = zone_match["zone"].lower()
        number = _ZONE_NUMBER_RE.match(zone)
        if number:
            return float(number["value"])
        return GENERIC_ZONE_SPEEDS_KMH.get(zone)
    return None  # "none", "signals", "variable", typos: the class default applies


def parse_maxspeed(value: str | None) -> float | None:
    """Speed in km/h of a ``maxspeed`` value, or None when it gives no usable number.

    Numbers (``50``, ``50 km/h``), ``30 mph``, ``walk``, country zones (``FR:urban``,
    ``FR:zone30``, ``DE:rural``...). ``none``, ``signals`` and unparseable values give
    None so the class default applies. A ``;`` list gives its lowest speed (safe side).
    """
    if value is None:
        return None
    speeds = [s for s in (_parse_one_maxspeed(part) for part in value.split(";"))
              if s is not None]
    return min(speeds) if speeds else None


def haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
                lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (edges are short: the sphere is precise enough)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlambda = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# --- reading files -----------------------------------------------------------------------

_KNOWN_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2", ".o5m", ".opl")


def open_osm_file(path: str | Path) -> osmium.io.File:
    """Check the file exists and is not empty; tell pyosmium its format.

    The format is sniffed when the name does not say it (a download saved as ``.dat``),
    so the user gets "not an OSM file" rather than "cannot detect format".
    """
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path, expected=OSM_FILE_EXPECTED)
    if not path.is_file():
        raise InputError("ce n'est pas un fichier", path=path, expected=OSM_FILE_EXPECTED)
    if path.stat().st_size == 0:
        raise InputError("fichier vide", path=path, expected=OSM_FILE_EXPECTED)
    name = path.name.lower()
    if name.endswith(_KNOWN_SUFFIXES):
        return osmium.io.File(str(path))
    with path.open("rb") as handle:
        start = handle.read(64).lstrip()
    file_format = "osm" if start.startswith(b"<") else "pbf"
    return osmium.io.File(str(path), file_format)


def osm_read_error(path: str | Path, exc: Exception) -> InputError:
    """One-line error for whatever libosmium raised while reading (corrupt, truncated)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"illisible comme données OpenStreetMap ({detail})", path=path,
                      expected=OSM_FILE_EXPECTED)


def osm_header_date(path: str | Path) -> str:
    """The extract's date (YYYY-MM-DD) from its header, or "" when the header has none."""
    try:
        reader = osmium.io.Reader(open_osm_file(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            header = reader.header()
            stamp = (header.get("osmosis_replication_timestamp")
                     or header.get("timestamp") or "")
        finally:
            reader.close()
    except (RuntimeError, ValueError, OSError):
        return ""
    return stamp[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", stamp) else ""


def iter_osm(path: str | Path, file: osmium.io.File, *, keys: Collection[str],
             locations: bool = True) -> Iterator[Any]:
    """Objects having one of ``keys``, with node locations on ways; errors made one-line."""
    try:
        processor = osmium.FileProcessor(file)
        if locations:
            processor = processor.with_locations()
        processor = processor.with_filter(KeyFilter(*keys))
        yield from processor
    except (RuntimeError, ValueError, OSError) as exc:
        raise osm_read_error(path, exc) from exc


# --- way rules ---------------------------------------------------------------------------

def is_access_denied(tags: Mapping[str, str], keys: tuple[str, ...]) -> bool:
    """True if the most specific access tag present closes the way.

    ``keys`` go from general to specific, so ``access=no`` + ``motorcar=yes`` is open.
    """
    for key in reversed(keys):
        value = tags.get(key)
        if value is not None:
            first = value.split(";")[0].strip().lower()
            return first in DENIED_ACCESS
    return False


def car_directions(tags: Mapping[str, str]) -> tuple[bool, bool] | None:
    """(forward allowed, backward allowed) for a car, None if the way is never usable."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in ONEWAY_EXCLUDED:
        return None  # direction changes with time: no fixed direction to route on
    if oneway in ONEWAY_FORWARD:
        return True, False
    if oneway in ONEWAY_BACKWARD:
        return False, True
    if oneway in ONEWAY_BOTH:
        return True, True
    implied = (tags.get("highway") in IMPLIED_ONEWAY_HIGHWAYS
               or tags.get("junction", "").lower() in IMPLIED_ONEWAY_JUNCTIONS)
    return (True, False) if implied else (True, True)


def car_speeds(tags: Mapping[str, str], class_speeds: Mapping[str, float]) -> tuple[float, float]:
    """(forward, backward) speed in km/h: the class average, capped by the tagged limit
    of each direction (directional maxspeed, else maxspeed, else the zone tags)."""
    average = class_speeds[tags["highway"]]
    general = parse_maxspeed(tags.get("maxspeed"))
    if general is None:
        general = parse_maxspeed(tags.get("maxspeed:type") or tags.get("source:maxspeed"))
    forward = parse_maxspeed(tags.get("maxspeed:forward"))
    backward = parse_maxspeed(tags.get("maxspeed:backward"))
    forward_limit = forward if forward is not None else general
    backward_limit = backward if backward is not None else general
    return (average if forward_limit is None else min(average, forward_limit),
            average if backward_limit is None else min(average, backward_limit))


def walkable(tags: Mapping[str, str], highways: Collection[str]) -> bool:
    highway = tags["highway"]
    foot = tags.get("foot", "").strip().lower()
    if highway in WALK_IF_FOOT_ALLOWED and foot in FOOT_ALLOWED:
        return True
    if highway not in highways:
        return False
    if tags.get("motorroad", "").lower() == "yes":
        return False
    return not is_access_denied(tags, WALK_ACCESS_KEYS)


_WAY_KEYS = ("highway", "oneway", "junction", "maxspeed", "maxspeed:forward",
             "maxspeed:backward", "maxspeed:type", "source:maxspeed", "motorroad",
             *CAR_ACCESS_KEYS, "foot")


# --- graph building ----------------------------------------------------------------------

class _EdgeCollector:
    """Consecutive located way nodes as directed edges, accumulated in flat lists."""

    def __init__(self) -> None:
        self.from_id: list[int] = []
        self.to_id: list[int] = []
        self.from_lon: list[float] = []
        self.from_lat: list[float] = []
        self.to_lon: list[float] = []
        self.to_lat: list[float] = []
        self.forward_kmh: list[float] = []
        self.backward_kmh: list[float] = []  # 0 = not allowed backwards
        self.highway: list[str] = []  # road class of each segment (scenario speed changes)
        self.missing_location_segments = 0

    def add_way(self, way: osmium.osm.Way, forward_kmh: float, backward_kmh: float,
                highway: str = "") -> None:
        previous: tuple[int, float, float] | None = None
        for node in way.nodes:
            location = node.location
            if not location.valid():
                if previous is not None:
                    self.missing_location_segments += 1
                previous = None
                continue
            current = (node.ref, location.lon, location.lat)
            if previous is not None:
                self.from_id.append(previous[0])
                self.from_lon.append(previous[1])
                self.from_lat.append(previous[2])
                self.to_id.append(current[0])
                self.to_lon.append(current[1])
                self.to_lat.append(current[2])
                self.forward_kmh.append(forward_kmh)
                self.backward_kmh.append(backward_kmh)
                self.highway.append(highway)
            previous = current


def build_osm_graph(
    path: str | Path,
    mode: str = "car",
    *,
    speeds: Mapping[str, float] | None = None,
    highways: Collection[str] | None = None,
    walk_speed_kmh: float = 5.0,
    keep_largest_component: bool = True,
) -> RoadGraph:
    """Build the car or walk graph of an OSM extract.

    ``speeds`` overrides some of :data:`CAR_SPEEDS_KMH` (class -> average km/h, capped by a
    lower tagged ``maxspeed``, see the module docstring); ``highways``
    replaces the routed classes (:data:`CAR_HIGHWAYS` / :data:`WALK_HIGHWAYS`), e.g. to add
    ``track``. Walk edges are two-way at ``walk_speed_kmh``. Node ids are OSM node ids.
    """
    if mode not in MODES:
        raise ProximiteError(f"mode « {mode} » inconnu (attendu : {', '.join(MODES)})")
    if not walk_speed_kmh > 0:
        raise ProximiteError(f"la vitesse à pied doit être > 0 km/h (reçu : {walk_speed_kmh})")
    path = Path(path)
    file = open_osm_file(path)
    class_speeds = {**CAR_SPEEDS_KMH, **(speeds or {})}
    routed = frozenset(highways) if highways is not None else (
        CAR_HIGHWAYS if mode == "car" else WALK_HIGHWAYS)
    if mode == "car":
        unknown = sorted(h for h in routed if h not in class_speeds)
        if unknown:
            raise ProximiteError("aucune vitesse en voiture pour la ou les classes highway "
                                 + ", ".join(unknown))
        bad = sorted(k for k, v in class_speeds.items() if not v > 0)
        if bad:
            raise ProximiteError(f"la vitesse en voiture doit être > 0 km/h pour {', '.join(bad)}")
    edges = _EdgeCollector()
    n_highway_ways = 0
    for obj in iter_osm(path, file, keys=("highway",)):
        if not obj.is_way():
            continue
        n_highway_ways += 1
        tags = {key: obj.tags[key] for key in _WAY_KEYS if key in obj.tags}
        if mode == "car":
            if tags["highway"] not in routed or is_access_denied(tags, CAR_ACCESS_KEYS):
                continue
            directions = car_directions(tags)
            if directions is None:
                continue
            forward_kmh, backward_kmh = car_speeds(tags, class_speeds)
            edges.add_way(obj, forward_kmh if directions[0] else 0.0,
                          backward_kmh if directions[1] else 0.0, tags["highway"])
        else:
            if walkable(tags, routed):
                edges.add_way(obj, walk_speed_kmh, walk_speed_kmh, tags["highway"])
    if not edges.from_id:
        found = (f"{number(n_highway_ways)} voie(s) highway, aucune praticable "
                 f"{MODE_WORDS[mode]}" if n_highway_ways else "aucune voie highway=*")
        raise InputError(f"aucune route praticable {MODE_WORDS[mode]} ({found})", path=path,
                         expected="un extrait OpenStreetMap avec ses routes (voies highway=* "
                         "et leurs nœuds)")
    return _graph_from_edges(edges, mode=mode,
                             description=f"OpenStreetMap {path.name} ({MODE_WORDS[mode]})",
                             keep_largest_component=keep_largest_component)


def _graph_from_edges(edges: _EdgeCollector, *, mode: str, description: str,
                      keep_largest_component: bool) -> RoadGraph:
    from_id = np.asarray(edges.from_id, dtype=np.int64)
    to_id = np.asarray(edges.to_id, dtype=np.int64)
    length_m = haversine_m(np.asarray(edges.from_lon), np.asarray(edges.from_lat),
                           np.asarray(edges.to_lon), np.asarray(edges.to_lat))
    all_ids = np.concatenate([from_id, to_id])
    node_ids, first, inverse = np.unique(all_ids, return_index=True, return_inverse=True)
    lon = np.concatenate([edges.from_lon, edges.to_lon])[first]
    lat = np.concatenate([edges.from_lat, edges.to_lat])[first]
    from_index, to_index = inverse[: len(from_id)], inverse[len(from_id):]
    forward_kmh = np.asarray(edges.forward_kmh)
    backward_kmh = np.asarray(edges.backward_kmh)
    fwd, bwd = forward_kmh > 0, backward_kmh > 0
    highway = np.asarray(edges.highway, dtype=object)
    graph = RoadGraph.from_edges(
        node_ids, lon, lat,
        np.concatenate([from_index[fwd], to_index[bwd]]),
        np.concatenate([to_index[fwd], from_index[bwd]]),
        np.concatenate([length_m[fwd] / 1000.0 / forward_kmh[fwd] * 60.0,
                        length_m[bwd] / 1000.0 / backward_kmh[bwd] * 60.0]),
        mode=mode, description=description, keep_largest_component=keep_largest_component,
        edge_class=np.concatenate([highway[fwd], highway[bwd]]),
    )
    if edges.missing_location_segments:
        graph.warnings.append(
            f"{number(edges.missing_location_segments)} tronçon(s) de route sortent de "
            "l'extrait (nœud absent du fichier) : écartés")
    return graph


__all__ = [
    "CAR_HIGHWAYS",
    "CAR_SPEEDS_KMH",
    "EARTH_RADIUS_M",
    "WALK_HIGHWAYS",
    "build_osm_graph",
    "haversine_m",
    "parse_maxspeed",
]
