"""Tests of :mod:`proximite.analysis.potential` (2SFCA, E2SFCA, gravity, cumulative).

Why: potential-accessibility figures are ratios of sums that look plausible whatever
mistake is made (a band off by one, demand counted beyond the cutoff, a destination
dropped). PySAL ``access`` is an independent implementation of the same formulas and
serves as the oracle; the hand example pins the numbers; conservation (Σ P_i A_i equals
the supply reached) is the property that any 2SFCA must satisfy.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proximite.analysis.potential import (
    DREES_APL_2012,
    StepDecay,
    cumulative_opportunities,
    enhanced_two_step_fca,
    gravity,
    potential_accessibility,
    standardised_demand,
    supply_demand_ratios,
    two_step_fca,
)
from proximite.errors import ProximiteError

RELATIVE = 1e-9
logging.getLogger("access").setLevel(logging.WARNING)


# --------------------------------------------------------------------------- fixtures


def random_table(seed: int, n_origins: int = 40, n_destinations: int = 12,
                 integer_minutes: bool = False, density: float = 1.0
                 ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """A seeded cost table with demand and supply; integer minutes put ties on bounds."""
    rng = np.random.default_rng(seed)
    origins = [f"o{i}" for i in range(n_origins)]
    destinations = [f"d{j}" for j in range(n_destinations)]
    rows = [(o, d, rng.uniform(0, 30)) for o in origins for d in destinations
            if rng.uniform() < density]
    costs = pd.DataFrame(rows, columns=["origin_id", "destination_id", "travel_time_min"])
    if integer_minutes:
        costs["travel_time_min"] = np.floor(costs["travel_time_min"])
    demand = pd.Series(rng.integers(1, 5000, n_origins).astype(float),
                       index=pd.Index(origins, name="origin_id"))
    supply = pd.Series(rng.uniform(0.5, 6.0, n_destinations),
                       index=pd.Index(destinations, name="destination_id"))
    return costs, demand, supply


def pysal_access(costs: pd.DataFrame, demand: pd.Series, supply: pd.Series) -> Access:
    return Access(
        demand_df=demand.rename("pop").to_frame(), demand_index=True, demand_value="pop",
        supply_df=supply.rename("doc").to_frame(), supply_index=True, supply_value="doc",
        cost_df=costs.copy(), cost_origin="origin_id", cost_dest="destination_id",
        cost_name="travel_time_min",
    )


def assert_matches_oracle(mine: pd.Series, oracle: pd.Series) -> None:
    """PySAL leaves NaN where nothing is in reach; ours is 0 for every origin."""
    oracle = oracle.reindex(mine.index).fillna(0.0)
    scale = float(np.abs(oracle).max())
    assert scale > 0
    np.testing.assert_allclose(mine.to_numpy(), oracle.to_numpy(), rtol=RELATIVE,
                               atol=RELATIVE * scale)


# --------------------------------------------------------------------------- oracle


@pytest.mark.parametrize("integer_minutes", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_step_fca_equals_pysal(seed: int, integer_minutes: bool) -> None:
    costs, demand, supply = random_table(seed, integer_minutes=integer_minutes, density=0.8)
    oracle = pysal_access(costs, demand, supply)
    for cutoff in (8.0, 12.0):
        name = f"x{cutoff:g}"
        expected = oracle.two_stage_fca(name=name, max_cost=cutoff,
                                        normalize=False)[f"{name}_doc"]
        assert_matches_oracle(two_step_fca(costs, demand, supply, cutoff), expected)


@pytest.mark.parametrize("integer_minutes", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_enhanced_two_step_fca_equals_pysal(seed: int, integer_minutes: bool) -> None:
    costs, demand, supply = random_table(seed, integer_minutes=integer_minutes, density=0.8)
    oracle = pysal_access(costs, demand, supply)
    # max_cost at the last band: without it PySAL divides by a zero weighted demand for
    # destinations reached only beyond 15 min.
    expected = oracle.enhanced_two_stage_fca(
        name="e", max_cost=DREES_APL_2012.horizon_min, normalize=False,
        weight_fn=weights.step_fn({5: 1.0, 10: 0.3, 15: 0.1}))["e_doc"]
    assert_matches_oracle(enhanced_two_step_fca(costs, demand, supply, DREES_APL_2012),
                          expected)


def test_gravity_with_demand_equals_pysal_gravity_2sfca() -> None:
    costs, demand, supply = random_table(3)
    oracle = pysal_access(costs, demand, supply)
    expected = oracle.two_stage_fca(name="g", normalize=False,
                                    weight_fn=weights.gravity(1.0, -1.5, 1.0))["g_doc"]
    assert_matches_oracle(gravity(costs, supply, 1.5, demand=demand, min_time_min=1.0),
                          expected)


def test_gravity_hansen_and_exponential_by_hand() -> None:
    costs = pd.DataFrame({"origin_id": ["a", "a", "b"], "service_id": ["x", "y", "x"],
                          "travel_time_min": [0.5, 4.0, 2.0]})
    supply = pd.Series({"x": 2.0, "y": 1.0})
    power = gravity(costs, supply, 2.0)
    assert power["a"] == pytest.approx(2.0 * 1.0 + 1.0 / 16.0)  # 0.5 min floored to 1
    assert power["b"] == pytest.approx(2.0 / 4.0)
    exponential = gravity(costs, supply, 0.1, kind="exponential", cutoff_min=3.0)
    assert exponential["a"] == pytest.approx(2.0 * np.exp(-0.05))  # y beyond the cutoff
    assert exponential["b"] == pytest.approx(2.0 * np.exp(-0.2))


# --------------------------------------------------------------------------- hand example

# Three communes, two practices.       d1 (S=2)   d2 (S=1)
#   o1  P=100                           3 min     12 min
#   o2  P=200                           8 min      4 min
#   o3  P=50                           20 min     14 min
HAND_COSTS = pd.DataFrame({
    "origin_id": ["o1", "o1", "o2", "o2", "o3", "o3"],
    "destination_id": ["d1", "d2", "d1", "d2", "d1", "d2"],
    "travel_time_min": [3.0, 12.0, 8.0, 4.0, 20.0, 14.0],
})
HAND_DEMAND = pd.Series({"o1": 100.0, "o2": 200.0, "o3": 50.0})
HAND_SUPPLY = pd.Series({"d1": 2.0, "d2": 1.0})


def test_two_step_fca_hand_example() -> None:
    # Cutoff 10 min: d1 is reached by o1 and o2 (300 people): R1 = 2/300;
    # d2 by o2 only (200 people): R2 = 1/200; o3 reaches nothing.
    result = two_step_fca(HAND_COSTS, HAND_DEMAND, HAND_SUPPLY, 10)
    assert result["o1"] == pytest.approx(2 / 300)
    assert result["o2"] == pytest.approx(2 / 300 + 1 / 200)
    assert result["o3"] == 0.0
    assert list(result.index) == ["o1", "o2", "o3"]


def test_enhanced_two_step_fca_hand_example() -> None:
    # DREES weights: 3 -> 1, 12 -> 0.1, 8 -> 0.3, 4 -> 1, 20 -> 0, 14 -> 0.1.
    # d1: 100·1 + 200·0.3 + 50·0 = 160 -> R1 = 2/160 = 0.0125
    # d2: 100·0.1 + 200·1 + 50·0.1 = 215 -> R2 = 1/215
    result = enhanced_two_step_fca(HAND_COSTS, HAND_DEMAND, HAND_SUPPLY, DREES_APL_2012)
    assert result["o1"] == pytest.approx(1.0 * 0.0125 + 0.1 / 215)  # 0.0129651...
    assert result["o2"] == pytest.approx(0.3 * 0.0125 + 1.0 / 215)  # 0.0084011...
    assert result["o3"] == pytest.approx(0.1 / 215)  # 0.000465...
    # Everyone is within 15 min of some supply: all 3 units are shared out.
    assert (result * HAND_DEMAND).sum() == pytest.approx(3.0)


def test_ratios_and_cumulative_hand_example() -> None:
    ratios = supply_demand_ratios(HAND_COSTS, HAND_DEMAND, HAND_SUPPLY, DREES_APL_2012)
    assert ratios.to_dict() == pytest.approx({"d1": 0.0125, "d2": 1 / 215})
    within_10 = cumulative_opportunities(HAND_COSTS, HAND_SUPPLY, 10)
    assert within_10.to_dict() == {"o1": 2.0, "o2": 3.0, "o3": 0.0}
    count_15 = cumulative_opportunities(HAND_COSTS, None, 15)
    assert count_15.to_dict() == {"o1": 2.0, "o2": 2.0, "o3": 1.0}


def test_cutoff_and_band_bounds_are_inclusive() -> None:
    costs = pd.DataFrame({"origin_id": ["a", "a", "a"], "destination_id": ["x", "y", "z"],
                          "travel_time_min": [5.0, 10.0, 15.0]})
    assert list(DREES_APL_2012(np.array([0, 5, 5.01, 10, 15, 15.01, np.nan]))) == [
        1.0, 1.0, 0.3, 0.3, 0.1, 0.0, 0.0]
    supply = pd.Series({"x": 1.0, "y": 1.0, "z": 1.0})
    assert cumulative_opportunities(costs, supply, 10)["a"] == 2.0


def test_destination_without_demand_contributes_zero_and_is_reported() -> None:
    costs = pd.concat([HAND_COSTS, pd.DataFrame({
        "origin_id": ["o4", "o1"], "destination_id": ["d3", "d4"],
        "travel_time_min": [2.0, 40.0]})], ignore_index=True)
    demand = pd.concat([HAND_DEMAND, pd.Series({"o4": 0.0, "o5": 10.0})])
    supply = pd.concat([HAND_SUPPLY, pd.Series({"d3": 5.0, "d4": 1.0})])
    result = two_step_fca(costs, demand, supply, 10)
    assert result["o4"] == 0.0  # d3's ratio is undefined (no one in reach): 0
    assert result["o5"] == 0.0  # in the demand, absent from the costs: reported as 0
    assert result["o1"] == pytest.approx(2 / 300)
    assert result.attrs["destinations_without_demand"] == ["d3", "d4"]
    assert result.attrs["destinations_out_of_reach"] == ["d4"]


def test_potential_accessibility_matches_single_measures() -> None:
    costs, demand, supply = random_table(7)
    dentists = supply.iloc[:6] * 2
    frame = potential_accessibility(costs, demand, {"gp": supply, "dentist": dentists},
                                    [7.5, 15], decay=DREES_APL_2012)
    assert list(frame.columns) == ["2sfca_gp_7_5min", "2sfca_gp_15min", "e2sfca_gp",
                                   "2sfca_dentist_7_5min", "2sfca_dentist_15min",
                                   "e2sfca_dentist"]
    pd.testing.assert_series_equal(frame["2sfca_gp_15min"],
                                   two_step_fca(costs, demand, supply, 15),
                                   check_names=False)
    pd.testing.assert_series_equal(frame["e2sfca_dentist"],
                                   enhanced_two_step_fca(costs, demand, dentists),
                                   check_names=False)
    assert set(frame.attrs["destinations_without_demand"]) == set(frame.columns)


def test_service_id_column_is_accepted() -> None:
    costs = HAND_COSTS.rename(columns={"destination_id": "service_id"})
    pd.testing.assert_series_equal(two_step_fca(costs, HAND_DEMAND, HAND_SUPPLY, 10),
                                   two_step_fca(HAND_COSTS, HAND_DEMAND, HAND_SUPPLY, 10))


def test_standardised_demand_keeps_total_and_weights_elderly() -> None:
    population = pd.Series({"young": 1000.0, "old": 1000.0})
    pct_65plus = pd.Series({"young": 0.0, "old": 50.0})
    raw = standardised_demand(population, pct_65plus, (1.0, 3.0), keep_total=False)
    assert raw.to_dict() == {"young": 1000.0, "old": 2000.0}
    kept = standardised_demand(population, pct_65plus, (1.0, 3.0))
    assert kept.sum() == pytest.approx(2000.0)
    assert kept["old"] == pytest.approx(2 * kept["young"])


# --------------------------------------------------------------------------- bad input


BAD_CUTOFF = "cutoff_min .* : attendu un temps limite > 0 min"


@pytest.mark.parametrize(("bands", "message"), [
    ([(10, 0.3), (5, 1.0)], "rangés par borne supérieure croissante"),
    ([(5, 1.0), (5, 0.3)], "qui ne se chevauchent pas (deux paliers finissent à 5 min)"),
    ([(0, 5, 1.0), (4, 10, 0.3)], "qui ne se chevauchent pas (un palier commence à 4 min"),
    ([(0, 5, 1.0), (6, 10, 0.3)], "contigus (rien entre 5 et 6 min)"),
    ([(5, 1.5)], "des poids entre 0 et 1, pas 1,5"),
    ([(5, -0.1)], "des poids entre 0 et 1, pas -0,1"),
    ([(0, 1.0)], "des bornes supérieures > 0 min, pas 0"),
    ([(5, 0.3), (10, 1.0)], "des poids qui ne croissent pas"),
    ([], "au moins un palier"),
])
def test_bad_decay_bands(bands: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(ProximiteError, match=re.escape(message)) as caught:
        StepDecay(bands)
    assert str(caught.value).startswith("decay ")  # names the setting
    assert isinstance(caught.value, ValueError)


def test_triple_bands_equal_pairs() -> None:
    assert StepDecay([(0, 5, 1.0), (5, 10, 0.3), (10, 15, 0.1)]) == DREES_APL_2012


@pytest.mark.parametrize("bad_value", [0.0, -1.0, np.nan])
def test_bad_supply_lists_the_ids(bad_value: float) -> None:
    supply = pd.Series({"d1": 2.0, "d2": bad_value})
    with pytest.raises(ProximiteError,
                       match=r"champ « offre » : .*d2 \(attendu : une offre > 0\)"):
        two_step_fca(HAND_COSTS, HAND_DEMAND, supply, 10)
    with pytest.raises(ProximiteError, match="d2"):
        potential_accessibility(HAND_COSTS, HAND_DEMAND, {"gp": supply}, [10])


def test_bad_demand_and_cutoff() -> None:
    with pytest.raises(ProximiteError,
                       match=r"champ « demande » : .*o2 \(attendu : une population ≥ 0\)"):
        two_step_fca(HAND_COSTS, pd.Series({"o1": 1.0, "o2": -3.0, "o3": 1.0}),
                     HAND_SUPPLY, 10)
    with pytest.raises(ProximiteError, match="demande absente.*o3"):
        two_step_fca(HAND_COSTS, HAND_DEMAND.drop("o3"), HAND_SUPPLY, 10)
    for cutoff in (0, -5, np.nan):
        with pytest.raises(ProximiteError, match=BAD_CUTOFF):
            two_step_fca(HAND_COSTS, HAND_DEMAND, HAND_SUPPLY, cutoff)
        with pytest.raises(ProximiteError, match=BAD_CUTOFF):
            cumulative_opportunities(HAND_COSTS, HAND_SUPPLY, cutoff)
    with pytest.raises(ProximiteError, match=BAD_CUTOFF):
        potential_accessibility(HAND_COSTS, HAND_DEMAND, {"gp": HAND_SUPPLY}, [10, 0])
    with pytest.raises(ProximiteError, match="couples origine-destination en double"):
        two_step_fca(pd.concat([HAND_COSTS, HAND_COSTS.iloc[:1]]), HAND_DEMAND,
                     HAND_SUPPLY, 10)
    with pytest.raises(ProximiteError, match="colonne\\(s\\) manquante\\(s\\)"):
        two_step_fca(HAND_COSTS.drop(columns="destination_id"), HAND_DEMAND, HAND_SUPPLY, 10)
    with pytest.raises(ProximiteError, match="kind gaussian : attendu « power »"):
        gravity(HAND_COSTS, HAND_SUPPLY, 1.0, kind="gaussian")


# --------------------------------------------------------------------------- property


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_origins=st.integers(1, 15),
       n_destinations=st.integers(1, 8), density=st.floats(0.1, 1.0),
       cutoff=st.floats(0.5, 30.0), zero_share=st.floats(0.0, 0.7))
def test_two_step_fca_conserves_supply(seed: int, n_origins: int, n_destinations: int,
                                       density: float, cutoff: float,
                                       zero_share: float) -> None:
    """Σ_i P_i A_i = Σ_j S_j over the destinations with some demand in reach."""
    costs, demand, supply = random_table(seed, n_origins, n_destinations, density=density)
    rng = np.random.default_rng(seed + 1)
    demand[rng.uniform(size=n_origins) < zero_share] = 0.0
    result = two_step_fca(costs, demand, supply, cutoff)
    within = costs[costs["travel_time_min"] <= cutoff]
    demand_in_reach = (within.assign(pop=within["origin_id"].map(demand))
                       .groupby("destination_id")["pop"].sum())
    served = demand_in_reach.index[demand_in_reach > 0]
    assert (result * demand).sum() == pytest.approx(supply[served].sum(), rel=1e-9, abs=1e-12)
    assert set(result.attrs["destinations_without_demand"]) == set(supply.index) - set(served)
    assert (result >= 0).all()
    # The decayed version conserves too: f only rescales each origin's share.
    enhanced = enhanced_two_step_fca(costs, demand, supply, DREES_APL_2012)
    assert (enhanced * demand).sum() == pytest.approx(
        supply.drop(enhanced.attrs["destinations_without_demand"]).sum(), rel=1e-9,
        abs=1e-12)
