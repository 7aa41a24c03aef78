"""Report section: a small map for every category with data, not only the main ones.

The main maps (:func:`proximite.report.overview.maps`) show the baskets and the top-level
categories at full size; this section draws every other category with data as small
multiples on the same classes, nine to a figure, each figure with its text alternative
and a table of the same values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from proximite.report.blocks import (
    Block,
    Cell,
    Column,
    Details,
    Figure,
    Link,
    Para,
    Section,
    Table,
    section,
)
from proximite.report.formatting import MISSING, fmt_minutes
from proximite.report.maps import class_counts, simplified, small_multiples_png
from proximite.report.targets import Target, commune_values, has_polygons

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

NAV_ENTRY = ("cartes-categories", "Cartes de toutes les catégories")
PER_FIGURE = 9


def _alt(group: list[Target], values: dict[str, pd.Series]) -> str:
    parts = []
    for target in group:
        counts = class_counts(values[target.code])
        median = fmt_minutes(target.row.get("median_min")) if target.row is not None \
            else MISSING
        parts.append(f"{target.label} (médiane {median} ; " + ", ".join(
            f"{name} : {n}" for name, n in counts if n) + ")")
    return "Petites cartes des temps d'accès par commune : " + " ; ".join(parts) + "."


def small_multiples_section(result: DiagnosticResult, others: list[Target],
                            note: str = "") -> Section:
    """Every category with data that the main maps leave out, nine maps to a figure."""
    title = NAV_ENTRY[1]
    if not has_polygons(result) or not others:
        return section(NAV_ENTRY[0], title, Para(
            "Toutes les catégories avec des données ont leur carte dans la section « Cartes »."
            if others == [] else "Pas de carte : le territoire n'a pas de polygones de "
            "communes."))
    shapes = simplified(result.territory.communes)
    communes = result.territory.communes.sort_values("nom")
    body: list[Block] = [Para(
        f"{len(others)} autres catégories ayant des données, sur les mêmes classes que les "
        "cartes principales (0 à 5, 5 à 10, 10 à 20, 20 à 30, plus de 30 minutes). Chaque "
        "figure est suivie du tableau de ses valeurs.")]
    for start in range(0, len(others), PER_FIGURE):
        group = others[start:start + PER_FIGURE]
        values = {t.code: commune_values(result, t.code, t.kind) for t in group}
        png = small_multiples_png(shapes, [(t.label, values[t.code]) for t in group],
                                  note=note)
        anchor = f"table-petites-cartes-{start // PER_FIGURE + 1}"
        names = ", ".join(t.label for t in group)
        body.append(Figure(png, _alt(group, values), f"Temps d'accès par commune : {names}",
                           Link(f"#{anchor}", "tableau des valeurs")))
        rows: list[list[Cell]] = [
            [str(c["nom"]), *[fmt_minutes(values[t.code].get(str(c["code_insee"])))
                              for t in group]]
            for _, c in communes.iterrows()]
        body.append(Details(f"Valeurs : {names}", [Table(
            f"Temps d'accès par commune (minutes depuis la mairie) : {names}",
            [Column("Commune"), *[Column(t.label, True) for t in group]], rows,
            table_id=anchor)]))
    return section(NAV_ENTRY[0], title, *body)
