"""``proximite store …`` and ``proximite users …``: the database of contributions.

``store upgrade`` creates or migrates the schema (Alembic, programmatically); ``users
create --admin`` makes the first administrator. The database comes from the settings'
``store.database_url`` (``--database-url``, ``PROXIMITE_STORE__DATABASE_URL``, a
``proximite.toml`` ``[store]`` table), by default a SQLite file in the user data directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from proximite.cli import FrenchCommand, FrenchGroup
from proximite.cli.common import console, user_errors
from proximite.cli.options import TerritoryInputs, territory_inputs
from proximite.settings import Given, Settings, load_settings

store_app = typer.Typer(cls=FrenchGroup, no_args_is_help=True, add_completion=False,
                        help="Base de données des lieux, contributions et comptes.")

DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url",
    help="Adresse SQLAlchemy de la base (sqlite:///fichier.sqlite, "
         "postgresql+psycopg://utilisateur@hôte/base) \\[défaut : réglage store.database_url, "
         "sinon un fichier SQLite dans le dossier de données de l'utilisateur]")]
ConfigFile = Annotated[Path | None, typer.Option(
    "--config", help="Fichier de réglages proximite.toml")]


def store_settings(database_url: str | None, config: Path | None) -> Settings:
    given = ({"store.database_url": Given(database_url, "--database-url", database_url)}
             if database_url is not None else {})
    return load_settings(config, overrides=given)


@store_app.command("upgrade", cls=FrenchCommand)
def upgrade(database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Créer la base ou la mettre à jour vers la dernière version du schéma."""
    from proximite.store.db import current_revisions, make_engine
    from proximite.store.db import database_url as url_of
    from proximite.store.db import upgrade as run_upgrade

    with user_errors():
        settings = store_settings(database_url, config)
        url = url_of(settings.store)
        engine = make_engine(url)
        before = current_revisions(engine)
        with console.status("migration du schéma…"):
            run_upgrade(engine)
        after = current_revisions(engine)
    shown = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"Base {shown} déjà à jour (version {', '.join(sorted(after))}).",
                      highlight=False)
    else:
        console.print(f"Base {shown} mise à jour : version {', '.join(sorted(after))}.",
                      highlight=False)


users_app = typer.Typer(cls=FrenchGroup, no_args_is_help=True, add_completion=False,
                        help="Comptes des contributeurs, modérateurs et administrateurs.")


@users_app.command("create", cls=FrenchCommand)
def create_user(
    email: Annotated[str, typer.Argument(help="Adresse électronique (identifiant)")],
    name: Annotated[str, typer.Option("--name", help="Nom affiché")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Compte administrateur")] = False,
    moderator: Annotated[list[str] | None, typer.Option(
        "--moderator", help="Modérateur de ce territoire (code du département, option "
                            "répétable)")] = None,
    password: Annotated[str | None, typer.Option(
        "--password", envvar="PROXIMITE_NEW_PASSWORD",
        help="Mot de passe (12 caractères au moins) \\[défaut : demandé au clavier]")] = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
) -> None:
    """Créer un compte (le premier administrateur : `proximite users create moi@… --admin`)."""
    from proximite.errors import ProximiteError
    from proximite.store.accounts import create_user as create
    from proximite.store.db import database_url as url_of
    from proximite.store.db import is_up_to_date, make_engine, session_factory
    from proximite.store.models import Role

    with user_errors():
        if admin and moderator:
            raise ProximiteError("--admin et --moderator s'excluent : un administrateur "
                                 "modère tous les territoires")
        settings = store_settings(database_url, config)
        engine = make_engine(url_of(settings.store))
        if not is_up_to_date(engine):
            raise ProximiteError("base pas à jour : lancer d'abord `proximite store upgrade`")
        if password is None:
            password = typer.prompt("Mot de passe", hide_input=True,
                                    confirmation_prompt="Mot de passe (confirmation)")
        role = Role.ADMIN if admin else Role.MODERATOR if moderator else Role.CONTRIBUTOR
        with session_factory(engine).begin() as session:
            user = create(session, email=email, password=password, display_name=name,
                          role=role, territories=tuple(moderator or ()))
            label = {"admin": "administrateur", "moderator": "modérateur",
                     "contributor": "contributeur"}[user.role]
            where = f" ({', '.join(sorted(user.territory_codes))})" if moderator else ""
            console.print(f"Compte {label}{where} créé : {user.email}.", highlight=False)


def _import_command(
    inputs: TerritoryInputs,
    database_url: DatabaseUrl = None,
) -> None:
    """Importer dans la base l'inventaire d'un territoire (mêmes options que `diagnostic` ;
    sans option : la démo). Chaque ligne garde sa provenance ; une valeur corrigée par un
    modérateur n'est jamais écrasée : l'écart est listé comme conflit à modérer."""
    from proximite.errors import ProximiteError
    from proximite.inventory.communes import assign_communes
    from proximite.io.inputs import load_inputs
    from proximite.store.db import database_url as url_of
    from proximite.store.db import is_up_to_date, make_engine, session_factory
    from proximite.store.places import import_services

    if database_url is not None:
        inputs.extra = {"store.database_url": Given(database_url, "--database-url",
                                                    database_url)}
    with user_errors():
        settings = inputs.settings()
        engine = make_engine(url_of(settings.store))
        if not is_up_to_date(engine):
            raise ProximiteError("base pas à jour : lancer d'abord `proximite store upgrade`")
        with console.status("lecture de l'inventaire…"):
            read = load_inputs(inputs.files(), settings=settings)
            # as the diagnostic does: a service without a commune code gets the polygon's
            services = assign_communes(read.services, read.territory.communes)
        with console.status("import dans la base…"), session_factory(engine).begin() as session:
            report = import_services(session, services,
                                     source_label="inventaire du diagnostic")
            conflicts = len(report.conflicts)
    console.print(
        f"{_count(report.rows)} ligne(s) lue(s) : {_count(report.added)} lieu(x) ajouté(s), "
        f"{_count(report.updated)} mis à jour, {_count(report.unchanged)} inchangé(s), "
        f"{_count(report.merged)} fusionné(s) (identifiant répété), "
        f"{_count(len(report.rejected))} rejeté(s) ; {_count(conflicts)} conflit(s) avec une "
        "correction modérée, à traiter sur /moderation/conflits.", highlight=False)
    for line in report.rejected[:5]:
        console.print(f"[yellow]Rejeté :[/] {line}", highlight=False)


def _count(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


store_app.command("import", cls=FrenchCommand)(territory_inputs(_import_command))
