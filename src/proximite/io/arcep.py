"""Readers of ARCEP's two open files (fibre deployment per commune, mobile antenna sites).

The layouts and the indicators computed from them are described in
:mod:`proximite.inventory.digital`; the reading is here, apart from the computation.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from proximite.errors import InputError, Rejection, require_columns
from proximite.inventory._read import (
    LINE_COLUMN,
    decode_text,
    insee_code,
    read_bytes,
    read_csv_table,
)
from proximite.inventory.digital import (
    FTTH_CLASS,
    FTTH_CONNECTABLE,
    FTTH_HEADER_START,
    OPERATORS,
    SITES_REQUIRED,
)


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


__all__ = ["read_ftth", "read_mobile_sites"]
