"""Location checks: every service must sit in the territory or its margin, in WGS84.

The typical input mistakes are a missing coordinate, Lambert-93 metres written in the
lon/lat columns, swapped longitude and latitude, and a service from another département.
Each becomes a :class:`~proximite.errors.Rejection` pointing at the input file and line,
with a reason that says what to fix; nothing is reprojected or swapped silently, because a
guessed correction that is wrong would put a service in the wrong commune unnoticed.

Services outside the territory but within the margin are kept: people cross the border
to the nearest post office, and leaving them out would overstate travel times at the
edges. They are only counted in a warning, so the service schema stays unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from proximite.errors import ProximiteError, Rejection, SettingError
from proximite.messages import number, short_number
from proximite.network.snap import transformer

LAMBERT93 = "EPSG:2154"
WGS84 = "EPSG:4326"
# EPSG:2154's area of use (mainland France and Corsica), in degrees.
LAMBERT93_AREA_DEG = (-9.86, 41.15, 10.38, 51.56)
# Generous bounds of Lambert-93 eastings/northings over its area of use, in metres.
LAMBERT93_X_RANGE = (0.0, 1_300_000.0)
LAMBERT93_Y_RANGE = (6_000_000.0, 7_200_000.0)
# Coordinates this large cannot be degrees even with a unit slip: they are metres.
PROJECTED_MIN_ABS = 1_000.0

REASON_MISSING = "coordonnées manquantes"
REASON_LAMBERT = ("des mètres Lambert-93 (EPSG:2154), semble-t-il, donnés comme des degrés "
                  "WGS 84 : reprojeter ou déclarer le système de coordonnées")
REASON_PROJECTED = ("des mètres d'une projection, semble-t-il, donnés comme des degrés "
                    "WGS 84 : reprojeter ou déclarer le système de coordonnées")
REASON_LAT_RANGE = "la latitude doit être comprise entre -90 et 90"
REASON_LON_RANGE = "la longitude doit être comprise entre -180 et 180"
REASON_SWAPPED = "latitude et longitude semblent inversées"


def metric_crs(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> pyproj.CRS:
    """A metric CRS for an area: Lambert-93 in mainland France, else its WGS84 UTM zone.

    Lambert-93 is what French data producers use (and its scale error is below 0.1 %);
    elsewhere (overseas départements, foreign test territories) the UTM zone of the
    area's centre keeps distances right to a few metres over a département.
    """
    west, south, east, north = LAMBERT93_AREA_DEG
    if lon_min >= west and lon_max <= east and lat_min >= south and lat_max <= north:
        return pyproj.CRS(LAMBERT93)
    lon = (lon_min + lon_max) / 2.0
    lat = (lat_min + lat_max) / 2.0
    zone = min(max(int(np.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _to_int_line(value: object) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() else None


# Distances quoted in reasons are rounded to 0.1 km: a 50 m simplification is exact enough.
DISTANCE_TOLERANCE_M = 50.0


def _distance_m(geometry_m: shapely.Geometry, x: np.ndarray, y: np.ndarray,
                margin_m: float) -> np.ndarray:
    """Distance from each point to ``geometry_m`` (metres), fast for whole national files.

    A département boundary has tens of thousands of vertices; measuring every point of a
    national file against it would take minutes. The simplified boundary (Hausdorff error
    at most :data:`DISTANCE_TOLERANCE_M`) serves the far points; points close to the margin,
    where the keep/reject decision depends on it, are measured exactly.
    """
    out = np.full(len(x), np.inf)  # unprojectable points are reported as far away
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(finite) == 0:
        return out
    points = shapely.points(x[finite], y[finite])
    coarse = shapely.simplify(geometry_m, DISTANCE_TOLERANCE_M, preserve_topology=True)
    shapely.prepare(coarse)
    distances = np.asarray(shapely.distance(coarse, points), dtype=float)
    close = distances <= margin_m + 2 * DISTANCE_TOLERANCE_M
    distances[close] = shapely.distance(geometry_m, np.asarray(points)[close])
    out[finite] = distances
    return out


def validate_locations(
    services: pd.DataFrame,
    territory: shapely.Geometry,
    *,
    margin_m: float = 20_000,
) -> tuple[pd.DataFrame, list[Rejection], list[str]]:
    """Keep the services located in ``territory`` (WGS84 lon/lat) or within ``margin_m``.

    Returns ``(kept services, rejections, warnings)``. Each row gets the first failing
    check among: missing coordinates, projected metres given as degrees, out of WGS84
    range, swapped lon/lat, outside the territory and its margin. Distances are computed
    in a metric CRS (see :func:`metric_crs`), with the territory projected once.
    """
    if territory is None or shapely.is_empty(territory):
        raise ProximiteError("le contour du territoire est vide : impossible de situer les "
                             "services")
    if not margin_m >= 0:  # also rejects NaN
        raise SettingError("margin_m", short_number(margin_m), "une distance ≥ 0 m")
    km = f"{short_number(margin_m / 1000)} km"

    lon = pd.to_numeric(services["lon"], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(services["lat"], errors="coerce").to_numpy(dtype="float64")
    n = len(services)
    reasons = np.full(n, None, dtype=object)
    fields = np.full(n, "lon/lat", dtype=object)
    pending = np.ones(n, dtype=bool)

    def settle(mask: np.ndarray, reason: str | np.ndarray, field: str = "lon/lat") -> None:
        nonlocal pending
        hit = mask & pending
        reasons[hit] = reason if isinstance(reason, str) else reason[hit]
        fields[hit] = field
        pending = pending & ~hit

    settle(np.isnan(lon) | np.isnan(lat), REASON_MISSING)

    crs = metric_crs(*shapely.bounds(territory))
    to_metric = transformer(WGS84, crs)
    territory_m = cast(BaseGeometry, shapely.transform(territory, lambda xy: np.column_stack(
        to_metric.transform(xy[:, 0], xy[:, 1]))))
    # Exact distance test on the prepared outline (GEOS indexes its segments): no buffer
    # of the outline, which took 6-24 s for all of France and was only an approximation.
    shapely.prepare(territory_m)

    def near_territory(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x) & np.isfinite(y)
        inside = np.zeros(len(x), dtype=bool)
        inside[ok] = shapely.dwithin(territory_m, shapely.points(x[ok], y[ok]), margin_m)
        return inside

    # Metres in the degree columns: say so, and whether Lambert-93 would make sense.
    with np.errstate(invalid="ignore"):
        projected = (np.isfinite(lon) & np.isfinite(lat)
                     & ((np.abs(lon) > PROJECTED_MIN_ABS) | (np.abs(lat) > PROJECTED_MIN_ABS)))
    projected &= pending
    if projected.any():
        looks_l93 = (projected
                     & (lon >= LAMBERT93_X_RANGE[0]) & (lon <= LAMBERT93_X_RANGE[1])
                     & (lat >= LAMBERT93_Y_RANGE[0]) & (lat <= LAMBERT93_Y_RANGE[1]))
        from_l93 = transformer(LAMBERT93, crs)
        lx, ly = from_l93.transform(lon[looks_l93], lat[looks_l93])
        l93_near = np.zeros(n, dtype=bool)
        l93_near[looks_l93] = near_territory(np.asarray(lx), np.asarray(ly))
        texts = np.full(n, REASON_PROJECTED, dtype=object)
        texts[looks_l93] = (REASON_LAMBERT + " ; reprojeté depuis EPSG:2154, le point resterait "
                            f"hors du territoire et de sa marge de {km}")
        texts[l93_near] = (REASON_LAMBERT + " ; reprojeté depuis EPSG:2154, le point tombe dans "
                           f"le territoire ou sa marge de {km}")
        settle(projected, texts)

    settle(np.abs(lat) > 90, REASON_LAT_RANGE, "lat")
    settle(np.abs(lon) > 180, REASON_LON_RANGE, "lon")

    # Geometry part: every remaining point projected once, one vectorised test each.
    idx = np.flatnonzero(pending)
    x, y = (np.asarray(a) for a in to_metric.transform(lon[idx], lat[idx]))
    near = near_territory(x, y)
    outside_idx = idx[~near]
    distances = _distance_m(territory_m, x[~near], y[~near], margin_m)
    near_idx = idx[near]

    swapped = np.zeros(n, dtype=bool)
    can_swap = outside_idx[np.abs(lon[outside_idx]) <= 90]
    if len(can_swap):
        sx, sy = to_metric.transform(lat[can_swap], lon[can_swap])
        swapped[can_swap] = near_territory(np.asarray(sx), np.asarray(sy))
    settle(swapped, REASON_SWAPPED)

    far = np.full(n, None, dtype=object)
    far[outside_idx] = [
        f"hors du territoire et de sa marge de {km} (à {number(d / 1000, 1)} km)"
        if np.isfinite(d) else f"hors du territoire et de sa marge de {km} (très loin)"
        for d in distances]
    far_mask = np.zeros(n, dtype=bool)
    far_mask[outside_idx] = True
    settle(far_mask, far)

    in_margin_only = 0
    if len(near_idx):
        nx, ny = to_metric.transform(lon[near_idx], lat[near_idx])
        inside = shapely.intersects_xy(territory_m, np.asarray(nx), np.asarray(ny))
        in_margin_only = int((~inside).sum())

    rejections = _rejections(services, lon, lat, reasons, fields)
    kept = services.loc[pending].reset_index(drop=True)
    warnings: list[str] = []
    if in_margin_only:
        warnings.append(f"{number(in_margin_only)} services hors du territoire conservés dans la "
                        f"marge (à moins de {km} de sa limite)")
    return kept, rejections, warnings


def _rejections(services: pd.DataFrame, lon: np.ndarray, lat: np.ndarray,
                reasons: np.ndarray, fields: np.ndarray) -> list[Rejection]:
    """One rejection per failing row, located by its ``source_file``/``source_line``."""
    paths = (services["source_file"] if "source_file" in services
             else pd.Series("", index=services.index)).fillna("").astype(str).to_numpy()
    lines = (services["source_line"] if "source_line" in services
             else pd.Series("", index=services.index)).fillna("").to_numpy()
    rows = np.flatnonzero(pd.notna(reasons))
    return [
        Rejection(path=paths[i], line=_to_int_line(lines[i]), field=str(fields[i]),
                  value=f"lon={x:.6g}, lat={y:.6g}", reason=str(reasons[i]))
        for i, x, y in zip(rows.tolist(), lon[rows].tolist(), lat[rows].tolist(), strict=True)
    ]


def check_code_insee(
    services: pd.DataFrame,
    known_codes: set[str] | Iterable[str],
    *,
    territory: shapely.Geometry | None = None,
    max_listed: int = 10,
) -> list[str]:
    """Warn about services whose ``code_insee`` is not one of the territory's communes.

    A warning, not a rejection: the coordinates decide where a service is, the code is
    only a cross-check (it is often stale after commune mergers). Services in the margin
    legitimately carry neighbouring codes, so give ``territory`` (WGS84) to check only
    the services inside it, or pass only those services.
    """
    known = {str(code).strip() for code in known_codes}
    codes = services["code_insee"].fillna("").astype(str).str.strip()
    check = codes.ne("").to_numpy().copy()
    if territory is not None and len(services):
        lon = pd.to_numeric(services["lon"], errors="coerce").to_numpy(dtype="float64")
        lat = pd.to_numeric(services["lat"], errors="coerce").to_numpy(dtype="float64")
        ok = np.isfinite(lon) & np.isfinite(lat)
        inside = np.zeros(len(services), dtype=bool)
        inside[ok] = shapely.intersects_xy(territory, lon[ok], lat[ok])
        check = check & inside
    unknown = check & ~codes.isin(known).to_numpy()
    if not unknown.any():
        return []
    paths = services.get("source_file", pd.Series("", index=services.index)).astype(str)
    lines = services.get("source_line", pd.Series("", index=services.index)).astype(str)
    listed = []
    for i in np.flatnonzero(unknown)[:max_listed]:
        code = codes.iloc[i]
        hint = (" (zéro initial perdu ?)" if code.zfill(5) in known and code != code.zfill(5)
                else "")
        where = f"{paths.iloc[i]}:{lines.iloc[i]}" if lines.iloc[i] else paths.iloc[i]
        listed.append(f"{code}{hint} en {where}")
    count = int(unknown.sum())
    more = f", et {number(count - max_listed)} autres" if count > max_listed else ""
    return [f"{number(count)} service(s) situé(s) dans le territoire ont un code_insee qui "
            "n'est pas celui d'une de ses communes : " + " ; ".join(listed) + more]
