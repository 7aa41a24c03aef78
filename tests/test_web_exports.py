"""Exports to data·inclusion and LaMednum: lossless round trips, required fields, routes."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from proximite.catalogue import load_catalogue
from proximite.inventory.schema import SERVICE_COLUMNS, normalise_services
from proximite.web.app import create_app
from proximite.web.exports import (
    CATEGORY_OF_RESEAU,
    DI_SERVICE_FIELDS,
    DI_SERVICE_VOCABULARIES,
    DI_STRUCTURE_FIELDS,
    DI_STRUCTURE_VOCABULARIES,
    LIST_SEP,
    MEDNUM_DEFAULT_SERVICES,
    MEDNUM_DISPOSITIFS,
    MEDNUM_FIELDS,
    MEDNUM_ITINERANCE,
    MEDNUM_MODALITES_ACCES,
    MEDNUM_MODALITES_ACCOMPAGNEMENT,
    MEDNUM_VOCABULARIES,
    MODES_ACCUEIL,
    MODES_MOBILISATION,
    PUBLICS,
    PUBLICS_DEFAULT,
    REFERENTIELS_PATH,
    RESEAUX_PORTEURS,
    SERVICE_TYPE,
    THEMATIQUES,
    from_data_inclusion,
    from_mediation_numerique,
    load_referentiels,
    modes_accueil_of,
    read_export_csv,
    to_csv_text,
    to_data_inclusion,
    to_mediation_numerique,
)
from proximite.web.routes.exports import router
from proximite.web.store import PortalData


@pytest.fixture(scope="module")
def portal(demo_portal: PortalData) -> PortalData:
    return demo_portal  # PortalData.from_result(demo_result), from the run's pickle


@pytest.fixture(scope="module")
def demo_services(portal: PortalData) -> pd.DataFrame:
    return normalise_services(portal.services)


@pytest.fixture(scope="module")
def mediation_services(demo_services: pd.DataFrame) -> pd.DataFrame:
    picked = demo_services[demo_services["category"] == "mediation_numerique"]
    assert len(picked) > 0
    return picked.reset_index(drop=True)


@pytest.fixture(scope="module")
def client(portal: PortalData) -> TestClient:
    app = create_app(portal)
    app.include_router(router)
    return TestClient(app)


def _assert_same_columns(back: pd.DataFrame, original: pd.DataFrame) -> None:
    assert list(back.columns) == SERVICE_COLUMNS == list(original.columns)
    for column in SERVICE_COLUMNS:
        pd.testing.assert_series_equal(back[column], original[column], obj=column)


# ---------------------------------------------------------------- round trips
def test_data_inclusion_round_trip_is_lossless(portal: PortalData,
                                               demo_services: pd.DataFrame) -> None:
    structures, services = to_data_inclusion(portal.services, portal.communes)
    _assert_same_columns(from_data_inclusion(structures, services), demo_services)


def test_data_inclusion_round_trip_through_csv_text(portal: PortalData,
                                                    demo_services: pd.DataFrame) -> None:
    structures, services = to_data_inclusion(portal.services, portal.communes)
    back = from_data_inclusion(read_export_csv(to_csv_text(structures)),
                               read_export_csv(to_csv_text(services)))
    _assert_same_columns(back, demo_services)


def test_mediation_numerique_round_trip_is_lossless(
        portal: PortalData, mediation_services: pd.DataFrame) -> None:
    frame = to_mediation_numerique(mediation_services, portal.communes)
    _assert_same_columns(from_mediation_numerique(frame), mediation_services)
    via_csv = from_mediation_numerique(read_export_csv(to_csv_text(frame)))
    _assert_same_columns(via_csv, mediation_services)


# ---------------------------------------------------------------- required fields
def test_data_inclusion_fields_present_and_required_ones_filled(portal: PortalData) -> None:
    structures, services = to_data_inclusion(portal.services, portal.communes)
    assert list(structures.columns[:len(DI_STRUCTURE_FIELDS)]) == DI_STRUCTURE_FIELDS
    assert list(services.columns[:len(DI_SERVICE_FIELDS)]) == DI_SERVICE_FIELDS
    for column in ("source", "id", "nom", "date_maj"):
        assert (structures[column].astype(str) != "").all(), column
    for column in ("structure_id", "id", "source", "nom", "description", "date_maj",
                   "modes_accueil"):
        assert (services[column].astype(str) != "").all(), column
    assert structures["date_maj"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(services["structure_id"]) <= set(structures["id"])
    assert structures[["longitude", "latitude"]].notna().all().all()


def test_mediation_required_fields_filled(portal: PortalData,
                                          mediation_services: pd.DataFrame) -> None:
    frame = to_mediation_numerique(mediation_services, portal.communes)
    assert list(frame.columns[:len(MEDNUM_FIELDS)]) == MEDNUM_FIELDS
    for column in ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"):
        assert (frame[column].astype(str) != "").all(), column
    assert frame["code_postal"].str.fullmatch(r"\d{5}").all()
    assert frame["date_maj"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


# ---------------------------------------------------------------- modes mapping
def _hand_built(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return normalise_services(pd.DataFrame([{
        "service_id": service_id, "category": "france_services", "name": f"Lieu {service_id}",
        "lon": 3.5, "lat": 44.5, "code_insee": "48095",
        "address": "10 Rue des Carmes, 48000 Mende", "access_modes": modes,
        "source": "test", "source_id": service_id, "data_date": "2024-08-01",
    } for service_id, modes in rows]))


@pytest.mark.parametrize(("modes", "expected"), [
    ("on_site", "en-presentiel"),
    ("itinerant", "en-presentiel"),
    ("phone", "a-distance"),
    ("video", "a-distance"),
    ("online", "a-distance"),
    ("on_site|phone", "en-presentiel|a-distance"),
    ("phone|video|online", "a-distance"),
    ("", ""),
])
def test_modes_accueil_mapping(modes: str, expected: str) -> None:
    assert modes_accueil_of(modes) == expected


def test_hand_built_rows_exported_and_read_back() -> None:
    rows = _hand_built([("a", "on_site"), ("b", "itinerant"), ("c", "phone"),
                        ("d", "video|online"), ("e", "on_site|video")])
    structures, services = to_data_inclusion(rows)
    assert services["modes_accueil"].tolist() == [
        "en-presentiel", "en-presentiel", "a-distance", "a-distance",
        "en-presentiel|a-distance"]
    assert structures["commune"].tolist() == ["Mende"] * 5
    assert structures["code_postal"].tolist() == ["48000"] * 5
    assert services["zone_eligibilite"].tolist() == ["48095"] * 5
    _assert_same_columns(from_data_inclusion(structures, services), rows)
    mednum = to_mediation_numerique(rows)
    assert mednum["itinerance"].tolist() == ["Fixe", "Itinérant", "", "", "Fixe"]
    assert mednum["modalites_acces"].tolist() == [
        "Se présenter", "Se présenter", "Téléphoner", "", "Se présenter"]
    assert mednum["modalites_accompagnement"].tolist() == [
        "", "", "À distance", "À distance", "À distance"]
    _assert_same_columns(from_mediation_numerique(mednum), rows)


def test_import_without_extras_derives_from_standard_fields() -> None:
    rows = _hand_built([("a", "on_site"), ("b", "itinerant"), ("c", "video")])
    structures, services = to_data_inclusion(rows)
    plain_structures = structures.loc[:, DI_STRUCTURE_FIELDS]
    plain_services = services.loc[:, DI_SERVICE_FIELDS]
    back = from_data_inclusion(plain_structures, plain_services)
    assert back["access_modes"].tolist() == ["on_site", "on_site", "phone"]
    assert back["address"].tolist() == ["10 Rue des Carmes, 48000 Mende"] * 3
    assert back["source"].tolist() == ["proximite"] * 3
    mednum = from_mediation_numerique(to_mediation_numerique(rows).loc[:, MEDNUM_FIELDS])
    assert mednum["access_modes"].tolist() == ["on_site", "itinerant", "on_site"]
    assert (mednum["category"] == "mediation_numerique").all()


# ---------------------------------------------------------------- routes
@pytest.mark.parametrize(("url", "first_columns"), [
    ("/api/exports/data-inclusion/structures.csv", "source,id,nom,date_maj,description"),
    ("/api/exports/data-inclusion/services.csv",
     "structure_id,id,source,nom,description,type"),
    ("/api/exports/mediation-numerique.csv", "id,pivot,nom,commune,code_postal"),
])
def test_export_endpoints(client: TestClient, url: str, first_columns: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "utf-8" in response.headers["content-type"]
    header = response.content.decode("utf-8").split("\n", 1)[0]
    assert header.startswith(first_columns)
    assert any(name.startswith("proximite_") for name in header.split(","))
    # built once, then served from memory: same bytes, no rebuild
    cached = client.app.state.portal.export_cache
    assert cached[url.rsplit("/", 1)[1].replace("mediation-numerique",
                                                "lieux-mediation-numerique")] \
        == response.content
    again = client.get(url)
    assert again.content == response.content
    assert 'filename="' in again.headers["content-disposition"]


def test_mediation_endpoint_round_trips(client: TestClient,
                                        mediation_services: pd.DataFrame) -> None:
    text = client.get("/api/exports/mediation-numerique.csv").content.decode("utf-8")
    back = from_mediation_numerique(read_export_csv(text))
    _assert_same_columns(back, mediation_services)


# ---------------------------------------------------------------- official value lists
# Every controlled field may only hold values of the official lists shipped in
# data/reference/referentiels_exports.yaml; a reintroduced invented slug fails here.
ALL_MODES = ["on_site", "itinerant", "phone", "video", "online"]


def _official(standard: str, name: str) -> set[str]:
    return set(load_referentiels()[standard][name])


def _every_category_and_mode() -> pd.DataFrame:
    """One row per catalogue category × access-mode combination the exporters map."""
    combos = [*ALL_MODES, "on_site|itinerant", "on_site|phone|video|online", ""]
    return normalise_services(pd.DataFrame([{
        "service_id": f"{code}-{i}", "category": code, "name": f"Lieu {code}",
        "operator": "Opérateur", "lon": 3.5, "lat": 44.5, "code_insee": "48095",
        "address": "10 Rue des Carmes, 48000 Mende", "access_modes": modes,
        "source": "test", "source_id": f"{code}-{i}", "data_date": "2024-08-01",
    } for code in load_catalogue().categories for i, modes in enumerate(combos)]))


def _cell_values(frame: pd.DataFrame, column: str) -> set[str]:
    return {v for cell in frame[column].astype(str) for v in cell.split(LIST_SEP) if v}


def test_referentiels_file_states_its_provenance() -> None:
    header = REFERENTIELS_PATH.read_text(encoding="utf-8").split("\n\n", 1)[0]
    for needed in ("gip-inclusion/data-inclusion-schema", "LaMednum/standard-mediation-num",
                   "089dccca9af514f4bbee0ea65adfda3994018217",
                   "59d498e7b73c116cceff501179f9e51dbed77740", "licence", "read:"):
        assert needed in header, needed
    lists = load_referentiels()
    assert set(lists) == {"data_inclusion", "mediation_numerique"}
    assert set(DI_SERVICE_VOCABULARIES.values()) | set(DI_STRUCTURE_VOCABULARIES.values()) \
        <= set(lists["data_inclusion"])
    assert set(MEDNUM_VOCABULARIES.values()) <= set(lists["mediation_numerique"])


@pytest.mark.parametrize(("values", "standard", "name"), [
    (set(SERVICE_TYPE.values()), "data_inclusion", "types_de_services"),
    ({t for ts in THEMATIQUES.values() for t in ts}, "data_inclusion", "thematiques"),
    ({r for rs in RESEAUX_PORTEURS.values() for r in rs} | set(CATEGORY_OF_RESEAU),
     "data_inclusion", "reseaux_porteurs"),
    ({*PUBLICS.values(), PUBLICS_DEFAULT}, "data_inclusion", "publics"),
    (set(MODES_ACCUEIL.values()), "data_inclusion", "modes_accueil"),
    (set(MODES_MOBILISATION.values()), "data_inclusion", "modes_mobilisation"),
    (set(MEDNUM_DEFAULT_SERVICES), "mediation_numerique", "services"),
    (set(MEDNUM_ITINERANCE.values()), "mediation_numerique", "itinerance"),
    (set(MEDNUM_MODALITES_ACCES.values()), "mediation_numerique", "modalites_acces"),
    (set(MEDNUM_MODALITES_ACCOMPAGNEMENT.values()), "mediation_numerique",
     "modalites_accompagnement"),
    (set(MEDNUM_DISPOSITIFS.values()), "mediation_numerique",
     "dispositif_programmes_nationaux"),
])
def test_mapping_tables_use_official_values(values: set[str], standard: str,
                                            name: str) -> None:
    assert values, name
    assert values <= _official(standard, name), values - _official(standard, name)


def test_mapped_categories_exist_in_the_catalogue() -> None:
    codes = set(load_catalogue().categories)
    for table in (SERVICE_TYPE, THEMATIQUES, RESEAUX_PORTEURS, PUBLICS, MEDNUM_DISPOSITIFS):
        assert set(table) <= codes, set(table) - codes
    assert set(CATEGORY_OF_RESEAU.values()) <= codes


def test_data_inclusion_export_writes_only_official_values(portal: PortalData) -> None:
    for frames in (to_data_inclusion(_every_category_and_mode()),
                   to_data_inclusion(portal.services, portal.communes)):
        structures, services = frames
        for column, name in DI_STRUCTURE_VOCABULARIES.items():
            assert _cell_values(structures, column) <= _official("data_inclusion", name)
        for column, name in DI_SERVICE_VOCABULARIES.items():
            written = _cell_values(services, column)
            assert written <= _official("data_inclusion", name), (column, written)
        publics = services["publics"].str.split(LIST_SEP)
        assert not publics.map(lambda p: "tous-publics" in p and len(p) > 1).any()
        assert services["zone_eligibilite"].str.fullmatch(r"(\d[\dAB]\d{3})?").all()


def test_mediation_export_writes_only_official_values(
        portal: PortalData, mediation_services: pd.DataFrame) -> None:
    for frame in (to_mediation_numerique(_every_category_and_mode()),
                  to_mediation_numerique(mediation_services, portal.communes)):
        for column, name in MEDNUM_VOCABULARIES.items():
            written = _cell_values(frame, column)
            assert written <= _official("mediation_numerique", name), (column, written)
        assert frame["services"].ne("").all()  # required by the standard


@pytest.mark.parametrize(("category", "type_", "thematiques", "reseaux"), [
    ("france_services", "accompagnement",
     "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
     "|difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
     "|numerique--acceder-a-des-services-en-ligne", "france-service"),
    ("mediation_numerique", "accompagnement",
     "numerique--maitriser-les-fondamentaux-du-numerique"
     "|numerique--acceder-a-des-services-en-ligne", "conseillers-numeriques"),
    ("bureau_de_poste", "", "", "la-poste"),
    ("agence_postale", "", "", "la-poste|communes"),
    ("gare", "", "", ""),
    ("station_carburant", "", "", ""),
])
def test_data_inclusion_values_per_category(category: str, type_: str, thematiques: str,
                                            reseaux: str) -> None:
    rows = _every_category_and_mode()
    structures, services = to_data_inclusion(rows[rows["category"] == category].head(1))
    assert services["type"].tolist() == [type_]
    assert services["thematiques"].tolist() == [thematiques]
    assert structures["reseaux_porteurs"].tolist() == [reseaux]
    assert services["proximite_category"].tolist() == [category]


def test_category_read_back_from_reseaux_without_extras() -> None:
    rows = _every_category_and_mode()
    picked = rows[rows["category"].isin(["france_services", "bureau_de_poste", "gare"])
                  & (rows["access_modes"] == "on_site")].reset_index(drop=True)
    structures, services = to_data_inclusion(picked)
    back = from_data_inclusion(structures.loc[:, DI_STRUCTURE_FIELDS],
                               services.loc[:, DI_SERVICE_FIELDS])
    assert back["category"].tolist() == ["france_services", "la_poste", ""]


def test_mediation_import_reads_legacy_itinerance_values() -> None:
    rows = _hand_built([("a", "on_site"), ("b", "itinerant")])
    frame = to_mediation_numerique(rows).loc[:, MEDNUM_FIELDS]
    frame["itinerance"] = ["non", "oui"]
    assert from_mediation_numerique(frame)["access_modes"].tolist() == ["on_site", "itinerant"]
    frame["itinerance"] = ["Fixe|Itinérant", ""]
    assert from_mediation_numerique(frame)["access_modes"].tolist() == [
        "on_site|itinerant", "on_site"]
