"""GeoJSON layers of the géoportail map: communes coloured by access time, service points.

Why GeoJSON served by the API and no tile server: a département is a few hundred communes
and a few thousand services, a few hundred kB once the polygons are simplified, and the
map then works offline with nothing else running. Geometries are simplified once at
start-up (about 50 m tolerance, enough for a commune choropleth) and each layer is built
once per category and kept (the data never changes while the server runs).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
from fastapi import APIRouter, HTTPException, Query, Request
from shapely.geometry import mapping

SIMPLIFY_DEGREES = 0.0005  # ~40-55 m in metropolitan France
COORD_DECIMALS = 5  # ~1 m

router = APIRouter(prefix="/api/carte", tags=["carte"])


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
        "properties": {"service_id": str(sid), "nom": str(name or ""),
                       "category": str(cat)}}
        for index, (sid, name, cat, lon, lat) in enumerate(zip(
            frame["service_id"], frame["name"], frame["category"], frame["lon"], frame["lat"],
            strict=True))]
    layer = {"type": "FeatureCollection", "category": category, "features": features}
    cache[key] = layer
    return layer


def _target_or_404(portal: Any, category: str) -> str:
    if category in portal.catalogue.categories or category in portal.catalogue.baskets:
        return category
    raise HTTPException(404, f"Catégorie ou panier inconnu : « {category} ». "
                             "Voir /api/categories.")


@router.get("/communes", summary="Communes et temps d'accès (GeoJSON)")
def communes_geojson(
    request: Request,
    category: str = Query(..., max_length=60, description="Catégorie ou panier"),
) -> dict[str, Any]:
    """Commune polygons with ``travel_time_min`` to the nearest service of the category
    (``null`` and a ``status`` when no time could be computed)."""
    portal = request.app.state.portal
    return communes_layer(portal, _target_or_404(portal, category))


@router.get("/services", summary="Services d'une catégorie (GeoJSON)")
def services_geojson(
    request: Request,
    category: str = Query(..., max_length=60, description="Code de catégorie"),
) -> dict[str, Any]:
    """Points of the services of the category, with their identifier for /api/services."""
    portal = request.app.state.portal
    if category not in portal.catalogue.categories:
        raise HTTPException(404, f"Catégorie inconnue : « {category} ». Voir /api/categories.")
    return services_layer(portal, category)
