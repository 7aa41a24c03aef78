"""INSEE Base permanente des équipements (BPE), official ';' separated layout.

Columns used: TYPEQU (equipment code), DEPCOM (commune), LAMBERT_X/LAMBERT_Y (projected,
EPSG:2154 in metropolitan France; an ``EPSG`` column, when present, gives each row's CRS,
as for overseas départements). Newer files with LONGITUDE/LATITUDE are read from those
when the Lambert columns are absent. Optional: AN (vintage, used as data_date).

Nothing is dropped silently: the rows of a TYPEQU code the catalogue does not map are
rejected (field TYPEQU) as one grouped rejection per code, with its row count and first
lines, since most rows of a national file (~2.7 million) have such codes and one rejection
each would bury everything else; the codes are also listed with their counts in one warning
(a département may want to add them to its catalogue). Other problems stay one rejection
per row: a row without coordinates is "non géolocalisé" (the BPE has such rows, QUALITE_XY
"Non géolocalisé").
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import Rejection, require_columns
from proximite.inventory._read import (
    LINE_COLUMN,
    MISSING_COORDINATE,
    BBox,
    LocatedRows,
    Table,
    insee_code,
    locate_rows,
    read_csv_table,
    reject_by_value,
)
from proximite.inventory.schema import ImportResult
from proximite.messages import number

BPE_REQUIRED = ["TYPEQU", "DEPCOM", "LAMBERT_X", "LAMBERT_Y"]
BPE_REQUIRED_WGS84 = ["TYPEQU", "DEPCOM", "LONGITUDE", "LATITUDE"]
DEFAULT_EPSG = "2154"
BPE_SOURCE = "INSEE BPE"
UNKNOWN_TYPEQU = "code TYPEQU absent du catalogue (bpe_index)"


def read_bpe(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """Read a BPE file (all of France if need be) into services of the mapped categories."""
    catalogue = catalogue or load_catalogue()
    table = read_csv_table(path, ["TYPEQU", "DEPCOM"])
    columns = list(table.frame.columns)
    use_lambert = "LAMBERT_X" in columns or "LONGITUDE" not in columns
    require_columns(columns, BPE_REQUIRED if use_lambert else BPE_REQUIRED_WGS84, path)

    all_typequ = table.frame["TYPEQU"].str.strip().str.upper()
    all_category = all_typequ.map(catalogue.bpe_index())
    unknown = all_category.isna()
    # One rejection per unknown code, not per row; only the other rows are worth locating.
    by_code = reject_by_value(path, "TYPEQU", all_typequ[unknown],
                              table.frame[LINE_COLUMN][unknown], UNKNOWN_TYPEQU)
    warnings: list[str] = []
    if by_code:
        listed = ", ".join(f"{r.value or '(vide)'} ({r.rows})"
                           for r in sorted(by_code, key=lambda r: r.value))
        warnings.append(f"{path} : {number(int(unknown.sum()))} ligne(s) dont le code TYPEQU "
                        f"est absent du catalogue, non importées : {listed}")
    known = Table(table.frame[~unknown], table.rejected, warnings=table.warnings)
    if use_lambert:
        rows = _project(known, path)
    else:
        rows = locate_rows(known, path, lon="LONGITUDE", lat="LATITUDE")
        rows.rejected = [_not_geolocated(r) for r in rows.rejected]
    rows.rejected = sorted([*rows.rejected, *by_code], key=lambda r: r.line or 0)

    frame = rows.frame
    typequ = all_typequ[~unknown]
    # astype(str): a file without any known code leaves an empty float column
    category = all_category[~unknown].astype(str)
    depcom = insee_code(frame["DEPCOM"])
    vintage = frame["AN"].str.strip() if "AN" in columns else pd.Series("", index=frame.index)
    labels = category.map(lambda code: catalogue.categories[code].label)
    services = rows.services(
        service_id=_stable_ids(typequ, depcom, frame, use_lambert),
        category=category,
        name=labels + " (" + typequ + ", " + depcom + ")",
        operator="",
        code_insee=depcom,
        address="",
        source=(BPE_SOURCE + " " + vintage).str.strip(),
        source_id=typequ + ":" + depcom,
        data_date=vintage,
    )
    return rows.result(services, bbox, warnings)


def _not_geolocated(rejection: Rejection) -> Rejection:
    if rejection.reason == MISSING_COORDINATE:
        return Rejection(rejection.path, rejection.line, rejection.field, rejection.value,
                         "non géolocalisé")
    return rejection


def _project(table: Table, path: str | Path) -> LocatedRows:
    """Lambert (or the row's EPSG) -> WGS84, rejecting empty, non-numeric or bad-CRS rows."""
    frame = table.frame
    lines = frame[LINE_COLUMN]
    x_text = frame["LAMBERT_X"].str.strip()
    y_text = frame["LAMBERT_Y"].str.strip()
    x = pd.to_numeric(x_text.str.replace(",", ".", regex=False), errors="coerce")
    y = pd.to_numeric(y_text.str.replace(",", ".", regex=False), errors="coerce")
    epsg = frame["EPSG"].str.strip() if "EPSG" in frame.columns \
        else pd.Series(DEFAULT_EPSG, index=frame.index)
    epsg = epsg.where(epsg != "", DEFAULT_EPSG).str.replace(r"\.0$", "", regex=True)
    lon = pd.Series(np.nan, index=frame.index)
    lat = pd.Series(np.nan, index=frame.index)
    rejected: list[Rejection] = []
    missing = (x_text == "") | (y_text == "")
    not_number = ~missing & (x.isna() | y.isna() | ~np.isfinite(x) | ~np.isfinite(y))
    for row in frame.index[missing]:
        field = "LAMBERT_X" if x_text[row] == "" else "LAMBERT_Y"
        rejected.append(Rejection(str(path), int(lines[row]), field, "", "non géolocalisé"))
    for row in frame.index[not_number]:
        field = "LAMBERT_X" if pd.isna(x[row]) else "LAMBERT_Y"
        value = x_text[row] if field == "LAMBERT_X" else y_text[row]
        rejected.append(Rejection(str(path), int(lines[row]), field, value,
                                  "la coordonnée n'est pas un nombre"))
    ok = ~(missing | not_number)
    for code in sorted(set(epsg[ok])):
        rows = ok & (epsg == code)
        try:
            transformer = Transformer.from_crs(CRS.from_epsg(int(code)), 4326, always_xy=True)
        except (CRSError, ValueError):
            for row in frame.index[rows]:
                rejected.append(Rejection(str(path), int(lines[row]), "EPSG", code,
                                          "code EPSG inconnu"))
            ok &= ~rows
            continue
        out_lon, out_lat = transformer.transform(x[rows].to_numpy(), y[rows].to_numpy())
        lon[rows] = out_lon
        lat[rows] = out_lat
    bad = ok & ~(np.isfinite(lon) & np.isfinite(lat) & lon.between(-180, 180)
                 & lat.between(-90, 90))
    for row in frame.index[bad]:
        rejected.append(Rejection(str(path), int(lines[row]), "LAMBERT_X",
                                  f"{x_text[row]} {y_text[row]}",
                                  f"coordonnées hors du domaine de la projection EPSG:{epsg[row]}"))
    return LocatedRows(path, frame, lon, lat, ok & ~bad, table.rejected + rejected)


def _stable_ids(typequ: pd.Series, depcom: pd.Series, frame: pd.DataFrame,
                use_lambert: bool) -> pd.Series:
    """'bpe:D307:48095:1a2b3c4d': the same equipment keeps its id across re-imports.

    The BPE has no equipment id; a hash of code, commune and coordinates is stable while the
    row's line number is not. Identical rows get a '-2', '-3' suffix.
    """
    x_col, y_col = ("LAMBERT_X", "LAMBERT_Y") if use_lambert else ("LONGITUDE", "LATITUDE")
    keys = typequ + "|" + depcom + "|" + frame[x_col].str.strip() + "|" + frame[y_col].str.strip()
    digest = keys.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:8])
    base = "bpe:" + typequ + ":" + depcom + ":" + digest
    occurrence = base.groupby(base).cumcount()
    return base.where(occurrence == 0, base + "-" + (occurrence + 1).astype(str))
