"""Importers of the official service files, on real cuts of them (tests/data/inventory)."""

from __future__ import annotations

import csv
import json
import math
import pickle
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import InputError
from proximite.inventory.anct import read_france_services
from proximite.inventory.bpe import read_bpe
from proximite.inventory.cnfs import read_cnfs
from proximite.inventory.derived import read_derived_services
from proximite.inventory.fuel import read_fuel_stations
from proximite.inventory.gtfs import read_gtfs_stations
from proximite.inventory.laposte import read_laposte
from proximite.inventory.partner import read_partner_services
from proximite.inventory.schema import SERVICE_COLUMNS, GroupedRejection
from proximite.inventory.sources import detect_layout, load_services
from proximite.outputs import rejected_table

DATA = Path(__file__).parent / "data" / "inventory"
FS = DATA / "anct_liste-fs-20240801_sample.csv"
LAPOSTE = DATA / "laposte_poincont2_sample.csv"
FUEL = DATA / "station_service_sample.csv"
CNFS = DATA / "anct_cnfs_sample.json"
GTFS = DATA / "sncf_ter_gtfs_sample.zip"
DERIVED = DATA / "services_48_sample.csv"
BPE = DATA / "bpe_sample_48.csv"
LOZERE_BOX = (2.97, 44.10, 4.00, 44.98)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def row(services: pd.DataFrame, service_id: str) -> pd.Series:
    found = services[services["service_id"] == service_id]
    assert len(found) == 1, f"{service_id} not found once"
    return found.iloc[0]


# --- France Services ---------------------------------------------------------------------

def test_france_services_real_row(catalogue: Catalogue) -> None:
    result = read_france_services(FS, catalogue)
    services = result.services
    assert list(services.columns) == SERVICE_COLUMNS
    assert len(services) == 53 and not result.rejected
    marvejols = row(services, "fs:271")
    assert marvejols["name"] == "France services Marvejols"
    assert marvejols["category"] == "france_services"
    assert marvejols["code_insee"] == "48092"
    assert marvejols["address"] == "6 Rue Victor Cordesse, 48100 Marvejols"
    assert marvejols["opening_hours"] == "Mo-Fr 08:30-12:00,13:30-17:30"
    assert marvejols["opening_hours_raw"].startswith("lundi: 08:30 - 12:00 / 13:30 - 17:30; ")
    assert marvejols["access_modes"] == "on_site"
    assert marvejols["source"] == "ANCT liste France Services 2024-08-01"
    assert marvejols["data_date"] == "2024-08-01"
    assert (marvejols["lon"], marvejols["lat"]) == (3.29182, 44.55329)
    assert marvejols["source_file"] == str(FS)
    assert marvejols["source_line"] == "32"


def test_france_services_leading_zero_itinerant_and_la_poste(catalogue: Catalogue) -> None:
    services = read_france_services(FS, catalogue).services
    assert row(services, "fs:1")["code_insee"] == "01033"
    assert row(services, "fs:1")["opening_hours"] == (
        "Mo 13:30-17:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00")
    assert row(services, "fs:3255")["access_modes"] == "itinerant"  # format_fs Itinérante
    assert row(services, "fs:3")["access_modes"] == "itinerant"  # Bus_équivalent
    # the list gives a bus by its structure's address, not its stops
    assert row(services, "fs:3")["location_precision"] == "base"
    assert row(services, "fs:1")["location_precision"] == "exact"
    assert row(services, "fs:2")["operator"] == "La Poste"
    # ANCT empty slot "00:00 - 00:00 / 09:00 - 12:00" on Wednesday is skipped
    assert row(services, "fs:29")["opening_hours"] == (
        "Mo 08:30-12:00,13:30-16:30; Tu 08:30-12:30,13:30-16:30; We 09:00-12:00; "
        "Th 08:30-12:30,13:30-16:30; Fr 08:30-12:00,13:30-16:30")


def test_france_services_line_numbers_survive_multiline_comments(catalogue: Catalogue) -> None:
    services = read_france_services(FS, catalogue).services
    # fs:844's comment spans lines 41-44 of the file; the next record starts on line 45.
    assert row(services, "fs:844")["source_line"] == "41"
    assert row(services, "fs:899")["source_line"] == "45"
    lines = FS.read_text(encoding="utf-8").splitlines()
    assert lines[44].startswith('"899",')


