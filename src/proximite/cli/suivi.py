"""``proximite suivi …``: action plans in the store (import a plan file, export it back,
its history). The database is the store's (``store.database_url``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from proximite.cli import FrenchCommand, FrenchGroup
from proximite.cli.common import console, out_console, user_errors
from proximite.cli.store import ConfigFile, DatabaseUrl, store_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

suivi_app = typer.Typer(cls=FrenchGroup, no_args_is_help=True, add_completion=False,
                        help="Plans d'action suivis dans la base : import, export, historique.")

PlanOption = Annotated[str, typer.Option(
    "--plan", help="Fichier de plan YAML, ou id d'un plan livré (allier-sdaasp-2018-2023…)")]


def factory(database_url: str | None, config: Path | None) -> sessionmaker[Session]:
    """The sessions of the store's database, refused when its schema is not current."""
    from proximite.store.db import database_url as url_of
    from proximite.store.db import is_up_to_date, make_engine, session_factory

    settings = store_settings(database_url, config)
    engine = make_engine(url_of(settings.store))
    if not is_up_to_date(engine):
        from proximite.errors import ProximiteError

        raise ProximiteError("la base n'est pas à jour : lancer d'abord `proximite store "
                             "upgrade`")
    return session_factory(engine)


@suivi_app.command("importer", cls=FrenchCommand)
def import_plan(plan: PlanOption, database_url: DatabaseUrl = None,
                config: ConfigFile = None) -> None:
    """Enregistrer un plan (fichier YAML ou plan livré) dans la base."""
    from proximite.io.plans import read_plan
    from proximite.store.db import transaction
    from proximite.store.plans import save_plan

    with user_errors():
        the_plan = read_plan(plan)
        with transaction(factory(database_url, config)) as session:
            save_plan(session, the_plan)
    out_console.print(f"Plan « {the_plan.id} » enregistré : {len(the_plan.items)} éléments, "
                      f"{len(the_plan.reviews)} revue(s), {len(the_plan.indicators)} "
                      "indicateur(s).", highlight=False)


@suivi_app.command("exporter", cls=FrenchCommand)
def export_plan(plan_id: Annotated[str, typer.Option("--plan", help="Id du plan en base")],
                out: Annotated[Path, typer.Option(help="Fichier YAML à écrire")],
                database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Écrire un plan de la base, avec ses revues et indicateurs, en YAML."""
    from proximite.io.plans import write_plan
    from proximite.store.plans import load_plan

    with user_errors():
        with factory(database_url, config)() as session:
            the_plan, _ = load_plan(session, plan_id)
        write_plan(the_plan, out)
    out_console.print(f"Plan « {plan_id} » écrit dans {out}.", highlight=False)


@suivi_app.command("historique", cls=FrenchCommand)
def plan_history(plan_id: Annotated[str, typer.Option("--plan", help="Id du plan en base")],
                 database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Lister les modifications et évaluations d'un plan (qui, quand, quoi)."""
    from proximite.store.plans import history, load_plan

    with user_errors(), factory(database_url, config)() as session:
        load_plan(session, plan_id)  # a French error for an unknown plan
        rows = history(session, plan_id)
    if not rows:
        console.print(f"Aucune modification enregistrée pour « {plan_id} ».", highlight=False)
    for row in rows:
        out_console.print(f"{row.at:%Y-%m-%d %H:%M} {row.who} — {row.action} « {row.item_id} » "
                          f": {row.after}", highlight=False, markup=False, soft_wrap=True)
