"""Access profiles A–F on hand-built communes, with the expected profile of each.

Each service column is a permutation of 1..10 min over ten communes, so every service has
mean 5,5 min and standard deviation sqrt(8,25) = 2,872 min (unweighted): with the default
parameters "très élevé" is > 8,372 (9, 10), "élevé" > 6,936 (7 to 10), "rapide" < 4,064
(1 to 4); the basket and sub-basket means of the communes are 5,5 min.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from proximite.analysis.typology import commune_profiles, mean_and_sd, scaled_count
from proximite.errors import SettingError
from proximite.model import ProfileParams

TIMES = {
    #       s1  s2  s3
    "K01": (9, 10, 1),   # 2 very high -> A
    "K02": (7, 8, 2),    # 2 high, none very high -> B
    "K03": (1, 2, 10),   # 2 fast (F comes before C/D)
    "K04": (8, 5, 6),    # basket 6,33 > 5,5 and s1 = 8 > 5,5 -> C
    "K05": (5, 6, 9),    # basket 6,67 > 5,5 but s1 = 5 -> D
    "K06": (6, 4, 5),    # basket 5 -> E
    "K07": (2, 7, 3),    # 2 fast -> F
    "K08": (3, 1, 7),    # 2 fast -> F
    "K09": (10, 9, 4),   # 2 very high -> A
    "K10": (4, 3, 8),    # 2 fast -> F
}
CATS = ["s1", "s2", "s3"]
PARAMS = ProfileParams(very_high_min_count=2, high_min_count=2, fast_min_count=2,
                       reference_basket_size=3, sub_basket=("s1",))


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
    result = commune_profiles(_access(TIMES, CATS), CATS, PARAMS, basket="b")
    assert list(result["code_insee"]) == list(TIMES)
    assert list(result["profile"]) == ["A", "B", "F", "C", "D", "E", "F", "F", "A", "F"]
    assert set(result["status"]) == {"ok"} and set(result["basket"]) == {"b"}
    k04 = result.set_index("code_insee").loc["K04"]
    assert (k04.n_very_high, k04.n_high, k04.n_fast) == (0, 1, 0)
    assert k04.basket_time_min == pytest.approx(19 / 3)
    assert k04.sub_basket_time_min == 8.0
    cut = result.attrs["cutoffs"]["s2"]
    sd = math.sqrt(8.25)
    assert cut["mean"] == 5.5 and cut["sd"] == pytest.approx(sd)
    assert cut["very_high"] == pytest.approx(5.5 + sd)
    assert cut["high"] == pytest.approx(5.5 + 0.5 * sd)
    assert cut["fast"] == pytest.approx(5.5 - 0.5 * sd)
    assert result.attrs["basket_cutoff"] == pytest.approx(5.5)
    assert result.attrs["counts"] == {"very_high": 2, "high": 2, "fast": 2}


def test_explanations_name_the_driving_services() -> None:
    labels = {"s1": "Pharmacie", "s2": "Boulangerie", "s3": "Collège"}
    result = commune_profiles(_access(TIMES, CATS), CATS, PARAMS, labels=labels) \
        .set_index("code_insee")["explanation"]
    assert result["K01"] == ("A : temps très élevés pour 2 services sur 3 (au moins 2) : "
                             "Pharmacie, Boulangerie")
    assert result["K04"].startswith("C : temps moyen au panier 6,3 min pour une moyenne des "
                                    "communes de 5,5 min ; panier santé-éducation-"
                                    "alimentation 8,0 min")
    assert "D : " in result["K05"] and "pas au-dessus de sa moyenne (5,5 min)" in result["K05"]
    assert result["K06"].startswith("E : temps moyen au panier 5,0 min")


def test_unreachable_is_very_high_and_missing_data_is_a_status() -> None:
    times = dict(TIMES)
    status = {("K06", "s1"): "unreachable", ("K07", "s2"): "no_origin_time"}
    result = commune_profiles(_access(times, CATS, status), CATS, PARAMS) \
        .set_index("code_insee")
    # the unreachable K06 is very high for s1; s1's mean is over the nine finite times
    assert result.loc["K06", "n_very_high"] == 1
    assert result.attrs["cutoffs"]["s1"]["mean"] == pytest.approx((55 - 6) / 9)
    assert result.loc["K07", "status"] == "incomplete" and result.loc["K07", "profile"] == ""
    assert result.loc["K07", "explanation"] == (
        "pas de profil : pas de temps pour 1 des 3 services du panier (s2)")


def test_a_service_without_data_anywhere_leaves_every_commune_incomplete() -> None:
    status = {(code, "s3"): "no_service" for code in TIMES}
    result = commune_profiles(_access(TIMES, CATS, status), CATS, PARAMS)
    assert set(result["status"]) == {"incomplete"}
    assert result.attrs["missing"] == ["s3"]
    communes = pd.DataFrame({"code_insee": [*TIMES, "K11"], "population": 1.0})
    with_extra = commune_profiles(_access(TIMES, CATS), CATS, PARAMS, communes=communes)
    assert with_extra.set_index("code_insee").loc["K11", "status"] == "incomplete"


def test_population_weights_move_the_mean() -> None:
    communes = pd.DataFrame({"code_insee": list(TIMES),
                             "population": [1.0] * 9 + [11.0]})
    weighted = ProfileParams(**{**PARAMS.__dict__, "population_weighted": True})
    result = commune_profiles(_access(TIMES, CATS), CATS, weighted, communes=communes)
    # s1: K10 (4 min) weighs 11 of 20: mean = (55 - 4 + 44) / 20
    assert result.attrs["cutoffs"]["s1"]["mean"] == pytest.approx(95 / 20)
    values = np.array([9, 7, 1, 8, 5, 6, 2, 3, 10, 4], dtype=float)
    weights = np.array([1.0] * 9 + [11.0])
    assert mean_and_sd(values, weights)[1] == pytest.approx(
        math.sqrt(np.cov(values, aweights=weights, bias=True)))


def test_counts_scale_to_the_basket() -> None:
    params = ProfileParams()
    assert scaled_count(6, 17, params) == 6
    assert scaled_count(6, 8, params) == 3      # ceil(6 × 8 / 17) = ceil(2,82)
    assert scaled_count(4, 19, params) == 5     # ceil(4 × 19 / 17) = ceil(4,47)
    assert scaled_count(4, 1, params) == 1


@pytest.mark.parametrize("kwargs", [{"high_sd": 1.5}, {"fast_sd": 0.6},
                                    {"very_high_min_count": 0}, {"fast_min_count": 18}])
def test_parameter_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(SettingError):
        ProfileParams(**kwargs)  # type: ignore[arg-type]


def test_an_unknown_profile_basket_is_a_french_error(demo_result) -> None:  # type: ignore[no-untyped-def]
    from proximite.analysis.diagnosis import basket_profiles
    from proximite.errors import ProximiteError

    with pytest.raises(ProximiteError, match=r"panier « inconnu » inconnu du catalogue "
                                             r"\(attendu : allier_17, vie_courante"):
        basket_profiles(demo_result, ProfileParams(basket="inconnu"))
    profiles = basket_profiles(demo_result, ProfileParams(basket="socle_demo"))
    assert set(profiles["basket"]) == {"socle_demo"} and set(profiles["status"]) == {"ok"}
