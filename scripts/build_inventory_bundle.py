"""Build one services CSV (Proximité schema) per département from all the shared sources.

Every source file of the shared data is read once with the project's own importers
(layout sniffed by ``proximite.inventory.sources``), then, per département (48, 15, 03):
the services inside the département or within ``--margin-km`` of it are kept (the run's
own location check), communes are given by spatial join when the source has no code, and
``services_<dep>.csv`` is written, readable back by ``--services`` (partner layout, with
each row's source, source_id, data_date, source_file and source_line), with
``digital_<dep>.csv`` (fibre class and 4G sites within 5 km of each town hall).

BPE counts per commune (placed at the town hall) are used only for the categories that
no located source gives: a school, gendarmerie, station or hospital has its own point in
a newer located file, and counting it twice would be wrong. The categories taken from a
located source instead are listed in :data:`LOCATED_ELSEWHERE`; their BPE rows are
counted as "superseded" in the printed summary. BPE 2018 education is superseded
entirely by the 2026 schools list; so are the older copies of a newer file (fuel stations
2020 by 2026, the CNFS structures by the 2022 médiation numérique map, the TER GTFS stops by
the SNCF stations 2026): they are not read.

    python scripts/build_inventory_bundle.py [--shared DIR] [--out DIR] [--margin-km 20]
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import yaml

from proximite.catalogue import load_catalogue
from proximite.inventory.communes import assign_communes
from proximite.inventory.digital import digital_indicators
from proximite.inventory.schema import SERVICE_COLUMNS, concat_services, rejected_rows
from proximite.inventory.sources import detect_layout
from proximite.inventory.validate import validate_locations
from proximite.io.arcep import read_ftth, read_mobile_sites
from proximite.outputs import write_digital
from proximite.territory import load_communes_file

ROOT = Path(__file__).resolve().parents[1]
DEPARTEMENTS = ("48", "15", "03")
NATIONAL = [
    "services/anct_liste-fs-20240801.csv",
    "services/laposte_poincont2_sTheoz.csv",
    "services/mediation_numerique_2022/lieux-de-mediation-numerique.cnfs.json",
    "services/sante_etablissements_2020/eurostat_gisco_healthcare_FR.csv",
    "services/gares_sncf_2026/sncf_gares.geojson",
    "services/msap_2018/MSAP-20180627_geolocalisation_pole_emploi.shp",
    "services/covoiturage_bnlc/bnlc.csv",
    "reference/bpe_communes/bpe2013.xlsx",
]
PER_DEPARTEMENT = [
    "services/annuaire_bdl_2016/annuaire-{dep}.sjson",
    "services/education_2026/dep_{dep}.min.json",
    "services/carburants_2026/dep_{dep}.json",
]
LOCATED_ELSEWHERE = {
    "ecole", "college", "lycee",                                   # schools 2026
    "police", "gendarmerie", "finances_publiques", "france_travail", "tribunal",  # annuaire
    "la_poste", "bureau_de_poste", "relais_poste", "agence_postale",  # La Poste points
    "station_carburant",                                            # prix-carburants 2026
    "gare",                                                         # SNCF 2026
    "hopital", "soins_suite", "psychiatrie", "centre_cancer",      # FINESS 2020
    "msap",                                                         # MSAP 2018 list
}
"""Categories whose BPE 2013 commune counts are superseded by a located source."""
BOX_MARGIN_DEG = 0.5
FTTH = "digital/arcep_ftth_2018/ftthCommunes.csv"
SITES = "digital/mobile_sites_2018/2018_01_Sites_mobiles_2G_3G_4G_France_metropolitaine_L93.csv"


def read_all(shared: Path, catalogue, bbox) -> tuple[pd.DataFrame, Counter]:
    """Every source file, read once; the summary counts rejected rows per file."""
    files = NATIONAL + [f.format(dep=dep) for f in PER_DEPARTEMENT for dep in DEPARTEMENTS]
    frames = []
    rejected: Counter = Counter()
    os.chdir(shared)  # source_file relative to the shared data folder
    for name in files:
        layout = detect_layout(name)
        result = layout.reader(name, catalogue, bbox)
        services = result.services
        if layout.name == "bpe2013":
            superseded = services["category"].isin(LOCATED_ELSEWHERE)
            rejected[f"{name} (superseded by a located source)"] += int(superseded.sum())
            services = services[~superseded]
        frames.append(services)
        rejected[name] += rejected_rows(result.rejected)
        print(f"read {name} [{layout.name}]: {len(services)} services in the box, "
              f"{rejected_rows(result.rejected)} rows rejected")
    services = concat_services(frames)
    # A station near a border is listed in two départements' files: the same record twice.
    repeated = services.duplicated(["service_id", "source"])
    if repeated.any():
        print(f"{int(repeated.sum())} records listed in two départements' files, kept once")
    return services[~repeated].reset_index(drop=True), rejected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "inventory")
    parser.add_argument("--margin-km", type=float, default=20.0)
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue()
    bundles = ROOT / "src" / "proximite" / "data" / "bundles"
    territories = {}
    for dep in DEPARTEMENTS:
        manifest = yaml.safe_load((bundles / dep / "bundle.yaml").read_text(encoding="utf-8"))
        territories[dep] = load_communes_file(bundles / dep / manifest["communes"],
                                              name=manifest["name"])
    boxes = [t.bbox(BOX_MARGIN_DEG) for t in territories.values()]
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))
    services, _ = read_all(args.shared.resolve(), catalogue, bbox)
    ftth, quarter = read_ftth(FTTH)
    sites, site_rejections = read_mobile_sites(SITES)
    print(f"read {SITES}: {len(sites)} sites, {len(site_rejections)} rows rejected "
          "(no coordinates)")
    for dep, territory in territories.items():
        kept, _, _ = validate_locations(services, territory.geometry(),
                                        margin_m=args.margin_km * 1000)
        kept = assign_communes(kept, territory.communes)
        kept = kept[SERVICE_COLUMNS]
        path = out / f"services_{dep}.csv"
        kept.to_csv(path, index=False)
        inside = kept["code_insee"].isin(set(territory.communes["code_insee"]))
        print(f"\n== {territory.name}: {len(kept)} services ({int(inside.sum())} in its "
              f"communes, {int((~inside).sum())} in the {args.margin_km:g} km margin) "
              f"-> {path}")
        halls = territory.origins().assign(
            nom=territory.communes["nom"].to_numpy())[["code_insee", "nom", "lon", "lat"]]
        digital = write_digital(digital_indicators(halls, ftth, sites, quarter=quarter),
                                out, name=f"digital_{dep}.csv")
        print(f"digital indicators -> {digital}")
        print("per source:")
        for source, count in kept["source"].value_counts().items():
            print(f"  {count:6d}  {source}")
        print("per category:")
        labels = {code: c.label for code, c in catalogue.categories.items()}
        for category, count in kept["category"].value_counts().items():
            print(f"  {count:6d}  {category} ({labels[category]})")


if __name__ == "__main__":
    main()
