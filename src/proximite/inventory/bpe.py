"""INSEE Base permanente des équipements (BPE), official ';' separated layout.

Columns used: TYPEQU (equipment code), DEPCOM (commune), LAMBERT_X/LAMBERT_Y (projected,
EPSG:2154 in metropolitan France; an ``EPSG`` column, when present, gives each row's CRS,
as for overseas départements). Newer files with LONGITUDE/LATITUDE are read from those
when the Lambert columns are absent. Optional: AN (vintage, used as data_date).

Nothing is dropped silently: a TYPEQU code the catalogue does not map is a rejection
(field TYPEQU) and the codes are listed with their counts in one warning (a département may
want to add them to its catalogue); a row without coordinates is "not geolocated" (the BPE
has such rows, QUALITE_XY "Non géolocalisé").
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import Rejection, require_columns
from proximite.inventory._read import BBox, finish, insee_code, parse_coordinates, read_csv_table
from proximite.inventory.schema import ImportResult

BPE_REQUIRED = ["TYPEQU", "DEPCOM", "LAMBERT_X", "LAMBERT_Y"]
BPE_REQUIRED_WGS84 = ["TYPEQU", "DEPCOM", "LONGITUDE", "LATITUDE"]
DEFAULT_EPSG = "2154"
BPE_SOURCE = "INSEE BPE"


def read_bpe(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """Read a BPE file (all of France if need be) into services of the mapped categories."""
    catalogue = catalogue or load_catalogue()
    table = read_csv_table(path, ["TYPEQU", "DEPCOM"])
    frame = table.frame
    columns = list(frame.columns)
    use_lambert = "LAMBERT_X" in columns or "LONGITUDE" not in columns
    require_columns(columns, BPE_REQUIRED if use_lambert else BPE_REQUIRED_WGS84, path)
    lines = frame["_line"]
    rejected: list[Rejection] = list(table.rejected)

    if use_lambert:
        lon, lat, geo_ok, geo_rejected = _project(frame, path)
    else:
        lon, lat, geo_ok, geo_rejected = parse_coordinates(
            frame["LONGITUDE"], frame["LATITUDE"], lines, path,
            lon_field="LONGITUDE", lat_field="LATITUDE")
        geo_rejected = [_not_geolocated(r) for r in geo_rejected]

    index = catalogue.bpe_index()
    typequ = frame["TYPEQU"].str.strip().str.upper()
    category = typequ.map(index)
    unknown = category.isna()
    warnings: list[str] = []
    if unknown.any():
        counts = Counter(typequ[unknown])
        listed = ", ".join(f"{code or '(empty)'} ({n})" for code, n in sorted(counts.items()))
        warnings.append(f"{path}: {int(unknown.sum())} row(s) with TYPEQU codes not in the "
                        f"catalogue, not imported: {listed}")
    # One rejection per row, TYPEQU first: a row with an unknown code is not worth locating.
    unknown_lines = lines[unknown].astype(int)
    rejected += [Rejection(str(path), int(line), "TYPEQU", code,
                           "TYPEQU code not in the catalogue (bpe_index)")
                 for line, code in zip(unknown_lines, typequ[unknown], strict=True)]
    skip = set(unknown_lines)
    rejected += [r for r in geo_rejected if r.line not in skip]
    rejected.sort(key=lambda r: r.line or 0)
    keep = (~unknown & geo_ok).to_numpy()

    depcom = insee_code(frame["DEPCOM"])
    vintage = frame["AN"].str.strip() if "AN" in columns else pd.Series("", index=frame.index)
    labels = category.map(lambda code: catalogue.categories[code].label
                          if isinstance(code, str) else "")
    services = pd.DataFrame({
        "service_id": _stable_ids(typequ, depcom, frame, use_lambert),
        "category": category,
        "name": labels + " (" + typequ + ", " + depcom + ")",
        "operator": "",
        "lon": lon,
        "lat": lat,
        "code_insee": depcom,
        "address": "",
        "opening_hours": "",
        "opening_hours_raw": "",
        "access_modes": "on_site",
        "source": (BPE_SOURCE + " " + vintage).str.strip(),
        "source_id": typequ + ":" + depcom,
        "data_date": vintage,
        "source_file": str(path),
        "source_line": lines.astype(str),
    })
    return finish(services[keep], bbox, rejected, warnings)


def _not_geolocated(rejection: Rejection) -> Rejection:
    if rejection.reason == "missing coordinate":
        return Rejection(rejection.path, rejection.line, rejection.field, rejection.value,
                         "not geolocated")
    return rejection


def _project(frame: pd.DataFrame, path: str | Path
             ) -> tuple[pd.Series, pd.Series, pd.Series, list[Rejection]]:
    """Lambert (or the row's EPSG) -> WGS84, rejecting empty, non-numeric or bad-CRS rows."""
    lines = frame["_line"]
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
        rejected.append(Rejection(str(path), int(lines[row]), field, "", "not geolocated"))
    for row in frame.index[not_number]:
        field = "LAMBERT_X" if pd.isna(x[row]) else "LAMBERT_Y"
        value = x_text[row] if field == "LAMBERT_X" else y_text[row]
        rejected.append(Rejection(str(path), int(lines[row]), field, value,
                                  "coordinate is not a number"))
    ok = ~(missing | not_number)
    for code in sorted(set(epsg[ok])):
        rows = ok & (epsg == code)
        try:
            transformer = Transformer.from_crs(CRS.from_epsg(int(code)), 4326, always_xy=True)
        except (CRSError, ValueError):
            for row in frame.index[rows]:
                rejected.append(Rejection(str(path), int(lines[row]), "EPSG", code,
                                          "unknown EPSG code"))
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
                                  f"coordinates outside the EPSG:{epsg[row]} projection"))
    return lon, lat, ok & ~bad, rejected


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
