"""What several routers share: the portal held by the app, 404 lookups, the ``at`` query
and the JSON shape of a service.

Why here and not in each router: a service is shown the same way by the directory, the
nearest-services list and the commune fiche, and "unknown commune" must read the same
everywhere.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from pydantic import BeforeValidator

from proximite.web.hours import hours_status
from proximite.web.store import PortalData, split_modes

#: An ISO 8601 date-time (pydantic alone also reads "1.9" as a Unix timestamp).
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_only(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATETIME.match(value):
        raise ValueError("date et heure ISO 8601 attendues, par exemple 2026-03-29T10:00:00")
    return value


AtQuery = Annotated[datetime | None, BeforeValidator(_iso_only), Query(
    description="Instant d'évaluation de « ouvert maintenant » (défaut : maintenant ; "
                "sans fuseau = heure de Paris ; format ISO 8601)")]


def contrib_of(request: Request) -> Any:
    """The contributions store (a :class:`~proximite.web.contrib.ContribStore`), or None
    for a read-only portal."""
    return getattr(request.app.state, "contrib", None)


def portal_of(request: Request) -> PortalData:
    """The data the app serves (set once by ``create_app``)."""
    return request.app.state.portal


def category_or_404(portal: PortalData, code: str) -> str:
    if code not in portal.catalogue.categories:
        raise HTTPException(404, f"Catégorie inconnue : « {code} ». Voir /api/categories.")
    return code


def commune_or_404(portal: PortalData, code: str) -> str:
    if code not in portal.communes:
        raise HTTPException(404, f"Commune inconnue : « {code} » (code INSEE attendu, "
                                 "voir /api/communes?q=).")
    return code


def service_out(portal: PortalData, record: dict[str, Any], at: datetime) -> dict[str, Any]:
    """One service as the API returns it, its hours evaluated at ``at``."""
    status = hours_status(record.get("opening_hours") or "",
                          record.get("opening_hours_raw") or "", at)
    return {
        "service_id": record["service_id"], "category": record["category"],
        "category_label": portal.catalogue.label(record["category"]),
        "name": record.get("name") or "",
        "operator": record.get("operator") or "",
        "address": record.get("address") or "",
        "code_insee": record.get("code_insee") or "",
        "lon": record["lon"], "lat": record["lat"],
        "opening_hours": record.get("opening_hours") or "",
        "opening_hours_raw": record.get("opening_hours_raw") or "",
        "hours_state": status.state, "open_now": status.open_now,
        "next_change": status.next_change,
        "access_modes": split_modes(record.get("access_modes")),
        "source": record.get("source") or "", "data_date": record.get("data_date") or "",
    }


def commune_summary(portal: PortalData, code: str) -> dict[str, Any]:
    entry = portal.communes[code]
    return {"code_insee": entry.code_insee, "name": entry.name,
            "population": entry.population, "epci_code": entry.epci_code,
            "epci_name": entry.epci_name}
