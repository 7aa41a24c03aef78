"""GeoJSON layers of the géoportail map: communes coloured by access time, service points.

Why GeoJSON served by the API and no tile server: a département is a few hundred communes
and a few thousand services, a few hundred kB once the polygons are simplified, and the
map then works offline with nothing else running. Geometries are simplified once at
start-up (about 50 m tolerance, enough for a commune choropleth) and each layer is built
once per category and kept (the data never changes while the server runs). The routes
are in :mod:`proximite.web.routes.carte`.
"""

from __future__ import annotations

import math
from typing import Any, cast

import geopandas as gpd
from shapely.geometry import mapping

from proximite.web.text import display_text

SIMPLIFY_DEGREES = 0.0005  # ~40-55 m in metropolitan France
COORD_DECIMALS = 5  # ~1 m


def _round_coords(value: Any) -> Any:
    """Round nested coordinate lists so the layer stays small."""
    if isinstance(value, float):
        return round(value, COORD_DECIMALS)
    if isinstance(value, list | tuple):
        return [_round_coords(v) for v in value]
    return value


def commune_shapes(communes: gpd.GeoDataFrame) -> dict[str, dict[str, Any]]:
    """code_insee -> simplified GeoJSON geometry, in WGS84 (empty when no geometry)."""
    if "geometry" not in communes or communes.geometry.isna().all():
        return {}
    frame = communes.to_crs(4326) if communes.crs is not None else communes
    shapes: dict[str, dict[str, Any]] = {}
    for code, geom in zip(frame["code_insee"].astype(str), frame.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        simple = geom.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
        shape = mapping(simple)
        shapes[code] = {"type": shape["type"], "coordinates": _round_coords(shape["coordinates"])}
    return shapes


def _minutes(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 1)


def communes_layer(portal: Any, category: str) -> dict[str, Any]:
    """FeatureCollection of the communes with their time to the nearest service of
    ``category`` (a category or a basket), as the diagnostic computed it."""
    cache: dict[str, Any] = portal.layer_cache
    key = f"communes:{category}"
    if key in cache:
        return cache[key]
    rows = portal.access_times[portal.access_times["category"] == category]
    times = {str(o): (_minutes(t), s) for o, t, s in
             zip(rows["origin_id"], rows["travel_time_min"], rows["status"], strict=True)}
    features = []
    for code, entry in portal.communes.items():
        geometry = portal.commune_geometries.get(code)
        if geometry is None:
            continue
        minutes, status = times.get(str(entry.origin_id), (None, "no_origin"))
        features.append({
            "type": "Feature", "id": code, "geometry": geometry,
            "properties": {"code_insee": code, "nom": entry.name,
                           "population": entry.population,
                           "travel_time_min": minutes, "status": status}})
    layer = {"type": "FeatureCollection", "category": category, "features": features}
    cache[key] = layer
    return layer


def services_layer(portal: Any, category: str) -> dict[str, Any]:
    """FeatureCollection of the services of ``category`` (sub-categories included)."""
    cache: dict[str, Any] = portal.layer_cache
    key = f"services:{category}"
    if key in cache:
        return cache[key]
    frame = portal.services[portal.services["category"].isin(portal.members(category))]
    features = [{
        "type": "Feature", "id": index,
        "geometry": {"type": "Point", "coordinates": [round(float(lon), COORD_DECIMALS),
                                                      round(float(lat), COORD_DECIMALS)]},
        "properties": {"service_id": str(sid), "nom": display_text(name),
                       "category": str(cat)}}
        for index, (sid, name, cat, lon, lat) in enumerate(zip(
            frame["service_id"], frame["name"], frame["category"], frame["lon"], frame["lat"],
            strict=True))]
    layer = {"type": "FeatureCollection", "category": category, "features": features}
    cache[key] = layer
    return layer


def digital_layer(portal: Any) -> dict[str, Any]:
    """FeatureCollection of the communes with their digital-fragility index (0-100) and
    its dimensions (empty when the diagnostic had no digital data)."""
    cache: dict[str, Any] = portal.layer_cache
    if "numerique" in cache:
        return cast(dict[str, Any], cache["numerique"])
    features = []
    for code, entry in portal.communes.items():
        geometry = portal.commune_geometries.get(code)
        row = portal.digital.get(code)
        if geometry is None or row is None:
            continue
        features.append({
            "type": "Feature", "id": code, "geometry": geometry,
            "properties": {"code_insee": code, "nom": entry.name,
                           "indice": row.get("indice_fragilite_numerique"),
                           "operateurs_4g": row.get("operateurs_4g"),
                           "fibre_part_max_pct": row.get("ftth_part_max_pct"),
                           "aide_temps_min": _minutes(row.get("aide_temps_min"))}})
    layer = {"type": "FeatureCollection", "features": features}
    cache["numerique"] = layer
    return layer
