"""Access profiles A–F on hand-built communes, with the expected profile of each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from proximite.analysis.typology import ProfileRules, commune_profiles
from proximite.errors import ProximiteError

# Each column is a permutation of 1..10 min over ten communes, so with equal weights the
# cut-offs of every category are P90 = 9, P75 = 8, median = 5, P25 = 3: very long = 10,
# long >= 9, above average >= 6, short <= 3.
TIMES = {
    #        c1  c2  c3  c4  c5
    "X01": (10, 10, 2, 3, 1),   # 2 very long -> A (also 3 short: A comes first)
    "X02": (9, 9, 3, 2, 4),     # 2 long -> B
    "X03": (1, 1, 1, 4, 2),     # 4 short -> F
    "X04": (8, 5, 7, 6, 3),     # 3 above, incl. c1 of the sub-basket -> C
    "X05": (4, 4, 8, 7, 6),     # 3 above, none of the sub-basket -> D
    "X06": (5, 3, 4, 1, 5),     # 0 above, 2 short -> E
    "X07": (2, 2, 10, 9, 7),    # 1 very long, 2 long -> B
    "X08": (3, 6, 9, 5, 8),     # 1 long, 3 above incl. c2 -> C
    "X09": (6, 7, 5, 10, 9),    # 1 very long, 2 long -> B
    "X10": (7, 8, 6, 8, 10),    # 1 very long, 1 long, 5 above -> C
}
CATS = ["c1", "c2", "c3", "c4", "c5"]
RULES = ProfileRules(very_long_min_count=2, long_min_count=2, short_min_count=3,
                     above_min_count=3, reference_basket_size=5, sub_basket=("c1", "c2"))


def _access(times: dict[str, tuple[float, ...]], cats: list[str],
            status: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    status = status or {}
    rows = []
    for code, values in times.items():
        for cat, value in zip(cats, values, strict=True):
            st = status.get((code, cat), "ok")
            rows.append({"origin_id": code, "code_insee": code, "category": cat,
                         "target_kind": "category", "status": st,
                         "travel_time_min": value if st == "ok" else np.nan})
    return pd.DataFrame(rows)


def test_hand_built_profiles_follow_rule_order() -> None:
    result = commune_profiles(_access(TIMES, CATS), CATS, RULES)
    assert list(result["code_insee"]) == list(TIMES)
    assert list(result["profile"]) == ["A", "B", "F", "C", "D", "E", "B", "C", "B", "C"]
    x01 = result.set_index("code_insee").loc["X01"]
    assert (x01.n_very_long, x01.n_long, x01.n_above, x01.n_short) == (2, 2, 2, 3)
    x05 = result.set_index("code_insee").loc["X05"]
    assert (x05.n_above, x05.n_sub_basket, x05.n_sub_basket_above) == (3, 2, 0)
    assert result.attrs["categories_used"] == CATS
    assert result.attrs["cutoffs"]["c3"] == {"very_long": 9.0, "long": 8.0, "above": 5.0,
                                             "short": 3.0}
    assert result.attrs["counts"] == {"very_long": 2, "long": 2, "short": 3, "above": 3}


def test_explanations_name_the_driving_categories() -> None:
    labels = {"c1": "France Services", "c2": "Gare ou halte ferroviaire"}
    result = commune_profiles(_access(TIMES, CATS), CATS, RULES, labels=labels)
    text = result.set_index("code_insee")["explanation"]
    assert text["X01"] == ("A : temps très longs pour 2 services sur 5 (seuil 2) : "
                           "France Services, Gare ou halte ferroviaire")
    assert text["X05"].startswith("D : temps supérieurs à la médiane pour 3 services sur 5")
    assert "mais pas pour le panier santé-éducation-alimentation" in text["X05"]
    assert text["X04"].endswith("dont panier santé-éducation-alimentation (1 sur 2) : "
                                "France Services")
    assert text["X06"].startswith("E : temps dans la moyenne")


def test_unreachable_counts_as_very_long_and_no_service_is_set_aside() -> None:
    times = {"P1": (1, 1, 0), "P2": (2, 2, 0), "P3": (3, 3, 0), "P4": (0, 0, 0)}
    status = {("P4", "a"): "unreachable", ("P4", "b"): "unreachable"}
    status.update({(p, "z"): "no_service" for p in times})
    access = _access(times, ["a", "b", "z"], status)
    rules = ProfileRules(very_long_min_count=2, long_min_count=2, short_min_count=2,
                         above_min_count=2, reference_basket_size=2)
    result = commune_profiles(access, ["a", "b", "z"], rules).set_index("code_insee")
    assert result.attrs["categories_used"] == ["a", "b"]
    assert "z" in result.attrs["categories_excluded"]
    assert result.loc["P4", "profile"] == "A"
    assert result.loc["P4", "n_very_long"] == 2
    assert result.loc["P1", "profile"] == "F"  # two times <= P25 (= 1 min)
    # without any sub-basket category, above-average communes get rules.without_sub_basket
    assert result.loc["P2", "profile"] == "E"
    assert result.loc["P3", "profile"] == "C"
    assert "non évalué" in result.loc["P3", "explanation"]


def test_population_weights_move_the_cutoffs() -> None:
    times = {"Q1": (1.0,), "Q2": (2.0,), "Q3": (10.0,)}
    communes = pd.DataFrame({"code_insee": ["Q1", "Q2", "Q3"],
                             "population": [100.0, 100.0, 800.0]})
    result = commune_profiles(_access(times, ["a"]), ["a"], communes=communes)
    assert result.attrs["cutoffs"]["a"]["above"] == 10.0  # 80 % of people at 10 min
    assert result.attrs["cutoffs"]["a"]["short"] == 10.0
    assert result.attrs["weighted_by_population"] is True
    unweighted = commune_profiles(_access(times, ["a"]), ["a"])
    assert unweighted.attrs["cutoffs"]["a"]["above"] == 2.0


def test_counts_scale_to_small_baskets() -> None:
    rules = ProfileRules()
    assert rules.scaled_count(6, 8) == 3    # ceil(6 / 17 x 8) = ceil(2.82)
    assert rules.scaled_count(4, 8) == 2    # ceil(1.88)
    assert rules.scaled_count(6, 17) == 6
    assert rules.scaled_count(6, 25) == 6
    assert rules.scaled_count(6, 1) == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"long_quantile": 0.95}, "strictement croissants"),
    ({"short_quantile": 0.5}, "strictement croissants"),
    ({"very_long_quantile": 1.0}, r"\]0, 1\["),
    ({"very_long_min_count": 0}, "very_long_min_count"),
    ({"long_min_count": 18}, "long_min_count"),
    ({"sub_basket_min_share": 0.0}, "sub_basket_min_share"),
    ({"without_sub_basket": "E"}, "without_sub_basket"),
])
def test_rule_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ProximiteError, match=message):
        ProfileRules(**kwargs)  # type: ignore[arg-type]


def test_no_usable_category_is_an_error() -> None:
    access = _access({"P1": (0,)}, ["z"], {("P1", "z"): "no_service"})
    with pytest.raises(ProximiteError, match="aucune catégorie"):
        commune_profiles(access, ["z"])
