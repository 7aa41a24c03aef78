"""Services: the catalogue's categories, services near a commune or a point (travel time
on the diagnostic's network), the filterable directory and one service.

Handlers that answer from memory in microseconds are ``async``: run on the event loop,
they skip the hand-off to a worker thread. Anything that may take milliseconds (a search
from a point, pandas filtering) stays sync, in the pool.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from proximite.web.hours import paris_time
from proximite.web.routes.common import (
    AtQuery,
    category_or_404,
    commune_or_404,
    commune_summary,
    portal_of,
    service_out,
)
from proximite.web.schemas import ERRORS, CategoryOut, DirectoryOut, NearOut, ServiceOut

catalogue_router = APIRouter(prefix="/api", tags=["catalogue"], responses=ERRORS)
router = APIRouter(prefix="/api/services", tags=["services"], responses=ERRORS)


def _encode_cursor(service_id: str) -> str:
    raw = json.dumps({"after": service_id}, ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> str:
    """The last service_id of the previous page; 422 if the cursor is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = payload["after"]
        if not isinstance(after, str):
            raise TypeError
        return after
    except (binascii.Error, UnicodeError, ValueError, KeyError, TypeError):
        raise HTTPException(422, "Curseur de pagination invalide : utiliser la valeur "
                                 "next_cursor d'une réponse précédente.") from None


@catalogue_router.get("/categories", response_model=list[CategoryOut],
                      summary="Catégories de services")
async def list_categories(request: Request) -> list[dict[str, Any]]:
    """Every category of the catalogue, with how many services the inventory holds."""
    return portal_of(request).category_list()


@router.get("/near", response_model=NearOut,
            summary="Services proches d'une commune ou d'un point")
async def services_near(
    request: Request,
    category: str = Query(..., max_length=60, description="Code de catégorie"),
    commune: str | None = Query(None, max_length=10, description="Code INSEE d'origine"),
    lon: float | None = Query(None, ge=-180, le=180, description="Longitude WGS84"),
    lat: float | None = Query(None, ge=-90, le=90, description="Latitude WGS84"),
    limit: int = Query(10, ge=1, le=50),
    at: AtQuery = None,
) -> dict[str, Any]:
    """Services of a category sorted by travel time on the network (not straight-line
    distance).

    Give either ``commune`` (times from the commune's origin, precomputed) or both
    ``lon`` and ``lat`` (one bounded search from the point, snapped to the network).
    """
    portal = portal_of(request)
    category_or_404(portal, category)
    if commune is not None and (lon is not None or lat is not None):
        raise HTTPException(422, "Donner soit commune, soit lon et lat, pas les deux.")
    when = paris_time(at)
    if commune is not None:
        commune_or_404(portal, commune)
        pairs = portal.near_commune(commune, category)
        origin: dict[str, Any] = {"kind": "commune", **commune_summary(portal, commune)}
        note = "Temps depuis l'origine de la commune (mairie ou centroïde)."
    elif lon is not None and lat is not None:
        # one bounded graph search (milliseconds): off the event loop
        pairs, snap_m = await run_in_threadpool(portal.near_point, lon, lat, category)
        origin = {"kind": "point", "lon": lon, "lat": lat, "snap_distance_m": snap_m}
        note = ("Le point est rattaché au nœud du réseau le plus proche ; trajet "
                "d'approche à vol d'oiseau compté à la vitesse d'accès.")
        if snap_m > portal.access_params.max_snap_m:
            note = (f"Point à {snap_m / 1000:.1f} km du réseau (plus de "
                    f"{portal.access_params.max_snap_m / 1000:.1f} km) : aucun temps "
                    "calculable.")
    else:
        raise HTTPException(422, "Paramètre manquant : commune, ou lon et lat ensemble.")
    services = []
    for service_id, minutes in pairs[:limit]:
        record = portal.service(service_id)
        if record is not None:
            services.append({**service_out(portal, record, when), "travel_time_min": minutes})
    return {"origin": origin, "category": category, "max_minutes": portal.cutoff_min,
            "evaluated_at": when, "note": note + " " + portal.network_note,
            "services": services}


@router.get("", response_model=DirectoryOut, summary="Annuaire des services")
def directory(
    request: Request,
    category: str | None = Query(None, max_length=60),
    commune: str | None = Query(None, max_length=10, description="Code INSEE"),
    epci: str | None = Query(None, max_length=20, description="Code SIREN de l'EPCI"),
    access_mode: str | None = Query(None, max_length=40,
                                    description="Mode d'accès (on_site, itinerant…)"),
    open_now: bool | None = Query(None, description="Seulement ouverts (true) ou "
                                                    "fermés (false) à l'instant donné"),
    in_territory: bool | None = Query(
        None, description="Seulement les lieux situés dans le territoire (true) ou "
                          "seulement ceux des alentours (false)"),
    at: AtQuery = None,
    cursor: str | None = Query(None, max_length=500,
                               description="Curseur opaque (next_cursor)"),
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    """Services filtered, in stable service_id order, paged by an opaque cursor."""
    portal = portal_of(request)
    frame = portal.services
    if category is not None:
        category_or_404(portal, category)
        frame = frame[frame["category"].isin(portal.members(category))]
    if commune is not None:
        commune_or_404(portal, commune)
        frame = frame[frame["code_insee"] == commune]
    if epci is not None:
        if epci not in portal.epcis:
            raise HTTPException(404, f"EPCI inconnu : « {epci} » (code SIREN attendu).")
        codes = {c for c, e in portal.communes.items() if e.epci_code == epci}
        frame = frame[frame["code_insee"].isin(codes)]
    if access_mode is not None:
        frame = frame[portal.has_access_mode(frame, access_mode)]
    if in_territory is not None:
        frame = frame[frame["service_id"].isin(portal.territory_ids) == in_territory]
    ids = frame["service_id"].tolist()  # already sorted by service_id
    start = 0
    if cursor is not None:
        start = bisect.bisect_right(ids, _decode_cursor(cursor))
    when = paris_time(at)
    total = len(ids) if open_now is None else portal.count_open(ids, when, open_now)
    page: list[dict[str, Any]] = []
    last_seen: str | None = None
    has_more = False
    for service_id in ids[start:]:
        if len(page) == limit:
            has_more = True
            break
        record = portal.service(service_id)
        if record is None:
            continue
        out = service_out(portal, record, when)
        last_seen = service_id
        if open_now is not None and out["open_now"] is not open_now:
            continue
        page.append(out)
    # With open_now, rows after a full page may all be filtered out: the next page is
    # then empty (next_cursor None) — the order and the cursor stay stable.
    next_cursor = _encode_cursor(last_seen) if has_more and last_seen else None
    return {"services": page, "total": total, "next_cursor": next_cursor,
            "evaluated_at": when}


@router.get("/{service_id}", response_model=ServiceOut, summary="Un service")
async def get_service(
    request: Request,
    service_id: str = Path(..., max_length=200),
    at: AtQuery = None,
) -> dict[str, Any]:
    """One service with its hours evaluated at ``at``."""
    portal = portal_of(request)
    record = portal.service(service_id)
    if record is None:
        raise HTTPException(404, f"Service inconnu : « {service_id} ».")
    return service_out(portal, record, paris_time(at))
