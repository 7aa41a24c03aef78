"""The géoportail's pages: the search-and-map page, the accessibility statement, static files.

Why plain HTML + one small ES module and no front-end build: the page must work offline,
be read by screen readers and be easy to audit. The only front-end library is MapLibre
GL, installed from npm by ``make install`` and copied into ``static/vendor/`` (served
from here: no CDN). Without it, or without WebGL, the page still works: the results
list and the commune fiche carry everything the map shows.

The statement page reports the last automated check (axe-core in headless Chromium,
``scripts/check_accessibility.py``), read from a JSON file shipped with the package.
"""

from __future__ import annotations

import html
import json
import mimetypes
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_MAPLIBRE = STATIC_DIR / "vendor" / "maplibre-gl" / "maplibre-gl.mjs"
CHECK_RESULTS = "data/web/accessibility_check.json"

router = APIRouter(include_in_schema=False)

# MapLibre is an ES module: browsers refuse it unless served as JavaScript, and not every
# system's mime.types knows ".mjs".
mimetypes.add_type("text/javascript", ".mjs")


def static_files() -> StaticFiles:
    """The /static mount (our CSS and JS, and the vendored MapLibre)."""
    return StaticFiles(directory=STATIC_DIR)


def maplibre_installed() -> bool:
    """True when ``make install`` copied MapLibre from node_modules."""
    return VENDOR_MAPLIBRE.is_file()


@cache
def _template(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def load_check_results() -> dict[str, Any] | None:
    """The last automated accessibility check shipped with the package, or None."""
    path = resources.files("proximite").joinpath(CHECK_RESULTS)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{{name}}`` markers by already-escaped HTML."""
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


NAVIGATION = (("/", "Trouver un service"), ("/annuaire", "Annuaire"),
              ("/accessibilite", "Accessibilité"), ("/docs", "API"))


def _header(territory: str, current: str) -> str:
    """The banner shared by every page, the current page marked for screen readers."""
    marked = ' aria-current="page"'
    links = "".join(
        f'<li><a href="{href}"{marked if href == current else ""}>{label}</a></li>'
        for href, label in NAVIGATION)
    return ('<header class="bandeau"><div class="largeur">'
            f'<p class="marque">Proximité <span>· {html.escape(territory)}</span></p>'
            f'<nav aria-label="Navigation principale"><ul>{links}</ul></nav>'
            "</div></header>")


def _head(title: str, territory: str) -> str:
    """The <head> shared by every page (French title naming the territory)."""
    return ('<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)} — {html.escape(territory)} — Proximité</title>\n"
            '<link rel="icon" href="data:,">\n'
            '<link rel="stylesheet" href="/static/style.css">\n</head>')


def _common(request: Request, current: str, title: str) -> dict[str, str]:
    portal = request.app.state.portal
    return {"territoire": html.escape(portal.territory_name),
            "network_note": html.escape(portal.network_note),
            "tete": _head(title, portal.territory_name),
            "entete": _header(portal.territory_name, current)}


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The search page: commune, type of service, nearest services, fiche, map."""
    values = _common(request, "/", "Services au public près de chez vous")
    values["maplibre"] = "1" if maplibre_installed() else "0"
    return HTMLResponse(_fill(_template("index.html"), values))


@router.get("/annuaire", response_class=HTMLResponse)
def directory_page(request: Request) -> HTMLResponse:
    """The directory: every place, filtered by category, EPCI, access mode, open now."""
    values = _common(request, "/annuaire", "Annuaire des services au public")
    return HTMLResponse(_fill(_template("annuaire.html"), values))


def _check_section(results: dict[str, Any] | None) -> str:
    if results is None:
        return ("<p>Aucun résultat de contrôle automatique n'est joint à cette version.</p>")
    rows = []
    for page in results.get("pages", []):
        rows.append(
            "<tr><th scope=\"row\">{name}</th><td>{violations}</td><td>{passes}</td>"
            "<td>{incomplete}</td></tr>".format(
                name=html.escape(str(page.get("name", ""))),
                violations=int(page.get("violations", 0)),
                passes=int(page.get("passes", 0)),
                incomplete=html.escape(", ".join(page.get("incomplete_rules", [])) or "aucune")))
    tags = html.escape(", ".join(results.get("tags", [])))
    return (
        f"<p>Contrôle du {html.escape(str(results.get('date', '')))} avec axe-core "
        f"{html.escape(str(results.get('axe_version', '')))} dans Chromium "
        f"{html.escape(str(results.get('browser_version', '')))} (sans interface), "
        f"règles des niveaux A et AA ({tags}).</p>"
        "<table><caption>Résultats par page et par état de la page</caption><thead><tr>"
        "<th scope=\"col\">Page et état</th><th scope=\"col\">Violations A/AA</th>"
        "<th scope=\"col\">Règles respectées</th>"
        "<th scope=\"col\">Règles à vérifier à la main</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>")


@router.get("/accessibilite", response_class=HTMLResponse)
def accessibility_statement(request: Request) -> HTMLResponse:
    """Déclaration d'accessibilité, with the results of the automated check."""
    values = _common(request, "/accessibilite", "Déclaration d'accessibilité")
    values["check_results"] = _check_section(load_check_results())
    return HTMLResponse(_fill(_template("accessibilite.html"), values))
