"""Where people start from: origins files and INSEE population grids (Filosofi carreaux).

Town halls (one origin per commune, the default) put a whole commune's population at one
point; in large rural communes with scattered hamlets that understates times. INSEE's
*données carroyées* (Filosofi) give the population of every inhabited 200 m (or 1 km)
square of France: each square becomes an origin weighted by its population, attached to
the commune its centre falls in. Indicators are then population-weighted over squares.

Squares are identified INSPIRE-style, ``CRS3035RES200mN2029800E4252400``: reference
system (EPSG:3035, ETRS89-LAEA), size, then the northing and easting of the square's
*lower-left* corner. So the centre is known from the identifier alone and the official
CSV files need no geometry; a GeoPackage or Shapefile with the squares' polygons works too
(its geometry is then used). Column names are matched without regard to case
(``Idcar_200m`` in 2015, ``idcar_200m`` in 2019).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from proximite.errors import InputError, numeric_column, require_columns
from proximite.messages import number
from proximite.territory import Territory
from proximite.textio import decode_text, first_line, read_text_frame

ORIGINS_CSV_COLUMNS = ["origin_id", "lon", "lat", "population"]
GRID_ID_COLUMNS = ("idcar_200m", "idcar_1km", "idcar_nat", "idcar")
GRID_POPULATION_COLUMNS = ("ind", "ind_c", "population")
GRID_ID = re.compile(r"^CRS(?P<epsg>\d+)RES(?P<size>\d+)mN(?P<north>\d+)E(?P<east>\d+)$")
GRID_ID_EXPECTED = "an INSPIRE square id such as CRS3035RES200mN2029800E4252400"
VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".fgb"}


def read_origins(path: str | Path, territory: Territory | None) -> pd.DataFrame:
    """Origins CSV: origin_id, lon, lat, population (+ optional code_insee)."""
    return _read_origins_csv(Path(path), territory)[0]


def _read_origins_csv(path: Path,
                      territory: Territory | None) -> tuple[pd.DataFrame, list[str]]:
    _check_file(path, expected=",".join(ORIGINS_CSV_COLUMNS))
    frame, warnings = _read_text_table(path)
    require_columns(list(frame.columns), ORIGINS_CSV_COLUMNS, path)
    if frame.empty:
        raise InputError("aucune origine dans le fichier", path=path)
    out = pd.DataFrame({"origin_id": frame["origin_id"].astype(str)})
    out["lon"] = numeric_column(frame, "lon", path, max_abs=180.0)
    out["lat"] = numeric_column(frame, "lat", path, max_abs=90.0)
    out["population"] = numeric_column(frame, "population", path, minimum=0.0)
    _reject_duplicate_ids(out, path)
    if "code_insee" in frame:
        out["code_insee"] = frame["code_insee"].astype(str)
    else:
        out["code_insee"] = _commune_of(out, territory)
    return out, warnings


def load_origins(path: str | Path,
                 territory: Territory | None) -> tuple[pd.DataFrame, list[str]]:
    """An origins CSV or a population grid, told apart by format and columns."""
    path = Path(path)
    if path.suffix.lower() in VECTOR_SUFFIXES:
        return read_population_grid(path, territory)
    _check_file(path, expected=",".join(ORIGINS_CSV_COLUMNS) + " or a population grid")
    header = _first_line(path).lower()
    if any(name in re.split(r"[;,\t]", header.strip()) for name in GRID_ID_COLUMNS):
        return read_population_grid(path, territory)
    return _read_origins_csv(path, territory)


def decode_square_ids(ids: pd.Series, path: Path, field: str,
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """(x, y) of the squares' centres in their reference system, and its EPSG code.

    Raises with the line of the first identifier that is not an INSPIRE square id, or
    that uses another reference system than the others.
    """
    parts = ids.astype(str).str.strip().str.extract(GRID_ID)
    bad = parts["epsg"].isna()
    if bad.any():
        index = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"« {ids.iloc[index]} » n'est pas un identifiant de carreau", path=path,
                         line=index + 2, field=field, expected=GRID_ID_EXPECTED)
    systems = parts["epsg"].unique()
    if len(systems) > 1:
        index = int(np.flatnonzero((parts["epsg"] != parts["epsg"].iloc[0]).to_numpy())[0])
        raise InputError(f"carreaux dans plusieurs systèmes de référence "
                         f"({', '.join(systems)}) : « {ids.iloc[index]} »", path=path,
                         line=index + 2, field=field,
                         expected=f"tous les identifiants en EPSG:{systems[0]}")
    half = parts["size"].astype(float).to_numpy() / 2.0
    x = parts["east"].astype(float).to_numpy() + half
    y = parts["north"].astype(float).to_numpy() + half
    return x, y, int(systems[0])


def read_population_grid(path: str | Path,
                         territory: Territory | None) -> tuple[pd.DataFrame, list[str]]:
    """Origins from an INSEE population grid (CSV with square ids, or polygons).

    Keeps inhabited squares whose centre lies in the territory's communes; says in the
    warnings how many squares and people were left out, and why.
    """
    path = Path(path)
    _check_file(path, expected="an INSEE population grid (Filosofi carreaux)")
    frame, geometry, warnings = _read_grid_table(path)
    columns = {name.lower(): name for name in frame.columns}
    id_column = next((columns[c] for c in GRID_ID_COLUMNS if c in columns), None)
    population_column = next((columns[c] for c in GRID_POPULATION_COLUMNS if c in columns),
                             None)
    if id_column is None or population_column is None:
        missing = [label for label, column in (("square id (idcar_200m)", id_column),
                                               ("population (ind)", population_column))
                   if column is None]
        raise InputError(f"colonne(s) manquante(s) : {', '.join(missing)}", path=path,
                         expected="les colonnes Filosofi de l'INSEE idcar_200m et ind "
                         "(casse libre)")
    if frame.empty:
        raise InputError("aucun carreau dans le fichier", path=path)
    population = numeric_column(frame, population_column, path, minimum=0.0)
    if geometry is not None:
        lon, lat = _centres_of_polygons(geometry, path)
    else:
        x, y, epsg = decode_square_ids(frame[id_column], path, id_column)
        to_wgs84 = Transformer.from_crs(epsg, 4326, always_xy=True)
        lon, lat = to_wgs84.transform(x, y)
    out = pd.DataFrame({"origin_id": frame[id_column].astype(str).str.strip().to_numpy(),
                        "lon": np.asarray(lon, dtype=float),
                        "lat": np.asarray(lat, dtype=float),
                        "population": np.asarray(population, dtype=float)})
    _reject_duplicate_ids(out, path, field=id_column)
    empty = out["population"] <= 0
    if empty.all():
        raise InputError("la population de tous les carreaux est nulle : aucun indicateur "
                         "pondéré par la population n'aurait de sens", path=path,
                         field=population_column, expected="des populations > 0")
    if empty.any():
        warnings.append(f"{path} : {number(int(empty.sum()))} carreau(x) sans population "
                        "écarté(s)")
        out = out[~empty]
    out["code_insee"] = _commune_of(out, territory)
    if territory is not None and len(territory.communes):
        outside = out["code_insee"] == ""
        if outside.all():
            raise InputError("aucun carreau de la grille n'est dans les communes du "
                             "territoire", path=path, expected="une grille couvrant le "
                             "territoire (même département ; identifiants EPSG:3035 en "
                             "métropole)")
        if outside.any():
            warnings.append(
                f"{path} : {number(int(outside.sum()))} carreau(x) hors du territoire "
                f"écarté(s) ({number(out.loc[outside, 'population'].sum())} habitants)")
            out = out[~outside]
    return out.reset_index(drop=True), warnings


INSEE_CODE = r"\d[\dAB]\d{3}"


def check_origins(origins: pd.DataFrame, territory: Territory,
                  label: str) -> list[str]:
    """Origins that are not in the territory: blame the origins file, not the network.

    Refuses origins that all lie outside the territory's communes, and ``code_insee``
    values that are not INSEE codes; warns about codes of communes outside the territory.
    """
    if not len(territory.communes):
        return []
    codes = origins["code_insee"].astype(str).str.strip()
    bad = ~codes.str.fullmatch(INSEE_CODE) & (codes != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"code_insee '{codes.iloc[row]}' n'est pas un code INSEE", path=label,
                         line=row + 2, field="code_insee",
                         expected="5 caractères comme 48095 ou 2A004, ou vide")
    known = codes.isin(territory.communes["code_insee"])
    if not known.any():
        raise InputError(
            f"aucune des {len(origins)} origines n'est dans les communes du territoire "
            f"{territory.name}", path=label,
            expected="des origines (points, carreaux) situées dans le territoire étudié")
    if (~known).any():
        return [f"{label} : {int((~known).sum())} origine(s) hors des communes du territoire "
                f"({origins.loc[~known, 'population'].sum():,.0f} habitants) : ".replace(",", " ")
                + ", ".join(origins.loc[~known, "origin_id"].astype(str).head(5))]
    return []


def add_communes_without_origin(origins: pd.DataFrame, territory: Territory,
                                label: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """A zero-population origin at the town hall of each commune the origins miss.

    A population grid covering part of the territory must not make communes vanish from
    the tables: each keeps its rows, with the status ``no_origin``. Returns the origins,
    the ids of the added ones and the warning naming those communes.
    """
    if not len(territory.communes):
        return origins, [], []
    communes = territory.communes
    missing = communes[~communes["code_insee"].isin(origins["code_insee"])]
    if missing.empty:
        return origins, [], []
    taken = set(origins["origin_id"].astype(str))
    ids = [code if code not in taken else f"commune:{code}" for code in missing["code_insee"]]
    added = pd.DataFrame({"origin_id": ids, "code_insee": missing["code_insee"].to_numpy(),
                          "lon": missing["origin_lon"].to_numpy(dtype=float),
                          "lat": missing["origin_lat"].to_numpy(dtype=float),
                          "population": 0.0})
    names = ", ".join(f"{n} ({c})" for c, n in zip(missing["code_insee"], missing["nom"],
                                                   strict=True))
    if len(missing) > 10:
        names = ", ".join(names.split(", ")[:10]) + "… (liste dans access_times, statut "
        names += "no_origin)"
    warning = (f"{label} : {len(missing)} commune(s) sur {len(communes)} sans aucune origine "
               "(aucun carreau habité de la grille) : elles gardent leurs lignes avec le statut "
               f"no_origin, sans temps ni population : {names}")
    table = pd.concat([origins, added], ignore_index=True)
    return table, ids, [warning]


# ------------------------------------------------------------------ helpers
def _check_file(path: Path, expected: str) -> None:
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    if path.stat().st_size == 0:
        raise InputError("fichier vide", path=path, expected=expected)


def _first_line(path: Path) -> str:
    """The header line of a text table (closing the file, unlike a bare ``open()``)."""
    with path.open("rb") as stream:
        head = stream.read(65536)
    return first_line(decode_text(head)[0].lstrip("\ufeff"))


def _read_text_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A CSV as text columns (';' when the header has more of them than ',')."""
    first = _first_line(path)
    return read_text_frame(path, ";" if first.count(";") > first.count(",") else ",")


