"""The diagnostic job: sources -> store -> network -> access -> indicators.

Two steps, usable apart from a notebook: :func:`proximite.io.inputs.load_inputs` reads
every file, :func:`diagnose` computes from the in-memory
:class:`~proximite.model.DiagnosticInputs` without touching the disk.
:func:`run_diagnostic` chains both (the CLI and the géoportail call it).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from proximite.access import nearest_service_times
from proximite.access_modes import (
    itinerant_access,
    itinerant_without_stops,
    remote_access,
)
from proximite.analysis.national import NationalResult
from proximite.errors import InputError, ProximiteError
from proximite.indicators import basket_times, compute_indicators
from proximite.inventory.schema import permanent_mask, rejected_rows
from proximite.io.inputs import DEMO_DIR, DemoBundle, InputFiles, load_inputs
from proximite.model import (
    STATUS_NO_ORIGIN,
    AccessParams,
    Catalogue,
    DiagnosticInputs,
    DiagnosticOptions,
    DiagnosticResult,
    TargetKind,
)
from proximite.network.snap import Snapper
from proximite.origins import add_communes_without_origin, check_origins
from proximite.settings import Settings, with_demo_defaults

__all__ = ["DEMO_DIR", "DemoBundle", "DiagnosticOptions", "DiagnosticResult",
           "InputFiles", "diagnose", "load_inputs", "run_diagnostic"]

STAND_IN_NOTE = (
    "Réseau de substitution : ce n'est PAS un réseau routier. Les temps sont calculés sur "
    "un graphe qui relie les communes contiguës par la distance à vol d'oiseau entre "
    "mairies x 1,3, parcourue à {speed:g} km/h. Ils donnent des ordres de grandeur, pas des "
    "temps d'accès routiers. Fournir un extrait OpenStreetMap (.osm.pbf) ou la BD TOPO "
    "avec --network pour des temps réels."
)
MAX_LISTED_REJECTIONS = 20

Step = Callable[[str], Any]
#: ``(graph, origins, services, categories, params, snapper=) -> access table``, as
#: :func:`proximite.access.nearest_service_times`.
AccessTimes = Callable[..., pd.DataFrame]


@contextmanager
def timed(timings: dict[str, float], name: str, step: Step | None) -> Iterator[None]:
    """Announce step ``name`` (progress) and record its wall time in ``timings``."""
    if step is not None:
        step(name)
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start


def categories_to_compute(catalogue: Catalogue, services: pd.DataFrame,
                          baskets: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """Categories present in the inventory (and their parents), in baskets, or asked for."""
    wanted: set[str] = set(extra)
    for code in services["category"].unique():
        wanted.update(catalogue.ancestors(code))
    for basket in baskets:
        wanted.update(catalogue.baskets[basket].categories)
    order = list(catalogue.categories)
    return sorted(wanted, key=order.index)


def services_per_commune(services: pd.DataFrame, catalogue: Catalogue,
                         categories: list[str]) -> pd.DataFrame:
    """Number of permanent sites of each category whose code_insee is the commune."""
    rows = []
    services = services[permanent_mask(services)]  # a bus stop is not a service here
    for code in categories:
        members = catalogue.members(code)
        sub = services[services["category"].isin(members) & (services["code_insee"] != "")]
        counts = sub.groupby("code_insee").size()
        rows.append(pd.DataFrame({"code_insee": counts.index, "category": code,
                                  "n_services": counts.to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=["code_insee", "category", "n_services"])
    return pd.concat(rows, ignore_index=True)


def network_note(inputs: DiagnosticInputs, edge_speed_kmh: float) -> str:
    """The sentence describing the network (a warning when it is the stand-in)."""
    graph = inputs.graph
    if graph.is_stand_in:
        return STAND_IN_NOTE.format(speed=edge_speed_kmh)
    mode = {"car": "en voiture", "walk": "à pied"}.get(graph.mode, graph.mode)
    nodes, edges = (f"{n:,}".replace(",", "\u202f") for n in (graph.n_nodes, graph.n_edges))
    return f"Réseau : {graph.description}, {nodes} nœuds, {edges} arcs, temps {mode}."


def _check_targets(catalogue: Catalogue, options: DiagnosticOptions) -> list[str]:
    baskets = list(options.baskets) if options.baskets is not None else list(catalogue.baskets)
    for code in baskets:
        if code not in catalogue.baskets:
            raise ProximiteError(f"panier inconnu « {code} » (attendu : "
                                 + ", ".join(catalogue.baskets) + ")")
    for code in options.extra_categories:
        catalogue.category(code)
    return baskets


def _check_origins(inputs: DiagnosticInputs,
                   warnings: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Origins that make sense for the territory, with a placeholder for each commune a
    population grid misses (their ids returned); refuses a population that is all zero."""
    origin_table = inputs.origins
    without_origin: list[str] = []
    label = inputs.origins_source
    if label:
        warnings.extend(check_origins(origin_table, inputs.territory, label))
        origin_table, without_origin, missing_warnings = add_communes_without_origin(
            origin_table, inputs.territory, label)
        warnings.extend(missing_warnings)
    if not origin_table["population"].sum() > 0:
        raise InputError("la population de toutes les origines est nulle : aucun indicateur "
                         "pondéré par la population n'aurait de sens",
                         path=label or inputs.territory.source, field="population",
                         expected="des populations > 0")
    return origin_table, without_origin


