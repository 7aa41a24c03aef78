"""Automated accessibility check of the géoportail pages: axe-core run in a real browser.

Shared by the page tests (which fail on any level A/AA violation) and by
``scripts/check_accessibility.py`` (which writes the results shown on the accessibility
statement page). It only needs a Playwright ``Page``; Playwright itself is a test
dependency, not imported here.

Why axe-core in headless Chromium and not an HTML linter: contrast, focusable names and
ARIA relations depend on the rendered page (CSS, script-built DOM, MapLibre's controls).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: axe-core tags for WCAG 2.0/2.1/2.2 levels A and AA (the RGAA 4.1 reference level).
AXE_TAGS: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: Debian's Chromium, as root in a container with no network: no sandbox, no GPU (WebGL
#: through SwiftShader so that the MapLibre map renders), no background connections.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
)
CHROMIUM_PATH = "/usr/bin/chromium"

REPO_ROOT = Path(__file__).resolve().parents[3]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def run_axe(page: Any, axe_path: Path = AXE_PATH) -> dict[str, Any]:
    """Inject axe-core into ``page`` and run the A/AA rules on the whole document."""
    if not axe_path.is_file():
        raise FileNotFoundError(
            f"{axe_path}: axe-core absent — lancer `make install` (npm ci) d'abord")
    # Evaluated through the browser's debugging protocol, not as an inline <script> tag:
    # the portal's Content-Security-Policy forbids inline scripts, and this keeps it on.
    page.evaluate("source => { (0, eval)(source); return typeof axe; }",
                  axe_path.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)},
               "resultTypes": ["violations", "incomplete"]}
    return page.evaluate("options => axe.run(document, options)", options)


def describe_violations(results: dict[str, Any]) -> str:
    """One readable line per violated rule and node (for a failing test's message)."""
    lines = []
    for violation in results.get("violations", []):
        for node in violation.get("nodes", []):
            lines.append(f"{violation['id']} ({violation.get('impact')}): "
                         f"{violation.get('help')} — {node.get('target')} — "
                         f"{node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def _path_of(url: str) -> str:
    """The page's path and fragment, without the (random) host and port of the run."""
    parts = urlsplit(url)
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


def summarise(name: str, results: dict[str, Any]) -> dict[str, Any]:
    """What the statement page shows for one page state."""
    return {
        "name": name,
        "page": _path_of(str(results.get("url", ""))),
        "violations": len(results.get("violations", [])),
        "violation_rules": sorted(v["id"] for v in results.get("violations", [])),
        "passes": len(results.get("passes", [])),
        "incomplete_rules": sorted(v["id"] for v in results.get("incomplete", [])),
    }


def write_results(path: Path, pages: list[dict[str, Any]], *, axe_version: str,
                  browser_version: str, date: str) -> None:
    """The JSON file read by the accessibility statement page."""
    payload = {"date": date, "axe_version": axe_version, "browser_version": browser_version,
               "tags": list(AXE_TAGS), "pages": pages}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def check_pages(page: Any, base_url: str, axe_path: Path = AXE_PATH,
                ) -> list[tuple[str, dict[str, Any]]]:
    """Run axe on every state a visitor goes through: empty page, results of a search,
    commune fiche, a search that finds nothing, the directory, the statement page.

    Waits for the map to be drawn when MapLibre is installed, so that its controls and
    canvas are checked too.
    """
    checked: list[tuple[str, dict[str, Any]]] = []
    page.goto(f"{base_url}/")
    page.wait_for_selector("body[data-ready='1']")
    if page.get_attribute("body", "data-maplibre") == "1":
        page.wait_for_selector("#carte[data-ready='1'], #carte .carte-absente")
    checked.append(("Recherche : page d'accueil", run_axe(page, axe_path)))
    page.fill("#commune", "st chely")
    page.click("button[type=submit]")
    page.wait_for_selector("#resultats li")
    checked.append(("Recherche : liste des services les plus proches",
                    run_axe(page, axe_path)))
    page.click(".ouvrir-fiche button")
    page.wait_for_selector("#fiche:not([hidden]) table")
    checked.append(("Recherche : fiche commune", run_axe(page, axe_path)))
    page.fill("#commune", "zzzz")
    page.click("button[type=submit]")
    page.wait_for_selector("#resultats-vide:not([hidden])")
    checked.append(("Recherche : aucune commune trouvée", run_axe(page, axe_path)))
    page.goto(f"{base_url}/annuaire")
    page.wait_for_selector("body[data-ready='1']")
    checked.append(("Annuaire : première page", run_axe(page, axe_path)))
    page.goto(f"{base_url}/accessibilite")
    checked.append(("Déclaration d'accessibilité", run_axe(page, axe_path)))
    return checked