# --- La Poste ----------------------------------------------------------------------------

def test_laposte_categories_and_rejections(catalogue: Catalogue) -> None:
    result = read_laposte(LAPOSTE, catalogue)
    services = result.services
    assert len(services) == 108
    barjac = row(services, "laposte:08840A")
    assert (barjac["name"], barjac["category"], barjac["code_insee"]) == (
        "BARJAC AP", "agence_postale", "48018")
    assert barjac["operator"] == "La Poste"
    assert barjac["address"] == "VILLAGE, 48000 BARJAC"
    assert row(services, "laposte:01175A")["category"] == "relais_poste"
    assert row(services, "laposte:08841A")["category"] == "bureau_de_poste"
    assert row(services, "laposte:01140A")["code_insee"] == "07315"
    military = row(services, "laposte:02186A")
    assert military["category"] == "la_poste"
    assert any("'Agence postale militaire' (1)" in w for w in result.warnings)
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (32, "Latitude", "coordonnée manquante"),
        (45, "Latitude", "coordonnée manquante"),
        (80, "Latitude", "coordonnée manquante"),
    ]


# --- fuel --------------------------------------------------------------------------------

def test_fuel_stations_hours_and_missing_latlng(catalogue: Catalogue) -> None:
    result = read_fuel_stations(FUEL, catalogue)
    services = result.services
    villefort = row(services, "carbu:48800001")
    assert villefort["category"] == "station_carburant"
    assert villefort["opening_hours"] == "Mo-Fr 08:00-18:00"
    assert villefort["opening_hours_raw"] == "08:00-18:00 sauf Samedi|Dimanche"
    assert villefort["address"] == "Avenue des Cevennes, 48800 VILLEFORT"
    assert row(services, "carbu:15700001")["opening_hours"] == "Mo-Fr 07:30-19:00"
    florac = row(services, "carbu:48400004")  # 01:00-01:00: "not given" in the feed
    assert (florac["opening_hours"], florac["opening_hours_raw"]) == ("", "01:00-01:00")
    assert florac["code_insee"] == ""  # the file has postcodes, not INSEE codes
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (21, "latlng", "coordonnée manquante")]


def test_fuel_cp1252_file_is_decoded_not_crashing(tmp_path: Path, catalogue: Catalogue) -> None:
    latin = tmp_path / "stations.csv"
    latin.write_bytes(FUEL.read_text(encoding="utf-8").encode("cp1252"))
    services = read_fuel_stations(latin, catalogue).services
    assert row(services, "carbu:48600002")["name"] == (
        "Station-service CHAMBON-LE-CHâTEAU (Route de Grandieu)")


def test_non_numeric_and_out_of_range_coordinates_are_rejected_with_line(
        tmp_path: Path, catalogue: Catalogue) -> None:
    lines = FUEL.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"49.41583,0.22953"', '"49.41583,abc"')  # line 2
    lines[2] = lines[2].replace('"45.13329,2.22044"', '"95.13329,2.22044"')  # line 3
    bad = tmp_path / "stations.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    result = read_fuel_stations(bad, catalogue)
    rejected = {r.line: r for r in result.rejected}
    assert rejected[2].reason == "la coordonnée n'est pas un nombre"
    assert rejected[2].value == "49.41583,abc"
    assert rejected[2].message().startswith(f"{bad}:2: champ « latlng » : ")
    assert rejected[3].reason == "latitude hors de [-90 ; 90]"
    assert len(result.services) == 62 - 2


# --- conseillers numériques -----------------------------------------------------------------

def test_cnfs_structures(catalogue: Catalogue) -> None:
    result = read_cnfs(CNFS, catalogue)
    services = result.services
    mende = row(services, "cnfs:1236")
    assert (mende["name"], mende["category"], mende["code_insee"]) == (
        "COMMUNE DE MENDE", "mediation_numerique", "48095")
    assert mende["operator"] == "COMMUNE DE MENDE"
    assert mende["address"] == "PL CHARLES DE GAULLE, 48000 MENDE"
    assert mende["source_line"] == "37"  # 1-based position in the JSON array
    assert row(services, "cnfs:1")["code_insee"] == "01283"
    no_insee = next(r for r in json.loads(CNFS.read_text(encoding="utf-8"))
                    if "insee_com" not in r and r.get("latitude") is not None)
    assert row(services, f"cnfs:{no_insee['id']}")["code_insee"] == no_insee["result_citycode"]
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (38, "latitude", "coordonnée manquante"), (39, "latitude", "coordonnée manquante")]


