"""Communes: search by name or INSEE code, the EPCI list, and the commune fiche."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request

from proximite.web.hours import paris_time
from proximite.web.routes.common import (
    AtQuery,
    commune_or_404,
    commune_summary,
    portal_of,
    service_out,
)
from proximite.web.schemas import ERRORS, CommuneFiche, CommuneSearchOut, EpciOut
from proximite.web.store import PortalData
from proximite.web.text import display_text

router = APIRouter(prefix="/api", tags=["communes"], responses=ERRORS)


@router.get("/epcis", response_model=list[EpciOut], summary="Intercommunalités du territoire")
async def list_epcis(request: Request) -> list[dict[str, Any]]:
    """The EPCI of the territory (code SIREN, name), for the directory's filter."""
    return portal_of(request).epci_list()


@router.get("/communes", response_model=CommuneSearchOut,
            summary="Rechercher une commune par son nom ou son code INSEE")
def search_communes(
    request: Request,
    q: str = Query(..., min_length=1, max_length=100,
                   description="Nom, début de nom ou code INSEE ; accents, tirets et « st » "
                               "tolérés"),
    limit: int = Query(10, ge=1, le=50),
) -> dict[str, Any]:
    """Accent-insensitive search: 'st chely' finds Saint-Chély-d'Apcher, '48140' too."""
    portal = portal_of(request)
    hits = portal.search_communes(q, limit)
    return {"query": q, "results": [commune_summary(portal, e.code_insee) for e, _ in hits]}


@router.get("/communes/{code_insee}", response_model=CommuneFiche, summary="Fiche commune")
def commune_fiche(
    request: Request,
    code_insee: str = Path(..., max_length=10, description="Code INSEE de la commune"),
    at: AtQuery = None,
) -> dict[str, Any]:
    """Indicators per category and basket, nearest service of each, and the profile."""
    portal = portal_of(request)
    catalogue = portal.catalogue
    commune_or_404(portal, code_insee)
    when = paris_time(at)
    access = portal.commune_access(code_insee)
    medians = {(r["category"], r["target_kind"]): r["median_min"]
               for r in portal.commune_indicators(code_insee).to_dict("records")}
    rows = []
    for rec in access.to_dict("records"):
        code, kind = rec["category"], rec.get("target_kind", "category")
        label = catalogue.label(code, kind)
        nearest = portal.service(str(rec.get("nearest_service_id") or ""))
        time_min = rec.get("travel_time_min")
        median = medians.get((code, kind))
        rows.append({
            "category": code, "label": label, "target_kind": kind,
            "travel_time_min": None if time_min is None or time_min != time_min
            else float(time_min),
            "status": rec.get("status") or "",
            "status_detail": rec.get("status_detail") or "",
            "median_min": None if median is None or median != median else float(median),
            "nearest_service": service_out(portal, nearest, when) if nearest else None,
        })
    profile = portal.profiles.get(code_insee)
    profile_out = None
    if profile is not None:
        profile_out = {"profile": profile.get("profile") or "",
                       "explanation": profile.get("explanation") or "",
                       "details": {k: v for k, v in profile.items()
                                   if k not in ("code_insee", "profile", "explanation")}}
    return {**commune_summary(portal, code_insee), "access": rows, "profile": profile_out,
            "network_note": portal.network_note, **access_modes_of(portal, code_insee)}


def access_modes_of(portal: PortalData, code_insee: str) -> dict[str, Any]:
    """Remote access, itinerant stops and the digital axis of one commune, for the fiche."""
    remote = [{"category": r["category"], "label": r["category_label"],
               "service_id": r["service_id"], "name": display_text(r["service_name"]),
               "modes": [m for m in str(r["modes"] or "").split(", ") if m],
               "distance_km": r["distance_km"]} for r in portal.remote.get(code_insee, [])]
    itinerant = [{"category": r["category"], "label": r["category_label"],
                  "stop_id": r["nearest_stop_id"], "stop_name": display_text(
                      r["nearest_stop_name"] or ""),
                  "travel_time_min": r["stop_time_min"], "days_per_month": r["days_per_month"]}
                 for r in portal.itinerant.get(code_insee, [])]
    row = portal.digital.get(code_insee)
    digital = None
    if row is not None:
        operators = row.get("operateurs_4g")
        fragile = row.get("parmi_les_plus_fragiles")
        digital = {
            "fragility_index": row.get("indice_fragilite_numerique"),
            "among_most_fragile": None if fragile is None else bool(fragile),
            "fibre_share_min_pct": row.get("ftth_part_min_pct"),
            "fibre_share_max_pct": row.get("ftth_part_max_pct"),
            "fibre_quarter": str(row.get("ftth_trimestre") or ""),
            "operators_4g": None if operators is None else int(operators),
            "radius_4g_m": row.get("rayon_4g_m"),
            "help_place": display_text(row.get("aide_lieu") or ""),
            "help_time_min": row.get("aide_temps_min"),
            "help_hours_per_week": row.get("aide_heures_semaine"),
            "share_65plus_pct": row.get("pct_65plus")}
    return {"remote_access": remote, "itinerant_access": itinerant, "digital": digital}
