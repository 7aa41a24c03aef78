"""Sections that say where the figures come from and how they were made: warnings,
rejected rows, data sources and licences, method, computing times."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from proximite.access import AccessParams
from proximite.inventory.schema import LOCATION_COMMUNE, PROVENANCE_SEP, rejected_rows
from proximite.report.blocks import (
    Block,
    Cell,
    Column,
    Details,
    Link,
    Para,
    Section,
    Table,
    bullets,
    section,
)
from proximite.report.formatting import MISSING, fmt_number, fmt_threshold
from proximite.report.maps import CLASS_BREAKS_MIN
from proximite.report.targets import file_name

if TYPE_CHECKING:
    from proximite.errors import Rejection
    from proximite.model import DiagnosticResult

MAX_REJECTED_ROWS = 50
WARNINGS_IN_DETAILS_FROM = 10
MAX_VALUE_CHARS = 100
NOT_GIVEN = "non renseignée"


def warnings(result: DiagnosticResult) -> Section:
    title = "Avertissements"
    if not result.warnings:
        return section("avertissements", title, Para("Aucun avertissement."))
    items: Block = bullets(result.warnings)
    if len(result.warnings) >= WARNINGS_IN_DETAILS_FROM:
        items = Details(f"Les {len(result.warnings)} avertissements", [items])
    return section("avertissements", title, items)


def rejected(rejections: list[Rejection]) -> Section:
    """The rows of the service files that were not used, by reason then in detail."""
    title = "Services écartés"
    if not rejections:
        return section("services-ecartes", title,
                       Para("Aucune ligne de service n'a été écartée."))
    by_reason: Counter[str] = Counter()
    for rejection in rejections:
        by_reason[rejection.reason] += getattr(rejection, "rows", 1)
    shown = rejections[:MAX_REJECTED_ROWS]
    rows: list[list[Cell]] = [
        [file_name(r.path), "" if r.line is None else str(r.line), r.field or "",
         _shorten(r.value), r.reason] for r in shown]
    detail_table = Table(
        f"Les {len(shown)} premières lignes écartées",
        [Column("Fichier"), Column("Ligne", True), Column("Champ"), Column("Valeur"),
         Column("Motif")], rows)
    return section(
        "services-ecartes", title,
        Para(f"{fmt_number(rejected_rows(rejections))} lignes des fichiers de services "
             "n'ont pas été utilisées (liste complète : rejected_services.csv ; les lignes "
             "d'un même code d'équipement inconnu y sont regroupées, avec leur nombre)."),
        Table("Services écartés par motif", [Column("Motif"), Column("Lignes", True)],
              [[reason, fmt_number(n)] for reason, n in by_reason.most_common()]),
        Details(f"Détail des {len(shown)} premières lignes écartées", [detail_table]))


def _shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Keep table cells readable when a rejected value is a whole line of text."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]{4,}", text.lower()))


def licence_for(source: str, provenance: list[dict[str, str]]) -> str:
    """Licence of the provenance entry that best matches a service source's words."""
    words = _words(source)
    best, score = "", 0
    for entry in provenance:
        overlap = len(words & _words(f"{entry.get('dataset', '')} {entry.get('producer', '')}"))
        if overlap > score:
            best, score = entry.get("licence", ""), overlap
    return best if best and score >= min(2, len(words)) else NOT_GIVEN