# --- GTFS --------------------------------------------------------------------------------

def test_ter_stations_from_gtfs(catalogue: Catalogue) -> None:
    result = read_gtfs_stations(GTFS, catalogue)
    services = result.services
    assert len(services) == 34  # 43 stop areas, 9 served by coach only
    assert any("9 zone(s) d'arrêt desservie(s) par autocar seulement" in w for w in result.warnings)
    mende = row(services, "ter:StopArea:OCE87783605")
    assert (mende["name"], mende["category"], mende["operator"]) == (
        "Gare de Mende", "gare", "SNCF TER")
    assert mende["source_line"] == "stops.txt:23"
    assert mende["data_date"] == "2017-11-06/2018-02-04"
    assert mende["lon"] == pytest.approx(3.50190793)
    assert len(read_gtfs_stations(GTFS, catalogue, rail_only=False).services) == 43
    in_lozere = read_gtfs_stations(GTFS, catalogue, bbox=LOZERE_BOX).services
    assert len(in_lozere) == 29  # the 5 first stop areas are in Germany / Alsace


def test_gtfs_without_station_rows_groups_by_parent(tmp_path: Path,
                                                    catalogue: Catalogue) -> None:
    feed = tmp_path / "feed.zip"
    stops = ("stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
             "P1,Gare A quai 1,44.50,3.50,0,S1\n"
             "P2,Gare A quai 2,44.52,3.52,0,S1\n"
             "P3,Halte B,44.60,3.60,0,\n")
    with zipfile.ZipFile(feed, "w") as archive:
        archive.writestr("stops.txt", stops)
    result = read_gtfs_stations(feed, catalogue)
    assert sorted(result.services["service_id"]) == ["ter:P3", "ter:S1"]
    grouped = row(result.services, "ter:S1")
    assert (grouped["lon"], grouped["lat"]) == pytest.approx((3.51, 44.51))
    assert any("parent_station" in w for w in result.warnings)


def test_bad_zip_and_zip_without_stops(tmp_path: Path, catalogue: Catalogue) -> None:
    not_zip = tmp_path / "feed.zip"
    not_zip.write_text("this is not a zip", encoding="utf-8")
    with pytest.raises(InputError, match=r"feed\.zip: archive zip invalide"):
        read_gtfs_stations(not_zip, catalogue)
    no_stops = tmp_path / "nostops.zip"
    with zipfile.ZipFile(no_stops, "w") as archive:
        archive.writestr("agency.txt", "agency_id,agency_name\nA,SNCF\n")
    with pytest.raises(InputError, match="pas de stops.txt dans l'archive"):
        read_gtfs_stations(no_stops, catalogue)


# --- derived services_<dep>.csv --------------------------------------------------------------

def test_derived_services_file(catalogue: Catalogue) -> None:
    result = read_derived_services(DERIVED, catalogue)
    services = result.services
    assert len(services) == 62 and not result.rejected
    assert set(services["category"]) == {"france_services", "agence_postale", "bureau_de_poste",
                                         "relais_poste", "station_carburant", "gare",
                                         "mediation_numerique"}
    mende = row(services, "ter:StopArea:OCE87783605")
    assert mende["name"] == "Gare de Mende"
    first = row(services, "services_48_sample:2")
    assert (first["name"], first["code_insee"]) == ("France services Thueyts", "07322")
    assert first["source"] == "anct-carto/france_services data/liste-fs-20240801.csv"


# --- BPE -----------------------------------------------------------------------------------

