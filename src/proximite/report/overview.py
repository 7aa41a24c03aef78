"""Sections of the access indicators: key figures, territory summary, maps, EPCI,
slowest communes, the commune table and the missing data."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from proximite.inventory.schema import rejected_rows
from proximite.messages import titled
from proximite.report.blocks import (
    Block,
    Cell,
    Column,
    Details,
    Figure,
    Heading,
    Link,
    Notice,
    Para,
    Section,
    Table,
    section,
)
from proximite.report.formatting import (
    MISSING,
    UNREACHABLE_TEXT,
    fmt_minutes,
    fmt_number,
    fmt_percent,
    fmt_threshold,
    is_finite,
)
from proximite.report.maps import choropleth_png, class_counts, simplified
from proximite.report.targets import (
    MAP_STAND_IN_NOTE,
    MODE_LABELS,
    Target,
    commune_values,
    has_polygons,
    label,
    members,
    population,
    service_counts,
)

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

TOP_COMMUNES = 20
NO_DATA_TEXT = ("aucune donnée : à compléter avec la BPE (INSEE) ou un inventaire local "
                "(--services)")
STAND_IN_DEFAULT_NOTE = ("Réseau de substitution : ce n'est PAS un réseau routier. "
                         "Les temps sont des ordres de grandeur.")


def stand_in_notice(result: DiagnosticResult) -> Notice | None:
    """The warning at the top of the page when times come from the stand-in network."""
    if not result.graph.is_stand_in:
        return None
    return Notice(result.network_note or STAND_IN_DEFAULT_NOTE,
                  title="Attention : temps calculés sans réseau routier",
                  label="Avertissement sur le réseau")


def key_figures(result: DiagnosticResult) -> Section:
    communes = result.territory.communes
    graph = result.graph
    n_epci = int(communes["epci_code"].replace("", np.nan).nunique()) if len(communes) else 0
    network = (f"{graph.description or 'réseau'} : {fmt_number(graph.n_nodes)} nœuds, "
               f"{fmt_number(graph.n_edges)} arcs, mode {MODE_LABELS.get(graph.mode, graph.mode)}"
               + (" — réseau de substitution, pas un réseau routier" if graph.is_stand_in
                  else ""))
    rows: list[list[Cell]] = [
        ["Territoire", result.territory.name],
        ["Population", fmt_number(population(result))],
        ["Communes", fmt_number(len(communes)) if len(communes)
         else "aucune (origines lues dans un fichier)"],
        ["EPCI", fmt_number(n_epci) if len(communes) else MISSING],
        ["Points d'origine des trajets", fmt_number(len(result.origins))],
        ["Services retenus", _with_margin(result)],
        ["Doublons fusionnés", fmt_number(len(result.duplicates))],
        ["Lignes de services écartées", fmt_number(rejected_rows(result.rejected))],
        ["Réseau", network],
    ]
    figures = Table("Chiffres clés du territoire", [Column("Indicateur"), Column("Valeur")],
                    rows)
    counts = service_counts(result)
    ind = result.indicators
    without = {}
    if len(ind) and "communes_without_service" in ind.columns:
        terr = ind[(ind["level"] == "territory") & (ind["target_kind"] == "category")]
        without = dict(zip(terr["category"], terr["communes_without_service"], strict=True))
    cat_rows: list[list[Cell]] = [
        [label(result, code), code, fmt_number(counts[code]),
         fmt_number(without.get(code)) if len(communes) else MISSING]
        for code in result.categories
    ]
    margin_km = fmt_threshold(result.options.margin_m / 1000)
    by_category = Table(
        "Services par catégorie (sous-catégories comprises)",
        [Column("Catégorie"), Column("Code"),
         Column(f"Services (marge de {margin_km} km comprise)", True),
         Column("Communes sans ce service sur leur sol", True)], cat_rows)
    return section("chiffres-cles", "Chiffres clés", figures, by_category)


def _with_margin(result: DiagnosticResult) -> str:
    """The services kept, saying how many sit in the margin outside the territory."""
    total = len(result.services)
    communes = result.territory.communes
    if not len(communes) or "code_insee" not in result.services:
        return fmt_number(total)
    inside = int(result.services["code_insee"].fillna("").astype(str)
                 .isin(set(communes["code_insee"].astype(str))).sum())
    margin_km = fmt_threshold(result.options.margin_m / 1000)
    return (f"{fmt_number(total)}, dont {fmt_number(inside)} dans le territoire et "
            f"{fmt_number(total - inside)} dans la marge de {margin_km} km")


def _summary_table(caption: str, rows_for: list[Target], limits: list[tuple[float, str]]
                   ) -> Table:
    columns = [Column("Panier" if rows_for and rows_for[0].kind == "basket" else "Catégorie"),
               Column("Médiane", True), Column("D1", True), Column("D9", True)]
    for minutes, _ in limits:
        columns += [Column(f"Population à plus de {fmt_threshold(minutes)} min", True),
                    Column(f"Part à plus de {fmt_threshold(minutes)} min", True)]
    columns.append(Column("Population sans accès", True))
    rows: list[list[Cell]] = []
    for target in rows_for:
        row = target.row
        assert row is not None
        cells: list[Cell] = [target.label]
        for key in ("median_min", "d1_min", "d9_min"):
            # a missing quantile of a computed target falls among unreachable people
            value = row.get(key)
            cells.append(fmt_minutes(value) if is_finite(value) else UNREACHABLE_TEXT)
        for _, suffix in limits:
            cells += [fmt_number(row.get(f"pop_over_{suffix}")),
                      fmt_percent(row.get(f"share_over_{suffix}"))]
        cells.append(fmt_number(row.get("population_unreachable")))
        rows.append(cells)
    return Table(caption, columns, rows)


def summary(baskets: list[Target], categories: list[Target],
            limits: list[tuple[float, str]]) -> Section:
    body: list[Block] = [Para(
        "Temps d'accès au service le plus proche, pondérés par la population. La médiane "
        "est le temps en deçà duquel se trouve la moitié de la population ; D1 et D9 sont "
        "les temps en deçà desquels se trouvent 10 % et 90 % de la population. "
        "« inaccessible » : ce décile tombe dans la population qui ne peut pas atteindre "
        "le service (compté dans « Population sans accès » et au-delà de chaque seuil).")]
    with_data = [t for t in baskets if t.has_data]
    if with_data:
        body.append(_summary_table("Paniers de services : territoire", with_data, limits))
    else:
        body.append(Para("Aucun panier n'est calculable : il manque des catégories "
                         "(voir « Données manquantes »)."))
    cats = [t for t in categories if t.has_data]
    if cats:
        body.append(_summary_table("Catégories de services : territoire", cats, limits))
    return section("synthese", "Temps d'accès : synthèse du territoire", *body)


def _alt_text(target: Target, values: pd.Series) -> str:
    counts = [f"{name} : {n} commune{'s' if n > 1 else ''}"
              for name, n in class_counts(values) if n]
    median = fmt_minutes(target.row.get("median_min")) if target.row is not None else MISSING
    return (f"Carte des communes colorées selon le temps d'accès ({target.label}). "
            f"Médiane du territoire : {median}. " + " ; ".join(counts)
            + ". Valeurs détaillées dans le tableau « Temps d'accès par commune ».")


def maps(result: DiagnosticResult, mapped: list[Target]) -> tuple[Section, float]:
    """The choropleth of each mapped target, and the seconds spent drawing them."""
    start = time.perf_counter()
    if not has_polygons(result):
        return section("cartes", "Cartes", Para(
            "Pas de carte : le territoire n'a pas de polygones de communes (origines lues "
            "dans un fichier). Les temps figurent dans les tableaux.")), 0.0
    if not mapped:
        return section("cartes", "Cartes", Para(
            "Pas de carte : aucun panier ni catégorie n'a de données.")), 0.0
    shapes = simplified(result.territory.communes)
    services = result.services
    points = gpd.GeoDataFrame(services[["category"]],
                              geometry=gpd.points_from_xy(services["lon"], services["lat"]),
                              crs="EPSG:4326")
    note = MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""
    body: list[Block] = [Para(
        "Temps par commune depuis sa mairie, en classes de 0 à 5, 5 à 10, 10 à 20, "
        "20 à 30 et plus de 30 minutes ; gris hachuré : inaccessible ; points "
        "rouges : services. Les mêmes valeurs figurent dans le tableau "
        "« Temps d'accès par commune ».")]
    for target in mapped:
        values = commune_values(result, target.code, target.kind)
        title = titled(target.label, target.kind)
        png = choropleth_png(shapes, values, title,
                             points[points["category"].isin(members(result, target))],
                             note=note)
        body.append(Heading(title))
        body.append(Figure(png, _alt_text(target, values),
                           f"{title} — temps d'accès par commune, classes en minutes",
                           Link("#communes", "tableau des valeurs")))
    return section("cartes", "Cartes", *body), time.perf_counter() - start


def epci(result: DiagnosticResult, mapped: list[Target],
         limits: list[tuple[float, str]]) -> Section:
    communes = result.territory.communes
    ind = result.indicators
    if not len(communes) or not len(ind) or not (ind["level"] == "epci").any():
        return section("epci", "Par EPCI", Para(
            "Pas de tableau par EPCI : le territoire n'a pas de communes rattachées."))
    middle = limits[len(limits) // 2] if limits else None
    columns = [Column("EPCI"), Column("Communes", True), Column("Population", True)]
    for target in mapped:
        columns.append(Column(f"{target.label} : médiane", True))
        if target.kind == "basket" and middle:
            columns.append(Column(f"{target.label} : part à plus de "
                                  f"{fmt_threshold(middle[0])} min", True))
    by_epci = ind[ind["level"] == "epci"]
    n_communes = communes.groupby("epci_code").size()
    people = communes.groupby("epci_code")["population"].sum()
    names = communes.groupby("epci_code")["epci_nom"].first().sort_values()
    rows: list[list[Cell]] = []
    code: Any
    name: Any
    for code, name in names.items():
        cells: list[Cell] = [name or code, fmt_number(n_communes.get(code)),
                             fmt_number(people.get(code))]
        for target in mapped:
            match = by_epci[(by_epci["zone_code"] == code)
                            & (by_epci["category"] == target.code)
                            & (by_epci["target_kind"] == target.kind)]
            row = match.iloc[0] if len(match) else None
            median = row.get("median_min") if row is not None else None
            computed = row is not None and is_finite(row.get("population_unreachable"))
            cells.append(fmt_minutes(median) if is_finite(median)
                         else UNREACHABLE_TEXT if computed else MISSING)
            if target.kind == "basket" and middle:
                cells.append(fmt_percent(row.get(f"share_over_{middle[1]}"))
                             if row is not None else MISSING)
        rows.append(cells)
    return section("epci", "Par EPCI", Table(
        "Temps d'accès médian par EPCI (population pondérée)", columns, rows))


def slowest(result: DiagnosticResult, baskets: list[Target]) -> Section:
    communes = result.territory.communes
    title = "Communes les plus éloignées"
    if not len(communes):
        return section("communes-eloignees", title, Para(
            "Pas de classement des communes : le territoire n'a pas de communes."))
    if not baskets:
        return section("communes-eloignees", title, Para(
            "Aucun panier complet : pas de classement des communes (voir « Données "
            "manquantes »)."))
    info = communes.set_index(communes["code_insee"].astype(str))
    body: list[Block] = []
    for target in baskets:
        values = commune_values(result, target.code, target.kind).dropna()
        ordered = values.sort_values(ascending=False, kind="stable").head(TOP_COMMUNES)
        parts = result.catalogue.baskets[target.code].categories
        per_cat = pd.DataFrame({m: commune_values(result, m, "category") for m in parts})
        rows: list[list[Cell]] = []
        commune: Any
        for rank, (commune, value) in enumerate(ordered.items(), start=1):
            code: Any = commune
            worst = MISSING
            if code in per_cat.index and per_cat.loc[code].notna().any():
                cat = per_cat.loc[code].astype(float).idxmax()
                worst = f"{label(result, cat)} ({fmt_minutes(per_cat.loc[code, cat])})"
            name: Any = info.loc[code, "nom"] if code in info.index else code
            epci_name: Any = info.loc[code, "epci_nom"] if code in info.index else ""
            people: Any = info.loc[code, "population"] if code in info.index else None
            rows.append([str(rank), name, code, epci_name, fmt_number(people),
                         fmt_minutes(value), worst])
        body.append(Heading(target.label))
        body.append(Table(
            f"Les {len(rows)} communes aux temps d'accès au panier les plus longs "
            f"({target.label})",
            [Column("Rang", True), Column("Commune"), Column("Code INSEE"), Column("EPCI"),
             Column("Population", True), Column("Temps panier", True),
             Column("Service le plus lointain")], rows, header_column=1))
    return section("communes-eloignees", title, *body)


def commune_table(result: DiagnosticResult, mapped: list[Target]) -> Section:
    communes = result.territory.communes
    title = "Temps d'accès par commune"
    if not len(communes):
        return section("communes", title, Para(
            "Pas de tableau par commune : le territoire n'a pas de communes."))
    values = {(t.code, t.kind): commune_values(result, t.code, t.kind) for t in mapped}
    columns = [Column("Commune"), Column("Code INSEE"), Column("EPCI"),
               Column("Population", True)]
    columns += [Column(t.label, True) for t in mapped]
    rows: list[list[Cell]] = []
    for _, commune in communes.sort_values("nom").iterrows():
        code = str(commune["code_insee"])
        cells: list[Cell] = [commune["nom"], code, commune["epci_nom"],
                             fmt_number(commune["population"])]
        cells += [fmt_minutes(values[(t.code, t.kind)].get(code, np.nan)) for t in mapped]
        rows.append(cells)
    body = Table("Temps d'accès par commune (valeurs des cartes, en minutes depuis la mairie)",
                 columns, rows, table_id="tableau-communes")
    return section("communes", title, Details(f"Tableau des {len(rows)} communes", [body]))


def missing_data(result: DiagnosticResult, categories: list[Target]) -> Section:
    counts = service_counts(result)
    cat = result.catalogue
    empty = [t for t in categories if counts.get(t.code, 0) == 0]
    body: list[Block] = []
    # every category of the catalogue without a service, computed or not (a category no
    # basket names and no source fills is still a gap of the inventory)
    listed = {t.code for t in empty}
    with_service = set(result.services["category"])
    not_computed = [code for code, category in cat.categories.items()
                    if code not in listed and code not in result.categories
                    and not cat.members(code) & with_service]
    if empty or not_computed:
        rows: list[list[Cell]] = [
            [t.label, t.code, ", ".join(cat.categories[t.code].bpe_codes) or MISSING,
             NO_DATA_TEXT] for t in empty]
        rows += [
            [cat.categories[code].label, code,
             ", ".join(cat.categories[code].bpe_codes) or MISSING,
             NO_DATA_TEXT + " (catégorie du catalogue non calculée)"]
            for code in not_computed]
        body.append(Table("Catégories sans aucun service dans l'inventaire",
                          [Column("Catégorie"), Column("Code"), Column("Codes BPE"),
                           Column("État")], rows))
    else:
        body.append(Para("Toutes les catégories calculées ont au moins un service."))
    basket_rows: list[list[Cell]] = []
    for code in result.baskets:
        basket = cat.baskets[code]
        absent = [m for m in basket.categories
                  if not result.services["category"].isin(cat.members(m)).any()]
        state = (f"incomplet : {len(absent)} catégorie(s) sur {len(basket.categories)} "
                 "sans donnée" if absent else "complet")
        basket_rows.append([basket.label, state,
                            " ; ".join(label(result, m) for m in absent) or MISSING,
                            basket.to_check or MISSING])
    if basket_rows:
        body.append(Table("Paniers : catégories manquantes et points à vérifier",
                          [Column("Panier"), Column("État"), Column("Catégories manquantes"),
                           Column("À vérifier")], basket_rows))
    return section("donnees-manquantes", "Données manquantes et points à vérifier", *body)
