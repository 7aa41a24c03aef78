"""The section that sets the run's figures beside the published ones (issue 11 item 7).

The figures are computed by :mod:`proximite.analysis.comparison` the way they were
published (town halls, population-weighted median, the tenth of communes farthest from
the basket); this section writes them side by side, the gap, and what differs between
the two measures (vintage, network, basket), so that no one quotes one for the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from proximite.analysis.comparison import (
    STATUS_COMPUTED,
    STATUS_PARTIAL,
    compare_run,
    published_figures,
)
from proximite.report.blocks import Cell, Column, Para, Section, Table, bullets, section
from proximite.report.formatting import fmt_count, fmt_minutes, fmt_number

if TYPE_CHECKING:
    from proximite.model import AnalysisResult, DiagnosticResult

SECTION_ID = "chiffres-publies"
TITLE = "Comparaison avec les chiffres publiés"
NAV_ENTRY = (SECTION_ID, TITLE)


def _about(value: str, approximate: bool) -> str:
    return f"≈ {value}" if approximate else value


def _published(row: pd.Series) -> str:
    minutes = row["published_min"]
    population = row["published_population"]
    if row["figure_id"].endswith("farthest_decile_communes"):
        return f"> {fmt_minutes(minutes)} ({fmt_number(population)} hab.)"
    if np.isfinite(minutes):
        return _about(fmt_minutes(minutes), row["approximate"])
    return _about(f"{fmt_number(population)} hab.", row["approximate"])


def _computed(row: pd.Series) -> str:
    if row["status"] not in (STATUS_COMPUTED, STATUS_PARTIAL):
        return f"non calculable : {row['reason']}"
    partial = " (panier partiel, voir ci-dessous)" if row["status"] == STATUS_PARTIAL else ""
    if row["figure_id"].endswith("farthest_decile_communes"):
        return (f"≥ {fmt_minutes(row['computed_min'])} ("
                f"{fmt_count(int(row['computed_communes']), 'commune')}, "
                f"{fmt_number(row['computed_population'])} hab.){partial}")
    if np.isfinite(row["published_min"]):
        return fmt_minutes(row["computed_min"]) + partial
    return f"{fmt_number(row['computed_population'])} hab.{partial}"


def _gap(row: pd.Series) -> str:
    if row["status"] not in (STATUS_COMPUTED, STATUS_PARTIAL):
        return "—"
    if np.isfinite(row["published_min"]) and np.isfinite(row["computed_min"]):
        gap = row["computed_min"] - row["published_min"]
        text = f"{'+' if gap >= 0 else '−'}{fmt_minutes(abs(gap))}"
    else:
        gap = row["computed_population"] - row["published_population"]
        text = f"{'+' if gap >= 0 else '−'}{fmt_number(abs(gap))} hab."
    return text


def _vintages(result: DiagnosticResult) -> str:
    dates = result.services.get("data_date", pd.Series(dtype=str)).dropna().astype(str)
    years = sorted({d[:4] for d in dates if d[:4].isdigit()})
    if not years:
        return "dates des sources non renseignées"
    return years[0] if len(years) == 1 else f"{years[0]} à {years[-1]}"


def comparison_section(result: DiagnosticResult,
                       analysis: AnalysisResult | None) -> Section:
    table = compare_run(result, analysis)
    if len(table) == 0:
        known = sorted({f.departement for f in published_figures()})
        return section(SECTION_ID, TITLE, Para(
            "Aucun chiffre publié comparable n'est enregistré pour ce territoire (liste "
            "data/reference/published_figures.yaml ; départements enregistrés : "
            + ", ".join(known) + ")."))
    rows: list[list[Cell]] = [[r["label"], _published(r), _computed(r), _gap(r)]
                              for _, r in table.iterrows()]
    columns = [Column("Indicateur"), Column("Chiffre publié"), Column("Ce diagnostic"),
               Column("Écart", numeric=True)]
    sources = sorted({f"{r['source']} ({r['vintage']})" for _, r in table.iterrows()})
    notes = sorted({r["reason"] for _, r in table.iterrows()
                    if r["status"] in (STATUS_COMPUTED, STATUS_PARTIAL) and r["reason"]})
    basket = result.catalogue.baskets.get("vie_courante")
    caveats = [
        "Même mesure : temps depuis la mairie de chaque commune (méthode INSEE des "
        "chefs-lieux), médiane pondérée par la population, 10 % des communes les plus "
        "éloignées du panier comptées en nombre de communes.",
        "Millésimes différents : chiffres publiés de "
        f"{', '.join(sorted(set(table['vintage'])))} ; ce diagnostic : "
        f"{result.territory.source}, services datés de {_vintages(result)}.",
        "Réseau : celui des chiffres publiés n'est pas celui de ce diagnostic. "
        + result.network_note,
    ]
    if basket is not None:
        caveats.append(
            f"Panier : celui de Proximité ({fmt_count(len(basket.categories), 'catégorie')}), "
            "dont la liste reste à vérifier face aux 22 équipements du panier INSEE.")
    # What the inventory lacks (a basket category without data, Cantal's libraries) is
    # said right under the figures it changes, not among the general caveats.
    partial = [Para(note[0].upper() + note[1:] + ".") for note in notes
               if note.startswith("panier réduit")]
    caveats.extend(n for n in notes if not n.startswith("panier réduit"))
    return section(SECTION_ID, TITLE,
                   Para("Sources : " + " ; ".join(sources) + "."),
                   Table("Chiffres publiés et chiffres de ce diagnostic, calculés de la "
                         "même façon", columns, rows),
                   *partial,
                   Para("Ce qui diffère entre les deux mesures :"),
                   bullets(caveats))