def lambert93_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """Inverse Lambert conformal conic 2SP (IGN NTG_71 / Snyder 15-), no pyproj."""
    a, f = 6378137.0, 1 / 298.257222101
    e = math.sqrt(2 * f - f * f)
    lon0, lat0, lat1, lat2 = (math.radians(v) for v in (3.0, 46.5, 44.0, 49.0))
    x0, y0 = 700000.0, 6600000.0

    def m(phi: float) -> float:
        return math.cos(phi) / math.sqrt(1 - (e * math.sin(phi)) ** 2)

    def t(phi: float) -> float:
        s = e * math.sin(phi)
        return math.tan(math.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (e / 2)

    n = (math.log(m(lat1)) - math.log(m(lat2))) / (math.log(t(lat1)) - math.log(t(lat2)))
    big_f = m(lat1) / (n * t(lat1) ** n)
    rho0 = a * big_f * t(lat0) ** n
    dx, dy = x - x0, rho0 - (y - y0)
    rho = math.copysign(math.hypot(dx, dy), n)
    tt = (rho / (a * big_f)) ** (1 / n)
    lon = math.atan2(dx, dy) / n + lon0
    phi = math.pi / 2 - 2 * math.atan(tt)
    for _ in range(20):
        s = e * math.sin(phi)
        phi = math.pi / 2 - 2 * math.atan(tt * ((1 - s) / (1 + s)) ** (e / 2))
    return math.degrees(lon), math.degrees(phi)


def metres_apart(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    earth = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * earth * math.asin(math.sqrt(h))


def test_bpe_sample_categories_unknown_codes_and_not_geolocated(catalogue: Catalogue) -> None:
    result = read_bpe(BPE, catalogue)
    services = result.services
    assert len(services) == 37
    by_line = services.set_index("source_line")
    assert by_line.loc["2", "category"] == "medecin_generaliste"  # D201, Mende
    assert by_line.loc["2", "code_insee"] == "48095"
    assert by_line.loc["4", "category"] == "pharmacie"  # D307
    assert set(services.loc[services["source_id"].str.startswith("A206"), "category"]) == {
        "bureau_de_poste"}
    assert by_line.loc["2", "data_date"] == "2021"
    assert [w for w in result.warnings if "TYPEQU" in w] == [
        f"{BPE} : 3 ligne(s) dont le code TYPEQU est absent du catalogue, non importées : "
        "Z998 (1), Z999 (2)"]
    # one rejection per unknown code (rows 39, 40: Z999; row 41: Z998), located at its
    # first line; the not-geolocated row stays a rejection of its own
    assert [(r.line, r.field, r.value, r.reason) for r in result.rejected] == [
        (39, "TYPEQU", "Z999", "code TYPEQU absent du catalogue (bpe_index) : 2 lignes "
                               "(lignes 39, 40)"),
        (41, "TYPEQU", "Z998", "code TYPEQU absent du catalogue (bpe_index) : 1 ligne (ligne 41)"),
        (42, "LAMBERT_X", "", "non géolocalisé"),
    ]
    z999, z998 = result.rejected[:2]
    assert isinstance(z999, GroupedRejection) and isinstance(z998, GroupedRejection)
    assert (z999.rows, z999.example_lines) == (2, (39, 40))
    assert (z998.rows, z998.example_lines) == (1, (41,))
    assert not isinstance(result.rejected[2], GroupedRejection)


def test_bpe_unknown_codes_of_a_large_file_give_one_rejection_per_code(
        tmp_path: Path, catalogue: Catalogue) -> None:
    bpe = tmp_path / "bpe_national.csv"
    rows = ["DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y"]
    rows += ["48095;Z999;740119.21;6379922.62"] * 10_000  # lines 2-10001
    rows += ["48095;D307;740094.70;6379803.20",  # line 10002: imported
             "48095;D307;abc;6379803.20",  # line 10003: a row problem, stays per row
             "48095;Z999;;"]  # line 10004: unknown code and no coordinates: one problem
    bpe.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = read_bpe(bpe, catalogue)
    assert list(result.services["source_line"]) == ["10002"]
    assert len(result.rejected) == 2
    grouped, bad_x = result.rejected
    assert isinstance(grouped, GroupedRejection)
    assert (grouped.path, grouped.line, grouped.field, grouped.value) == (
        str(bpe), 2, "TYPEQU", "Z999")
    assert (grouped.rows, grouped.example_lines) == (10_001, (2, 3, 4, 5, 6))
    assert grouped.reason == ("code TYPEQU absent du catalogue (bpe_index) : 10\u202f001 lignes "
                              "(premières lignes 2, 3, 4, 5, 6)")
    assert grouped.message() == (
        f"{bpe}:2: champ « TYPEQU » : code TYPEQU absent du catalogue (bpe_index) : "
        "10\u202f001 lignes (premières lignes 2, 3, 4, 5, 6) [Z999]")
    assert (bad_x.line, bad_x.field, bad_x.value, bad_x.reason) == (
        10003, "LAMBERT_X", "abc", "la coordonnée n'est pas un nombre")
    assert result.warnings == [f"{bpe} : 10\u202f001 ligne(s) dont le code TYPEQU est absent "
                               "du catalogue, non importées : Z999 (10001)"]


def test_bpe_grouped_rejections_write_like_any_rejection(catalogue: Catalogue) -> None:
    """rejected_services.csv and the diagnostic pickle take the grouped form unchanged."""
    result = read_bpe(BPE, catalogue)
    table = rejected_table(SimpleNamespace(rejected=result.rejected))
    assert table.to_dict("records")[:2] == [
        {"file": str(BPE), "line": 39, "field": "TYPEQU", "value": "Z999",
         "reason": "code TYPEQU absent du catalogue (bpe_index) : 2 lignes (lignes 39, 40)",
         "rows": 2},
        {"file": str(BPE), "line": 41, "field": "TYPEQU", "value": "Z998",
         "reason": "code TYPEQU absent du catalogue (bpe_index) : 1 ligne (ligne 41)",
         "rows": 1},
    ]
    assert pickle.loads(pickle.dumps(result.rejected)) == result.rejected


def test_report_counts_the_rows_behind_grouped_rejections(tmp_path: Path,
                                                          catalogue: Catalogue) -> None:
    from proximite.inventory.schema import rejected_rows
    from proximite.report.provenance import rejected
    from proximite.report.render import render_block

    bpe = tmp_path / "bpe.csv"
    rows = "".join("48095;Z999;3.5;44.5\n" for _ in range(500))
    bpe.write_text("DEPCOM;TYPEQU;LONGITUDE;LATITUDE\n" + rows + "48095;D307;abc;44.5\n",
                   encoding="utf-8")
    result = read_bpe(bpe, catalogue)
    assert len(result.rejected) == 2 and rejected_rows(result.rejected) == 501
    html = render_block(rejected(result.rejected))
    assert "501 lignes des fichiers de services" in html


def test_bpe_empty_typequ_codes_are_grouped_too(tmp_path: Path, catalogue: Catalogue) -> None:
    bpe = tmp_path / "bpe.csv"
    bpe.write_text("DEPCOM;TYPEQU;LONGITUDE;LATITUDE\n48095;;3.5;44.5\n48095;d307;3.5;44.5\n"
                   "48095; ;3.5;44.5\n", encoding="utf-8")
    result = read_bpe(bpe, catalogue)
    assert list(result.services["category"]) == ["pharmacie"]
    assert [(r.line, r.value, r.rows) for r in result.rejected] == [(2, "", 2)]
    assert result.warnings == [f"{bpe} : 2 ligne(s) dont le code TYPEQU est absent du "
                               "catalogue, non importées : (vide) (2)"]


def test_bpe_reprojection_matches_independent_lambert_formula(catalogue: Catalogue) -> None:
    services = read_bpe(BPE, catalogue).services.set_index("source_line")
    with BPE.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle, delimiter=";"))
    checked = 0
    for line, record in enumerate(raw, start=2):
        if str(line) not in services.index:
            continue
        lon, lat = lambert93_to_wgs84(float(record["LAMBERT_X"]), float(record["LAMBERT_Y"]))
        got = services.loc[str(line)]
        assert metres_apart(lon, lat, got["lon"], got["lat"]) < 1.0
        checked += 1
    assert checked == 37
    # Mende's rows lie near its town hall (3.501172 E, 44.517817 N) within the 300 m jitter
    mende = services.loc["2"]
    assert metres_apart(mende["lon"], mende["lat"], 3.501172, 44.517817) < 450


