"""The géoportail's pages: the search-and-map page, the accessibility statement, static files.

Why plain HTML + one small ES module and no front-end build: the page must work offline,
be read by screen readers and be easy to audit. The only front-end library is MapLibre
GL, installed from npm by ``make install`` and copied into ``static/vendor/`` (served
from here: no CDN). Without it, or without WebGL, the page still works: the results
list and the commune fiche carry everything the map shows.

Routes are in :mod:`proximite.web.routes.pages`; this module renders. The statement
page reports the last automated check (axe-core in headless Chromium,
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

from fastapi.staticfiles import StaticFiles

from proximite.web.store import PortalData

STATIC_DIR = Path(__file__).parent / "static"
VENDOR_MAPLIBRE = STATIC_DIR / "vendor" / "maplibre-gl" / "maplibre-gl.mjs"
#: The API documentation's viewers, copied from npm by ``make install`` like MapLibre.
VENDOR_SWAGGER = STATIC_DIR / "vendor" / "swagger-ui" / "swagger-ui-bundle.js"
VENDOR_REDOC = STATIC_DIR / "vendor" / "redoc" / "redoc.standalone.js"
CHECK_RESULTS = "data/web/accessibility_check.json"

# MapLibre is an ES module: browsers refuse it unless served as JavaScript, and not every
# system's mime.types knows ".mjs".
mimetypes.add_type("text/javascript", ".mjs")


def static_files() -> StaticFiles:
    """The /static mount (our CSS and JS, and the vendored MapLibre)."""
    return StaticFiles(directory=STATIC_DIR)


def maplibre_installed() -> bool:
    """True when ``make install`` copied MapLibre from node_modules."""
    return VENDOR_MAPLIBRE.is_file()


def docs_viewer_missing(viewer: Path) -> str:
    """'' when ``viewer`` was installed, else a French paragraph saying where the schema
    is (the page then shows it instead of a blank screen)."""
    if viewer.is_file():
        return ""
    return ('<p class="annonce">La documentation interactive n\'est pas installée sur ce '
            'serveur (lancer <code>make install</code>) ; le schéma OpenAPI de l\'API est '
            'à l\'adresse <a href="/openapi.json">/openapi.json</a>.</p>')


@cache
def _template(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def render(name: str, values: dict[str, str]) -> str:
    """The page template ``name`` of static/ with its markers filled."""
    return _fill(_template(name), values)


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
              ("/suivi", "Suivi des schémas"), ("/accessibilite", "Accessibilité"),
              ("/docs", "API"))


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


def _head(title: str, territory: str, extra: str = "") -> str:
    """The <head> shared by every page (French title naming the territory)."""
    return ('<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)} — {html.escape(territory)} — Proximité</title>\n"
            '<link rel="icon" href="data:,">\n'
            f'<link rel="stylesheet" href="/static/style.css">\n{extra}</head>')


#: How the pages say the travel mode of the diagnostic's network.
MODE_LABELS = {"car": "en voiture", "walk": "à pied"}


def mode_label(portal: PortalData) -> str:
    """'en voiture' / 'à pied': the mode the times were computed for."""
    return MODE_LABELS.get(portal.travel_mode, f"en mode {portal.travel_mode}")


def network_summary(portal: PortalData) -> str:
    """One sentence on what the times are measured on, true for the diagnostic's network
    (the stand-in graph of the demo is not a road network: say so)."""
    if portal.network_is_stand_in:
        return ("Les temps sont des ordres de grandeur calculés sur un réseau de "
                "substitution, pas sur le réseau routier : voir la note en bas de page.")
    return (f"Les temps sont des temps de trajet {mode_label(portal)} sur le réseau décrit "
            "en bas de page, pas des distances à vol d'oiseau.")


def page_values(portal: PortalData, current: str, title: str,
                head_extra: str = "") -> dict[str, str]:
    """The markers every page template fills (already escaped)."""
    return {"territoire": html.escape(portal.territory_name),
            "network_note": html.escape(portal.network_note),
            "network_summary": html.escape(network_summary(portal)),
            "mode": html.escape(mode_label(portal)),
            "tete": _head(title, portal.territory_name, head_extra),
            "entete": _header(portal.territory_name, current)}


#: The pages a portal serves only with a store (``serve --contributions``), by feature,
#: each with its address: the accessibility statement lists them when they are served.
STORE_PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Suivi des schémas", (
        "la liste des plans suivis (/suivi)",
        "l'avancement d'un plan à une revue (/suivi/…)",
        "l'historique d'une action d'une revue à l'autre (/suivi/…/elements/…)",
        "la saisie d'une revue et des indicateurs déclarés, pour les comptes habilités "
        "(/gestion/suivi/…)")),
    ("Contributions", (
        "la fiche d'un lieu et son historique (/lieux/…)",
        "signaler une erreur ou proposer une modification (/lieux/…/signaler)",
        "proposer un nouveau lieu (/proposer)",
        "le suivi d'une proposition (/contributions/…) et « Mes propositions » "
        "(/mes-contributions)",
        "la connexion (/connexion)",
        "la file de modération et la décision sur une proposition (/moderation, "
        "/moderation/…)",
        "les conflits d'import (/moderation/conflits)",
        "les cartoparties (/cartoparties/…) et leur création (/cartoparties/nouvelle)")),
)
#: The states of those pages the project's browser tests check with axe-core
#: (tests/test_web_contrib_page.py, tests/test_web_plans_page.py), and the others.
STORE_PAGES_CHECKED = (
    "fiche d'un lieu", "formulaire de signalement, vide puis avec ses erreurs",
    "suivi d'une proposition", "connexion", "file de modération",
    "décision sur une proposition", "page d'une cartoparty",
    "avancement d'un plan, avant et après une revue",
    "formulaire de revue, avant et après enregistrement", "historique d'une action")
STORE_PAGES_UNCHECKED = (
    "formulaire d'un nouveau lieu", "« Mes propositions »", "conflits d'import",
    "création d'une cartoparty", "liste des plans suivis")


def scope_section(territory: str, store_pages: bool) -> str:
    """The statement's scope: which pages this portal serves (the store's pages only
    when a store is configured, so that the statement never names an absent page)."""
    base = (f"<p>Cette déclaration s'applique au géoportail Proximité "
            f"({html.escape(territory)}) : la page de recherche de services, l'annuaire, la "
            "documentation de l'API et la présente page")
    if not store_pages:
        return (base + ". Les pages de suivi des schémas et de contribution ne sont pas "
                "activées sur ce géoportail (aucune base de contributions configurée).</p>")
    items = "".join(
        f"<li><strong>{html.escape(feature)}</strong> : "
        + " ; ".join(html.escape(page) for page in pages) + ".</li>"
        for feature, pages in STORE_PAGES)
    return base + ", ainsi que les pages suivantes :</p><ul>" + items + "</ul>"


def store_check_section(store_pages: bool) -> str:
    """What the project's tests check on the store's pages (not in the shipped table,
    which is measured on the demo without a store)."""
    if not store_pages:
        return ""
    return ("<p>Les pages de suivi des schémas et de contribution sont contrôlées de la même "
            "façon par les tests du projet, sur une base de test, hors du tableau ci-dessus : "
            + " ; ".join(html.escape(s) for s in STORE_PAGES_CHECKED)
            + ". Non contrôlées automatiquement à ce jour : "
            + " ; ".join(html.escape(s) for s in STORE_PAGES_UNCHECKED) + ".</p>")


def check_section(results: dict[str, Any] | None) -> str:
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
