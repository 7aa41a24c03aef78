"""The planning report (``plan_report.html``): siting models, the itinerant tour and the
side-by-side comparison of the plans, self-contained like the diagnostic report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from proximite.io.tours import write_icalendar, write_timetable_csv
from proximite.report.blocks import (
    Block,
    Cell,
    Column,
    Figure,
    Link,
    Notice,
    Para,
    Section,
    Table,
    bullets,
    section,
)
from proximite.report.formatting import (
    fmt_date,
    fmt_minutes,
    fmt_number,
    fmt_share,
    fmt_threshold,
)
from proximite.report.render import render_page
from proximite.report.targets import MAP_STAND_IN_NOTE
from proximite.report.tour_map import tour_map_png

if TYPE_CHECKING:
    from proximite.model import DiagnosticResult
    from proximite.planning.run import PlanningResult
    from proximite.planning.siting import SitingResult


def _gap(model: SitingResult) -> str:
    if model.gap_rel is None:
        return f"non disponible ({model.gap_source})"
    return f"{fmt_share(model.gap_rel)} ({model.gap_source})"


def _siting(result: DiagnosticResult, planning: PlanningResult) -> Section:
    options = planning.options
    label = result.catalogue.categories[options.category].label
    candidate_table = planning.candidates.table
    names = candidate_table.set_index("candidate_id")["name"]
    lscp, mclp = planning.lscp, planning.mclp
    rows: list[list[Cell]] = [
        ["LSCP : nombre minimal de sites pour tous à moins de "
         f"{fmt_number(options.cutoff_min)} min", len(lscp.selected),
         fmt_share(lscp.covered_share), lscp.status, _gap(lscp),
         f"{fmt_number(lscp.solve_time_s, 2)} s"],
        [f"MCLP : {options.k_new} nouveaux sites, sites existants conservés",
         len(mclp.selected), fmt_share(mclp.covered_share), mclp.status, _gap(mclp),
         f"{fmt_number(mclp.solve_time_s, 2)} s"],
    ]
    body: list[Block] = [
        Para(f"{label} : {int((~candidate_table['existing']).sum())} nouveaux sites "
             "candidats (" + ("fichier fourni" if options.candidates_csv else
                              "les mairies des communes") + f") et "
             f"{int(candidate_table['existing'].sum())} sites "
             f"existants de l'inventaire (dont {planning.existing_in_territory} dans le "
             "territoire) ; temps sur le réseau, de chaque mairie vers le site. Résolution "
             "exacte (programme linéaire en nombres entiers, solveur CBC)."),
        Table("Modèles de localisation", [
            Column("modèle"), Column("sites", True), Column("population couverte", True),
            Column("statut"), Column("écart d'optimalité"), Column("temps de calcul")], rows),
        Para("LSCP — sites retenus : " + ", ".join(
            str(names.get(s, s)) for s in lscp.selected) + "."),
        Para("MCLP — nouveaux sites proposés : " + ", ".join(
            str(names.get(s, s)) for s in mclp.selected_new) + "."),
    ]
    if mclp.population_covered >= mclp.population_total - 1e-9 and mclp.selected_new:
        body.append(Para(
            f"Les sites existants couvrent déjà toute la population à moins de "
            f"{fmt_number(options.cutoff_min)} min : les {options.k_new} nouveaux sites ne "
            "changent pas la couverture à ce seuil ; leur effet sur les temps figure dans "
            "la comparaison des plans."))
    return section("localisation", "Où ouvrir des sites", *body)


def _tours(result: DiagnosticResult, planning: PlanningResult) -> Section:
    tours = planning.tours
    if tours is None:
        return section("tournees", "Tournée itinérante", Para("Pas de tournée."))
    options = planning.options
    note = MAP_STAND_IN_NOTE if result.graph.is_stand_in else ""
    png = tour_map_png(tours, "Tournée du bus itinérant", note=note)
    timetable = tours.timetable
    alt = (f"Carte des tournées du bus : {len(timetable)} arrêts sur "
           f"{options.days_per_week} jours ; le détail est dans le tableau des horaires.")
    return section(
        "tournees", "Tournée itinérante",
        Para(f"{options.n_vehicles} véhicule(s), {options.days_per_week} jours par semaine, "
             f"journées de {fmt_number(options.day_length_min / 60, 1)} h, arrêts de "
             f"{fmt_number(options.service_time_min)} min ; arrêts choisis pour servir le "
             f"plus de personnes à moins de {fmt_number(options.coverage_min)} min d'un "
             "arrêt, en favorisant celles éloignées des sites fixes (solveur PyVRP). "
             f"Population servie : {fmt_number(tours.population_served)} habitants."),
        Figure(png, alt, "Tournées", Link("#table-horaires", "horaires")),
        Table("Horaires hebdomadaires", [
            Column("jour"), Column("ordre", True), Column("commune"), Column("arrivée"),
            Column("départ"), Column("trajet (min)", True),
            Column("population à moins de " + fmt_number(options.coverage_min) + " min",
                   True)],
            [[r.weekday, r.order, r.name, r.arrival, r.departure, r.travel_min,
              fmt_number(r.population_within)]
             for r in cast(Iterable[Any], timetable.itertuples())],
            header_column=None, table_id="table-horaires"))


def _comparison(result: DiagnosticResult, planning: PlanningResult) -> Section:
    thresholds = result.options.indicators.thresholds_min
    columns = [Column("plan"), Column("sites ou arrêts ouverts", True),
               Column("médiane", True), Column("D9", True)]
    columns += [Column(f"pop. > {fmt_threshold(t)} min", True) for t in thresholds]
    columns.append(Column("population dont le temps baisse", True))
    columns += [Column("arrêts du bus", True), Column("médiane jusqu'à un arrêt", True),
                Column("jours de passage par mois", True)]
    rows: list[list[Cell]] = []
    for r in planning.comparison.to_dict("records"):
        stops = r.get("stops_opened")
        rows.append([r["plan"], r["sites_or_stops_opened"], fmt_minutes(r["median_min"]),
                     fmt_minutes(r["d9_min"]),
                     *[fmt_number(r[f"pop_over_{t:g}"]) for t in thresholds],
                     fmt_number(r["population_with_shorter_time"]),
                     fmt_number(stops), fmt_minutes(r.get("stop_median_min")),
                     fmt_number(r.get("stop_days_per_month"), 1)])
    return section("comparaison", "Comparaison des plans", Para(
        "Indicateurs du territoire aujourd'hui et avec chaque plan (mêmes calculs que le "
        "diagnostic). Comme dans le diagnostic, un arrêt du bus n'est jamais compté comme un "
        "site permanent : il ne change pas la médiane ni la population au-delà des seuils. "
        "Les trois dernières colonnes donnent son propre indicateur, « accès à une "
        "permanence itinérante » : la médiane du temps jusqu'à l'arrêt le plus proche et "
        "le nombre moyen de jours de passage par mois (d'après la tournée)."),
        Table("Comparaison des plans", columns, rows))


def render_planning_report(result: DiagnosticResult, planning: PlanningResult, *,
                           today: dt.date | None = None) -> str:
    """The whole planning page as a string."""
    today = today or dt.date.today()
    notices = [Notice(result.network_note)] if result.graph.is_stand_in else []
    timings = [f"{name} : {fmt_number(s, 2)} s" for name, s in planning.timings_s.items()]
    sections = [
        _siting(result, planning), _tours(result, planning), _comparison(result, planning),
        section("avertissements", "Avertissements",
                bullets(dict.fromkeys(planning.warnings)) if planning.warnings
                else Para("Aucun.")),
        section("temps-calcul", "Temps de calcul", bullets(timings)),
    ]
    return render_page("plan_report.html.j2",
                       title=f"Plans d'implantation — {result.territory.name}",
                       today=fmt_date(today), notices=notices, nav=[], sections=sections)


def write_planning_outputs(result: DiagnosticResult, planning: PlanningResult,
                           out_dir: str | Path) -> dict[str, Path]:
    """``plan_report.html``, the comparison and siting tables, timetable CSV and iCalendar."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    report = out / "plan_report.html"
    report.write_text(render_planning_report(result, planning), encoding="utf-8")
    written["report"] = report
    planning.comparison.to_csv(out / "plan_comparison.csv", index=False)
    written["comparison"] = out / "plan_comparison.csv"
    for name, model in (("lscp", planning.lscp), ("mclp", planning.mclp)):
        model.assignment.to_csv(out / f"siting_{name}.csv", index=False)
        written[name] = out / f"siting_{name}.csv"
    if planning.tours is not None:
        written["timetable"] = write_timetable_csv(planning.tours, out / "tour_timetable.csv")
        today = dt.date.today()
        monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
        written["ical"] = write_icalendar(planning.tours, out / "tour.ics", monday)
    return written
