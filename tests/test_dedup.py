"""Duplicate merging across sources, on hand-built services a few metres apart."""

from __future__ import annotations

import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proximite.catalogue import Catalogue, Category
from proximite.inventory.dedup import REPORT_COLUMNS, deduplicate
from proximite.inventory.schema import PROVENANCE_SEP, SERVICE_COLUMNS, normalise_services

GEOD = pyproj.Geod(ellps="GRS80")
MENDE = (3.5, 44.52)

CATALOGUE = Catalogue(
    categories={
        "la_poste": Category("la_poste", "Point de contact La Poste", "services_publics"),
        "bureau_de_poste": Category("bureau_de_poste", "Bureau de poste", "services_publics",
                                    parent="la_poste"),
        "agence_postale": Category("agence_postale", "Agence postale", "services_publics",
                                   parent="la_poste"),
        "pharmacie": Category("pharmacie", "Pharmacie", "social"),
        "medecin_generaliste": Category("medecin_generaliste", "Médecin", "social"),
    },
    baskets={},
)


def east(metres: float) -> tuple[float, float]:
    """A point ``metres`` due east of Mende."""
    lon, lat, _ = GEOD.fwd(MENDE[0], MENDE[1], 90.0, metres)
    return lon, lat


def service(sid: str, source: str, east_m: float = 0.0, category: str = "pharmacie",
            **fields: str) -> dict[str, object]:
    lon, lat = east(east_m)
    row: dict[str, object] = {
        "service_id": sid, "category": category, "name": "", "lon": lon, "lat": lat,
        "access_modes": "on_site", "source": source, "source_id": f"{source}-{sid}",
        "data_date": "2023", "source_file": f"{source}.csv", "source_line": sid[-1],
    }
    row.update(fields)
    return row


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return normalise_services(pd.DataFrame(list(rows)))


def test_two_sources_20_m_apart_are_merged_with_both_provenances() -> None:
    services = frame(
        service("b1", "bpe", 0.0, data_date="2023", address="2 rue de la République",
                code_insee="48095"),
        service("o2", "osm", 20.0, data_date="2024-03", name="Pharmacie du Centre",
                opening_hours="Mo-Fr 09:00-19:00", opening_hours_raw="Mo-Fr 09:00-19:00"),
    )
    result, report = deduplicate(services, CATALOGUE)
    assert len(result) == 1
    row = result.iloc[0]
    # OSM is the most recent: its id, position and name win; the BPE fills the gaps.
    assert row["service_id"] == "o2"
    assert (row["lon"], row["lat"]) == pytest.approx(east(20.0))
    assert row["name"] == "Pharmacie du Centre"
    assert row["address"] == "2 rue de la République"
    assert row["code_insee"] == "48095"
    assert row["opening_hours"] == "Mo-Fr 09:00-19:00"
    assert row["source"] == "osm | bpe"
    assert row["source_id"] == "osm-o2 | bpe-b1"
    assert row["data_date"] == "2024-03 | 2023"
    assert row["source_file"] == "osm.csv | bpe.csv"
    assert row["source_line"] == "2 | 1"
    assert list(result.columns) == SERVICE_COLUMNS
    assert list(report.columns) == REPORT_COLUMNS
    assert report.iloc[0][["kept_service_id", "merged_service_ids", "categories",
                           "sources"]].tolist() == ["o2", "b1", "pharmacie | pharmacie",
                                                    "osm | bpe"]
    assert report.iloc[0]["distance_m"] == pytest.approx(20.0, abs=0.1)


def test_80_m_apart_not_merged() -> None:
    services = frame(service("b1", "bpe", 0.0), service("o2", "osm", 80.0))
    result, report = deduplicate(services, CATALOGUE)
    pd.testing.assert_frame_equal(result, services)
    assert len(report) == 0
    assert list(report.columns) == REPORT_COLUMNS


def test_same_source_never_merged() -> None:
    services = frame(service("o1", "osm", 0.0), service("o2", "osm", 5.0))
    result, report = deduplicate(services, CATALOGUE)
    assert result["service_id"].tolist() == ["o1", "o2"]
    assert len(report) == 0


def test_different_categories_not_merged() -> None:
    services = frame(service("b1", "bpe", 0.0, category="medecin_generaliste"),
                     service("o2", "osm", 5.0, category="pharmacie"))
    assert len(deduplicate(services, CATALOGUE)[0]) == 2


def test_parent_and_child_categories_merged_to_the_child() -> None:
    services = frame(service("o1", "osm", 0.0, category="la_poste", data_date="2025"),
                     service("p2", "laposte", 10.0, category="bureau_de_poste"))
    result, report = deduplicate(services, CATALOGUE)
    assert len(result) == 1
    assert result.iloc[0]["category"] == "bureau_de_poste"
    assert result.iloc[0]["service_id"] == "o1"  # most recent source still gives the id
    assert report.iloc[0]["categories"] == "la_poste | bureau_de_poste"


def test_sibling_categories_not_merged_even_through_their_parent() -> None:
    # OSM's generic post office sits between two distinct La Poste points of two sources.
    services = frame(service("p1", "laposte", 0.0, category="bureau_de_poste"),
                     service("o2", "osm", 20.0, category="la_poste"),
                     service("b3", "bpe", 30.0, category="agence_postale"))
    result, _ = deduplicate(services, CATALOGUE)
    assert sorted(result["category"]) == ["agence_postale", "bureau_de_poste"]
    # o2 joined its nearest neighbour b3; same dates, so input order decides who is kept.
    assert result.iloc[1][["service_id", "source"]].tolist() == ["o2", "osm | bpe"]