def test_bpe_lambert_origin_and_stable_ids(tmp_path: Path, catalogue: Catalogue) -> None:
    bpe = tmp_path / "bpe.csv"
    bpe.write_text("AN;DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y\n"
                   "2021;03001;D307;700000;6600000\n"
                   "2021;03001;D307;700000;6600000\n"
                   "2021;03001;D307;abc;6600000\n", encoding="utf-8")
    result = read_bpe(bpe, catalogue)
    origin = result.services.iloc[0]
    # the projection's defining point: 3°E, 46.5°N <-> (700 000, 6 600 000)
    assert metres_apart(origin["lon"], origin["lat"], 3.0, 46.5) < 0.01
    ids = list(result.services["service_id"])
    assert ids[0].startswith("bpe:D307:03001:") and ids[1] == ids[0] + "-2"
    assert ids == list(read_bpe(bpe, catalogue).services["service_id"])
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (4, "LAMBERT_X", "la coordonnée n'est pas un nombre")]


def test_bpe_with_wgs84_columns(tmp_path: Path, catalogue: Catalogue) -> None:
    bpe = tmp_path / "bpe23.csv"
    bpe.write_text("DEPCOM;TYPEQU;LONGITUDE;LATITUDE\n48095;D307;3.5;44.52\n48095;D307;;\n",
                   encoding="utf-8")
    result = read_bpe(bpe, catalogue)
    assert (result.services.iloc[0]["lon"], result.services.iloc[0]["lat"]) == (3.5, 44.52)
    assert [(r.line, r.reason) for r in result.rejected] == [(3, "non géolocalisé")]


