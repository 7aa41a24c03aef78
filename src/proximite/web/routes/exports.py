"""CSV exports of the inventory for data·inclusion and the LaMednum standard.

Why a separate router: the exports are bulk files for other directories, not part of the
visitor-facing JSON API; the app includes it with ``app.include_router(router)``. The
CSVs carry the standard fields plus ``proximite_`` extra columns (see
:mod:`proximite.web.exports`) so that importing them back loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response

from proximite.web.exports import to_csv_text, to_data_inclusion, to_mediation_numerique
from proximite.web.routes.common import contrib_of, portal_of
from proximite.web.store import PortalData

MEDIATION_CATEGORY = "mediation_numerique"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

router = APIRouter(prefix="/api/exports", tags=["exports"])


def _csv(request: Request, filename: str,
         build: Callable[[PortalData, str | None], str]) -> Response:
    """The export as a CSV download, built once per server (the data never change), or,
    with a contributions store, from the store's current places at each request (the
    moderated contributions included, with their licence)."""
    portal = portal_of(request)
    store = contrib_of(request)
    if store is not None:
        from proximite.web.contrib import with_store_places

        body = build(with_store_places(portal, store),
                     store.settings.contributions_licence).encode("utf-8")
    else:
        cached = portal.export_cache.get(filename)
        body = cached if cached is not None else build(portal, None).encode("utf-8")
        portal.export_cache[filename] = body
    return Response(content=body, media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def with_licence(frame: pd.DataFrame, portal: PortalData, licence: str | None
                 ) -> pd.DataFrame:
    if licence is None:
        return frame
    from proximite.web.contrib import with_licence as add_licence

    return add_licence(frame, portal, licence)


def _structures(portal: PortalData, licence: str | None) -> str:
    return to_csv_text(with_licence(to_data_inclusion(portal.services, portal.communes)[0],
                                    portal, licence))


def _services(portal: PortalData, licence: str | None) -> str:
    return to_csv_text(with_licence(to_data_inclusion(portal.services, portal.communes)[1],
                                    portal, licence))


def _mediation(portal: PortalData, licence: str | None) -> str:
    members = (portal.members(MEDIATION_CATEGORY)
               if MEDIATION_CATEGORY in portal.catalogue.categories else {MEDIATION_CATEGORY})
    places = portal.services[portal.services["category"].isin(members)]
    return to_csv_text(with_licence(to_mediation_numerique(places, portal.communes), portal,
                                    licence))


CSV_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


@router.get("/data-inclusion/structures.csv", summary="Structures au format data·inclusion",
            response_class=Response, responses=CSV_RESPONSES)
def data_inclusion_structures(request: Request) -> Response:
    """Every service as a data·inclusion v1 structure (one structure per place)."""
    return _csv(request, "structures.csv", _structures)


@router.get("/data-inclusion/services.csv", summary="Services au format data·inclusion",
            response_class=Response, responses=CSV_RESPONSES)
def data_inclusion_services(request: Request) -> Response:
    """Every service as a data·inclusion v1 service (structure_id = its place)."""
    return _csv(request, "services.csv", _services)


@router.get("/mediation-numerique.csv",
            summary="Lieux de médiation numérique (standard LaMednum)",
            response_class=Response, responses=CSV_RESPONSES)
def mediation_numerique(request: Request) -> Response:
    """The médiation numérique places (category and sub-categories) as LaMednum rows."""
    return _csv(request, "lieux-mediation-numerique.csv", _mediation)
