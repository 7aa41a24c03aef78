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
from proximite.settings import Given, Settings, load_settings

store_app = typer.Typer(cls=FrenchGroup, no_args_is_help=True, add_completion=False,
                        help="Base de données des lieux, contributions et comptes.")

DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url",
    help="Adresse SQLAlchemy de la base (sqlite:///fichier.sqlite, "
         "postgresql+psycopg://utilisateur@hôte/base) [défaut : réglage store.database_url, "
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
