"""IGN BD TOPO ``troncon_de_route`` as a road graph.

BD TOPO is the French reference road network: every troncon (road section) carries its
direction of travel, an average light-vehicle speed and access restrictions, and
troncons meet at shared endpoints, so the graph is the troncons themselves with their
endpoints as nodes. Users get it as GeoPackage or Shapefile layers; IGN tooling and test
fixtures also ship it as PostgreSQL dumps (``pg_dump``, COPY or ``--inserts`` format),
read here without a database.

Choices for the car graph (values as found in BD TOPO v3, checked on Marseille 10e):

* ``acces_vehicule_leger``: "Libre", "A péage" and null are usable; "Physiquement
  impossible", "Restreint aux ayants droit" and "Strictement interdit" are not (a
  commune-to-service trip cannot count on a private or closed road).
* ``nature``: "Sentier", "Escalier", "Piste cyclable", "Chemin" (unpaved track, not
  passable by every car in all weathers) and the ferry natures ("Bac ou liaison
  maritime", "Bac auto", "Bac piéton": no timetable here) are left out. "Route
  empierrée" is kept (IGN: passable by cars in all weathers).
* ``etat_de_l_objet`` when present: only "En service" (projects and works are not roads).
* ``sens_de_circulation``: "Double sens" both ways, "Sens direct" along the geometry,
  "Sens inverse" against it, "Sans objet" or null both ways (the troncon is open to
  cars by the rules above; IGN leaves the direction unset on minor roads).
* ``fictif`` troncons (virtual links through squares and junctions) are kept: they
  connect the network.
* Speed: ``vitesse_moyenne_vl`` when > 1 km/h (IGN's own graph generator reads 1 as
  "unknown"), else :data:`DEFAULT_SPEEDS_KMH` by nature.

Walk graph: every nature except "Type autoroutier" and "Bretelle" (motorway and slip
roads) and the ferries, both ways at 5 km/h; ``acces_pieton`` is not required, but
when present its no-access values (as for cars) are left out. Unrecognised
``acces_vehicule_leger`` values are kept for cars, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from proximite.errors import InputError, ProximiteError, require_columns
from proximite.messages import number
from proximite.network.graph import MODE_WORDS, MODES, RoadGraph
from proximite.network.snap import metric_crs_for

TABLE = "troncon_de_route"
LAMBERT93 = "EPSG:2154"
REQUIRED_COLUMNS = ["nature", "sens_de_circulation", "vitesse_moyenne_vl", "acces_vehicule_leger"]
LAYER_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb")

CAR_ACCESS_OK = ("Libre", "A péage", "")
WALK_NO_ACCESS = ("Physiquement impossible", "Restreint aux ayants droit", "Strictement interdit")
CAR_NO_ACCESS = ("Physiquement impossible", "Restreint aux ayants droit", "Strictement interdit")
CAR_EXCLUDED_NATURES = (
    "Sentier",
    "Escalier",
    "Piste cyclable",
    "Chemin",
    "Bac ou liaison maritime",
    "Bac auto",
    "Bac piéton",
)
WALK_EXCLUDED_NATURES = (
    "Type autoroutier",
    "Bretelle",
    "Bac ou liaison maritime",
    "Bac auto",
    "Bac piéton",
)
#: BD TOPO v3 shapefile field names (10 characters at most) -> GeoPackage/SQL names.
SHAPEFILE_NAMES = {
    "id": "cleabs",
    "sens": "sens_de_circulation",
    "vit_moy_vl": "vitesse_moyenne_vl",
    "acces_vl": "acces_vehicule_leger",
    "acces_ped": "acces_pieton",
    "etat": "etat_de_l_objet",
}
WALK_SPEED_KMH = 5.0
MIN_KNOWN_SPEED_KMH = 1.0  # vitesse_moyenne_vl <= 1 means "not filled in"

#: Car speed (km/h) by nature where ``vitesse_moyenne_vl`` is missing or 0. Rough BD TOPO
#: averages; any nature not listed uses ``"*"``.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "Type autoroutier": 110.0,
    "Route à 2 chaussées": 70.0,
    "Bretelle": 50.0,
    "Route à 1 chaussée": 40.0,
    "Rond-point": 25.0,
    "Route empierrée": 20.0,
    "Chemin": 15.0,
    "*": 30.0,
}


# --------------------------------------------------------------------------- SQL dumps

_IDENT = r'"?(?:\w+)"?'
_TABLE_NAME = rf'(?:{_IDENT}\.)?"?{TABLE}"?'
_CREATE_RE = re.compile(rf"^CREATE\s+TABLE\s+{_TABLE_NAME}\s*\((.*?)^\);", re.M | re.S | re.I)
_COPY_RE = re.compile(
    rf"^COPY\s+{_TABLE_NAME}\s*(?:\(([^)]*)\))?\s+FROM\s+stdin\s*;[^\n]*\n", re.M | re.I
)
_INSERT_RE = re.compile(
    rf"^INSERT\s+INTO\s+{_TABLE_NAME}\s*(?:\(([^)]*)\))?\s*VALUES\s*", re.M | re.I
)
# One SQL literal or punctuation mark of an INSERT's VALUES list.
_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<estr>[Ee]'(?:[^'\\]|''|\\.)*')
    | (?P<str>'(?:[^']|'')*')
    | (?P<null>NULL)\b
    | (?P<bool>true|false)\b
    | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<punct>[(),;])
    )(?:::[a-z_ ]+(?:\(\d+(?:,\d+)?\))?)?""",
    re.X | re.S | re.I,
)
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.S)
_E_STRING_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)|''", re.S)
_SRID_RE = re.compile(r"geometry\s*\(\s*\w+\s*,\s*(\d+)\s*\)", re.I)


