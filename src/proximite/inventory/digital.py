"""Digital infrastructure per commune: fibre (FttH) deployment and 4G mobile sites.

Two open files of ARCEP (2017-18), read here and turned into commune indicators by pure
functions:

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

import io
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from proximite.errors import InputError, Rejection, require_columns
from proximite.inventory._read import (
    LINE_COLUMN,
    decode_text,
    insee_code,
    read_bytes,
    read_csv_table,
)

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


def read_ftth(path: str | Path) -> tuple[pd.DataFrame, str]:
    """The latest quarter of the FttH file: code_insee, premises connectable, class; quarter.

    The file starts with title lines; its header is the line starting "Code commune".
    """
    text, _ = decode_text(read_bytes(path))
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(FTTH_HEADER_START)),
                 None)
    if start is None:
        raise InputError(f"aucune ligne d'en-tête commençant par « {FTTH_HEADER_START} »",
                         path=path, expected="le fichier ARCEP ftthCommunes.csv (Code "
                         "commune, Champ, puis une colonne par trimestre)")
    table = pd.read_csv(io.StringIO("\n".join(lines[start:])), dtype=str,
                        keep_default_na=False)
    require_columns(list(table.columns), [FTTH_HEADER_START, "Champ"], path)
    quarters = [c for c in table.columns if c not in (FTTH_HEADER_START, "Champ")]
    if not quarters:
        raise InputError("aucune colonne de trimestre", path=path, line=start + 1,
                         expected="des colonnes comme « T1 2018 » après « Champ »")
    latest = quarters[-1]
    wide = table.pivot_table(index=FTTH_HEADER_START, columns="Champ", values=latest,
                             aggfunc="first")
    for field in (FTTH_CONNECTABLE, FTTH_CLASS):
        if field not in wide.columns:
            raise InputError(f"aucune ligne « {field} »", path=path, field="Champ",
                             expected=f"des lignes « {FTTH_CONNECTABLE} » et « {FTTH_CLASS} »")
    out = pd.DataFrame({
        "code_insee": insee_code(pd.Series(wide.index, dtype=str)).to_numpy(),
        "ftth_locaux_raccordables": pd.to_numeric(wide[FTTH_CONNECTABLE],
                                                  errors="coerce").to_numpy(),
        "ftth_classe": pd.to_numeric(wide[FTTH_CLASS], errors="coerce").to_numpy(),
    })
    return out, latest


def read_mobile_sites(path: str | Path) -> tuple[pd.DataFrame, list[Rejection]]:
    """Antenna sites (operator name, Lambert-93 x/y in metres, has_2g/3g/4g booleans) and
    the rows without usable coordinates (the national file has '#N/A' ones), rejected."""
    frame = read_csv_table(path, SITES_REQUIRED).frame
    x = pd.to_numeric(frame["x"], errors="coerce")
    y = pd.to_numeric(frame["y"], errors="coerce")
    bad = x.isna() | y.isna()
    lines = frame[LINE_COLUMN].astype(int)
    raw = frame["x"].astype(str) + " " + frame["y"].astype(str)
    rejected = [Rejection(str(path), int(lines[i]), "x/y", str(raw[i]),
                          "coordonnée non numérique (mètres Lambert-93 attendus)")
                for i in frame.index[bad]]
    frame, x, y = frame[~bad], x[~bad], y[~bad]
    sites = pd.DataFrame({
        "operator": frame["Operateur"].str.strip().map(OPERATORS).fillna(
            frame["Operateur"].str.strip()),
        "x_m": x, "y_m": y,
        "has_2g": frame["2G"].str.strip() == "1",
        "has_3g": frame["3G"].str.strip() == "1",
        "has_4g": frame["4G"].str.strip() == "1",
    }).reset_index(drop=True)
    return sites, rejected


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
    to_l93 = Transformer.from_crs("EPSG:4326", LAMBERT93, always_xy=True)
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
