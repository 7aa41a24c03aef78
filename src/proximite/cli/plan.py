"""``proximite plan``: where to open sites (LSCP, MCLP) and an itinerant tour."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from proximite.cli.common import (
    console,
    format_count,
    format_min,
    out_console,
    print_run_notes,
    user_errors,
)
from proximite.cli.options import DEFAULTS, TerritoryInputs, overrides, territory_inputs

_PLAN = DEFAULTS.planning
PLAN_FILES = ("plan_report.html", "plan_comparison.csv", "siting_*.csv", "tour_timetable.csv",
              "tour.ics")

#: option -> (settings key, factor from the option's unit to the setting's)
PLANNING_SETTING_OF: dict[str, tuple[str, float | None]] = {
    "category": ("planning.category", None),
    "cutoff_min": ("planning.cutoff_min", None),
    "k_new": ("planning.k_new", None),
    "depot": ("planning.depot_insee", None),
    "days_per_week": ("planning.days_per_week", None),
    "day_hours": ("planning.day_length_min", 60.0),
    "stop_min": ("planning.service_time_min", None),
    "tour_seconds": ("planning.tour_runtime_s", None),
    "candidates": ("planning.candidates_csv", None),
}


@territory_inputs
def plan(
    inputs: TerritoryInputs,
    out: Annotated[Path, typer.Option(help="Dossier de sortie")] = Path("plan"),
    category: Annotated[str | None, typer.Option(
        help=f"Catégorie à planifier \\[défaut : {_PLAN.category}]")] = None,
    cutoff_min: Annotated[float | None, typer.Option(
        help=f"Temps de couverture (min) \\[défaut : {_PLAN.cutoff_min:g}]")] = None,
    k_new: Annotated[int | None, typer.Option(
        help=f"Nouveaux sites pour le MCLP \\[défaut : {_PLAN.k_new}]")] = None,
    depot: Annotated[str | None, typer.Option(
        help="Code INSEE de la commune du dépôt du bus \\[défaut : la plus peuplée]")] = None,
    days_per_week: Annotated[int | None, typer.Option(
        help=f"Jours de tournée par semaine \\[défaut : {_PLAN.days_per_week}]")] = None,
    day_hours: Annotated[float | None, typer.Option(
        help=f"Durée d'une journée (h) \\[défaut : {_PLAN.day_length_min / 60:g}]")] = None,
    stop_min: Annotated[float | None, typer.Option(
        help=f"Temps passé à chaque arrêt (min) \\[défaut : {_PLAN.service_time_min:g}]")]
    = None,
    tour_seconds: Annotated[float | None, typer.Option(
        help=f"Temps de calcul des tournées (s) \\[défaut : {_PLAN.tour_runtime_s:g}]")] = None,
    candidates: Annotated[Path | None, typer.Option(
        help="Sites candidats, CSV candidate_id,lon,lat,name[,capacity] \\[défaut : les "
             "mairies]")] = None,
) -> None:
    """Où ouvrir des sites (LSCP, MCLP) et une tournée itinérante ; plans comparés.

    Sans données : la démo de la Lozère. Écrit plan_report.html, plan_comparison.csv,
    siting_*.csv, tour_timetable.csv, tour.ics.
    """
    from proximite.io.solver import cbc_with_log
    from proximite.io.tables import read_candidates
    from proximite.outdir import atomic_output_dir
    from proximite.pipeline import run_diagnostic
    from proximite.planning.run import run_planning
    from proximite.report import write_planning_outputs

    own: dict[str, Any] = {"category": category, "cutoff_min": cutoff_min, "k_new": k_new,
                           "depot": depot, "days_per_week": days_per_week,
                           "day_hours": day_hours, "stop_min": stop_min,
                           "tour_seconds": tour_seconds, "candidates": candidates}
    inputs.extra = overrides(own, PLANNING_SETTING_OF)
    with user_errors():
        settings = inputs.settings()
        options = settings.planning
        # Read before the diagnostic, so a bad file is reported at once.
        candidates_table = (read_candidates(options.candidates_csv)
                            if options.candidates_csv else None)
        with atomic_output_dir(out, command="plan", patterns=PLAN_FILES) as (folder, _), \
                console.status("diagnostic, localisation, tournées…"):
            result = run_diagnostic(inputs.files(), settings=settings)
            planning = run_planning(result, options, solver=cbc_with_log,
                                    candidates=candidates_table)
            written = {name: out / path.name for name, path in
                       write_planning_outputs(result, planning, folder).items()}
    print_run_notes(result)
    table = Table(title=f"Plans pour {options.category} — {result.territory.name}")
    for column in ("plan", "ouverts", "médiane (min)", "pop. > 20 min", "pop. > 30 min"):
        table.add_column(column)
    for row in planning.comparison.to_dict("records"):
        table.add_row(str(row["plan"]), str(row["sites_or_stops_opened"]),
                      format_min(row["median_min"]),
                      format_count(row.get("pop_over_20", float("nan"))),
                      format_count(row.get("pop_over_30", float("nan"))))
    out_console.print(f"LSCP : {len(planning.lscp.selected)} sites pour tous à moins de "
                      f"{options.cutoff_min:g} min ({planning.lscp.status}, "
                      f"{planning.lscp.solve_time_s:.2f} s) ; MCLP : "
                      f"{', '.join(planning.mclp.selected_new)}")
    out_console.print(table)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : "
                      + ", ".join(p.name for p in written.values()))


COMMANDS = {"plan": plan}
