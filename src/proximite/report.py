"""One self-contained HTML report (``report.html``) of a diagnostic, in French.

The page is meant to be mailed, archived and opened offline by a chargé de mission: no
external resource at all (CSS inline, maps embedded as base64 PNG data URIs). It follows
the RGAA basics: ``lang="fr"``, ordered headings, tables with ``<caption>`` and
``<th scope>``, a text alternative for every map plus the same values in a table, and a
print style (``<details>`` are opened before printing).

Every text coming from data (names, file paths, notes, warnings) goes through
:func:`html.escape`; only the builders of this module produce markup (:class:`Markup`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from proximite import __version__
from proximite.access import AccessParams
from proximite.inventory.schema import PROVENANCE_SEP, rejected_rows
from proximite.maps import CLASS_BREAKS_MIN, choropleth_png, class_counts, simplified

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult

#: Thousands separator: narrow no-break space (French typography, never wraps).
THOUSANDS_SEP = "\u202f"
MISSING = "—"
UNREACHABLE_TEXT = "inaccessible"
MAX_CATEGORY_MAPS = 8
TOP_COMMUNES = 20
MAX_REJECTED_ROWS = 50
WARNINGS_IN_DETAILS_FROM = 10
NO_DATA_TEXT = ("aucune donnée : à compléter avec la BPE (INSEE) ou un inventaire local "
                "(--services)")
MAP_STAND_IN_NOTE = ("Réseau de substitution, pas un réseau routier : ordres de grandeur, "
                     "pas des temps d'accès routiers.")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


NUM_CLASS = ' class="num"'
MAX_VALUE_CHARS = 100


class Markup(str):
    """HTML produced by this module: inserted as is, never escaped again."""


def esc(text: object) -> str:
    """Escape any value for HTML (Markup passes through)."""
    if isinstance(text, Markup):
        return text
    return html.escape("" if text is None else str(text), quote=True)


# --------------------------------------------------------------------------- formatting


def _finite(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def fmt_number(value: object, decimals: int = 0) -> str:
    """French number: decimal comma, narrow no-break space between thousands.

    ``fmt_number(1234.5, 1) == "1\u202f234,5"``; missing values give an em dash.
    """
    if not _finite(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", THOUSANDS_SEP)


def fmt_minutes(value: object) -> str:
    """Minutes with one decimal, e.g. ``12,5 min``; ``inf`` is "inaccessible"."""
    if value is not None and isinstance(value, (int, float)) and math.isinf(value):
        return UNREACHABLE_TEXT
    if not _finite(value):
        return MISSING
    return f"{fmt_number(value, 1)} min"


def fmt_percent(value: object) -> str:
    """Share in percent with one decimal, e.g. ``8,3 %``."""
    if not _finite(value):
        return MISSING
    return f"{fmt_number(value, 1)} %"


def fmt_date_fr(day: dt.date) -> str:
    """``3 mars 2026`` without depending on the system locale."""
    return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"


def fmt_threshold(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# --------------------------------------------------------------------------- HTML pieces


@dataclass
class Column:
    """A table column: header text and whether it holds numbers (right aligned)."""

    header: str
    numeric: bool = False


def table(caption: str, columns: Sequence[Column], rows: Iterable[Sequence[object]], *,
          header_column: int | None = 0, table_id: str | None = None) -> Markup:
    """An accessible table: caption, column headers, one cell per row as row header."""
    id_attr = f' id="{esc(table_id)}"' if table_id else ""
    parts = [f"<table{id_attr}>", f"<caption>{esc(caption)}</caption>", "<thead><tr>"]
    parts += [f'<th scope="col"{NUM_CLASS if c.numeric else ""}>{esc(c.header)}</th>'
              for c in columns]
    parts.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, (col, value) in enumerate(zip(columns, row, strict=True)):
            attr = NUM_CLASS if col.numeric else ""
            if i == header_column:
                cells.append(f'<th scope="row"{attr}>{esc(value)}</th>')
            else:
                cells.append(f"<td{attr}>{esc(value)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return Markup("\n".join(parts))


def section(section_id: str, title: str, *body: str) -> Markup:
    return Markup(f'<section id="{section_id}" aria-labelledby="{section_id}-titre">\n'
                  f'<h2 id="{section_id}-titre">{esc(title)}</h2>\n' + "\n".join(body)
                  + "\n</section>")


def para(text: str) -> Markup:
    return Markup(f"<p>{esc(text)}</p>")


def bullet_list(items: Iterable[object]) -> Markup:
    return Markup("<ul>\n" + "\n".join(f"<li>{esc(i)}</li>" for i in items) + "\n</ul>")


def details(summary: str, *body: str, open_: bool = False) -> Markup:
    return Markup(f"<details{' open' if open_ else ''}><summary>{esc(summary)}</summary>\n"
                  + "\n".join(body) + "\n</details>")


CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1a1a1a; background: #fff; line-height: 1.45; margin: 0 auto; max-width: 72rem;
  padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { font-size: 1.4rem; border-bottom: 2px solid #1f4e79; padding-bottom: .2rem;
  margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
a { color: #0b4f9c; }
a:focus, summary:focus { outline: 3px solid #b35900; outline-offset: 2px; }
.subtitle { color: #3d3d3d; margin-top: 0; }
.notice { border: 3px solid #b35900; background: #fff4e5; padding: .8rem 1rem;
  margin: 1rem 0; border-radius: 4px; }
.notice p { margin: .3rem 0; }
.notice .notice-title { font-size: 1.1rem; font-weight: 700; }
table { border-collapse: collapse; margin: .8rem 0 1.4rem; font-size: .92rem; }
caption { text-align: left; font-weight: 700; padding: .3rem 0; }
th, td { border: 1px solid #8c8c8c; padding: .25rem .5rem; vertical-align: top;
  text-align: left; }
thead th { background: #e8eef5; }
tbody th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #bdbdbd; }
figcaption { font-size: .92rem; color: #3d3d3d; }
details { margin: .6rem 0 1rem; }
summary { cursor: pointer; font-weight: 600; }
nav ol { columns: 2; }
footer { margin-top: 3rem; font-size: .85rem; color: #3d3d3d; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  .notice { border-color: #000; background: none; }
  h2 { break-after: avoid; }
  figure, table { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""

# Opens every <details> before printing: folded content would otherwise not be printed.
PRINT_SCRIPT = ("addEventListener('beforeprint',function(){document.querySelectorAll("
                "'details').forEach(function(d){d.open=true;});});")


# --------------------------------------------------------------------------- data access


@dataclass
class Target:
    """A category or basket as reported: code, kind, French label, territory row."""

    code: str
    kind: str
    label: str
    row: pd.Series | None

    @property
    def has_data(self) -> bool:
        """True when the territory statistics were computed (services exist for all)."""
        return self.row is not None and _finite(self.row.get("population_unreachable"))


def _targets(result: DiagnosticResult, kind: str) -> list[Target]:
    codes = result.baskets if kind == "basket" else result.categories
    ind = result.indicators
    out = []
    for code in codes:
        row = None
        if len(ind):
            match = ind[(ind["level"] == "territory") & (ind["category"] == code)
                        & (ind["target_kind"] == kind)]
            row = match.iloc[0] if len(match) else None
        out.append(Target(code, kind, _label(result, code, kind), row))
    return out


def _label(result: DiagnosticResult, code: str, kind: str) -> str:
    cat = result.catalogue
    if kind == "basket" and code in cat.baskets:
        return cat.baskets[code].label
    if code in cat.categories:
        return cat.categories[code].label
    return code


def _thresholds(indicators: pd.DataFrame) -> list[tuple[float, str]]:
    """(minutes, suffix) of the threshold columns, found by prefix (thresholds vary)."""
    found = []
    for col in indicators.columns:
        if col.startswith("pop_over_"):
            suffix = col[len("pop_over_"):]
            try:
                found.append((float(suffix), suffix))
            except ValueError:
                continue
    return sorted(found)


def _members(result: DiagnosticResult, target: Target) -> set[str]:
    cat = result.catalogue
    codes = cat.baskets[target.code].categories if target.kind == "basket" else (target.code,)
    found: set[str] = set()
    for code in codes:
        found |= cat.members(code)
    return found


def commune_values(result: DiagnosticResult, code: str, kind: str) -> pd.Series:
    """Commune time (minutes) by code_insee; ``inf`` = unreachable, ``NaN`` = not computed.

    The commune figure is its population-weighted median (its town hall's time when
    there is one origin per commune, the usual case).
    """
    ind = result.indicators
    if not len(ind):
        return pd.Series(dtype=float)
    rows = ind[(ind["level"] == "commune") & (ind["category"] == code)
               & (ind["target_kind"] == kind)]
    values = rows["median_min"].to_numpy(dtype=float).copy()
    unreachable = np.isnan(values) & (rows["population_unreachable"].to_numpy(dtype=float) > 0)
    values[unreachable] = np.inf
    return pd.Series(values, index=rows["zone_code"].astype(str).to_numpy(), dtype=float)


def _service_counts(result: DiagnosticResult) -> dict[str, int]:
    services = result.services
    return {code: int(services["category"].isin(result.catalogue.members(code)).sum())
            for code in result.categories}


def _has_polygons(result: DiagnosticResult) -> bool:
    communes = result.territory.communes
    return len(communes) > 0 and bool(communes.geometry.notna().any())


def _population(result: DiagnosticResult) -> float:
    if len(result.territory.communes):
        return result.territory.population
    return float(result.origins["population"].sum()) if len(result.origins) else 0.0


# --------------------------------------------------------------------------- sections


def _stand_in_notice(result: DiagnosticResult) -> str:
    if not result.graph.is_stand_in:
        return ""
    note = result.network_note or ("Réseau de substitution : ce n'est PAS un réseau routier. "
                                   "Les temps sont des ordres de grandeur.")
    return Markup('<div class="notice" role="note" aria-label="Avertissement sur le réseau">'
                  '<p class="notice-title">Attention : temps calculés sans réseau routier</p>'
                  f"<p>{esc(note)}</p></div>")


def _key_figures(result: DiagnosticResult) -> Markup:
    communes = result.territory.communes
    graph = result.graph
    n_epci = int(communes["epci_code"].replace("", np.nan).nunique()) if len(communes) else 0
    network = (f"{graph.description or 'réseau'} : {fmt_number(graph.n_nodes)} nœuds, "
               f"{fmt_number(graph.n_edges)} arcs, mode {graph.mode}"
               + (" — réseau de substitution, pas un réseau routier" if graph.is_stand_in
                  else ""))
    rows = [
        ("Territoire", result.territory.name),
        ("Population", fmt_number(_population(result))),
        ("Communes", fmt_number(len(communes)) if len(communes)
         else "aucune (origines lues dans un fichier)"),
        ("EPCI", fmt_number(n_epci) if len(communes) else MISSING),
        ("Points d'origine des trajets", fmt_number(len(result.origins))),
        ("Services retenus", fmt_number(len(result.services))),
        ("Doublons fusionnés", fmt_number(len(result.duplicates))),
        ("Lignes de services écartées", fmt_number(rejected_rows(result.rejected))),
        ("Réseau", network),
    ]
    figures = table("Chiffres clés du territoire", [Column("Indicateur"), Column("Valeur")],
                    rows)
    counts = _service_counts(result)
    ind = result.indicators
    without = {}
    if len(ind) and "communes_without_service" in ind.columns:
        terr = ind[(ind["level"] == "territory") & (ind["target_kind"] == "category")]
        without = dict(zip(terr["category"], terr["communes_without_service"], strict=True))
    cat_rows = [
        (_label(result, code, "category"), code, fmt_number(counts[code]),
         fmt_number(without.get(code)) if len(communes) else MISSING)
        for code in result.categories
    ]
    by_category = table(
        "Services par catégorie (sous-catégories comprises)",
        [Column("Catégorie"), Column("Code"), Column("Services", True),
         Column("Communes sans ce service sur leur sol", True)], cat_rows)
    return section("chiffres-cles", "Chiffres clés", figures, by_category)


def _summary_table(caption: str, targets: list[Target], thresholds: list[tuple[float, str]]
                   ) -> Markup:
    columns = [Column("Panier" if targets and targets[0].kind == "basket" else "Catégorie"),
               Column("Médiane", True), Column("D1", True), Column("D9", True)]
    for minutes, _ in thresholds:
        columns += [Column(f"Population à plus de {fmt_threshold(minutes)} min", True),
                    Column(f"Part à plus de {fmt_threshold(minutes)} min", True)]
    columns.append(Column("Population sans accès", True))
    rows = []
    for target in targets:
        row = target.row
        assert row is not None
        cells: list[object] = [target.label]
        for key in ("median_min", "d1_min", "d9_min"):
            # a missing quantile of a computed target falls among unreachable people
            value = row.get(key)
            cells.append(fmt_minutes(value) if _finite(value) else UNREACHABLE_TEXT)
        for _, suffix in thresholds:
            cells += [fmt_number(row.get(f"pop_over_{suffix}")),
                      fmt_percent(row.get(f"share_over_{suffix}"))]
        cells.append(fmt_number(row.get("population_unreachable")))
        rows.append(cells)
    return table(caption, columns, rows)


def _summary(result: DiagnosticResult, baskets: list[Target], categories: list[Target],
             thresholds: list[tuple[float, str]]) -> Markup:
    body = [para(
        "Temps d'accès au service le plus proche, pondérés par la population. La médiane "
        "est le temps en deçà duquel se trouve la moitié de la population ; D1 et D9 sont "
        "les temps en deçà desquels se trouvent 10 % et 90 % de la population. "
        "« inaccessible » : ce décile tombe dans la population qui ne peut pas atteindre "
        "le service (compté dans « Population sans accès » et au-delà de chaque seuil).")]
    with_data = [t for t in baskets if t.has_data]
    if with_data:
        body.append(_summary_table("Paniers de services : territoire", with_data, thresholds))
    else:
        body.append(para("Aucun panier n'est calculable : il manque des catégories "
                         "(voir « Données manquantes »)."))
    cats = [t for t in categories if t.has_data]
    if cats:
        body.append(_summary_table("Catégories de services : territoire", cats, thresholds))
    return section("synthese", "Temps d'accès : synthèse du territoire", *body)


def _alt_text(target: Target, values: pd.Series) -> str:
    counts = [f"{label} : {n} commune{'s' if n > 1 else ''}"
              for label, n in class_counts(values) if n]
    median = fmt_minutes(target.row.get("median_min")) if target.row is not None else MISSING
    return (f"Carte des communes colorées selon le temps d'accès ({target.label}). "
            f"Médiane du territoire : {median}. " + " ; ".join(counts)
            + ". Valeurs détaillées dans le tableau « Temps d'accès par commune ».")


def _maps(result: DiagnosticResult, targets: list[Target]) -> tuple[Markup, float]:
    start = time.perf_counter()
    if not _has_polygons(result):
        return section("cartes", "Cartes", para(
            "Pas de carte : le territoire n'a pas de polygones de communes (origines lues "
            "dans un fichier). Les temps figurent dans les tableaux.")), 0.0
    if not targets:
        return section("cartes", "Cartes", para(
            "Pas de carte : aucun panier ni catégorie n'a de données.")), 0.0
    shapes = simplified(result.territory.communes)
    services = result.services
    points = gpd.GeoDataFrame(services[["category"]],
                              geometry=gpd.points_from_xy(services["lon"], services["lat"]),
                              crs="EPSG:4326")
    note = MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""
    body = [para("Temps par commune depuis sa mairie, en classes de 0 à 5, 5 à 10, 10 à 20, "
                 "20 à 30 et plus de 30 minutes ; gris hachuré : inaccessible ; points "
                 "rouges : services. Les mêmes valeurs figurent dans le tableau "
                 "« Temps d'accès par commune ».")]
    for target in targets:
        values = commune_values(result, target.code, target.kind)
        kind = "Panier" if target.kind == "basket" else "Catégorie"
        title = f"{kind} : {target.label}"
        png = choropleth_png(shapes, values, title,
                             points[points["category"].isin(_members(result, target))],
                             note=note)
        data = base64.b64encode(png).decode("ascii")
        body.append(Markup(
            f"<h3>{esc(title)}</h3>\n<figure>"
            f'<img src="data:image/png;base64,{data}" alt="{esc(_alt_text(target, values))}">'
            f"<figcaption>{esc(title)} — temps d'accès par commune, classes en minutes "
            '(<a href="#communes">tableau des valeurs</a>).</figcaption></figure>'))
    return section("cartes", "Cartes", *body), time.perf_counter() - start


def _epci(result: DiagnosticResult, targets: list[Target],
          thresholds: list[tuple[float, str]]) -> Markup:
    communes = result.territory.communes
    ind = result.indicators
    if not len(communes) or not len(ind) or not (ind["level"] == "epci").any():
        return section("epci", "Par EPCI", para(
            "Pas de tableau par EPCI : le territoire n'a pas de communes rattachées."))
    middle = thresholds[len(thresholds) // 2] if thresholds else None
    columns = [Column("EPCI"), Column("Communes", True), Column("Population", True)]
    for target in targets:
        columns.append(Column(f"{target.label} : médiane", True))
        if target.kind == "basket" and middle:
            columns.append(Column(f"{target.label} : part à plus de "
                                  f"{fmt_threshold(middle[0])} min", True))
    epci = ind[ind["level"] == "epci"]
    n_communes = communes.groupby("epci_code").size()
    population = communes.groupby("epci_code")["population"].sum()
    names = communes.groupby("epci_code")["epci_nom"].first().sort_values()
    rows = []
    for code, name in names.items():
        cells: list[object] = [name or code, fmt_number(n_communes.get(code)),
                               fmt_number(population.get(code))]
        for target in targets:
            match = epci[(epci["zone_code"] == code) & (epci["category"] == target.code)
                         & (epci["target_kind"] == target.kind)]
            row = match.iloc[0] if len(match) else None
            median = row.get("median_min") if row is not None else None
            computed = row is not None and _finite(row.get("population_unreachable"))
            cells.append(fmt_minutes(median) if _finite(median)
                         else UNREACHABLE_TEXT if computed else MISSING)
            if target.kind == "basket" and middle:
                cells.append(fmt_percent(row.get(f"share_over_{middle[1]}"))
                             if row is not None else MISSING)
        rows.append(cells)
    return section("epci", "Par EPCI", table(
        "Temps d'accès médian par EPCI (population pondérée)", columns, rows))


def _slowest(result: DiagnosticResult, baskets: list[Target]) -> Markup:
    communes = result.territory.communes
    if not len(communes):
        return section("communes-eloignees", "Communes les plus éloignées", para(
            "Pas de classement des communes : le territoire n'a pas de communes."))
    if not baskets:
        return section("communes-eloignees", "Communes les plus éloignées", para(
            "Aucun panier complet : pas de classement des communes (voir « Données "
            "manquantes »)."))
    info = communes.set_index(communes["code_insee"].astype(str))
    body = []
    for target in baskets:
        values = commune_values(result, target.code, target.kind).dropna()
        ordered = values.sort_values(ascending=False, kind="stable").head(TOP_COMMUNES)
        members = result.catalogue.baskets[target.code].categories
        per_cat = pd.DataFrame({m: commune_values(result, m, "category") for m in members})
        rows = []
        for rank, (code, value) in enumerate(ordered.items(), start=1):
            worst = MISSING
            if code in per_cat.index and per_cat.loc[code].notna().any():
                cat = per_cat.loc[code].astype(float).idxmax()
                worst = (f"{_label(result, cat, 'category')} "
                         f"({fmt_minutes(per_cat.loc[code, cat])})")
            name = info.loc[code, "nom"] if code in info.index else code
            epci = info.loc[code, "epci_nom"] if code in info.index else ""
            pop = info.loc[code, "population"] if code in info.index else None
            rows.append([str(rank), name, code, epci, fmt_number(pop), fmt_minutes(value),
                         worst])
        body.append(Markup(f"<h3>{esc(target.label)}</h3>"))
        body.append(table(
            f"Les {len(rows)} communes aux temps d'accès au panier les plus longs "
            f"({target.label})",
            [Column("Rang", True), Column("Commune"), Column("Code INSEE"), Column("EPCI"),
             Column("Population", True), Column("Temps panier", True),
             Column("Service le plus lointain")], rows, header_column=1))
    return section("communes-eloignees", "Communes les plus éloignées", *body)


def _commune_table(result: DiagnosticResult, targets: list[Target]) -> Markup:
    communes = result.territory.communes
    if not len(communes):
        return section("communes", "Temps d'accès par commune", para(
            "Pas de tableau par commune : le territoire n'a pas de communes."))
    values = {(t.code, t.kind): commune_values(result, t.code, t.kind) for t in targets}
    columns = [Column("Commune"), Column("Code INSEE"), Column("EPCI"),
               Column("Population", True)]
    columns += [Column(t.label, True) for t in targets]
    rows = []
    for _, commune in communes.sort_values("nom").iterrows():
        code = str(commune["code_insee"])
        cells: list[object] = [commune["nom"], code, commune["epci_nom"],
                               fmt_number(commune["population"])]
        cells += [fmt_minutes(values[(t.code, t.kind)].get(code, np.nan)) for t in targets]
        rows.append(cells)
    body = table("Temps d'accès par commune (valeurs des cartes, en minutes depuis la mairie)",
                 columns, rows, table_id="tableau-communes")
    return section("communes", "Temps d'accès par commune",
                   details(f"Tableau des {len(rows)} communes", body))


def _missing(result: DiagnosticResult, categories: list[Target]) -> Markup:
    counts = _service_counts(result)
    cat = result.catalogue
    empty = [t for t in categories if counts.get(t.code, 0) == 0]
    body = []
    if empty:
        rows = [(t.label, t.code, ", ".join(cat.categories[t.code].bpe_codes) or MISSING,
                 NO_DATA_TEXT) for t in empty]
        body.append(table("Catégories sans aucun service dans l'inventaire",
                          [Column("Catégorie"), Column("Code"), Column("Codes BPE"),
                           Column("État")], rows))
    else:
        body.append(para("Toutes les catégories calculées ont au moins un service."))
    basket_rows = []
    for code in result.baskets:
        basket = cat.baskets[code]
        missing = [m for m in basket.categories
                   if not result.services["category"].isin(cat.members(m)).any()]
        state = (f"incomplet : {len(missing)} catégorie(s) sur {len(basket.categories)} "
                 "sans donnée" if missing else "complet")
        basket_rows.append((basket.label, state,
                            " ; ".join(_label(result, m, "category") for m in missing)
                            or MISSING, basket.to_check or MISSING))
    if basket_rows:
        body.append(table("Paniers : catégories manquantes et points à vérifier",
                          [Column("Panier"), Column("État"), Column("Catégories manquantes"),
                           Column("À vérifier")], basket_rows))
    return section("donnees-manquantes", "Données manquantes et points à vérifier", *body)


def _warnings(result: DiagnosticResult) -> Markup:
    if not result.warnings:
        return section("avertissements", "Avertissements", para("Aucun avertissement."))
    items = bullet_list(result.warnings)
    if len(result.warnings) >= WARNINGS_IN_DETAILS_FROM:
        items = details(f"Les {len(result.warnings)} avertissements", items)
    return section("avertissements", "Avertissements", items)


def _rejected(result: DiagnosticResult) -> Markup:
    if not result.rejected:
        return section("services-ecartes", "Services écartés",
                       para("Aucune ligne de service n'a été écartée."))
    by_reason: Counter[str] = Counter()
    for rejection in result.rejected:
        by_reason[rejection.reason] += getattr(rejection, "rows", 1)
    body = [
        para(f"{fmt_number(rejected_rows(result.rejected))} lignes des fichiers de services "
             "n'ont pas été utilisées (liste complète : rejected_services.csv ; les lignes "
             "d'un même code d'équipement inconnu y sont regroupées, avec leur nombre)."),
        table("Services écartés par motif", [Column("Motif"), Column("Lignes", True)],
              [(reason, fmt_number(n)) for reason, n in by_reason.most_common()]),
    ]
    shown = result.rejected[:MAX_REJECTED_ROWS]
    rows = [(r.path, "" if r.line is None else str(r.line), r.field or "",
             _shorten(r.value), r.reason) for r in shown]
    detail_table = table(
        f"Les {len(shown)} premières lignes écartées",
        [Column("Fichier"), Column("Ligne", True), Column("Champ"), Column("Valeur"),
         Column("Motif")], rows)
    body.append(details(f"Détail des {len(shown)} premières lignes écartées", detail_table))
    return section("services-ecartes", "Services écartés", *body)


def _shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Keep table cells readable when a rejected value is a whole line of text."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]{4,}", text.lower()))


def _licence_for(source: str, provenance: list[dict[str, str]]) -> str:
    """Licence of the provenance entry that best matches a service source's words."""
    words = _words(source)
    best, score = "", 0
    for entry in provenance:
        overlap = len(words & _words(f"{entry.get('dataset', '')} {entry.get('producer', '')}"))
        if overlap > score:
            best, score = entry.get("licence", ""), overlap
    return best if best and score >= min(2, len(words)) else "non renseignée"


