"""Indicators checked on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from proximite.catalogue import load_catalogue
from proximite.errors import ProximiteError
from proximite.indicators import (
    IndicatorParams,
    basket_times,
    compute_indicators,
    weighted_quantile,
)


def test_weighted_quantile_hand_computed() -> None:
    # times 2, 5, 9 min for 100, 300, 600 people: cumulative 100, 400, 1000.
    times = np.array([9.0, 2.0, 5.0])
    people = np.array([600.0, 100.0, 300.0])
    assert weighted_quantile(times, people, 0.1) == 2.0  # 100 >= 0.1*1000
    assert weighted_quantile(times, people, 0.11) == 5.0
    assert weighted_quantile(times, people, 0.4) == 5.0  # exactly 400 >= 400
    assert weighted_quantile(times, people, 0.5) == 9.0
    assert weighted_quantile(times, people, 0.9) == 9.0


def test_weighted_quantile_unreachable_and_empty() -> None:
    times = np.array([3.0, np.inf])
    people = np.array([40.0, 60.0])
    assert weighted_quantile(times, people, 0.4) == 3.0
    assert math.isinf(weighted_quantile(times, people, 0.5))
    assert math.isnan(weighted_quantile(times, np.zeros(2), 0.5))


def _three_origins() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    origins = pd.DataFrame({
        "origin_id": ["A", "B", "C"],
        "code_insee": ["48001", "48002", "48003"],
        "population": [100.0, 300.0, 600.0],
    })
    communes = pd.DataFrame({
        "code_insee": ["48001", "48002", "48003"],
        "nom": ["Aa", "Bb", "Cc"],
        "epci_code": ["E1", "E1", "E2"],
        "epci_nom": ["CC Un", "CC Un", "CC Deux"],
    })
    times = pd.DataFrame({
        "origin_id": ["A", "B", "C", "A", "B", "C"],
        "category": ["pharmacie"] * 3 + ["la_poste"] * 3,
        "travel_time_min": [4.0, 12.0, 25.0, 8.0, 35.0, np.nan],
        "status": ["ok", "ok", "ok", "ok", "ok", "unreachable"],
        "target_kind": "category",
    })
    return times, origins, communes


def test_territory_and_epci_indicators_hand_computed() -> None:
    times, origins, communes = _three_origins()
    table = compute_indicators(times, origins, communes, IndicatorParams((10.0, 20.0, 30.0)))
    row = table[(table.level == "territory") & (table.category == "pharmacie")].iloc[0]
    assert row["population"] == 1000
    assert row["median_min"] == 25.0  # cumulative 100 (4), 400 (12), 1000 (25)
    assert row["d1_min"] == 4.0
    assert row["d4_min"] == 12.0
    assert row["mean_min"] == pytest.approx((4 * 100 + 12 * 300 + 25 * 600) / 1000)
    assert row["pop_over_10"] == 900
    assert row["share_over_10"] == pytest.approx(90.0)
    assert row["pop_over_20"] == 600
    assert row["pop_over_30"] == 0
    assert row["population_unreachable"] == 0

    poste = table[(table.level == "territory") & (table.category == "la_poste")].iloc[0]
    assert poste["population_unreachable"] == 600
    assert poste["pop_over_30"] == 900  # 300 at 35 min + 600 unreachable
    assert math.isnan(poste["median_min"])  # the median person cannot reach it
    assert poste["d4_min"] == 35.0
    assert math.isnan(poste["mean_min"])

    epci = table[(table.level == "epci") & (table.category == "pharmacie")]
    e1 = epci[epci.zone_code == "E1"].iloc[0]
    assert e1["zone_name"] == "CC Un"
    assert e1["population"] == 400
    assert e1["median_min"] == 12.0  # 100 at 4, 300 at 12: half = 200 -> 12
    commune = table[(table.level == "commune") & (table.zone_code == "48001")
                    & (table.category == "pharmacie")].iloc[0]
    assert commune["median_min"] == 4.0
    assert commune["pop_over_10"] == 0


def test_no_service_category_has_no_statistics() -> None:
    times, origins, communes = _three_origins()
    times = pd.concat([times, pd.DataFrame({
        "origin_id": ["A", "B", "C"], "category": "urgences", "travel_time_min": np.nan,
        "status": "no_service", "target_kind": "category"})], ignore_index=True)
    table = compute_indicators(times, origins, communes)
    row = table[(table.level == "territory") & (table.category == "urgences")].iloc[0]
    assert row["population"] == 1000
    assert math.isnan(row["median_min"])
    assert math.isnan(row["population_unreachable"])


def test_services_in_zone_and_communes_without_service() -> None:
    times, origins, communes = _three_origins()
    counts = pd.DataFrame({"code_insee": ["48001", "48001", "48003"],
                           "category": ["pharmacie", "la_poste", "pharmacie"],
                           "n_services": [2, 1, 1]})
    table = compute_indicators(times, origins, communes, services_per_commune=counts)
    terr = table[(table.level == "territory") & (table.category == "pharmacie")].iloc[0]
    assert terr["services_in_zone"] == 3
    assert terr["communes_without_service"] == 1  # 48002
    e1 = table[(table.level == "epci") & (table.zone_code == "E1")
               & (table.category == "la_poste")].iloc[0]
    assert e1["communes_without_service"] == 1


def test_basket_mean_incomplete_and_unreachable() -> None:
    catalogue = load_catalogue()
    members = catalogue.baskets["socle_demo"].categories
    rows = []
    for origin, values in {"A": [4.0, 6.0, 10.0, 20.0], "B": [1.0, 2.0, np.nan, 3.0]}.items():
        for category, value in zip(members, values, strict=True):
            rows.append({"origin_id": origin, "category": category, "travel_time_min": value,
                         "status": "ok" if not np.isnan(value) else "unreachable"})
    access = pd.DataFrame(rows)
    result = basket_times(access, catalogue, ["socle_demo"]).set_index("origin_id")
    assert result.loc["A", "travel_time_min"] == pytest.approx(10.0)
    assert result.loc["A", "status"] == "ok"
    assert result.loc["B", "status"] == "unreachable"
    assert math.isnan(result.loc["B", "travel_time_min"])
    assert catalogue.categories[members[2]].label in result.loc["B", "status_detail"]

    access.loc[access.category == members[0], "status"] = "no_service"
    access.loc[access.category == members[0], "travel_time_min"] = np.nan
    result = basket_times(access, catalogue, ["socle_demo"]).set_index("origin_id")
    assert (result["status"] == "incomplete").all()
    assert catalogue.categories[members[0]].label in result.loc["A", "status_detail"]


def test_thresholds_must_be_positive() -> None:
    with pytest.raises(ProximiteError, match="thresholds_min 0 : attendu des durées en min"):
        IndicatorParams((0.0,))
