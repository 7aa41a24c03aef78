"""Report sections of the digital axis and of itinerant and remote access.

Both read tables the diagnostic already holds (``result.digital``, ``result.itinerant``,
``result.remote``); each sentence is built from them, so a run without ARCEP files says
it has no digital data rather than showing empty figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from proximite.analysis.digital import DIMENSIONS, digital_summary
from proximite.inventory.schema import LOCATION_BASE, itinerant_mask, remote_mask
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
    bullets,
    section,
)
from proximite.report.formatting import (
    fmt_count,
    fmt_minutes,
    fmt_number,
    fmt_percent,
    fmt_threshold,
)
from proximite.report.maps import categorical_png, simplified

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

NAV_ENTRIES = [("numerique", "Axe numérique"),
               ("itinerant-distance", "Accès itinérant et à distance")]
INDEX_CLASSES = {"0 à 25": "#ffffcc", "25 à 50": "#a1dab4", "50 à 75": "#41b6c4",
                 "75 à 100": "#253494"}
MAX_FRAGILE_ROWS = 20


def index_class(value: object) -> str | None:
    """The map class of a fragility index (0-100), None when unknown."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    number = float(value)  # type: ignore[arg-type]
    for upper, label in zip((25, 50, 75, 101), INDEX_CLASSES, strict=True):
        if number < upper:
            return label
    return None


def _fibre(row: pd.Series) -> str:
    if "ftth_part_min_pct" not in row or pd.isna(row["ftth_part_min_pct"]):
        return "—"
    low, high = row["ftth_part_min_pct"], row["ftth_part_max_pct"]
    if high == 0:
        return "aucun local"
    return f"{fmt_percent(low)} à {fmt_percent(high)}"


def digital_section(result: DiagnosticResult, note: str = "") -> Section:
    table = result.digital
    if table is None or not len(table) or "indice_fragilite_numerique" not in table.columns:
        return section("numerique", "Axe numérique", Para(
            "Pas de données numériques pour ce territoire : donner le fichier ARCEP de la "
            "fibre (--ftth) et celui des sites mobiles (--mobile-sites)."))
    summary = digital_summary(table)
    radius = float(table["rayon_4g_m"].iloc[0]) if "rayon_4g_m" in table.columns else None
    quarter = str(table["ftth_trimestre"].iloc[0]) if "ftth_trimestre" in table.columns else ""
    used = [text for name, text in DIMENSIONS.items() if name in table.columns]
    body: list[Block] = [
        Para("Par commune : la part des locaux raccordables à la fibre (classe ARCEP"
             + (f", {quarter}" if quarter else "") + "), le nombre d'opérateurs ayant un site "
             "4G" + (f" à moins de {fmt_threshold(radius / 1000)} km de la mairie"
                     if radius else "") + " (sites ARCEP/ANFR de janvier 2018), le temps "
             "jusqu'au lieu d'aide numérique permanent le plus proche (France Services ou "
             "lieu de médiation numérique) et ses heures d'ouverture par semaine (moyenne "
             "sur l'année 2026, jours fériés compris), la part des 65 ans ou plus."),
        Para("Indice de fragilité numérique (0 à 100) : moyenne des rangs centiles de la "
             "commune parmi celles du territoire sur " + "; ".join(used) + ". Un indice de "
             "80 signifie « plus fragile qu'environ 80 % des communes du territoire en "
             "moyenne sur ces dimensions » : c'est un classement relatif au territoire, "
             "pas un niveau absolu."),
        bullets([
            f"{fmt_count(int(summary['communes_fragiles']), 'commune')} parmi les plus "
            f"fragiles (indice ≥ {fmt_number(summary['seuil_indice'], 1)}) : "
            f"{fmt_number(summary['population_fragile'])} habitants dont "
            f"{fmt_number(summary['population_65plus_fragile'])} de 65 ans ou plus.",
            *([f"{fmt_number(summary['population_sans_4g'])} habitants dans des communes "
               "sans site 4G d'aucun opérateur dans le rayon."]
              if "population_sans_4g" in summary else []),
            *([f"{fmt_number(summary['population_sans_fibre'])} habitants dans des communes "
               "sans aucun local raccordable à la fibre."]
              if "population_sans_fibre" in summary else []),
        ]),
    ]
    if len(result.territory.communes):
        classes = table.set_index("code_insee")["indice_fragilite_numerique"].map(index_class)
        png = categorical_png(simplified(result.territory.communes), classes,
                              "Indice de fragilité numérique des communes", INDEX_CLASSES,
                              legend_title="Indice (0 à 100)", note=note)
        sizes = classes.value_counts()
        alt = ("Carte de l'indice de fragilité numérique par commune : " + " ; ".join(
            f"{label} : {fmt_count(int(sizes.get(label, 0)), 'commune')}"
            for label in INDEX_CLASSES) + ".")
        body.append(Figure(png, alt, "Indice de fragilité numérique",
                           Link("#table-numerique", "tableau des valeurs")))
    ordered = table.sort_values(["indice_fragilite_numerique", "code_insee"],
                                ascending=[False, True], kind="stable")
    columns = [Column("commune"), Column("indice", True), Column("fibre (part des locaux)"),
               Column("opérateurs 4G", True), Column("aide numérique la plus proche"),
               Column("temps", True), Column("heures par semaine", True),
               Column("65 ans ou plus", True), Column("population", True)]

    def row_of(row: pd.Series) -> list[Cell]:
        return [str(row["nom"]), fmt_number(row["indice_fragilite_numerique"], 1),
                _fibre(row),
                fmt_number(row.get("operateurs_4g")) if "operateurs_4g" in row else "—",
                str(row.get("aide_lieu") or "—"), fmt_minutes(row.get("aide_temps_min")),
                fmt_number(row.get("aide_heures_semaine"), 1),
                fmt_percent(row.get("pct_65plus")), fmt_number(row["population"])]

    body.append(Table(f"Les {MAX_FRAGILE_ROWS} communes à l'indice le plus élevé", columns,
                      [row_of(r) for _, r in ordered.head(MAX_FRAGILE_ROWS).iterrows()]))
    body.append(Details("Axe numérique de chaque commune", [Table(
        "Axe numérique par commune", columns, [row_of(r) for _, r in ordered.iterrows()],
        table_id="table-numerique")]))
    return section("numerique", "Axe numérique", *body)


