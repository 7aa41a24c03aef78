"""The géoportail's app (FastAPI, documented at /docs, /redoc and /openapi.json).

:func:`create_app` only assembles: the routers of :mod:`proximite.web.routes` (one per
domain), the error handlers (French bodies matching the OpenAPI schema), the security
middleware and the static files. Everything is read from a
:class:`~proximite.web.store.PortalData` held in memory: no SQL, no query text assembled
anywhere. Times come from the diagnostic's network, never straight-line distances.
Validation errors are 422; unknown commune, EPCI, category or service are 404 with a
French message naming what was not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from proximite.settings import load_settings
from proximite.web.middleware import (
    HeadAsGetMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
from proximite.web.pages import static_files
from proximite.web.routes import carte, communes, exports, pages, services
from proximite.web.store import PortalData
from proximite.web.validation import french_errors

if TYPE_CHECKING:
    from proximite.web.contrib import ContribStore

#: Environment variable of the setting ``web.allowed_hosts`` (the host names answered).
ALLOWED_HOSTS_ENV = "PROXIMITE_WEB__ALLOWED_HOSTS"

TAGS = [
    {"name": "catalogue", "description": "Catégories de services du catalogue."},
    {"name": "communes", "description": "Recherche de communes et fiche commune."},
    {"name": "services", "description": "Services proches (temps de trajet sur le réseau "
                                        "du diagnostic) et annuaire filtrable."},
    {"name": "carte", "description": "Couches GeoJSON de la carte du géoportail."},
    {"name": "exports", "description": "Exports CSV de l'inventaire (data·inclusion, "
                                       "LaMednum)."},
]


def api_version() -> str:
    """The installed package's version (pyproject.toml), the one the API reports."""
    try:
        return version("proximite")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0+inconnue"


def allowed_hosts(hosts: Sequence[str] | None = None) -> list[str]:
    """``hosts``, else the setting ``web.allowed_hosts`` (``proximite.toml``, then
    :data:`ALLOWED_HOSTS_ENV`; default the loopback names)."""
    if hosts is not None:
        return list(hosts)
    return list(load_settings().web.allowed_hosts)


#: French bodies of the errors Starlette raises itself (unknown path, wrong method).
STARLETTE_DETAILS = {404: "Adresse inconnue : voir la documentation de l'API à /docs.",
                     405: "Méthode non autorisée : cette adresse ne répond qu'à GET et HEAD."}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Our own errors keep their French detail; Starlette's English ones are replaced."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if not isinstance(exc, FastAPIHTTPException):
        detail = STARLETTE_DETAILS.get(exc.status_code, detail)
    return JSONResponse({"detail": detail}, status_code=exc.status_code,
                        headers=exc.headers)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    """422 with a French message naming each parameter, then the details."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(french_errors(exc.errors()), status_code=422)


def create_app(data: PortalData | None = None, *,
               hosts: Sequence[str] | None = None,
               store: ContribStore | None = None) -> FastAPI:
    """The géoportail over ``data`` (default: the embedded Lozère demo, built now).

    ``hosts``: the Host header values answered (default: :func:`allowed_hosts`).
    ``store``: the contributions store (proposals, moderation, places' history) and the
    action plans' (``/suivi``); None: the portal is read-only and those pages say so.
    """
    portal = data if data is not None else PortalData.demo()
    app = FastAPI(
        title="Proximité — géoportail des services au public",
        description=(
            "API JSON du diagnostic d'accessibilité des services au public "
            f"({portal.territory_name}). Les services proches sont triés par temps de "
            "trajet sur le réseau du diagnostic (pas par distance à vol d'oiseau). "
            "« Ouvert maintenant » est calculé sur le serveur à partir des horaires "
            "OpenStreetMap, jours fériés français compris (Europe/Paris). "
            + portal.network_note),
        version=api_version(),
        openapi_tags=TAGS,
        docs_url=None, redoc_url=None,  # served by routes.pages, with no CDN
    )
    app.state.portal = portal
    app.state.contrib = store
    handlers: dict[Any, Any] = {HTTPException: _http_error, RequestValidationError: _invalid}
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    for router in (services.catalogue_router, services.router, communes.router,
                   carte.router, exports.router, pages.router):
        app.include_router(router)
    if store is not None:
        # Only a contributing portal loads the store (SQLAlchemy, Argon2, the forms):
        # a read-only one starts as fast as before.
        from proximite.web.routes import contrib, plans

        store.bind(portal)
        app.include_router(contrib.router)
        app.add_exception_handler(contrib.PageError, contrib.page_error)
        app.include_router(plans.router)
    else:  # the plans' pages say that they need the store
        from proximite.web.routes import plans_off

        app.include_router(plans_off.router)
    app.mount("/static", static_files(), name="static")
    # Outermost last: HEAD is turned into GET, then the host is checked, and every
    # answer (a 400 for a wrong host too) gets the security headers.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(hosts))
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
