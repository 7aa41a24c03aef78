"""Exports to data·inclusion and LaMednum: lossless round trips, required fields, routes."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from proximite.inventory.schema import SERVICE_COLUMNS, normalise_services
from proximite.pipeline import run_diagnostic
from proximite.web.app import create_app
from proximite.web.export_routes import router
from proximite.web.exports import (
    DI_SERVICE_FIELDS,
    DI_STRUCTURE_FIELDS,
    MEDNUM_FIELDS,
    from_data_inclusion,
    from_mediation_numerique,
    modes_accueil_of,
    read_export_csv,
    to_csv_text,
    to_data_inclusion,
    to_mediation_numerique,
)
from proximite.web.store import PortalData


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return PortalData.from_result(run_diagnostic())


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
    for column in ("structure_id", "id", "source", "nom", "date_maj", "modes_accueil"):
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
    assert mednum["itinerance"].tolist() == ["non", "oui", "non", "non", "non"]
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
    ("/api/exports/data-inclusion/services.csv", "structure_id,id,source,nom,type"),
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
