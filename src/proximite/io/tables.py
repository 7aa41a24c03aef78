"""Readers of the small user tables: services to open in a scenario, candidate sites.

Computation (:mod:`proximite.analysis.scenario`, :mod:`proximite.planning.siting`) takes
the frames these return; only this module opens the files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from proximite.errors import InputError, numeric_column, require_columns
from proximite.textio import read_text_frame


def read_open_services(path: str | Path) -> pd.DataFrame:
    """Services to open from a CSV: ``category, lon, lat`` (+ ``name`` or any schema column)."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    if path.stat().st_size == 0:
        raise InputError("fichier vide", path=path, expected="category,lon,lat[,name]")
    frame, _ = read_text_frame(path)  # decoded like every input (Windows-1252 too)
    require_columns(list(frame.columns), ["category", "lon", "lat"], path)
    for col in ("lon", "lat"):
        values = pd.to_numeric(frame[col].str.replace(",", ".", regex=False), errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"valeur « {frame[col].iloc[row]} » invalide", path=path,
                             line=row + 2, field=col, expected="des degrés WGS 84")
        frame[col] = values
    frame["source_file"] = str(path)
    frame["source_line"] = [str(i + 2) for i in range(len(frame))]
    return frame


def read_candidates(path: str | Path) -> pd.DataFrame:
    """Candidate sites ``candidate_id, lon, lat, name[, capacity]`` (capacity in
    inhabitants, empty = unlimited), for :class:`proximite.planning.siting.Candidates`."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    frame, _ = read_text_frame(path, ",")  # decoded like every input (Windows-1252 too)
    require_columns(list(frame.columns), ["candidate_id", "lon", "lat", "name"], path)
    if frame.empty:
        raise InputError("aucun site candidat dans le fichier", path=path)
    out = pd.DataFrame({"candidate_id": frame["candidate_id"], "name": frame["name"]})
    out["lon"] = numeric_column(frame, "lon", path, max_abs=180.0)
    out["lat"] = numeric_column(frame, "lat", path, max_abs=90.0)
    if "capacity" in frame:
        out["capacity"] = numeric_column(frame, "capacity", path, minimum=0.0,
                                         allow_empty=True)
    return out