def _unescape(match: re.Match[str]) -> str:
    """Decode one backslash escape of COPY text format or of an E'' string."""
    code = match.group(1)
    if code is None:  # '' inside an E'' string
        return "'"
    if code[0] == "x" and len(code) > 1:
        return chr(int(code[1:], 16))
    if code[0] in "01234567":
        return chr(int(code, 8))
    return _COPY_ESCAPES.get(code, code)


def _copy_field(raw: str) -> str | None:
    """One COPY text-format field: ``\\N`` is null, backslash escapes are decoded."""
    if raw == "\\N":
        return None
    return _COPY_ESCAPE_RE.sub(_unescape, raw) if "\\" in raw else raw


def _table_columns(text: str, path: Path) -> tuple[list[str], dict[str, str]]:
    """Column names and SQL types from ``CREATE TABLE troncon_de_route``."""
    match = _CREATE_RE.search(text)
    if match is None:
        return [], {}
    names: list[str] = []
    types: dict[str, str] = {}
    for line in match.group(1).splitlines():
        line = line.strip().rstrip(",")
        if not line or line.startswith("--"):
            continue
        first = line.split(None, 1)
        if first[0].upper() in {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}:
            continue
        name = first[0].strip('"')
        names.append(name)
        types[name] = first[1] if len(first) > 1 else ""
    return names, types


def _split_names(column_list: str | None) -> list[str] | None:
    if column_list is None:
        return None
    return [name.strip().strip('"') for name in column_list.split(",")]


