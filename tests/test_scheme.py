"""The schemes' quoted figures on hand-built communes (values computed by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from proximite.analysis.scheme import (
    communes_without_group,
    farthest_decile,
    inventory_change,
    population_beyond_pole,
)
from proximite.catalogue import load_catalogue

CODES = [f"C{i:02d}" for i in range(1, 11)]
COMMUNES = pd.DataFrame({"code_insee": CODES, "nom": [f"Commune {i}" for i in range(1, 11)],
                         "population": [100.0 * i for i in range(1, 11)]})


def _access(category: str, times: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({
        "origin_id": CODES, "code_insee": CODES, "category": category,
        "travel_time_min": [np.nan if t is None else t for t in times],
        "status": ["unreachable" if t is None else "ok" for t in times],
        "population": COMMUNES["population"]})


def test_farthest_decile_of_communes() -> None:
    # 10 communes: the 9th decile (inverted cdf) is the 9th time, 9 min; C09 and C10 are
    # at or beyond it (C10 unreachable): 2 communes, 900 + 1,000 people.
    access = _access("panier", [1, 2, 3, 4, 5, 6, 7, 8, 9, None])
    far = farthest_decile(access, COMMUNES, "panier")
    assert far == {"threshold_min": 9.0, "n_communes": 2, "population": 1900.0}
    no_data = access.assign(status="no_service")
    assert math.isnan(farthest_decile(no_data, COMMUNES, "panier")["n_communes"])


def test_population_beyond_the_pole() -> None:
    by_origin = pd.DataFrame({
        "origin_id": CODES, "code_insee": CODES, "level": "proximite",
        "travel_time_min": [2, 4, 6, 8, 10, 12, 14, 16, np.nan, 20],
        "status": ["ok"] * 8 + ["unreachable", "ok"]})
    origins = COMMUNES.assign(origin_id=CODES)
    # beyond 10 min: C06 (12), C07, C08, C09 (unreachable), C10 -> 600+700+800+900+1000
    assert population_beyond_pole(by_origin, origins, "proximite", 10.0) == (5, 4000.0)


def test_communes_without_any_of_a_group_count_sub_categories() -> None:
    catalogue = load_catalogue()
    services = pd.DataFrame({"category": ["superette", "boulangerie", "pharmacie"],
                             "code_insee": ["C01", "C02", "C03"]})
    # a supérette is an épicerie: C01 has one of the group
    without = communes_without_group(services, COMMUNES, catalogue,
                                     ("epicerie", "boulangerie"))
    assert list(without["code_insee"]) == CODES[2:]
    assert without["population"].sum() == 5500.0 - 300.0


def test_inventory_change_who_gained_who_lost_by_how_much() -> None:
    before = _access("msap", [10, 10, 10, 30, None, 5, 5, 5, 5, 5])
    after = _access("france_services", [4, 10.3, 25, 30, 8, None, 5, 5, 5, 5])
    table = inventory_change(pd.concat([before, after]), COMMUNES, "msap",
                             "france_services", 0.5).set_index("code_insee")
    assert table.at["C01", "change"] == "gained" and table.at["C01", "change_min"] == -6.0
    assert table.at["C02", "change"] == "unchanged"  # +0,3 min, within 0,5
    assert table.at["C03", "change"] == "lost" and table.at["C03", "change_min"] == 15.0
    assert table.at["C05", "change"] == "gained" and table.at["C05", "change_min"] == -np.inf
    assert table.at["C06", "change"] == "lost" and table.at["C06", "change_min"] == np.inf
    assert table["change"].value_counts().to_dict() == {"unchanged": 6, "gained": 2,
                                                        "lost": 2}
    # sorted: the largest loss first
    assert list(table.index[:2]) == ["C06", "C03"]
    assert table.at["C03", "before_min"] == 10.0 and table.at["C03", "after_min"] == 25.0


def test_inventory_change_without_one_list() -> None:
    before = _access("msap", [1.0] * 10).assign(status="no_service")
    after = _access("france_services", [1.0] * 10)
    table = inventory_change(pd.concat([before, after]), COMMUNES, "msap",
                             "france_services", 0.5)
    assert set(table["change"]) == {"no_data"}
    assert table["change_min"].isna().all()
    assert pytest.approx(table["population"].sum()) == 5500.0
