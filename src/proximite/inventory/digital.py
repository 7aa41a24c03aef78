"""Digital infrastructure per commune: fibre (FttH) deployment and 4G mobile sites.

Two open files of ARCEP (2017-18), read by :mod:`proximite.io.arcep` and turned into
commune indicators by the pure functions here:

* ``ftthCommunes.csv`` (observatoire HD/THD): per commune and quarter, the premises
  connectable to fibre (``Locaux Raccordables``) and the deployment class (``Catégorie``).
  The file has no total of premises, so the *share* connectable is only known as the class;
  the classes are read as 0 = none, 5 = under 10 %, 10 = 10 to 25 %, 25 = 25 to 50 %,
  50 = 50 to 80 %, 80 = 80 % or more (the classes of ARCEP's map; their value is the
  lower bound, except 5). Checked on Mende: 699 then 1,478 premises of about 10,000 give
  classes 5 then 10.
* ``*_Sites_mobiles_2G_3G_4G_*_L93.csv``: one row per antenna site and operator (MCC-MNC
  code), Lambert-93 x/y, 0/1 flags per technology. The indicator counts the 4G sites of
  each operator within a radius of the commune's town hall (``radius_m``, a parameter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from proximite.errors import InputError
from proximite.network.snap import transformer

FTTH_HEADER_START = "Code commune"
FTTH_CONNECTABLE = "Locaux Raccordables"
FTTH_CLASS = "Catégorie"
FTTH_CLASSES_PCT: dict[int, tuple[float, float]] = {
    0: (0.0, 0.0), 5: (0.0, 10.0), 10: (10.0, 25.0), 25: (25.0, 50.0), 50: (50.0, 80.0),
    80: (80.0, 100.0)}
"""ARCEP deployment class -> (lowest, highest) share of premises connectable, in %."""

SITES_REQUIRED = ["Operateur", "x", "y", "2G", "3G", "4G"]
OPERATORS = {"20801": "orange", "20810": "sfr", "20815": "free", "20820": "bouygues"}
"""MCC-MNC codes of the four metropolitan operators."""
LAMBERT93 = "EPSG:2154"
DEFAULT_RADIUS_M = 5_000.0


def fibre_share(ftth: pd.DataFrame) -> pd.DataFrame:
    """Per commune: premises connectable and the bounds of the share connectable (in %).

    A class outside :data:`FTTH_CLASSES_PCT` leaves the bounds empty rather than guessed.
    """
    bounds = ftth["ftth_classe"].map(lambda c: FTTH_CLASSES_PCT.get(int(c)) if pd.notna(c)
                                     else None)
    return pd.DataFrame({
        "code_insee": ftth["code_insee"],
        "ftth_locaux_raccordables": ftth["ftth_locaux_raccordables"],
        "ftth_part_min_pct": bounds.map(lambda b: b[0] if b else np.nan),
        "ftth_part_max_pct": bounds.map(lambda b: b[1] if b else np.nan),
    })


def sites_4g_near(town_halls: pd.DataFrame, sites: pd.DataFrame,
                  radius_m: float = DEFAULT_RADIUS_M) -> pd.DataFrame:
    """4G sites of each operator within ``radius_m`` of each town hall (lon/lat WGS84).

    Columns: code_insee, sites_4g_<operator> for the four operators, and
    operateurs_4g (how many operators have at least one 4G site within the radius).
    Distances are Lambert-93 plane distances (the sites' own CRS; metropolitan France).
    """
    if radius_m <= 0:
        raise InputError(f"rayon de {radius_m:g} m", field="radius_m",
                         expected="un rayon > 0 m")
    to_l93 = transformer("EPSG:4326", LAMBERT93)
    hx, hy = to_l93.transform(town_halls["lon"].to_numpy(), town_halls["lat"].to_numpy())
    out = pd.DataFrame({"code_insee": town_halls["code_insee"].to_numpy()})
    halls = np.column_stack([hx, hy])
    for operator in OPERATORS.values():
        own = sites[(sites["operator"] == operator) & sites["has_4g"]]
        if len(own):
            tree = cKDTree(own[["x_m", "y_m"]].to_numpy())
            counts = tree.query_ball_point(halls, r=radius_m, return_length=True)
        else:
            counts = np.zeros(len(halls), dtype=int)
        out[f"sites_4g_{operator}"] = np.asarray(counts, dtype=int)
    columns = [f"sites_4g_{operator}" for operator in OPERATORS.values()]
    out["operateurs_4g"] = (out[columns] > 0).sum(axis=1)
    return out


def digital_indicators(town_halls: pd.DataFrame, ftth: pd.DataFrame | None,
                       sites: pd.DataFrame | None, *, quarter: str = "",
                       radius_m: float = DEFAULT_RADIUS_M) -> pd.DataFrame:
    """One row per commune of ``town_halls`` (code_insee, nom, lon, lat) with both indicators.

    A commune missing from the FttH file gets empty fibre columns (not zero: unknown).
    """
    table = town_halls[["code_insee", "nom"]].copy()
    if ftth is not None:
        table = table.merge(fibre_share(ftth), on="code_insee", how="left")
        table.insert(2, "ftth_trimestre", quarter)
    if sites is not None:
        table = table.merge(sites_4g_near(town_halls, sites, radius_m), on="code_insee",
                            how="left")
        table["rayon_4g_m"] = radius_m
    return table
