"""Reader of point files ``id, lon, lat`` (the distancier's inputs, a reference's points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from proximite.errors import InputError, numeric_column, require_columns

POINT_COLUMNS = ["id", "lon", "lat"]


def read_points_csv(path: str | Path) -> pd.DataFrame:
    """A CSV of points ``id, lon, lat`` (WGS84), ids unique."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier de points introuvable", path=path)
    if path.stat().st_size == 0:
        raise InputError("fichier de points vide", path=path, expected="id,lon,lat")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"fichier de points illisible ({exc})", path=path) from exc
    require_columns(list(frame.columns), POINT_COLUMNS, path)
    if frame.empty:
        raise InputError("aucun point dans le fichier", path=path, expected="id,lon,lat")
    ids = frame["id"].astype(str).str.strip()
    duplicated = ids.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(f"identifiant '{ids.iloc[row]}' en double", path=path, line=row + 2,
                         field="id", expected="un identifiant par point")
    return pd.DataFrame({"id": ids,
                         "lon": numeric_column(frame, "lon", path, max_abs=180.0),
                         "lat": numeric_column(frame, "lat", path, max_abs=90.0)})