def sources(result: DiagnosticResult) -> Section:
    body: list[Block] = []
    known = ("dataset", "producer", "licence", "date", "url")
    if result.provenance:
        rows: list[list[Cell]] = []
        for entry in result.provenance:
            url = entry.get("url", "")
            link: Cell = (Link(url, url) if url.startswith(("http://", "https://"))
                          else url or MISSING)
            extra = "; ".join(f"{k} : {v}" for k, v in entry.items() if k not in known)
            rows.append([entry.get("dataset", MISSING), entry.get("producer", MISSING),
                         entry.get("licence", NOT_GIVEN), entry.get("date", MISSING),
                         link, extra or MISSING])
        body.append(Table("Jeux de données utilisés",
                          [Column("Jeu de données"), Column("Producteur"), Column("Licence"),
                           Column("Date"), Column("Adresse"), Column("Compléments")], rows))
    else:
        body.append(Para("Aucune description des jeux de données n'a été fournie : "
                         "documenter producteurs et licences avant diffusion."))
    counts: Counter[str] = Counter()
    dates: dict[str, set[str]] = {}
    for source, date in zip(result.services["source"], result.services["data_date"],
                            strict=True):
        for one in str(source).split(PROVENANCE_SEP):
            one = one.strip() or NOT_GIVEN
            counts[one] += 1
            dates.setdefault(one, set()).update(
                d.strip() for d in str(date).split(PROVENANCE_SEP) if d.strip())
    source_rows: list[list[Cell]] = [
        [source, fmt_number(n), ", ".join(sorted(dates[source])[:5]) or MISSING,
         licence_for(source, result.provenance)] for source, n in sorted(counts.items())]
    body.append(Table("Sources des services retenus (un service fusionné compte pour chacune "
                      "de ses sources)",
                      [Column("Source"), Column("Services", True), Column("Date des données"),
                       Column("Licence")], source_rows))
    body.extend(at_town_hall(result))
    body.append(Para(f"Communes : {file_name(result.territory.source)}."))
    return section("sources", "Sources des données et licences", *body)


def at_town_hall(result: DiagnosticResult) -> list[Block]:
    """Which services are placed at their commune's town hall (``location_precision =
    commune``: a source that counts equipment per commune, the BPE), by category: their
    time is the time to the town hall, which the reader must know to read it."""
    services = result.services
    if "location_precision" not in services.columns:
        return []
    at_hall = services[services["location_precision"] == LOCATION_COMMUNE]
    if not len(at_hall):
        return [Para("Tous les services retenus sont localisés à leur adresse ; aucun "
                     "n'est placé à la mairie faute de localisation.")]
    catalogue = result.catalogue
    counts: Counter[str] = Counter(at_hall["category"].astype(str))
    totals: Counter[str] = Counter(services["category"].astype(str))
    rows: list[list[Cell]] = [
        [catalogue.label(code), fmt_number(n),
         fmt_number(totals[code])]
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    sources_at_hall = sorted({one.strip() for source in at_hall["source"]
                              for one in str(source).split(PROVENANCE_SEP) if one.strip()})
    return [
        Para(f"{fmt_number(len(at_hall))} des {fmt_number(len(services))} services retenus "
             "ne sont connus que par leur commune (source"
             + ("s" if len(sources_at_hall) > 1 else "") + " "
             + ", ".join(f"« {name} »" for name in sources_at_hall) + ") : "
             "ils sont placés à la mairie (précision de localisation « commune »), et le "
             "temps d'accès à ces services est le temps jusqu'à la mairie de leur commune."),
        Table("Services placés à la mairie de leur commune, par catégorie",
              [Column("Catégorie"), Column("Placés à la mairie", True),
               Column("Services de la catégorie", True)], rows)]


def method(result: DiagnosticResult, limits: list[tuple[float, str]]) -> Section:
    access = result.options.access or AccessParams()
    listed = ", ".join(fmt_threshold(m) for m, _ in limits)
    origin_method = result.territory.origin_method
    items = [
        "Origine des trajets : la mairie de chaque commune (méthode des chefs-lieux de "
        "l'INSEE), portant toute la population de la commune"
        + (f" ({origin_method})." if origin_method not in ("", "mairie") else "."),
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
        f"Seuils de temps : {listed} minutes.",
        "Cartes : classes de 0 à 5, 5 à 10, 10 à 20, 20 à 30 et plus de "
        f"{fmt_threshold(CLASS_BREAKS_MIN[-1])} minutes (bornes supérieures incluses).",
    ]
    return section("methode", "Méthode", bullets(items))


def timings(result: DiagnosticResult, map_seconds: float) -> Section:
    rows: list[list[Cell]] = [[step, fmt_number(seconds, 2)]
                              for step, seconds in result.timings_s.items()]
    rows.append(["cartes du rapport", fmt_number(map_seconds, 2)])
    return section("temps-calcul", "Temps de calcul", Table(
        "Durée de chaque étape", [Column("Étape"), Column("Secondes", True)], rows))
