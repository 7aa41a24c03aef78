"""Files around the calibration: the reference matrix, calibration files, the default.

The fit itself is pure (:mod:`proximite.network.calibration`). A calibration file is YAML:
the parameters, the fit figures before and after, the reference, the network and the date,
so a later run (``--calibration FILE``) and its report can say which calibration it used
and how good it is. The calibration fitted on the Isère OSRM reference ships with the
package and is the default of every Travel Mapping network.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from proximite.errors import InputError
from proximite.network.calibration import CalibrationResult, Reference, calibrate
from proximite.network.graph import RoadGraph
from proximite.network.travelmapping import (
    ROAD_CLASSES,
    TravelMappingParams,
    build_network,
    read_travelmapping,
    territory_box,
    with_calibration,
)

FORMAT = "proximite-calibration/1"
DATA_DIR = Path(str(resources.files("proximite") / "data"))
SHIPPED_ARCHIVE = DATA_DIR / "roads" / "travelmapping_FRA_hwy_data.tar.gz"
DEFAULT_CALIBRATION = DATA_DIR / "roads" / "travelmapping_calibration_isere.yaml"
ISERE_REFERENCE = DATA_DIR / "reference" / "osrm_isere" / "TimeDistCarIsere.csv"
ISERE_POINTS = DATA_DIR / "reference" / "osrm_isere" / "isere.geojson"
ISERE_LABEL = "la matrice OSRM (OpenStreetMap) des 512 communes de l'Isère"


def read_reference(matrix_path: str | Path, points_path: str | Path, *,
                   unit: str = "s") -> Reference:
    """A square OD matrix (first column and header = ids) and the points of its ids.

    ``unit``: ``s`` (OSRM's seconds) or ``min``. Every id of the matrix must have a
    point, rows and columns must list the same ids in the same order, and every cell
    must be a finite number >= 0.
    """
    matrix_path, points_path = Path(matrix_path), Path(points_path)
    if not matrix_path.exists():
        raise InputError("matrice de référence introuvable", path=matrix_path)
    try:
        frame = pd.read_csv(matrix_path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"matrice de référence illisible ({exc})", path=matrix_path) from exc
    if frame.shape[1] < 2 or len(frame) == 0:
        raise InputError("matrice de référence vide", path=matrix_path,
                         expected="une colonne d'identifiants puis une colonne par identifiant")
    row_ids = np.array([str(c).strip() for c in frame.iloc[:, 0]])
    col_ids = np.array([str(c).strip() for c in frame.columns[1:]])
    if len(row_ids) != len(col_ids):
        raise InputError(f"matrice non carrée : {len(row_ids)} lignes pour {len(col_ids)} "
                         "colonnes", path=matrix_path,
                         expected="autant de lignes que de colonnes d'identifiants")
    differ = np.flatnonzero(row_ids != col_ids)
    if len(differ):
        i = int(differ[0])
        raise InputError(f"la ligne {i + 2} est '{row_ids[i]}' mais la colonne {i + 2} est "
                         f"'{col_ids[i]}'", path=matrix_path, line=i + 2,
                         expected="les mêmes identifiants, dans le même ordre, en lignes et "
                         "en colonnes")
    values = frame.iloc[:, 1:].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        cell = str(frame.iloc[i, j + 1])
        raise InputError(f"valeur '{cell}' invalide", path=matrix_path,
                         line=i + 2, field=str(col_ids[j]), expected="un nombre >= 0")
    if unit not in ("s", "min"):
        raise InputError(f"unité '{unit}' inconnue", field="unit", expected="s ou min")
    points = _read_points(points_path)
    unknown = [code for code in row_ids if code not in points.index]
    if unknown:
        raise InputError(f"{len(unknown)} identifiant(s) de la matrice sans point dans "
                         f"{points_path.name} : " + ", ".join(unknown[:10]), path=matrix_path,
                         line=1, expected="un point (id, lon, lat) pour chaque identifiant")
    located = points.loc[list(row_ids)]
    return Reference(ids=row_ids, lon=located["lon"].to_numpy(float),
                     lat=located["lat"].to_numpy(float),
                     time_min=values / 60.0 if unit == "s" else values,
                     name=matrix_path.name)


def _read_points(path: Path) -> pd.DataFrame:
    """Points of a GeoJSON (``lon``/``lat`` properties, else the geometry's
    representative point) or a CSV ``id, lon, lat``, indexed by id."""
    if not path.exists():
        raise InputError("fichier des points de la référence introuvable", path=path)
    if path.suffix.lower() == ".csv":
        from proximite.network.points import read_points_csv

        table = read_points_csv(path)
        return table.set_index("id")
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(f"fichier de points illisible ({exc})", path=path) from exc
    if "id" not in frame.columns:
        raise InputError("pas de champ 'id'", path=path, field="id",
                         expected="l'identifiant des lignes de la matrice")
    if {"lon", "lat"} <= set(frame.columns):
        lon, lat = frame["lon"].astype(float), frame["lat"].astype(float)
    else:
        point = frame.geometry.to_crs("EPSG:4326").representative_point()
        lon, lat = point.x, point.y
    return pd.DataFrame({"lon": lon.to_numpy(), "lat": lat.to_numpy()},
                        index=frame["id"].astype(str).str.strip())


def write_calibration(result: CalibrationResult, path: str | Path, *, network: str,
                      reference: str) -> dict[str, Any]:
    """Write a calibration file (YAML) and return its content."""
    params = result.params
    content: dict[str, Any] = {
        "format": FORMAT,
        "network": network,
        "reference": reference,
        "date": dt.date.today().isoformat(),
        "converged": result.converged,
        "message": result.message,
        "iterations": result.iterations,
        "fitted_classes": result.fitted_classes,
        # A time matrix fixes minutes per straight km only, not speed and length factor
        # apart: the factors keep their values (see proximite.network.calibration).
        "length_factors_fitted": False,
        "n_points": result.n_points,
        "n_points_off_network": result.n_points_off_network,
        "parameters": {
            "speed_kmh": {c: round(params.speed_kmh[c], 2) for c in ROAD_CLASSES},
            "length_factor": {c: round(params.length_factor[c], 3) for c in ROAD_CLASSES},
            "access_speed_kmh": round(params.access_speed_kmh, 2),
            "access_detour_factor": round(params.access_detour_factor, 3),
        },
        "fit": result.fit.as_dict(),
        "uncalibrated": result.uncalibrated.as_dict(),
    }
    Path(path).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
    return content


def read_calibration(path: str | Path) -> dict[str, Any]:
    """A calibration file's content, checked enough to be applied."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier de calibration introuvable", path=path)
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"fichier de calibration illisible ({exc})", path=path) from exc
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise InputError("ce n'est pas un fichier de calibration", path=path, field="format",
                         expected=FORMAT)
    parameters = content.get("parameters")
    if not isinstance(parameters, dict):
        raise InputError("pas de paramètres", path=path, field="parameters")
    for key in ("speed_kmh", "length_factor"):
        values = parameters.get(key, {})
        unknown = sorted(set(values) - set(ROAD_CLASSES)) if isinstance(values, dict) else [key]
        if unknown:
            raise InputError(f"classe(s) de route inconnue(s) : {', '.join(unknown)}",
                             path=path, field=f"parameters.{key}",
                             expected=", ".join(ROAD_CLASSES))
    content["path"] = str(path)
    return content