def _read_grid_table(path: Path) -> tuple[pd.DataFrame, object | None, list[str]]:
    """The grid's attribute table, and its polygons (GeoSeries) for a vector file."""
    if path.suffix.lower() in VECTOR_SUFFIXES:
        import pyogrio

        try:
            table = pyogrio.read_dataframe(path)
        except Exception as exc:  # pyogrio raises several GDAL error types
            raise InputError(f"illisible comme fichier vectoriel : {exc}", path=path,
                             expected="un GeoPackage ou un Shapefile de carreaux") from exc
        return pd.DataFrame(table.drop(columns="geometry")), table.geometry, []
    frame, warnings = _read_text_table(path)
    return frame, None, warnings


def _centres_of_polygons(geometry: Any, path: Path) -> tuple[np.ndarray, np.ndarray]:
    import geopandas as gpd

    series = gpd.GeoSeries(geometry)
    if series.crs is None:
        raise InputError("les carreaux n'ont pas de système de coordonnées", path=path,
                         expected="un système projeté comme EPSG:3035 ou EPSG:2154")
    if series.crs.is_geographic:  # centroids are computed in metres
        series = series.to_crs(3035)
    centres = series.centroid.to_crs(4326)
    return centres.x.to_numpy(), centres.y.to_numpy()


def _reject_duplicate_ids(frame: pd.DataFrame, path: Path, field: str = "origin_id") -> None:
    duplicated = frame["origin_id"].duplicated()
    if duplicated.any():
        index = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(f"{field} « {frame['origin_id'].iloc[index]} » en double", path=path,
                         line=index + 2, field=field)


def _commune_of(origins: pd.DataFrame, territory: Territory | None) -> np.ndarray:
    """INSEE code of the commune each origin lies in ('' outside every commune)."""
    codes = np.full(len(origins), "", dtype=object)
    if territory is None or not len(territory.communes):
        return codes
    points = shapely.points(origins["lon"].to_numpy(), origins["lat"].to_numpy())
    tree = shapely.STRtree(territory.communes.geometry.to_numpy())
    point_index, polygon_index = tree.query(points, predicate="within")
    codes[point_index] = territory.communes["code_insee"].to_numpy()[polygon_index]
    return codes
