"""Map layers: communes coloured by access time, service points (GeoJSON, built once per
category by :mod:`proximite.web.map_layers`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from proximite.web.map_layers import communes_layer, digital_layer, services_layer
from proximite.web.routes.common import category_or_404, portal_of
from proximite.web.schemas import ERRORS
from proximite.web.store import PortalData

router = APIRouter(prefix="/api/carte", tags=["carte"], responses=ERRORS)


def _target_or_404(portal: PortalData, category: str) -> str:
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
    portal = portal_of(request)
    return communes_layer(portal, _target_or_404(portal, category))


@router.get("/services", summary="Services d'une catégorie (GeoJSON)")
def services_geojson(
    request: Request,
    category: str = Query(..., max_length=60, description="Code de catégorie"),
) -> dict[str, Any]:
    """Points of the services of the category, with their identifier for /api/services."""
    portal = portal_of(request)
    return services_layer(portal, category_or_404(portal, category))


@router.get("/numerique", summary="Communes et indice de fragilité numérique (GeoJSON)")
def digital_geojson(request: Request) -> dict[str, Any]:
    """Commune polygons with ``indice`` (digital-fragility index, 0 to 100, relative to the
    territory), the 4G operators within the radius, the fibre share's upper bound and the
    time to the nearest digital-help place. No feature when the run had no digital data."""
    return digital_layer(portal_of(request))