def test_clusters_chain_transitively_across_sources() -> None:
    # A-B 40 m, B-C 40 m: one place even though A and C are 80 m apart (documented).
    services = frame(service("o1", "osm", 0.0, data_date="2025"),
                     service("b2", "bpe", 40.0),
                     service("p3", "laposte", 80.0, data_date="2020"))
    result, report = deduplicate(services, CATALOGUE)
    assert len(result) == 1
    assert result.iloc[0]["source"] == "osm | bpe | laposte"
    assert report.iloc[0]["merged_service_ids"] == "b2 | p3"
    assert report.iloc[0]["distance_m"] == pytest.approx(80.0, abs=0.1)


def test_chain_never_absorbs_two_rows_of_one_source() -> None:
    # Two OSM pharmacies 45 m apart, the BPE point 15 m from the second: it joins only that one.
    services = frame(service("o1", "osm", 0.0), service("b2", "bpe", 30.0),
                     service("o3", "osm", 45.0))
    result, report = deduplicate(services, CATALOGUE)
    assert result["source_id"].tolist() == ["osm-o1", "bpe-b2 | osm-o3"]
    assert report["kept_service_id"].tolist() == ["b2"]


def test_access_modes_union() -> None:
    services = frame(service("b1", "bpe", 0.0, access_modes="on_site"),
                     service("o2", "osm", 10.0, access_modes="online|phone"),
                     service("p3", "partner", 20.0, access_modes="phone|video"))
    result, _ = deduplicate(services, CATALOGUE)
    assert result.iloc[0]["access_modes"] == "on_site|phone|video|online"


def test_source_priority_overrides_recency() -> None:
    services = frame(service("b1", "bpe", 0.0, data_date="2020"),
                     service("o2", "osm", 10.0, data_date="2025"))
    result, _ = deduplicate(services, CATALOGUE, source_priority=["bpe"])
    assert result.iloc[0]["service_id"] == "b1"
    assert result.iloc[0]["source"] == "bpe | osm"


def test_name_similarity_when_asked() -> None:
    same = frame(service("b1", "bpe", 0.0, name="PHARMACIE DU CENTRE"),
                 service("o2", "osm", 10.0, name="Pharmacie du Centre"))
    other = frame(service("b1", "bpe", 0.0, name="Pharmacie du Centre"),
                  service("o2", "osm", 10.0, name="Pharmacie des Écoles"))
    assert len(deduplicate(same, CATALOGUE, name_similarity=0.9)[0]) == 1
    assert len(deduplicate(other, CATALOGUE, name_similarity=0.9)[0]) == 2
    assert len(deduplicate(other, CATALOGUE)[0]) == 1  # names ignored by default


def test_output_order_is_input_order_and_rerun_is_stable() -> None:
    services = frame(service("x1", "osm", 500.0), service("b2", "bpe", 0.0),
                     service("y3", "osm", 1000.0), service("o4", "osm", 10.0, data_date="2025"))
    result, _ = deduplicate(services, CATALOGUE)
    assert result["service_id"].tolist() == ["x1", "o4", "y3"]  # merge stands at b2's place
    again, report = deduplicate(result, CATALOGUE)
    pd.testing.assert_frame_equal(again, result)
    assert len(report) == 0


def test_missing_coordinates_are_left_alone() -> None:
    services = frame(service("b1", "bpe", 0.0), service("o2", "osm", 10.0))
    services.loc[1, "lon"] = float("nan")
    result, _ = deduplicate(services, CATALOGUE)
    assert result["service_id"].tolist() == ["b1", "o2"]


SOURCES = ["osm", "bpe", "laposte", "partner"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SOURCES), st.sampled_from(sorted(CATALOGUE.categories)),
                          st.floats(0.0, 200.0), st.floats(0.0, 200.0)),
                min_size=0, max_size=25))
def test_dedup_keeps_every_provenance_exactly_once(rows: list[tuple[str, str, float, float]]
                                                   ) -> None:
    records = []
    for i, (source, category, east_m, north_m) in enumerate(rows):
        lon, lat, _ = GEOD.fwd(*east(east_m), 0.0, north_m)
        records.append({"service_id": f"s{i}", "category": category, "lon": lon, "lat": lat,
                        "source": source, "source_id": f"id{i}", "data_date": "2023",
                        "source_file": f"{source}.csv", "source_line": str(i + 2),
                        "access_modes": "on_site"})
    services = normalise_services(pd.DataFrame(records)) if records else frame()
    result, report = deduplicate(services, CATALOGUE)

    assert len(result) <= len(services)
    ids = [part for value in result["source_id"] for part in value.split(PROVENANCE_SEP)]
    assert sorted(ids) == sorted(services["source_id"])
    merged = [part for value in report["merged_service_ids"]
              for part in value.split(PROVENANCE_SEP)]
    assert len(result) == len(services) - len(merged)
    for value in result["source"]:
        sources = value.split(PROVENANCE_SEP)
        assert len(sources) == len(set(sources))  # never two rows of one source
    for column in ("data_date", "source_file", "source_line"):
        assert [v.count(PROVENANCE_SEP) for v in result[column]] \
            == [v.count(PROVENANCE_SEP) for v in result["source"]]
