"""``proximite scenario``: close or open services, slow roads; before/after comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from proximite.cli.common import console, format_count, out_console, print_run_notes, user_errors
from proximite.cli.options import TerritoryInputs, territory_inputs
from proximite.errors import ProximiteError
from proximite.model import DiagnosticResult, ScenarioResult

SCENARIO_FILES = ("scenario_comparison.csv", "scenario_thresholds.csv")


def parse_speed_factors(values: list[str]) -> dict[str, float]:
    """``CLASSE=FACTEUR`` pairs (``primary=0.8``) as a dict, with a clear error otherwise."""
    factors: dict[str, float] = {}
    for item in values:
        code, sep, raw = item.partition("=")
        try:
            factor = float(raw.replace(",", "."))
        except ValueError:
            factor = float("nan")
        if not sep or not code.strip() or factor != factor:
            raise ProximiteError(f"--speed-factor {item} : attendu CLASSE=FACTEUR, par exemple "
                                 "primary=0.8 (0,8 = 20 % plus lent)")
        factors[code.strip()] = factor
    return factors


@territory_inputs
def scenario(
    inputs: TerritoryInputs,
    close_service: Annotated[list[str] | None, typer.Option(
        help="Fermer ce service (service_id, option répétable)")] = None,
    close_category: Annotated[list[str] | None, typer.Option(
        help="Fermer tous les services de cette catégorie et de ses sous-catégories "
             "(répétable)")] = None,
    close_commune: Annotated[list[str] | None, typer.Option(
        help="Fermer tous les services situés dans cette commune (code INSEE, "
             "répétable)")] = None,
    open_file: Annotated[Path | None, typer.Option(
        "--open", help="Services à ouvrir : CSV category,lon,lat[,name]")] = None,
    speed_factor: Annotated[list[str] | None, typer.Option(
        help="Facteur de vitesse d'une classe de routes CLASSE=FACTEUR (répétable ; 0,8 = "
             "20 % plus lent)")] = None,
    out: Annotated[Path, typer.Option(help="Dossier de sortie")] = Path("scenario"),
) -> None:
    """Et si des services fermaient ou ouvraient, ou si les routes ralentissaient ?

    Lance le diagnostic (par défaut : la démo de la Lozère), puis le scénario, et compare
    avant et après. Sans changement demandé : la fermeture exemple (le bureau de poste le
    plus proche pour le plus d'habitants).
    """
    from proximite.analysis.scenario import Scenario, make_example_closure, run_scenario
    from proximite.io.tables import read_open_services
    from proximite.outdir import atomic_output_dir
    from proximite.pipeline import run_diagnostic

    with user_errors():
        settings = inputs.settings()
        factors = parse_speed_factors(speed_factor or [])
        opened = read_open_services(open_file) if open_file is not None else None
        with console.status("diagnostic…"):
            result = run_diagnostic(inputs.files(), settings=settings)
        plan = Scenario(close_service_ids=close_service or [],
                        close_categories=close_category or [],
                        close_communes=close_commune or [],
                        open_services=opened, speed_factor_by_class=factors)
        if plan.is_empty():
            try:
                plan = make_example_closure(result)
            except ProximiteError as exc:
                raise ProximiteError(f"{exc} ; donner un changement : --close-service, "
                                     "--close-category, --close-commune, --open ou "
                                     "--speed-factor") from exc
        outcome = run_scenario(result, plan)
        with atomic_output_dir(out, command="scenario", patterns=SCENARIO_FILES) as (
                folder, _):
            outcome.comparison.to_csv(folder / "scenario_comparison.csv", index=False)
            outcome.threshold_changes.to_csv(folder / "scenario_thresholds.csv", index=False)
    print_run_notes(result)
    print_scenario(result, outcome)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : scenario_comparison.csv, "
                      "scenario_thresholds.csv")


def print_scenario(result: DiagnosticResult, outcome: ScenarioResult) -> None:
    """Population newly beyond / no longer beyond each threshold, per category or basket."""
    scen = outcome.scenario
    title = scen.name or "Scénario"
    summary = []
    if outcome.closed_service_ids:
        summary.append(f"{len(outcome.closed_service_ids)} service(s) fermé(s)")
    if len(outcome.opened_services):
        summary.append(f"{len(outcome.opened_services)} service(s) ouvert(s)")
    if scen.speed_factor_by_class:
        summary.append("vitesses : " + ", ".join(
            f"{c} x{f:g}" for c, f in scen.speed_factor_by_class.items()))
    out_console.print(f"[bold]{title}[/] — " + ("; ".join(summary) or "aucun changement"),
                      soft_wrap=True)
    table = Table(title="Population au-delà des seuils : avant → après")
    for col in ("service / panier", "seuil (min)", "nouvellement au-delà",
                "plus au-delà", "solde"):
        table.add_column(col, justify="left" if col == "service / panier" else "right")
    changes = outcome.threshold_changes
    shown = changes[(changes["population_now_beyond"] > 0)
                    | (changes["population_no_longer_beyond"] > 0)]
    for _, row in shown.iterrows():
        code = row["category"]
        label = result.catalogue.titled_label(code, row["target_kind"])
        net = row["net"]
        table.add_row(label, f"{row['threshold']:g}", format_count(row["population_now_beyond"]),
                      format_count(row["population_no_longer_beyond"]),
                      ("+" if net > 0 else "") + format_count(net))
    if len(shown):
        out_console.print(table)
    else:
        out_console.print("Aucun changement de population au-delà des seuils "
                          f"({len(changes)} lignes, voir scenario_thresholds.csv).")
    out_console.print(f"Population dont le temps ou le statut change : "
                      f"{format_count(outcome.affected_population)}")
    for warning in outcome.warnings:
        console.print(f"[yellow]Attention :[/] {warning}", soft_wrap=True)


COMMANDS = {"scenario": scenario}
