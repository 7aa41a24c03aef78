"""CSV exports of the inventory for data·inclusion and the LaMednum standard.

Why a separate router: the exports are bulk files for other directories, not part of the
visitor-facing JSON API; the app includes it with ``app.include_router(router)``. The
CSVs carry the standard fields plus ``proximite_`` extra columns (see
:mod:`proximite.web.exports`) so that importing them back loses nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from proximite.web.exports import to_csv_text, to_data_inclusion, to_mediation_numerique
from proximite.web.store import PortalData

MEDIATION_CATEGORY = "mediation_numerique"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

router = APIRouter(prefix="/api/exports", tags=["exports"])


def _portal(request: Request) -> PortalData:
    return request.app.state.portal


def _csv(text: str, filename: str) -> Response:
    return Response(content=text.encode("utf-8"), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/data-inclusion/structures.csv", summary="Structures au format data·inclusion",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def data_inclusion_structures(request: Request) -> Response:
    """Every service as a data·inclusion v1 structure (one structure per place)."""
    portal = _portal(request)
    structures, _ = to_data_inclusion(portal.services, portal.communes)
    return _csv(to_csv_text(structures), "structures.csv")


@router.get("/data-inclusion/services.csv", summary="Services au format data·inclusion",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def data_inclusion_services(request: Request) -> Response:
    """Every service as a data·inclusion v1 service (structure_id = its place)."""
    portal = _portal(request)
    _, services = to_data_inclusion(portal.services, portal.communes)
    return _csv(to_csv_text(services), "services.csv")


@router.get("/mediation-numerique.csv",
            summary="Lieux de médiation numérique (standard LaMednum)",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def mediation_numerique(request: Request) -> Response:
    """The médiation numérique places (category and sub-categories) as LaMednum rows."""
    portal = _portal(request)
    members = (portal.members(MEDIATION_CATEGORY)
               if MEDIATION_CATEGORY in portal.catalogue.categories else {MEDIATION_CATEGORY})
    places = portal.services[portal.services["category"].isin(members)]
    return _csv(to_csv_text(to_mediation_numerique(places, portal.communes)),
                "lieux-mediation-numerique.csv")