def mark_without_origin(access: pd.DataFrame, origin_ids: Sequence[str], label: str) -> None:
    """Rows of the placeholder origins of communes without origin: status no_origin, no time."""
    if not len(origin_ids):
        return
    rows = access["origin_id"].isin(list(origin_ids))
    access.loc[rows, "status"] = STATUS_NO_ORIGIN
    access.loc[rows, "status_detail"] = (f"aucune origine de {label} dans cette commune "
                                         "(pas de carreau habité) : ni temps ni population")
    access.loc[rows, "travel_time_min"] = np.nan
    access.loc[rows, "nearest_service_id"] = ""


def diagnose(inputs: DiagnosticInputs, settings: Settings | DiagnosticOptions | None = None,
             *, step: Step | None = None,
             access_times: AccessTimes | None = None) -> DiagnosticResult:
    """Compute the diagnostic from in-memory inputs (no file read or written).

    Location checks and de-duplication, snapping, nearest-service times per category and
    basket, indicators. ``step`` is called with the name of each step (CLI progress).
    ``access_times``: what computes the nearest-service times (default: in this process;
    :class:`proximite.distributed.DaskAccess` runs them on a Dask cluster).
    """
    from proximite.inventory.communes import assign_communes
    from proximite.inventory.dedup import deduplicate
    from proximite.inventory.validate import validate_locations

    if not isinstance(settings, Settings):
        settings = Settings(diagnostic=settings or DiagnosticOptions())
    demo_used: list[str] = []
    if inputs.demo is not None:
        settings, demo_used = with_demo_defaults(settings, inputs.demo)
    options = dataclasses.replace(settings.diagnostic)
    if options.access is None:  # not a demo, nobody set one: the network's own (Travel
        # Mapping states its local-access leg) or the library defaults
        options.access = AccessParams(**inputs.graph.metadata.get("access", {}))
    access_params = options.access
    catalogue = inputs.catalogue
    territory = inputs.territory
    origin_table = inputs.origins
    graph = inputs.graph
    timings: dict[str, float] = {}
    warnings = list(inputs.warnings)
    rejected = list(inputs.rejected)
    defaults_note = inputs.defaults_note
    if demo_used and inputs.demo is not None:
        defaults_note = (f"valeurs de la démo ({inputs.demo.source}) : "
                         + ", ".join(demo_used) + ".")
        warnings.append(defaults_note[0].upper() + defaults_note[1:])

    origin_table, without_origin = _check_origins(inputs, warnings)

    with timed(timings, "inventaire", step):
        kept, location_rejects, location_warnings = validate_locations(
            inputs.services, territory.geometry(), margin_m=options.margin_m)
        rejected.extend(location_rejects)
        warnings.extend(location_warnings)
        kept = assign_communes(kept, territory.communes)  # stations come without a code
        service_table, duplicates = deduplicate(kept, catalogue,
                                                distance_m=options.dedup_distance_m)
        if len(service_table) == 0:
            raise ProximiteError("aucun service utilisable dans le territoire et sa marge "
                                 f"({rejected_rows(rejected)} lignes rejetées : voir "
                                 "rejected_services)")

    with timed(timings, "réseau", step):
        warnings.extend(graph.warnings)
        note = network_note(inputs, options.edge_speed_kmh)
        if graph.is_stand_in:
            warnings.insert(0, note)
        snapper = Snapper.for_graph(graph)
        _, origin_snap_m = snapper.snap(origin_table["lon"], origin_table["lat"])
        if not (origin_snap_m <= access_params.max_snap_m).any():
            raise InputError(
                f"le réseau n'a aucun arc dans le territoire : le nœud le plus proche est à "
                f"{origin_snap_m.min() / 1000:.1f} km de l'origine la plus proche "
                f"(max. {access_params.max_snap_m / 1000:.1f} km)",
                path=inputs.network_source or graph.description)

    baskets = _check_targets(catalogue, options)
    categories = categories_to_compute(catalogue, service_table, baskets,
                                       options.extra_categories)

    _, service_snap_m = snapper.snap(service_table["lon"], service_table["lat"])
    far = service_snap_m > access_params.max_snap_m
    if far.any():
        names = ", ".join(f"{sid} ({d / 1000:.1f} km)" for sid, d in
                          zip(service_table.loc[far, "service_id"][:10], service_snap_m[far][:10],
                              strict=False))
        warnings.append(
            f"{int(far.sum())} service(s) à plus de {access_params.max_snap_m:.0f} m du "
            f"réseau, non utilisés pour les temps d'accès : {names}")

    with timed(timings, "temps d'accès", step):
        members = {code: sorted(catalogue.members(code)) for code in categories}
        access = (access_times or nearest_service_times)(
            graph, origin_table, service_table, members, access_params, snapper=snapper)
        access["target_kind"] = TargetKind.CATEGORY.value
        basket_rows = basket_times(access, catalogue, baskets)
        basket_rows["target_kind"] = TargetKind.BASKET.value
        access_all = pd.concat([access, basket_rows], ignore_index=True)
        access_all = access_all.merge(origin_table[["origin_id", "code_insee", "population"]],
                                      on="origin_id", how="left")
        mark_without_origin(access_all, without_origin, inputs.origins_source)

    with timed(timings, "accès itinérant et à distance", step):
        itinerant = itinerant_access(graph, origin_table, territory.communes, service_table,
                                     catalogue, categories, access_params, snapper=snapper)
        remote = remote_access(territory.communes, service_table, catalogue)
        based = itinerant_without_stops(service_table)
        if len(based):
            warnings.append(
                f"{len(based)} service(s) itinérant(s) connu(s) par l'adresse de leur "
                "structure seulement, sans arrêts publiés par la source ("
                + ", ".join(based["name"].astype(str)) + ") : comptés ni comme site "
                "permanent ni comme arrêt")

    with timed(timings, "indicateurs", step):
        indicators = compute_indicators(
            access_all, origin_table,
            territory.communes if len(territory.communes) else None,
            options.indicators,
            services_per_commune=services_per_commune(service_table, catalogue, categories))

    digital = pd.DataFrame()
    if (inputs.ftth is not None or inputs.mobile_sites is not None) and len(territory.communes):
        from proximite.analysis.digital import digital_table, nearest_help

        with timed(timings, "axe numérique", step):
            help_times = nearest_help(access_all, service_table, origin_table,
                                      settings.digital.help_category)
            digital = digital_table(territory.communes, inputs.ftth, inputs.ftth_quarter,
                                    inputs.mobile_sites, help_times, settings.digital)
            if "ftth_part_min_pct" in digital.columns:
                unknown = digital.loc[digital["ftth_part_min_pct"].isna(), "nom"]
                if len(unknown):
                    warnings.append(
                        f"Fibre : {len(unknown)} commune(s) du territoire absente(s) du "
                        "fichier ARCEP ou sans classe connue (" + ", ".join(unknown[:10])
                        + (", …" if len(unknown) > 10 else "") + ") : part des locaux "
                        "raccordables inconnue, laissée hors de leur indice")

    for rejection in rejected[:MAX_LISTED_REJECTIONS]:
        warnings.append("service écarté : " + rejection.message())
    if len(rejected) > MAX_LISTED_REJECTIONS:
        rest = rejected[MAX_LISTED_REJECTIONS:]
        warnings.append(f"... et {len(rest)} autres rejets ({rejected_rows(rest)} lignes de "
                        "services écartées, voir rejected_services.csv)")
    return DiagnosticResult(
        territory=territory, services=service_table, rejected=rejected,
        duplicates=duplicates, origins=origin_table, graph=graph, access_times=access_all,
        indicators=indicators, categories=categories, baskets=baskets, catalogue=catalogue,
        options=options, network_note=note, warnings=warnings,
        provenance=list(inputs.provenance), timings_s=timings, defaults_note=defaults_note,
        reference=inputs.reference,
        itinerant=itinerant, remote=remote, digital=digital)