class _LineCounter:
    """Line number of increasing offsets in a text, counted incrementally (fast)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _copy_rows(text: str, match: re.Match[str], counter: _LineCounter,
               path: Path) -> Iterator[tuple[int, list[str | None]]]:
    """Rows of a COPY ... FROM stdin block, up to its ``\\.`` terminator."""
    position = match.end()
    line_number = counter.at(position)
    while True:
        end = text.find("\n", position)
        if end < 0:
            end = len(text)
        line = text[position:end].rstrip("\r")
        if line == "\\.":
            return
        if end >= len(text) and not line:
            raise InputError("bloc COPY de troncon_de_route sans marque de fin « \\. »",
                             path=path, line=line_number)
        yield line_number, [_copy_field(raw) for raw in line.split("\t")]
        position, line_number = end + 1, line_number + 1


def _insert_rows(text: str, match: re.Match[str], counter: _LineCounter,
                 path: Path) -> Iterator[tuple[int, list[str | None]]]:
    """Rows of one ``INSERT INTO troncon_de_route VALUES (...), (...);`` statement."""
    position = match.end()
    row: list[str | None] | None = None
    expect_value = False
    row_line = counter.at(match.start())
    while True:
        token = _TOKEN_RE.match(text, position)
        if token is None:
            raise InputError("VALUES illisibles dans un INSERT de troncon_de_route",
                             path=path, line=counter.at(position),
                             expected="des littéraux SQL entre parenthèses")
        position = token.end()
        kind = str(token.lastgroup)
        value = token.group(kind)
        if kind == "punct":
            if value == "(" and row is None:
                row, expect_value = [], True
                row_line = counter.at(token.start(kind))
            elif value == "," and row is not None and not expect_value:
                expect_value = True
            elif value == ")" and row is not None and (not expect_value or not row):
                yield row_line, row
                row = None
            elif value == "," and row is None:
                continue
            elif value == ";" and row is None:
                return
            else:
                raise InputError(f"« {value} » inattendu dans un INSERT de troncon_de_route",
                                 path=path, line=counter.at(token.start(kind)))
            continue
        if row is None or not expect_value:
            raise InputError(f"valeur {value[:30]} inattendue dans un INSERT de troncon_de_route",
                             path=path, line=counter.at(token.start(kind)))
        if kind == "null":
            row.append(None)
        elif kind == "str":
            row.append(value[1:-1].replace("''", "'"))
        elif kind == "estr":
            row.append(_E_STRING_ESCAPE_RE.sub(_unescape, value[2:-1]))
        else:
            row.append(value.lower() if kind == "bool" else value)
        expect_value = False


def _typed_column(values: list[str | None], sql_type: str) -> pd.Series | list[str | None]:
    """Convert one dump column from text by its SQL type (integers, floats, booleans)."""
    kind = sql_type.lower()
    if kind.startswith(("integer", "bigint", "smallint", "int")):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Int64")
    if kind.startswith(("double", "real", "numeric", "float", "decimal")):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    if kind.startswith("bool"):
        mapping = {"t": True, "true": True, "f": False, "false": False}
        return pd.Series([mapping.get(v) if v is not None else None for v in values],
                         dtype="boolean")
    return values


def _decode_geometries(hex_values: list[str | None], lines: list[int],
                       path: Path) -> np.ndarray:
    """EWKB hex -> shapely geometries; the first undecodable one is reported by line."""
    values = np.array(hex_values, dtype=object)
    present = np.array([v is not None and v != "" for v in hex_values], dtype=bool)
    geometries = np.full(len(values), None, dtype=object)
    try:
        geometries[present] = shapely.from_wkb(values[present], on_invalid="ignore")
        bad = present & shapely.is_missing(geometries)
    except (shapely.errors.GEOSException, ValueError, TypeError):
        bad = present.copy()
        for i in np.flatnonzero(present):
            try:
                geometries[i] = shapely.from_wkb(values[i])
                bad[i] = geometries[i] is None
            except (shapely.errors.GEOSException, ValueError, TypeError):
                pass
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(f"géométrie indécodable « {str(values[first])[:40]}… »", path=path,
                         line=lines[first], field="geom",
                         expected="le (E)WKB hexadécimal d'une LineString")
    return geometries


def read_troncons_sql_dump(path: str | Path) -> gpd.GeoDataFrame:
    """Read ``troncon_de_route`` from a PostgreSQL dump (COPY block or INSERT statements).

    Column names and types come from the dump's ``CREATE TABLE`` (or the COPY/INSERT
    column list), geometries from the hex EWKB; the result is in a metric CRS, EPSG:2154
    for metropolitan France. A column ``source_line`` keeps each row's line in the dump so
    errors and skipped rows can be located.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"texte non UTF-8 ({exc.reason} à l'octet {exc.start})", path=path,
                         expected="un dump PostgreSQL de troncon_de_route") from exc
    if not text.strip():
        raise InputError("fichier vide", path=path,
                         expected="un dump PostgreSQL de troncon_de_route")
    table_names, table_types = _table_columns(text, path)
    counter = _LineCounter(text)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    names: list[str] | None = None
    blocks = [(m, _copy_rows) for m in _COPY_RE.finditer(text)]
    blocks += [(m, _insert_rows) for m in _INSERT_RE.finditer(text)]
    blocks.sort(key=lambda block: block[0].start())
    if not blocks:
        raise InputError("aucune donnée troncon_de_route (ni bloc COPY ni instruction INSERT)",
                         path=path, expected="un pg_dump de la table troncon_de_route")
    for match, reader in blocks:
        block_names = _split_names(match.group(1)) or table_names
        if not block_names:
            raise InputError("pas de liste de colonnes pour troncon_de_route (aucun CREATE "
                             "TABLE avant les données)", path=path, line=counter.at(match.start()))
        if names is None:
            names = block_names
        elif block_names != names:
            raise InputError("blocs de données troncon_de_route aux listes de colonnes différentes",
                             path=path, line=counter.at(match.start()))
        for line_number, row in reader(text, match, counter, path):
            if len(row) != len(names):
                raise InputError(f"ligne de {len(row)} valeurs, {len(names)} attendues",
                                 path=path, line=line_number,
                                 expected="une valeur par colonne de troncon_de_route")
            rows.append(row)
            lines.append(line_number)
    assert names is not None
    geometry_column = next(
        (n for n in names if "geometry" in table_types.get(n, "").lower()),
        next((n for n in names if n in ("geom", "geometrie", "geometry", "the_geom")), None),
    )
    if geometry_column is None:
        raise InputError("aucune colonne géométrie dans troncon_de_route", path=path,
                         expected="une colonne de type geometry (par ex. « geom »)")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data: dict[str, object] = {}
    geometries = np.array([], dtype=object)
    for name, values in zip(names, columns, strict=True):
        if name == geometry_column:
            geometries = _decode_geometries(list(values), lines, path)
        else:
            data[name] = _typed_column(list(values), table_types.get(name, ""))
    data["source_line"] = lines
    frame = pd.DataFrame(data)
    srid = _SRID_RE.search(table_types.get(geometry_column, ""))
    crs: str | None = f"EPSG:{srid.group(1)}" if srid else None
    if crs is None and len(geometries):
        srids = shapely.get_srid(geometries[~shapely.is_missing(geometries)])
        if len(srids) and srids[0] > 0:
            crs = f"EPSG:{int(srids[0])}"
    if crs is None:
        raise InputError("géométries sans SRID, et le type de la colonne n'en donne pas",
                         path=path, field=geometry_column,
                         expected="geometry(LineStringZ,2154) ou un EWKB avec SRID")
    troncons = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=crs))
    return _to_metric(troncons)


