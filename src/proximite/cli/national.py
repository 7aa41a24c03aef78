"""``proximite diagnostic --france``: every commune of France, on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from proximite.cli.common import console, out_console, print_warnings, user_errors
from proximite.report.formatting import fmt_number
from proximite.settings import Settings


def run_france(settings: Settings, out: Path, *, report: bool) -> None:
    """Run the national diagnostic, write its outputs into ``out`` and print a summary."""
    from proximite.distributed import DaskAccess
    from proximite.outdir import atomic_output_dir
    from proximite.outputs import DIAGNOSTIC_FILES, write_output_files
    from proximite.outputs_france import (
        NATIONAL_FILES,
        france_services_summary,
        write_national_files,
    )
    from proximite.pipeline import run_national, timed

    national_settings = settings.national
    work_dir = national_settings.work_dir or out.with_name(out.name + ".travail")
    with user_errors(), atomic_output_dir(out, command="diagnostic",
                           patterns=(*DIAGNOSTIC_FILES, *NATIONAL_FILES)) as (
            folder, run_id), \
                Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                     MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                     transient=False) as progress:
        current: dict[str, TaskID] = {}

        def step(name: str) -> None:
            for task_id in current.values():
                progress.update(task_id, completed=1, total=1)
            current[name] = progress.add_task(name, total=None)

        blocks = progress.add_task("blocs (catégorie × départements)", total=None,
                                   visible=False)

        def block_done(done: int, total: int, key: str) -> None:
            progress.update(blocks, completed=done, total=total, visible=True)

        runner = DaskAccess(
            departements_per_block=national_settings.departements_per_block,
            margin_m=national_settings.block_margin_km * 1000.0, work_dir=work_dir,
            scheduler=national_settings.scheduler, workers=national_settings.workers,
            memory_limit=national_settings.memory_limit, progress=block_done)
        runner.start()  # the workers start while the inputs are read
        try:
            national = run_national(settings, step=step, access_times=runner)
        finally:
            runner.close()  # the LocalCluster's processes: their memory is not kept
            if runner.client is not None and not national_settings.scheduler:
                runner.client.close()
        timings = national.result.timings_s
        write_step = "écriture GeoPackage et CSV" + (" et rapport" if report else "")
        with timed(timings, write_step, step):
            written = write_output_files(national.result, folder, run_id, report=report)
        with timed(timings, "tableaux nationaux et cartes", step):
            written |= write_national_files(national, folder)
        step("terminé")
    result = national.result
    print_warnings(result, report=False)
    from proximite.cli.diagnostic import print_summary

    print_summary(result)
    out_console.print(france_services_summary(national), soft_wrap=True)
    where = (f"ordonnanceur {national_settings.scheduler}" if national_settings.scheduler
             else f"LocalCluster de {national_settings.workers} processus")
    memory = ", ".join(f"{fmt_number(mb)} Mo" for mb in runner.worker_memory_mb.values())
    out_console.print(
        f"Dask ({where}) : {runner.computed} bloc(s) calculé(s), {runner.reused} repris du "
        f"dossier de travail {work_dir}" + (f" ; mémoire maximale des workers : {memory}"
                                           if memory else ""), soft_wrap=True)
    if not report:
        out_console.print("Pas de report.html pour la France : ses cartes et tableaux par "
                          "commune ne tiennent pas sur une page pour 35 000 communes ; "
                          "departements.csv, le contrôle France Services et les cartes "
                          "carte_*.png en tiennent lieu.", soft_wrap=True)
    out_console.print(step_durations(result.timings_s), soft_wrap=True)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : "
                      + ", ".join(p.name for p in dict.fromkeys(written.values())),
                      soft_wrap=True)


def step_durations(timings_s: dict[str, float]) -> str:
    """One line of every step's wall time, to know where a national run's minutes go."""
    steps = " ; ".join(f"{name} {fmt_number(seconds, 1)}" for name, seconds in timings_s.items())
    return f"Durées (s) : {steps} ; total {fmt_number(sum(timings_s.values()), 1)}"