def _with_store_inventory(inputs: DiagnosticInputs, inventory: pd.DataFrame,
                          settings: Settings) -> DiagnosticInputs:
    """The inputs with the store's inventory, the contributions named among the sources
    (with their licence) when some rows come from them."""
    from proximite.store.places import CONTRIBUTION_SOURCE

    provenance = list(inputs.provenance)
    contributed = inventory["source"].astype(str).str.startswith(CONTRIBUTION_SOURCE)
    if contributed.any():
        count = int(contributed.sum())
        provenance.append({
            "dataset": f"Contributions modérées ({count} lieu{'x' if count > 1 else ''})",
            "producer": "contributeurs du géoportail, après modération",
            "licence": settings.store.contributions_licence,
            "date": str(inventory.loc[contributed, "data_date"].max())})
    return dataclasses.replace(inputs, services=inventory, rejected=[],
                               provenance=provenance)


def run_diagnostic(files: InputFiles | None = None, *,
                   options: DiagnosticOptions | None = None,
                   settings: Settings | None = None, step: Step | None = None,
                   inventory: pd.DataFrame | None = None,
                   **named: Any) -> DiagnosticResult:
    """Load the inputs and run the whole diagnostic. With no argument: the embedded demo.

    ``files``, or the same fields by name (``run_diagnostic(origins=grid)``, checked by
    :class:`~proximite.io.inputs.InputFiles`): what to read. ``settings`` (the whole tree)
    or ``options`` (its diagnostic section) give the parameters; with neither, every
    default (the demo's own where it sets one). ``inventory``: the services read from the
    store (service schema, provenance included: :func:`proximite.store.places.services_frame`)
    instead of the service files.
    """
    if files is not None and named:
        # programmer error: a call with both forms (English on purpose)
        raise TypeError("give the input files either as InputFiles or by name, not both")
    files = files or InputFiles(**named)
    if settings is None:
        settings = Settings(diagnostic=options) if options is not None else Settings()
    timings: dict[str, float] = {}
    with timed(timings, "lecture des données", step):
        inputs = load_inputs(files, settings=settings)
        if inventory is not None:
            inputs = _with_store_inventory(inputs, inventory, settings)
    result = diagnose(inputs, settings, step=step)
    result.timings_s = timings | result.timings_s
    return result


def run_national(settings: Settings | None = None, *, step: Step | None = None,
                 access_times: AccessTimes | None = None) -> NationalResult:
    """The diagnostic of every commune of France on the shipped national inputs.

    Only the national sources' categories (and their parents) are computed: no basket,
    since the national extract covers none of them whole.
    """
    from proximite.analysis.national import national_tables
    from proximite.io.national import load_national_inputs

    settings = settings or Settings()
    settings = dataclasses.replace(settings, diagnostic=dataclasses.replace(
        settings.diagnostic, baskets=()))
    timings: dict[str, float] = {}
    with timed(timings, "lecture des données nationales", step):
        inputs = load_national_inputs(settings)
    result = diagnose(inputs, settings, step=step, access_times=access_times)
    computed = dict(result.timings_s)
    with timed(timings, "tableaux par département, contrôle France Services", step):
        national = national_tables(result, settings.national.france_services_threshold_min)
    read = "lecture des données nationales"
    result.timings_s = {read: timings.pop(read)} | computed | timings  # in run order
    return national