def _provenance(result: DiagnosticResult) -> Markup:
    body = []
    known = ("dataset", "producer", "licence", "date", "url")
    if result.provenance:
        rows = []
        for entry in result.provenance:
            url = entry.get("url", "")
            link = (Markup(f'<a href="{esc(url)}">{esc(url)}</a>')
                    if url.startswith(("http://", "https://")) else url)
            extra = "; ".join(f"{k} : {v}" for k, v in entry.items() if k not in known)
            rows.append((entry.get("dataset", MISSING), entry.get("producer", MISSING),
                         entry.get("licence", "non renseignée"), entry.get("date", MISSING),
                         link or MISSING, extra or MISSING))
        body.append(table("Jeux de données utilisés",
                          [Column("Jeu de données"), Column("Producteur"), Column("Licence"),
                           Column("Date"), Column("Adresse"), Column("Compléments")], rows))
    else:
        body.append(para("Aucune description des jeux de données n'a été fournie : "
                         "documenter producteurs et licences avant diffusion."))
    counts: Counter[str] = Counter()
    dates: dict[str, set[str]] = {}
    for source, date in zip(result.services["source"], result.services["data_date"],
                            strict=True):
        for one in str(source).split(PROVENANCE_SEP):
            one = one.strip() or "non renseignée"
            counts[one] += 1
            dates.setdefault(one, set()).update(
                d.strip() for d in str(date).split(PROVENANCE_SEP) if d.strip())
    rows = [(source, fmt_number(n), ", ".join(sorted(dates[source])[:5]) or MISSING,
             _licence_for(source, result.provenance))
            for source, n in sorted(counts.items())]
    body.append(table("Sources des services retenus (un service fusionné compte pour chacune "
                      "de ses sources)",
                      [Column("Source"), Column("Services", True), Column("Date des données"),
                       Column("Licence")], rows))
    body.append(para(f"Communes : {result.territory.source}."))
    return section("sources", "Sources des données et licences", *body)