# --------------------------------------------------------------------------- layers

def _to_metric(troncons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to the metric CRS used for lengths: EPSG:2154 in metropolitan France.

    Elsewhere (overseas BD TOPO) the local UTM zone, as Lambert-93 would distort lengths.
    """
    if troncons.crs is None or len(troncons) == 0 or troncons.geometry.isna().all():
        return troncons.to_crs(LAMBERT93) if troncons.crs is not None else troncons
    bounds = troncons.to_crs("EPSG:4326").total_bounds
    target = metric_crs_for(np.array(bounds[[0, 2]]), np.array(bounds[[1, 3]]))
    if CRS.from_user_input(troncons.crs) == CRS.from_user_input(target):
        return troncons
    return troncons.to_crs(target)


def read_troncons(path: str | Path, layer: str = TABLE) -> gpd.GeoDataFrame:
    """Read BD TOPO troncons from a dump (.sql) or a GIS layer (.gpkg, .shp, .geojson, .fgb).

    GeoPackages hold many BD TOPO layers, hence ``layer``; a single-layer file is read
    whatever its layer name. A layer without CRS is refused: lengths would be guesses.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    suffix = path.suffix.lower()
    if suffix == ".sql":
        return read_troncons_sql_dump(path)
    if suffix not in LAYER_SUFFIXES:
        raise InputError(f"type de fichier BD TOPO « {suffix} » inconnu", path=path,
                         expected="un dump .sql, .gpkg, .shp, .geojson ou .fgb")
    if path.stat().st_size == 0:
        raise InputError("fichier vide", path=path, expected=f"une couche {TABLE}")
    import pyogrio

    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several DataSource errors
        raise InputError(f"illisible comme couche SIG ({exc})", path=path,
                         expected=f"une couche {TABLE}") from exc
    if layer in layers:
        chosen = layer
    elif len(layers) == 1:
        chosen = layers[0]
    else:
        raise InputError(f"pas de couche « {layer} » (couches : {', '.join(layers) or 'aucune'})",
                         path=path, expected=f"une couche {TABLE}")
    try:
        troncons = gpd.read_file(path, layer=chosen, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"couche « {chosen} » illisible ({exc})", path=path) from exc
    if troncons.crs is None:
        raise InputError(f"la couche « {chosen} » n'a pas de système de coordonnées", path=path,
                         expected="un système de coordonnées (la BD TOPO est en EPSG:2154 en "
                         "métropole)")
    troncons = troncons.rename(columns=str.lower)  # shapefiles are upper-case
    aliases = {short: long for short, long in SHAPEFILE_NAMES.items()
               if short in troncons.columns and long not in troncons.columns}
    troncons = troncons.rename(columns=aliases)
    return _to_metric(troncons)


# --------------------------------------------------------------------------- graph

def _text(series: pd.Series) -> pd.Series:
    """Attribute as stripped text, null as ''."""
    return series.astype("string").fillna("").str.strip()


def _skip_counts(mask: np.ndarray, labels: pd.Series) -> str:
    counts = labels[mask].replace("", "(vide)").value_counts()
    return ", ".join(f"{value} : {number(count)}" for value, count in counts.items())


def build_bdtopo_graph(
    troncons: gpd.GeoDataFrame | str | Path,
    mode: str = "car",
    *,
    default_speeds_kmh: dict[str, float] | None = None,
    description: str | None = None,
) -> RoadGraph:
    """Build the car or walk graph of BD TOPO troncons (see the module doc for choices).

    Each usable troncon gives one edge per allowed direction between its first and last
    points; ``travel_time_min`` = 2D length (m) / speed. Endpoints equal to the
    centimetre are one node. Skipped rows are counted by reason in ``graph.warnings``.
    """
    if mode not in MODES:
        raise ProximiteError(f"mode « {mode} » inconnu (attendu : {', '.join(MODES)})")
    if isinstance(troncons, (str, Path)):
        source = str(troncons)
        frame = read_troncons(troncons)
    else:
        source = description or "table troncon_de_route"
        frame = troncons
        if frame.crs is None:
            raise InputError("les tronçons n'ont pas de système de coordonnées", path=source,
                             expected="un système de coordonnées (la BD TOPO est en EPSG:2154 en "
                         "métropole)")
        frame = _to_metric(frame)
    require_columns(list(frame.columns), REQUIRED_COLUMNS, source)
    speeds_table = {**DEFAULT_SPEEDS_KMH, **(default_speeds_kmh or {})}
    n_rows = len(frame)
    nature = _text(frame["nature"])
    direction = _text(frame["sens_de_circulation"])
    access = _text(frame["acces_vehicule_leger"])
    geometries = _single_lines(frame.geometry.to_numpy())
    usable = np.ones(n_rows, dtype=bool)
    warnings: list[str] = []

    def skip(mask: np.ndarray, reason: str, labels: pd.Series | None = None) -> None:
        nonlocal usable
        newly = mask & usable
        if newly.any():
            detail = f" ({_skip_counts(newly, labels)})" if labels is not None else ""
            warnings.append(f"{number(int(newly.sum()))} tronçons sur {number(n_rows)} écartés : "
                            f"{reason}{detail}")
        usable &= ~mask

    skip(shapely.is_missing(geometries) | shapely.is_empty(geometries),
         "pas de géométrie en une seule ligne")
    if "etat_de_l_objet" in frame.columns:
        state = _text(frame["etat_de_l_objet"])
        skip(((state != "En service") & (state != "")).to_numpy(), "pas en service", state)
    if mode == "car":
        skip(nature.isin(CAR_EXCLUDED_NATURES).to_numpy(), "nature fermée aux voitures", nature)
        skip(access.isin(CAR_NO_ACCESS).to_numpy(), "pas d'accès en voiture", access)
        odd_access = usable & ~access.isin(CAR_ACCESS_OK).to_numpy()
        if odd_access.any():
            warnings.append(f"{number(int(odd_access.sum()))} tronçons dont la valeur "
                            "d'acces_vehicule_leger n'est pas reconnue, gardés comme ouverts "
                            f"aux voitures ({_skip_counts(odd_access, access)})")
        known = {"Double sens", "Sens direct", "Sens inverse", "Sans objet", ""}
        skip((~direction.isin(known)).to_numpy(), "sens_de_circulation inconnu", direction)
        speed = pd.to_numeric(frame["vitesse_moyenne_vl"], errors="coerce").to_numpy(float)
        unknown_speed = ~(speed > MIN_KNOWN_SPEED_KMH)
        fallback = np.array([speeds_table.get(n, speeds_table["*"]) for n in nature],
                            dtype=float)
        speed_kmh = np.where(unknown_speed, fallback, speed)
        defaulted = unknown_speed & usable
        if defaulted.any():
            by_nature = _skip_counts(defaulted, nature)
            warnings.append(f"{number(int(defaulted.sum()))} tronçons sans vitesse_moyenne_vl "
                            f"prennent la vitesse par défaut de leur nature ({by_nature})")
        forward = usable & ~direction.eq("Sens inverse").to_numpy()
        backward = usable & ~direction.eq("Sens direct").to_numpy()
    else:
        skip(nature.isin(WALK_EXCLUDED_NATURES).to_numpy(), "nature non praticable à pied", nature)
        if "acces_pieton" in frame.columns:
            on_foot = _text(frame["acces_pieton"])
            skip(on_foot.isin(WALK_NO_ACCESS).to_numpy(), "pas d'accès piéton", on_foot)
        speed_kmh = np.full(n_rows, WALK_SPEED_KMH)
        forward = backward = usable
    if not usable.any():
        raise InputError(f"aucune route praticable {MODE_WORDS[mode]} dans {source}",
                         path=source,
                         expected=f"des lignes {TABLE} ouvertes {MODE_WORDS[mode]}")
    lines = geometries[usable]
    length_m = shapely.length(lines)
    travel_time_min = length_m / 1000.0 / speed_kmh[usable] * 60.0
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    end = shapely.get_coordinates(shapely.get_point(lines, -1))
    keys = np.round(np.vstack([start, end]) * 100.0).astype(np.int64)
    unique_keys, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    first_index, last_index = inverse[: len(lines)], inverse[len(lines):]
    to_wgs84 = Transformer.from_crs(frame.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(unique_keys[:, 0] / 100.0, unique_keys[:, 1] / 100.0)
    fwd, bwd = forward[usable], backward[usable]
    # Road class for scenario speed changes: the troncon's nature.
    road_class = nature.replace("", "(sans nature)").to_numpy(dtype=object)[usable]
    graph = RoadGraph.from_edges(
        np.arange(len(unique_keys), dtype=np.int64),
        np.asarray(lon),
        np.asarray(lat),
        np.concatenate([first_index[fwd], last_index[bwd]]),
        np.concatenate([last_index[fwd], first_index[bwd]]),
        np.concatenate([travel_time_min[fwd], travel_time_min[bwd]]),
        mode=mode,
        description=description or f"BD TOPO {TABLE} ({Path(source).name}), "
                                            f"{MODE_WORDS[mode]}",
        edge_class=np.concatenate([road_class[fwd], road_class[bwd]]),
    )
    graph.warnings[:0] = warnings
    return graph


def _single_lines(geometries: np.ndarray) -> np.ndarray:
    """LineStrings as they are; MultiLineStrings merged into one line when they can be.

    Anything else (points, multi-part lines that do not join) becomes None and is skipped.
    """
    geometries = np.asarray(geometries, dtype=object)
    out = np.full(len(geometries), None, dtype=object)
    kinds = shapely.get_type_id(geometries)
    is_line = kinds == shapely.GeometryType.LINESTRING
    out[is_line] = geometries[is_line]
    multi = np.flatnonzero(kinds == shapely.GeometryType.MULTILINESTRING)
    if len(multi):
        merged = shapely.line_merge(geometries[multi])
        ok = shapely.get_type_id(merged) == shapely.GeometryType.LINESTRING
        out[multi[ok]] = merged[ok]
    return out