# --- partner files in the Proximité schema ---------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_partner_file(tmp_path: Path, catalogue: Catalogue) -> None:
    partner = write(tmp_path / "partenaires.csv",
                    "category,name,lon,lat,access_modes,code_insee\n"
                    "pharmacie,Pharmacie du Centre,3.5,44.52,,8095\n"
                    "france_services,Bus France services,3.4,44.6,itinerant|phone,48095\n"
                    "boulangeries,Fournil,3.5,44.5,on_site,48095\n"
                    "pharmacie,Pharmacie X,3.5,44.5,teleport,48095\n")
    result = read_partner_services(partner, catalogue)
    services = result.services
    assert list(services["service_id"]) == ["partenaires:2", "partenaires:3"]
    assert services.iloc[0]["access_modes"] == "on_site"
    assert services.iloc[0]["code_insee"] == "08095"
    assert services.iloc[1]["access_modes"] == "itinerant|phone"
    assert services.iloc[0]["source"] == "partenaires.csv"
    assert services.iloc[0]["source_line"] == "2"
    by_line = {r.line: r for r in result.rejected}
    assert by_line[4].field == "category" and by_line[4].value == "boulangeries"
    assert "codes connus : " in by_line[4].reason and "boulangerie" in by_line[4].reason
    assert by_line[5].field == "access_modes"
    assert "on_site, itinerant, phone, video, online" in by_line[5].reason


def test_partner_keeps_given_provenance_and_rejects_duplicate_ids(tmp_path: Path,
                                                                 catalogue: Catalogue) -> None:
    partner = write(tmp_path / "bundle.csv",
                    "service_id,category,name,lon,lat,source_file,source_line\n"
                    "fs:271,france_services,FS Marvejols,3.29,44.55,services/fs.csv,32\n"
                    "fs:271,france_services,FS Marvejols bis,3.29,44.55,,\n")
    result = read_partner_services(partner, catalogue)
    assert len(result.services) == 1
    kept = result.services.iloc[0]
    assert (kept["source_file"], kept["source_line"]) == ("services/fs.csv", "32")
    assert [(r.line, r.field) for r in result.rejected] == [(3, "service_id")]


def test_partner_round_trip_of_an_import(tmp_path: Path, catalogue: Catalogue) -> None:
    """What an importer writes (the embedded demo) reads back unchanged."""
    original = read_laposte(LAPOSTE, catalogue, bbox=LOZERE_BOX).services
    exported = tmp_path / "services_48.csv"
    original.to_csv(exported, index=False)
    again = load_services([exported], catalogue).services
    pd.testing.assert_frame_equal(again, original)


# --- dispatch ------------------------------------------------------------------------------

def test_load_services_detects_every_layout_and_filters_the_box(catalogue: Catalogue) -> None:
    paths = [FS, LAPOSTE, FUEL, CNFS, GTFS, BPE]
    assert [detect_layout(p).name for p in [*paths, DERIVED]] == [
        "france_services", "laposte", "fuel", "cnfs", "gtfs", "bpe", "derived"]
    result = load_services(paths, catalogue, bbox=LOZERE_BOX)
    services = result.services
    assert services["lon"].between(2.97, 4.00).all()
    assert services["lat"].between(44.10, 44.98).all()
    counts = services["category"].value_counts().to_dict()
    assert counts["gare"] == 29 + 1  # TER stations + the BPE E107 row in Mende
    assert counts["france_services"] == 20
    assert services["service_id"].is_unique
    # row problems of every file are kept even when the row's place is unknown (the BPE's
    # 3 unknown-code rows as one rejection per code, Z999 and Z998)
    assert len(result.rejected) == 3 + 1 + 2 + 2 + 1


