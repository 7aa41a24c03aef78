"""``proximite suivi …``: action plans in the store (import a plan file, export it back,
its history). The database is the store's (``store.database_url``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from proximite.cli import FrenchCommand, FrenchGroup
from proximite.cli.common import console, out_console, user_errors
from proximite.cli.options import date_option
from proximite.cli.store import ConfigFile, DatabaseUrl, store_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from proximite.plans.edit import Change
    from proximite.plans.model import Plan

suivi_app = typer.Typer(cls=FrenchGroup, no_args_is_help=True, add_completion=False,
                        help="Plans d'action suivis dans la base : import, export, "
                             "modifications, historique.")

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


ItemOption = Annotated[str, typer.Option("--element", help="Id de l'élément du plan")]
AuthorOption = Annotated[str, typer.Option("--auteur", help="Qui fait la modification "
                                                            "(gardé dans l'historique)")]
PlanIdOption = Annotated[str, typer.Option("--plan", help="Id du plan en base")]


def _edit(plan_id: str, database_url: str | None, config: Path | None,
          edit: Callable[[Plan, dt.datetime], Change]) -> Change:
    """Read the plan, apply one checked edit, save it with its history entry."""
    from proximite.store.db import transaction, utcnow
    from proximite.store.plans import load_plan, save_plan

    with user_errors(), transaction(factory(database_url, config)) as session:
        plan, version = load_plan(session, plan_id)
        change = edit(plan, utcnow())
        save_plan(session, plan, expected_version=version, changes=[change])
    out_console.print(f"Plan « {plan_id} » : {change.action} de « {change.item_id} » "
                      "enregistré(e).", highlight=False)
    return change


@suivi_app.command("ajouter", cls=FrenchCommand)
def add(plan: PlanIdOption, element: ItemOption,
        level: Annotated[str, typer.Option("--niveau", help="Niveau (un de ceux du plan)")],
        title: Annotated[str, typer.Option("--titre", help="Intitulé")],
        author: AuthorOption,
        parent: Annotated[str | None, typer.Option(help="Id du parent \\[défaut : aucun, "
                                                        "premier niveau]")] = None,
        number: Annotated[str | None, typer.Option("--numero", help="Numéro affiché")]
        = None,
        database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Ajouter un élément (axe, objectif, action…) au plan."""
    from proximite.plans.edit import add_item
    from proximite.plans.model import PlanItem

    _edit(plan, database_url, config, lambda p, at: add_item(
        p, PlanItem(element, level, title, parent, number=number), who=author, at=at))


@suivi_app.command("deplacer", cls=FrenchCommand)
def move(plan: PlanIdOption, element: ItemOption, author: AuthorOption,
         parent: Annotated[str | None, typer.Option(
             help="Nouveau parent \\[défaut : aucun, premier niveau]")] = None,
         database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Déplacer un élément (et ses sous-éléments) sous un autre parent."""
    from proximite.plans.edit import move_item

    _edit(plan, database_url, config,
          lambda p, at: move_item(p, element, parent, who=author, at=at))


@suivi_app.command("retirer", cls=FrenchCommand)
def retire(plan: PlanIdOption, element: ItemOption, author: AuthorOption,
           reason: Annotated[str, typer.Option("--motif", help="Pourquoi l'élément est retiré")],
           database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Retirer un élément (gardé, avec ses évaluations passées, hors des bilans)."""
    from proximite.plans.edit import retire_item

    _edit(plan, database_url, config,
          lambda p, at: retire_item(p, element, reason, who=author, at=at))


@suivi_app.command("modifier", cls=FrenchCommand)
def update(plan: PlanIdOption, element: ItemOption, author: AuthorOption,
           title: Annotated[str | None, typer.Option("--titre", help="Nouvel intitulé")]
           = None,
           pilots: Annotated[list[str] | None, typer.Option(
               "--pilote", help="Pilote (option répétable ; remplace la liste)")] = None,
           partners: Annotated[list[str] | None, typer.Option(
               "--partenaire", help="Partenaire (option répétable ; remplace la liste)")]
           = None,
           calendar: Annotated[str | None, typer.Option("--calendrier",
                                                        help="Calendrier")] = None,
           database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Changer l'intitulé, les pilotes, les partenaires ou le calendrier d'un élément."""
    from proximite.errors import ProximiteError
    from proximite.plans.edit import update_item

    fields = {k: v for k, v in (("title", title), ("pilots", pilots), ("partners", partners),
                                ("calendar", calendar)) if v is not None}
    if not fields:
        with user_errors():
            raise ProximiteError("rien à modifier : donner --titre, --pilote, --partenaire "
                                 "ou --calendrier")
    _edit(plan, database_url, config,
          lambda p, at: update_item(p, element, who=author, at=at, **fields))


@suivi_app.command("programme", cls=FrenchCommand)
def programme(plan: PlanIdOption, author: AuthorOption,
              date: Annotated[str, typer.Option("--date", help="Date de la revue, AAAA-MM-JJ")],
              actions: Annotated[list[str], typer.Option(
                  "--action", help="Une action du programme (option répétable)")],
              proposed: Annotated[bool, typer.Option(
                  "--propose", help="Programme proposé, pas encore adopté")] = False,
              database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Enregistrer le programme de travail adopté à une revue (repris par `copil`)."""
    from proximite.plans.edit import set_work_programme

    with user_errors():
        day = date_option("--date", date)
    _edit(plan, database_url, config, lambda p, at: set_work_programme(
        p, day, actions, who=author, at=at, adopted=not proposed))