def itinerant_section(result: DiagnosticResult) -> Section:
    services = result.services
    itinerant = services[itinerant_mask(services)]
    based = itinerant[itinerant["location_precision"] == LOCATION_BASE]
    labels = result.catalogue.categories
    body: list[Block] = [Para(
        "Un service itinérant (bus France Services, bibliobus, permanence) n'est jamais "
        "compté comme un site permanent dans les temps d'accès : il est présent quelques "
        "jours par mois. Il a son propre indicateur, « accès à une permanence itinérante » "
        ": le temps jusqu'à l'arrêt le plus proche et le nombre de jours par mois où cet "
        "arrêt est desservi (d'après ses horaires).")]
    if len(based):
        body.append(Para(
            f"{fmt_count(len(based), 'service')} itinérant{'s' if len(based) > 1 else ''} "
            "connu" + ("s" if len(based) > 1 else "") + " par l'adresse de leur structure "
            "seulement : la source ne publie pas leurs arrêts, ils ne sont ni un site ni "
            "un arrêt dans ce diagnostic."))
        body.append(bullets(f"{name} ({labels[str(cat)].label}, {address})" for name, cat,
                            address in based[["name", "category", "address"]].itertuples(
                                index=False)))
    stops = result.itinerant
    if len(stops):
        rows: list[list[Cell]] = [
            [str(r["nom"]), str(r["category_label"]), fmt_minutes(r["stop_time_min"]),
             str(r["nearest_stop_name"]), fmt_number(r["days_per_month"], 1)]
            for _, r in stops.sort_values(["category", "code_insee"]).iterrows()]
        body.append(Details("Accès à une permanence itinérante par commune", [Table(
            "Arrêt itinérant le plus proche par commune",
            [Column("commune"), Column("service"), Column("temps", True),
             Column("arrêt"), Column("jours par mois", True)], rows)]))
    elif not len(based):
        body.append(Para("Aucun service itinérant dans l'inventaire de ce territoire."))
    remote = result.remote
    if len(remote):
        offered = services[remote_mask(services)]
        counts = offered.groupby("category").size()
        body.append(Para("Services joignables par téléphone, en visioconférence ou en ligne "
                         "(le plus proche de chaque commune est listé dans remote_access.csv "
                         "et sur la fiche commune du géoportail) :"))
        body.append(bullets(f"{labels[str(code)].label} : {fmt_count(int(n), 'service')}"
                            for code, n in counts.items()))
    else:
        body.append(Para("Aucun service de l'inventaire ne déclare d'accès par téléphone, "
                         "en visioconférence ou en ligne : les sources lues ne le disent "
                         "pas (un numéro de téléphone de prise de rendez-vous n'est pas un "
                         "service rendu à distance)."))
    return section("itinerant-distance", "Accès itinérant et à distance", *body)
