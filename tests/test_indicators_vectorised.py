"""The vectorised indicators against the former per-group loop (the oracle), on random
territories: every figure identical, to the last bit, at every level."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators_reference import reference_indicators
from proximite.indicators import IndicatorParams, compute_indicators

STATUSES = ["ok", "ok", "ok", "unreachable", "no_service", "incomplete", "no_origin"]


@st.composite
def territories(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_communes = draw(st.integers(1, 6))
    codes = [f"480{i:02d}" for i in range(n_communes)]
    communes = pd.DataFrame({
        "code_insee": codes,
        "nom": [f"Commune {i}" for i in range(n_communes)],
        "epci_code": [draw(st.sampled_from(["E1", "E2", "E3"])) for _ in codes],
        "epci_nom": "",
    })
    communes["epci_nom"] = "CC " + communes["epci_code"]
    n_origins = draw(st.integers(1, 25))
    fractional = draw(st.booleans())
    population = draw(st.lists(
        st.floats(0, 5000, allow_nan=False) if fractional else st.integers(0, 5000).map(float),
        min_size=n_origins, max_size=n_origins))
    origins = pd.DataFrame({
        "origin_id": [f"o{i}" for i in range(n_origins)],
        # one origin in a commune outside the table: in the territory, in no zone
        "code_insee": [draw(st.sampled_from([*codes, "99999"])) for _ in range(n_origins)],
        "population": population,
    })
    targets = draw(st.lists(st.tuples(st.sampled_from(["pharmacie", "poste", "socle"]),
                                      st.sampled_from(["category", "basket"])),
                            min_size=1, max_size=4, unique=True))
    rows = []
    for category, kind in targets:
        constant = draw(st.sampled_from([None, *STATUSES]))
        for origin in origins["origin_id"]:
            status = constant or draw(st.sampled_from(STATUSES))
            # times from a small set: ties, and values on the thresholds
            time = draw(st.sampled_from([0.5, 10.0, 12.25, 20.0, 29.9, 30.0, 47.0])) \
                if status == "ok" else np.nan
            rows.append({"origin_id": origin, "category": category, "target_kind": kind,
                         "travel_time_min": time, "status": status})
    return pd.DataFrame(rows), origins, communes


@settings(max_examples=30, deadline=None)
@given(territories())
def test_vectorised_indicators_equal_the_per_group_loop(
        case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    times, origins, communes = case
    params = IndicatorParams((10.0, 20.0, 30.0))
    expected = reference_indicators(times, origins, communes, params)
    actual = compute_indicators(times, origins, communes, params)
    assert set(expected.columns) <= set(actual.columns)
    pd.testing.assert_frame_equal(actual[expected.columns], expected, check_dtype=False,
                                  check_exact=True)


def test_sums_keep_numpy_pairwise_rounding() -> None:
    """Ten fractional times in one zone: numpy sums them by pairwise blocks, not one
    after the other; the mean must be the per-group ``np.average`` to the last bit."""
    rng = np.random.default_rng(1)
    n = 10
    origins = pd.DataFrame({"origin_id": [f"o{i}" for i in range(n)], "code_insee": "48001",
                            "population": rng.integers(1, 1000, n).astype(float)})
    times = pd.DataFrame({"origin_id": origins["origin_id"], "category": "pharmacie",
                          "target_kind": "category", "status": "ok",
                          "travel_time_min": rng.random(n) * 40})
    row = compute_indicators(times, origins, None).iloc[0]
    effective = times["travel_time_min"].to_numpy()
    weights = origins["population"].to_numpy()
    assert row["mean_min"] == np.average(effective, weights=weights)
    sequential = 0.0
    for value in effective * weights:
        sequential += value
    # not vacuous: summed one after the other, these ten products round differently
    assert sequential != (effective * weights).sum()


def test_no_origin_group_and_unknown_zone() -> None:
    """A commune whose only origin is a placeholder holds nobody; an origin whose commune
    is not in the commune table counts in the territory and its own commune, no EPCI."""
    origins = pd.DataFrame({"origin_id": ["a", "b", "c"],
                            "code_insee": ["48001", "48002", "99999"],
                            "population": [100.0, 0.0, 50.0]})
    communes = pd.DataFrame({"code_insee": ["48001", "48002"], "nom": ["Aa", "Bb"],
                             "epci_code": ["E1", "E1"], "epci_nom": ["CC", "CC"]})
    times = pd.DataFrame({"origin_id": ["a", "b", "c"], "category": "poste",
                          "target_kind": "category", "status": ["ok", "no_origin", "ok"],
                          "travel_time_min": [12.0, np.nan, 40.0]})
    table = compute_indicators(times, origins, communes, IndicatorParams((10.0, 30.0)))
    by_zone = table.set_index(["level", "zone_code"])
    assert by_zone.loc[("territory", ""), "population"] == 150
    assert by_zone.loc[("territory", ""), "pop_over_30"] == 50
    assert by_zone.loc[("territory", ""), "median_min"] == 12.0  # 100 of 150 at 12 min
    assert by_zone.loc[("epci", "E1"), "population"] == 100
    empty = by_zone.loc[("commune", "48002")]
    assert empty["population"] == 0 and empty["n_origins"] == 0
    assert np.isnan(empty["median_min"]) and np.isnan(empty["population_unreachable"])
    assert list(table["level"]) == ["territory", "epci", "commune", "commune", "commune"]
    assert by_zone.loc[("commune", "99999"), "population"] == 50
