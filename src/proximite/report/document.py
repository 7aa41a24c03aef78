"""One self-contained HTML report (``report.html``) of a diagnostic, in French.

The page is meant to be mailed, archived and opened offline by a chargé de mission: no
external resource at all (CSS inline, maps embedded as base64 PNG data URIs). It follows
the RGAA basics: ``lang="fr"``, ordered headings, tables with ``<caption>`` and
``<th scope>``, a text alternative for every map plus the same values in a table, and a
print style (``<details>`` are opened before printing).

This module only orders the sections; the section modules compute their content and
the templates (``templates/report.html.j2``) write the markup, escaping every text.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

from proximite import __version__
from proximite.report import access_modes, comparison, overview, provenance, small_multiples
from proximite.report import analysis as analysis_sections
from proximite.report.formatting import fmt_date
from proximite.report.render import render_page
from proximite.report.targets import MAP_STAND_IN_NOTE, targets, thresholds

if TYPE_CHECKING:
    from proximite.analysis.diagnosis import AnalysisResult
    from proximite.model import DiagnosticResult

MAX_CATEGORY_MAPS = 8

NAV = [("chiffres-cles", "Chiffres clés"), ("synthese", "Synthèse des temps d'accès"),
       ("cartes", "Cartes"), ("epci", "Par EPCI"),
       ("communes-eloignees", "Communes les plus éloignées"),
       ("communes", "Temps d'accès par commune"),
       ("donnees-manquantes", "Données manquantes"), ("avertissements", "Avertissements"),
       ("services-ecartes", "Services écartés"), ("sources", "Sources et licences"),
       ("methode", "Méthode"), ("temps-calcul", "Temps de calcul")]
#: Where the diagnosis sections go in the table of contents (after the slowest communes).
ANALYSIS_AT = 5


def render_report(result: DiagnosticResult, *, today: dt.date | None = None,
                  analysis: AnalysisResult | None = None) -> str:
    """The whole page as a string (the function tests and notebooks can call).

    ``analysis`` adds the diagnosis sections: profiles, poles, deficit zones, potential
    accessibility, scenario.
    """
    today = today or dt.date.today()
    limits = thresholds(result.indicators)
    baskets = targets(result, "basket")
    categories = targets(result, "category")
    basket_data = [t for t in baskets if t.has_data]
    # main categories = top-level ones (La Poste, not each kind of post office)
    main_categories = [t for t in categories if t.has_data
                       and not result.catalogue.categories[t.code].parent][:MAX_CATEGORY_MAPS]
    mapped = basket_data + main_categories
    maps, map_seconds = overview.maps(result, mapped)
    main_codes = {t.code for t in main_categories}
    others = [t for t in categories if t.has_data and t.code not in main_codes]
    start = time.perf_counter()
    note = MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""
    all_maps = small_multiples.small_multiples_section(result, others, note)
    map_seconds += time.perf_counter() - start
    nav = list(NAV)
    nav.insert(nav.index(("cartes", "Cartes")) + 1, small_multiples.NAV_ENTRY)
    extra = []
    if analysis is not None:
        note = MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""
        extra = analysis_sections.analysis_sections(result, analysis, note)
        nav[ANALYSIS_AT:ANALYSIS_AT] = analysis_sections.NAV_ANALYSIS
    nav.insert(nav.index(("communes", "Temps d'accès par commune")), comparison.NAV_ENTRY)
    at = nav.index(comparison.NAV_ENTRY)
    nav[at:at] = access_modes.NAV_ENTRIES
    sections = [
        overview.key_figures(result),
        overview.summary(baskets, categories, limits),
        maps,
        all_maps,
        overview.epci(result, mapped, limits),
        overview.slowest(result, basket_data),
        *extra,
        access_modes.digital_section(
            result, MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""),
        access_modes.itinerant_section(result),
        comparison.comparison_section(result, analysis),
        overview.commune_table(result, mapped),
        overview.missing_data(result, categories),
        provenance.warnings(result),
        provenance.rejected(result.rejected),
        provenance.sources(result),
        provenance.method(result, limits),
        provenance.timings(result, map_seconds),
    ]
    notice = overview.stand_in_notice(result)
    return render_page("report.html.j2", title=f"Accès aux services — {result.territory.name}",
                       today=fmt_date(today), version=__version__,
                       notices=[notice] if notice else [], nav=nav, sections=sections)


def write_report(result: DiagnosticResult, path: Path, *,
                 analysis: AnalysisResult | None = None) -> Path:
    """Write ``report.html`` (self-contained, UTF-8) and return its path."""
    path = Path(path)
    path.write_text(render_report(result, analysis=analysis), encoding="utf-8")
    return path