def test_unknown_layout_lists_supported_layouts(tmp_path: Path, catalogue: Catalogue) -> None:
    other = write(tmp_path / "autre.csv", "foo;bar;baz\n1;2;3\n")
    with pytest.raises(InputError, match=r"autre\.csv:1: disposition de fichier non reconnue.*"
                                         r"ANCT liste des France Services.*INSEE BPE"):
        load_services([other], catalogue)


# --- structural errors ----------------------------------------------------------------------

def test_missing_column(tmp_path: Path, catalogue: Catalogue) -> None:
    frame = pd.read_csv(FS, dtype=str, keep_default_na=False).drop(columns=["lib_fs"])
    broken = tmp_path / "fs.csv"
    frame.to_csv(broken, index=False)
    with pytest.raises(InputError, match=r"fs\.csv:1: colonne\(s\) manquante\(s\) 'lib_fs'"):
        read_france_services(broken, catalogue)


def test_misspelt_column_suggests_near_match(tmp_path: Path, catalogue: Catalogue) -> None:
    text = LAPOSTE.read_text(encoding="utf-8").replace("Latitude;", "Lattitude;", 1)
    broken = write(tmp_path / "poste.csv", text)
    with pytest.raises(InputError,
                       match=r"'Latitude' \(trouvé « Lattitude » : faute de frappe \?\)"):
        load_services([broken], catalogue)


def test_empty_file(tmp_path: Path, catalogue: Catalogue) -> None:
    empty = write(tmp_path / "vide.csv", "")
    with pytest.raises(InputError, match=r"vide\.csv: fichier vide"):
        read_fuel_stations(empty, catalogue)
    with pytest.raises(InputError, match="fichier vide"):
        load_services([empty], catalogue)


def test_missing_file(tmp_path: Path, catalogue: Catalogue) -> None:
    with pytest.raises(InputError, match=r"absent\.csv: fichier introuvable"):
        load_services([tmp_path / "absent.csv"], catalogue)


def test_bad_json(tmp_path: Path, catalogue: Catalogue) -> None:
    broken = write(tmp_path / "cnfs.json", '[{"id": 1, "raison_sociale": "X",\n "latitude": }]')
    with pytest.raises(InputError, match=r"cnfs\.json:2: JSON invalide"):
        read_cnfs(broken, catalogue)
    not_array = write(tmp_path / "obj.json", '{"a": 1}')
    with pytest.raises(InputError, match="pas un tableau JSON d'objets"):
        read_cnfs(not_array, catalogue)


def test_unknown_category_in_partner_file_through_load_services(tmp_path: Path,
                                                                catalogue: Catalogue) -> None:
    partner = write(tmp_path / "p.csv",
                    "category,name,lon,lat\nmairie_annexe,Mairie annexe,3.5,44.5\n")
    result = load_services([partner], catalogue)
    assert len(result.services) == 0
    (rejection,) = result.rejected
    assert rejection.message().startswith(f"{partner}:2: champ « category » : catégorie inconnue")
    assert "france_services" in rejection.message()


def test_wrong_field_count_row_is_rejected_with_its_line(tmp_path: Path,
                                                         catalogue: Catalogue) -> None:
    text = "category,name,lon,lat\npharmacie,A,3.5,44.5\npharmacie,B,3.5\n"
    result = read_partner_services(write(tmp_path / "p.csv", text), catalogue)
    assert len(result.services) == 1
    assert [(r.line, r.reason) for r in result.rejected] == [(3, "4 champs attendus, 3 trouvés")]


def test_large_file_fast_path_gives_the_same_rows_and_lines(
        monkeypatch: pytest.MonkeyPatch, catalogue: Catalogue) -> None:
    """The pandas path used for national-size files agrees with the exact csv-module path,
    including on the ANCT file whose multi-line comments force the exact path back."""
    slow_fs = read_france_services(FS, catalogue).services
    slow_fuel = read_fuel_stations(FUEL, catalogue)
    monkeypatch.setattr("proximite.inventory._read.FAST_PATH_BYTES", 0)
    pd.testing.assert_frame_equal(read_france_services(FS, catalogue).services, slow_fs)
    fast_fuel = read_fuel_stations(FUEL, catalogue)
    pd.testing.assert_frame_equal(fast_fuel.services, slow_fuel.services)
    assert fast_fuel.rejected == slow_fuel.rejected