def params_from_calibration(content: dict[str, Any] | None,
                            base: TravelMappingParams | None = None
                            ) -> tuple[TravelMappingParams, dict[str, Any] | None]:
    """Parameters of a calibration and its summary (reference, date, file, fit figures);
    ``base`` and None when there is none or it did not converge."""
    base = base or TravelMappingParams()
    if not content or not content.get("converged", False):
        return base, None
    summary = {"reference": content.get("reference", ""), "date": content.get("date", ""),
               "path": Path(content.get("path", "")).name, "fit": content.get("fit", {}),
               "length_factors_fitted": bool(content.get("length_factors_fitted", False))}
    try:
        return with_calibration(base, content["parameters"]), summary
    except (TypeError, ValueError) as exc:
        raise InputError(f"paramètres de calibration invalides ({exc})",
                         path=content.get("path"), field="parameters") from exc


def load_travelmapping(path: str | Path, *, points: pd.DataFrame | None = None,
                       calibration: str | Path | None = None,
                       params: TravelMappingParams | None = None,
                       use_calibration: bool = True) -> RoadGraph:
    """A Travel Mapping graph cut to ``points`` + margin, with a calibration applied
    over ``params`` (default calibration: the shipped Isère one; none when
    ``use_calibration`` is False: ``params`` as they are)."""
    cal_path = Path(calibration) if calibration else DEFAULT_CALIBRATION
    content = (read_calibration(cal_path)
               if use_calibration and (cal_path.exists() or calibration) else None)
    params, summary = params_from_calibration(content, params)
    data = read_travelmapping(path, params.excluded_systems)
    box = None
    if points is not None and len(points):
        box = territory_box(points["lon"].to_numpy(), points["lat"].to_numpy(),
                            params.margin_m)
    graph = build_network(data, box).graph(params, summary)
    if content is not None and not content.get("converged", False):
        graph.warnings.append(f"la calibration {cal_path.name} n'a pas convergé : valeurs "
                              "par défaut gardées")
    return graph


def run_calibration(network_path: str | Path, matrix_path: str | Path,
                    points_path: str | Path, *, unit: str = "s",
                    out: str | Path | None = None,
                    params: TravelMappingParams | None = None,
                    reference_label: str | None = None,
                    ) -> tuple[CalibrationResult, dict[str, Any] | None]:
    """Read, cut the network to the reference's points + margin, fit, and write ``out``
    (only when the fit converged: otherwise the defaults stay and nothing is written)."""
    params = params or TravelMappingParams()
    reference = read_reference(matrix_path, points_path, unit=unit)
    data = read_travelmapping(network_path, params.excluded_systems)
    network = build_network(data, territory_box(reference.lon, reference.lat,
                                                params.margin_m))
    result = calibrate(network, reference, params)
    content = None
    if out is not None and result.converged:
        content = write_calibration(result, out, network=Path(network_path).name,
                                    reference=reference_label or f"{Path(matrix_path).name} "
                                    f"({result.n_points} points)")
    return result, content
