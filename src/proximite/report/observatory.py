"""Report sections of the figures the schemes quote and of the change between two
inventories (the 2018 MSAP list against the 2024 France Services list)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from proximite.report.blocks import Block, Cell, Column, Details, Para, Section, Table, section
from proximite.report.formatting import fmt_count, fmt_minutes, fmt_number, fmt_percent
from proximite.report.targets import label

if TYPE_CHECKING:
    from proximite.model import AnalysisResult, DiagnosticResult

NAV_OBSERVATORY = [("indicateurs-schemas", "Indicateurs des schémas"),
                   ("evolution-inventaires", "Évolution entre deux inventaires")]
CHANGE_NAMES = {"gained": "temps raccourci", "lost": "temps allongé",
                "unchanged": "inchangé", "no_data": "pas de données"}


def _scheme(result: DiagnosticResult, analysis: AnalysisResult) -> Section:
    table = analysis.scheme_indicators
    if table.empty:
        return section("indicateurs-schemas", "Indicateurs des schémas",
                       Para("Non calculé : le territoire n'a pas de communes."))
    far = table[table["indicator"] == "farthest_decile"]
    rows: list[list[Cell]] = [
        [r.label, fmt_minutes(r.threshold_min), fmt_number(r.n_communes),
         fmt_number(r.population), fmt_percent(r.share_population_pct)]
        for r in _records(far)]
    body: list[Block] = [
        Para("Les 10 % des communes les plus éloignées (comme le schéma du Cantal) : pour "
             "chaque panier, les communes dont le temps moyen au panier atteint ou dépasse le "
             "9e décile des communes (chaque commune compte une fois), leur nombre et leur "
             "population. Un panier dont un service n'a pas de données n'est pas évalué (—)."),
        Table("Les 10 % des communes les plus éloignées, par panier",
              [Column("panier"), Column("temps au 9e décile", True),
               Column("communes", True), Column("population", True),
               Column("part de la population", True)], rows)]
    pole = table[table["indicator"] == "beyond_pole"]
    for r in _records(pole):
        body.append(Para(
            f"Population à plus de {fmt_number(r.threshold_min)} minutes d'un {r.label} (ou "
            f"d'un pôle de niveau supérieur) : {fmt_number(r.population)} habitants "
            f"({fmt_percent(r.share_population_pct)}), dans "
            f"{fmt_count(int(r.n_communes), 'commune')}."))
    group = table[table["indicator"] == "without_group"]
    for r in _records(group):
        names = " ; ".join(label(result, c) for c in str(r.target).split("|"))
        body.append(Para(
            f"Communes sans aucun de ces commerces ({names}, sous-catégories comprises) "
            f"dans l'inventaire : {fmt_count(int(r.n_communes), 'commune')}, "
            f"{fmt_number(r.population)} habitants ({fmt_percent(r.share_population_pct)}). "
            "Les commerces viennent de la BPE 2013, comptés à la commune."))
    return section("indicateurs-schemas", "Indicateurs des schémas", *body)


def _change(result: DiagnosticResult, analysis: AnalysisResult) -> Section:
    change = analysis.inventory_change
    params = analysis.options.scheme
    title = "Évolution entre deux inventaires"
    before, after = label(result, params.change_before), label(result, params.change_after)
    if change.empty or set(change["change"]) == {"no_data"}:
        return section("evolution-inventaires", title, Para(
            f"Non calculé : pas de données pour « {before} » ou « {after} »."))
    population = change.groupby("change")["population"].sum()
    counts = change["change"].value_counts()
    tolerance = params.change_tolerance_min
    rows: list[list[Cell]] = [
        [CHANGE_NAMES[key], int(counts.get(key, 0)), fmt_number(population.get(key, 0.0))]
        for key in ("gained", "lost", "unchanged", "no_data") if counts.get(key, 0)]
    moved = change[change["change"].isin(["gained", "lost"])]
    body: list[Block] = [
        Para(f"Temps d'accès de chaque commune au site le plus proche de « {before} » et de "
             f"« {after} », sur le même réseau et depuis les mêmes mairies : seule la liste "
             "des sites change. Un écart de moins de "
             f"{fmt_number(tolerance, 1)} minute est compté comme inchangé. Les sites sont "
             "ceux des listes publiées (l'ANCT liste aussi les France Services itinérantes "
             "à leur adresse de rattachement)."),
        Table(f"Communes selon l'évolution du temps d'accès ({before} → {after})",
              [Column("évolution"), Column("communes", True), Column("population", True)],
              rows)]
    if len(moved):
        gained = moved[moved["change"] == "gained"]
        lost = moved[moved["change"] == "lost"]
        body.append(Para(
            f"Gains : {fmt_count(len(gained), 'commune')}, "
            f"{fmt_number(gained['population'].sum())} habitants, médiane du gain "
            f"{fmt_minutes(-gained['change_min'].replace(-np.inf, np.nan).median())}. "
            f"Pertes : {fmt_count(len(lost), 'commune')}, "
            f"{fmt_number(lost['population'].sum())} habitants, médiane de la perte "
            f"{fmt_minutes(lost['change_min'].replace(np.inf, np.nan).median())}."))
    detail: list[list[Cell]] = [
        [r.code_insee, r.nom, fmt_number(r.population), fmt_minutes(r.before_min),
         fmt_minutes(r.after_min), _signed(r.change_min), CHANGE_NAMES[r.change]]
        for r in _records(moved)]
    body.append(Details("Communes dont le temps change", [Table(
        f"Temps au site le plus proche : {before} puis {after}",
        [Column("code INSEE"), Column("commune"), Column("population", True),
         Column("avant", True), Column("après", True), Column("écart", True),
         Column("évolution")], detail, table_id="table-evolution-inventaires")]))
    return section("evolution-inventaires", title, *body)


def _records(frame: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (typed loosely: each column has its own type)."""
    return frame.itertuples()


def _signed(value: float) -> str:
    if not np.isfinite(value):
        return "accès perdu" if value > 0 else "accès gagné" if value < 0 else "—"
    text = fmt_minutes(abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def observatory_sections(result: DiagnosticResult, analysis: AnalysisResult) -> list[Section]:
    """The schemes' figures, then the change between the two inventories."""
    return [_scheme(result, analysis), _change(result, analysis)]