def _method(result: DiagnosticResult, thresholds: list[tuple[float, str]]) -> Markup:
    access = result.options.access or AccessParams()
    limits = ", ".join(f"{fmt_threshold(m)}" for m, _ in thresholds)
    items = [
        "Origine des trajets : la mairie de chaque commune (méthode des chefs-lieux de "
        "l'INSEE), portant toute la population de la commune"
        + (f" ({result.territory.origin_method})." if result.territory.origin_method
           not in ("", "mairie") else "."),
        result.network_note,
        "Les points (mairies, services) sont rattachés au nœud du réseau le plus proche ; "
        f"ce trajet hors réseau est compté à vol d'oiseau à "
        f"{fmt_number(access.access_speed_kmh, 1)} km/h. Au-delà de "
        f"{fmt_number(access.max_snap_m)} m du réseau, le point est inaccessible.",
        "Temps d'une catégorie : le plus court trajet vers le service le plus proche de "
        "cette catégorie (sous-catégories comprises).",
        "Temps d'un panier : moyenne des temps de ses catégories (méthode INSEE). Un "
        "panier est incomplet, donc non calculé, si l'une de ses catégories n'a aucun "
        "service dans l'inventaire.",
        "Déciles pondérés par la population : le décile Dk est le plus petit temps t tel "
        "que la population qui atteint le service en au plus t représente au moins k/10 "
        "de la population. Les personnes sans accès comptent pour un temps infini : "
        "elles sont au-delà de tous les seuils et un décile qui tombe sur elles est "
        "affiché « inaccessible », jamais comme un nombre.",
        f"Seuils de temps : {limits} minutes.",
        "Cartes : classes de 0 à 5, 5 à 10, 10 à 20, 20 à 30 et plus de "
        f"{fmt_threshold(CLASS_BREAKS_MIN[-1])} minutes (bornes supérieures incluses).",
    ]
    return section("methode", "Méthode", bullet_list(items))


