"""What every command shares: the consoles, the one-line error exit, French number format."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from proximite.errors import ProximiteError
from proximite.model import DiagnosticResult

console = Console(stderr=True)  # progress, warnings, errors
out_console = Console()  # results


def fail(exc: Exception) -> None:
    """One red line, exit code 2, never a traceback."""
    console.print(f"[bold red]Erreur :[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def interrupted(exc: Exception) -> None:
    """Ctrl-C: say what was kept, exit 130 like any program stopped by SIGINT."""
    console.print(f"[bold yellow]Interrompu :[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=130)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can fix (bad file, bad value, unreadable path) into :func:`fail`,
    and an interrupted run into :func:`interrupted`."""
    from proximite.outdir import RunInterrupted

    try:
        yield
    except RunInterrupted as exc:
        interrupted(exc)
    except (ProximiteError, ValueError, OSError) as exc:
        fail(exc)


WARNINGS_SHOWN = 5


def format_min(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}".replace(".", ",")


def format_count(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.0f}".replace(",", " ")


def print_run_notes(result: DiagnosticResult) -> None:
    """Which defaults the run used (the demo's, or the library's on the demo's files) and
    the stand-in warning: said on every command that ran a diagnostic."""
    if result.defaults_note:
        console.print(f"[bold]Réglages :[/] {result.defaults_note}", highlight=False,
                      soft_wrap=True)
    if result.graph.is_stand_in:
        console.print(f"[bold yellow]Attention :[/] {result.network_note}", soft_wrap=True)


def print_warnings(result: DiagnosticResult, *, report: bool = True) -> None:
    """The run's first warnings (the notes above apart), then how many more, and where the
    full list is (the report, else the run layer of the GeoPackage)."""
    said = {result.network_note.lower(), result.defaults_note.lower()}
    warnings = [w for w in result.warnings if w.lower() not in said]
    for warning in warnings[:WARNINGS_SHOWN]:
        console.print(f"[yellow]Attention :[/] {warning}", highlight=False, soft_wrap=True)
    if len(warnings) > WARNINGS_SHOWN:
        where = "report.html" if report else "la couche « run » de diagnostic.gpkg"
        more = len(warnings) - WARNINGS_SHOWN
        others = "autre avertissement" if more == 1 else "autres avertissements"
        console.print(f"[yellow]… et {more} {others} "
                      f"(liste complète dans {where})[/]", highlight=False, soft_wrap=True)
