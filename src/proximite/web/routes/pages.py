"""Pages: the search-and-map page, the directory, the accessibility statement and the
API documentation (Swagger UI at /docs, Redoc at /redoc), all rendered by
:mod:`proximite.web.pages` and served with no third-party script."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from proximite.web.pages import (
    VENDOR_REDOC,
    VENDOR_SWAGGER,
    check_section,
    docs_viewer_missing,
    load_check_results,
    maplibre_installed,
    page_values,
    render,
    scope_section,
    store_check_section,
)
from proximite.web.routes.common import contrib_of, portal_of

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The search page: commune, type of service, nearest services, fiche, map."""
    values = page_values(portal_of(request), "/", "Services au public près de chez vous")
    values["maplibre"] = "1" if maplibre_installed() else "0"
    values["contributions"] = "1" if contrib_of(request) is not None else "0"
    return HTMLResponse(render("index.html", values))


@router.get("/annuaire", response_class=HTMLResponse)
def directory_page(request: Request) -> HTMLResponse:
    """The directory: every place, filtered by category, EPCI, access mode, open now."""
    values = page_values(portal_of(request), "/annuaire", "Annuaire des services au public")
    return HTMLResponse(render("annuaire.html", values))


@router.get("/accessibilite", response_class=HTMLResponse)
def accessibility_statement(request: Request) -> HTMLResponse:
    """Déclaration d'accessibilité, with the results of the automated check."""
    portal = portal_of(request)
    values = page_values(portal, "/accessibilite", "Déclaration d'accessibilité")
    store_pages = contrib_of(request) is not None
    values["perimetre"] = scope_section(portal.territory_name, store_pages)
    values["check_results"] = check_section(load_check_results())
    values["controle_base"] = store_check_section(store_pages)
    return HTMLResponse(render("accessibilite.html", values))


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """The API documentation in Swagger UI, served from static/vendor (npm)."""
    values = page_values(
        portal_of(request), "/docs", "Documentation de l'API",
        '<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">\n'
        '<link rel="stylesheet" href="/static/docs.css">\n')
    values["absent"] = docs_viewer_missing(VENDOR_SWAGGER)
    return HTMLResponse(render("docs.html", values))


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """The API documentation in Redoc, served from static/vendor (npm)."""
    values = page_values(portal_of(request), "/docs", "Documentation de l'API (Redoc)")
    values["absent"] = docs_viewer_missing(VENDOR_REDOC)
    return HTMLResponse(render("redoc.html", values))