def _timings(result: DiagnosticResult, map_seconds: float) -> Markup:
    rows = [(step, fmt_number(seconds, 2)) for step, seconds in result.timings_s.items()]
    rows.append(("cartes du rapport", fmt_number(map_seconds, 2)))
    return section("temps-calcul", "Temps de calcul", table(
        "Durée de chaque étape", [Column("Étape"), Column("Secondes", True)], rows))


NAV = [("chiffres-cles", "Chiffres clés"), ("synthese", "Synthèse des temps d'accès"),
       ("cartes", "Cartes"), ("epci", "Par EPCI"),
       ("communes-eloignees", "Communes les plus éloignées"),
       ("communes", "Temps d'accès par commune"),
       ("donnees-manquantes", "Données manquantes"), ("avertissements", "Avertissements"),
       ("services-ecartes", "Services écartés"), ("sources", "Sources et licences"),
       ("methode", "Méthode"), ("temps-calcul", "Temps de calcul")]


def render_report(result: DiagnosticResult, *, today: dt.date | None = None,
                  analysis: object | None = None) -> str:
    """The whole page as a string (the function tests and notebooks can call).

    ``analysis`` (an :class:`~proximite.analysis.diagnosis.AnalysisResult`) adds the
    diagnosis sections: profiles, poles, deficit zones, potential accessibility, scenario.
    """
    today = today or dt.date.today()
    extra: list[str] = []
    nav_items = list(NAV)
    if analysis is not None:
        from proximite.report_analysis import NAV_ANALYSIS, analysis_sections

        note = MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""
        extra = analysis_sections(result, analysis, note)  # type: ignore[arg-type]
        nav_items[5:5] = NAV_ANALYSIS
    thresholds = _thresholds(result.indicators)
    baskets = _targets(result, "basket")
    categories = _targets(result, "category")
    basket_data = [t for t in baskets if t.has_data]
    # main categories = top-level ones (La Poste, not each kind of post office)
    main_categories = [t for t in categories if t.has_data
                       and not result.catalogue.categories[t.code].parent][:MAX_CATEGORY_MAPS]
    mapped = basket_data + main_categories
    maps_html, map_seconds = _maps(result, mapped)
    name = result.territory.name
    title = f"Accès aux services — {name}"
    nav = ('<nav aria-label="Sommaire"><h2 id="sommaire">Sommaire</h2><ol>'
           + "".join(f'<li><a href="#{anchor}">{esc(label)}</a></li>'
                     for anchor, label in nav_items)
           + "</ol></nav>")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        f"<script>{PRINT_SCRIPT}</script>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="subtitle">Diagnostic d\'accessibilité des services (SDAASP) produit '
        f"le {esc(fmt_date_fr(today))} par Proximité {esc(__version__)}.</p>",
        _stand_in_notice(result),
        "</header>",
        nav,
        "<main>",
        _key_figures(result),
        _summary(result, baskets, categories, thresholds),
        maps_html,
        _epci(result, mapped, thresholds),
        _slowest(result, basket_data),
        *extra,
        _commune_table(result, mapped),
        _missing(result, categories),
        _warnings(result),
        _rejected(result),
        _provenance(result),
        _method(result, thresholds),
        _timings(result, map_seconds),
        "</main>",
        f"<footer><p>Proximité {esc(__version__)} — observatoire de l'accès aux services. "
        "Page autonome : elle s'ouvre sans connexion.</p></footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_report(result: DiagnosticResult, path: Path, *,
                 analysis: object | None = None) -> Path:
    """Write ``report.html`` (self-contained, UTF-8) and return its path."""
    path = Path(path)
    path.write_text(render_report(result, analysis=analysis), encoding="utf-8")
    return path
