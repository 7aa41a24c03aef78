"""``proximite serve``: the géoportail over a diagnostic run now or written earlier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from proximite.cli.common import console, print_run_notes, user_errors
from proximite.cli.options import DEFAULTS, TerritoryInputs, overrides, territory_inputs
from proximite.errors import ProximiteError

SERVE_SETTING_OF: dict[str, tuple[str, float | None]] = {
    "host": ("serve.host", None), "port": ("serve.port", None),
    "workers": ("serve.workers", None),
}


@territory_inputs
def serve(
    inputs: TerritoryInputs,
    host: Annotated[str | None, typer.Option(
        help=f"Adresse d'écoute \\[défaut : {DEFAULTS.serve.host}, accès local seulement]")]
    = None,
    port: Annotated[int | None, typer.Option(help=f"Port \\[défaut : {DEFAULTS.serve.port}]")]
    = None,
    workers: Annotated[int | None, typer.Option(
        help="Processus serveurs \\[défaut : un par cœur]")] = None,
    saved: Annotated[Path | None, typer.Option(
        "--diagnostic",
        help="Servir un diagnostic déjà écrit : le dossier de sortie de `proximite "
             "diagnostic` ou son diagnostic.gpkg (au lieu d'en lancer un ; pas avec les "
             "options de données)")] = None,
    contributions: Annotated[bool, typer.Option(
        "--contributions",
        help="Recevoir les contributions (signalements, cartoparties, modération) dans la "
             "base store.database_url, créée ou mise à jour au démarrage ; les lieux du "
             "diagnostic servi y sont importés (sans écraser une correction modérée)")]
    = False,
) -> None:
    """Servir le géoportail : la page sur /, l'API JSON sur /api (documentation sur /docs).

    Avec --diagnostic : lit un diagnostic écrit auparavant (son GeoPackage). Sinon lance le
    diagnostic une fois (par défaut : la démo de la Lozère ; mêmes options que
    `diagnostic`). Dans les deux cas les données sont construites une fois et partagées
    par tous les processus.
    """
    from proximite.web.server import default_workers
    from proximite.web.server import serve as serve_portal
    from proximite.web.store import PortalData

    own: dict[str, Any] = {"host": host, "port": port, "workers": workers}
    inputs.extra = overrides(own, SERVE_SETTING_OF)
    with user_errors():
        settings = inputs.settings()
        if saved is not None:
            given = [name for name in inputs.given() if name != "--config"]
            if given:
                raise ProximiteError(
                    "--diagnostic sert un diagnostic déjà calculé, avec ses propres données "
                    f"et paramètres : retirer {', '.join(given)} (ou --diagnostic pour "
                    "lancer un nouveau diagnostic)")
            from proximite.saved import load_diagnostic

            with console.status("lecture du diagnostic enregistré…"):
                result = load_diagnostic(saved)
        else:
            from proximite.pipeline import run_diagnostic

            with console.status("diagnostic…"):
                result = run_diagnostic(inputs.files(), settings=settings)
            print_run_notes(result)
        with console.status("index du géoportail (temps commune → services)…"):
            data = PortalData.from_result(
                result, max_precomputed_pairs=settings.web.near_max_precomputed_pairs)
    if contributions:
        with user_errors(), console.status("base des contributions…"):
            _prepare_store(settings, data)
    n = settings.serve.workers or default_workers()
    host_, port_ = settings.serve.host, settings.serve.port
    console.print(f"Géoportail {data.territory_name} : http://{host_}:{port_}/ — API : "
                  f"http://{host_}:{port_}/api — documentation : http://{host_}:{port_}/docs "
                  f"({n} processus)", highlight=False)
    serve_portal(host=host_, port=port_, workers=n, data=data,
                 allowed_hosts=settings.web.allowed_hosts,
                 store=settings.store if contributions else None)


def _prepare_store(settings: Any, data: Any) -> None:
    """Migrate the store and import the served places into it, saying what it did."""
    from proximite.store.db import database_url, make_engine, session_factory, upgrade
    from proximite.store.places import import_services

    engine = make_engine(database_url(settings.store))
    upgrade(engine)
    with session_factory(engine).begin() as session:
        report = import_services(session, data.services.reset_index(drop=True),
                                 source_label=f"diagnostic servi ({data.territory_name})")
        conflicts = len(report.conflicts)
    engine.dispose()
    console.print(f"Contributions : base {engine.url.render_as_string(hide_password=True)}, "
                  f"{report.added} lieu(x) ajouté(s), {report.updated} mis à jour, "
                  f"{conflicts} conflit(s) d'import à modérer.", highlight=False)


COMMANDS = {"serve": serve}
