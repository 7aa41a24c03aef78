"""``proximite copil``: the steering committee's pack of a plan's review (HTML and PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from proximite.cli.common import console, out_console, user_errors
from proximite.cli.options import date_option
from proximite.cli.store import ConfigFile, DatabaseUrl
from proximite.errors import InputError


def _run_option(value: str) -> tuple[str, Path]:
    """``LABEL=PATH`` or ``PATH`` (labelled by its folder's name)."""
    label, sep, path = value.partition("=")
    if sep and label and not Path(value).exists():
        return label, Path(path)
    run = Path(value)
    return (run.parent.name if run.suffix == ".gpkg" else run.name) or str(run), run


def copil(
    plan: Annotated[str, typer.Option(
        help="Plan : fichier YAML, ou id d'un plan livré (allier-sdaasp-2018-2023, "
             "cantal-sdaasp-2018-2023, lozere-sdaasp-2016-2022, "
             "allier-plan-numerique-2019-2021)")],
    review: Annotated[str, typer.Option(
        help="Date de la revue (comité de pilotage), AAAA-MM-JJ")],
    run: Annotated[list[str] | None, typer.Option(
        help="Diagnostic enregistré (dossier de `proximite diagnostic` ou son "
             "diagnostic.gpkg), option répétable, du plus ancien au plus récent ; "
             "ÉTIQUETTE=CHEMIN pour le nommer (ex. 2024-01=diag-2024)")] = None,
    indicators: Annotated[Path | None, typer.Option(
        "--indicateurs", help="Fichier d'indicateurs calculés (plan:, indicators:) "
                              "\\[défaut : celui du plan livré, s'il existe]")] = None,
    out: Annotated[Path, typer.Option(help="Dossier de sortie")] = Path("copil"),
    pdf: Annotated[bool, typer.Option("--pdf/--sans-pdf",
                                      help="Écrire aussi copil.pdf")] = True,
    from_store: Annotated[bool, typer.Option(
        "--depuis-base", help="Lire le plan, ses revues et ses valeurs déclarées dans la "
                              "base (saisies du géoportail) : --plan est alors l'id du "
                              "plan en base")] = False,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
) -> None:
    """Dossier du comité de pilotage : avancement du plan, indicateurs, cartes (HTML, PDF).

    Écrit copil.html et copil.pdf : avancement par axe, changements depuis la revue
    précédente, indicateurs et leur évolution sur les diagnostics enregistrés, cartes du
    dernier diagnostic, détail de chaque action, programme de travail.
    """
    from proximite.io.plans import read_indicators, read_plan, shipped_indicators
    from proximite.outdir import atomic_output_dir
    from proximite.plans.progress import with_computed
    from proximite.report.copil import COPIL_FILES, SavedRun, write_copil
    from proximite.saved import load_diagnostic

    with user_errors():
        date = date_option("--review", review)
        if from_store:
            from proximite.cli.suivi import factory
            from proximite.store.plans import load_plan

            with factory(database_url, config)() as session:
                the_plan, _ = load_plan(session, plan)
        else:
            if database_url is not None or config is not None:
                raise InputError("--database-url et --config ne servent qu'avec "
                                 "--depuis-base")
            the_plan = read_plan(plan)
        extra = indicators if indicators is not None else shipped_indicators(the_plan.id)
        if extra is not None:
            added = read_indicators(the_plan, extra)
            console.print(f"Indicateurs calculés de {extra.name} : {len(added)}",
                          highlight=False)
        if date not in the_plan.reviews:
            known = ", ".join(d.isoformat() for d in the_plan.reviews) or "aucune"
            raise InputError(f"aucune revue datée du {date.isoformat()} dans ce plan "
                             f"(revues : {known})", path=str(plan))
        runs = []
        for value in run or []:
            label, path = _run_option(value)
            with console.status(f"lecture du diagnostic {label}…"):
                result = load_diagnostic(path)
            name = the_plan.territory_name
            if name and name.lower() not in result.territory.name.lower():
                console.print(f"[yellow]Attention :[/] le diagnostic « {label} » porte sur "
                              f"{result.territory.name}, le plan sur {name}.",
                              highlight=False, soft_wrap=True)
            runs.append(SavedRun(label, result))
        notes = with_computed(the_plan, [(r.label, r.result.indicators) for r in runs],
                              digital={r.label: r.result.digital for r in runs})
        with atomic_output_dir(out, command="copil", patterns=COPIL_FILES) as (folder, _), \
                console.status("dossier du comité…"):
            written = write_copil(the_plan, date, runs, notes, folder, pdf=pdf)
    for note in notes:
        console.print(f"[yellow]Attention :[/] {note}", highlight=False, soft_wrap=True)
    out_console.print(f"Dossier du comité du {date.isoformat()} écrit dans [bold]{out}[/] : "
                      + ", ".join(p.name for p in written.values()))


COMMANDS = {"copil": copil}
