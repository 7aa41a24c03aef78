"""The run's figures beside the published ones (hand-computed cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from proximite.analysis.comparison import (
    STATUS_COMPUTED,
    STATUS_NOT_COMPUTABLE,
    compare_with_published,
    farthest_communes,
    figures_for,
    published_figures,
)


def _access(times: list[float], population: list[float], status: list[str] | None = None,
            basket: str = "vie_courante") -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = [f"15{i:03d}" for i in range(1, len(times) + 1)]
    status = status or ["ok"] * len(times)
    access = pd.DataFrame({"origin_id": codes, "code_insee": codes, "category": basket,
                           "target_kind": "basket", "travel_time_min": times,
                           "status": status, "population": population})
    origins = pd.DataFrame({"origin_id": codes, "code_insee": codes,
                            "population": population})
    return access, origins


def test_reference_list_holds_the_cantal_scheme_figures() -> None:
    figures = {f.id: f for f in published_figures()}
    assert figures["cantal_median_vie_courante"].published_min == 8.0
    far = figures["cantal_farthest_decile_communes"]
    assert (far.published_min, far.published_population) == (18.0, 2870)
    pole = figures["cantal_population_beyond_10min_pole_proximite"]
    assert (pole.threshold_min, pole.published_population) == (10.0, 17000)
    assert len(figures_for("15")) == 3
    assert figures_for("48") == [] and figures_for(None) == []


def test_farthest_communes_counts_the_rounded_tenth() -> None:
    times = pd.DataFrame({"travel_time_min": np.arange(1.0, 26.0),
                          "population": np.arange(1.0, 26.0) * 10})
    far = farthest_communes(times)
    # 10 % of 25 communes = 2.5, rounded to 3: the times 25, 24, 23
    assert far == {"communes": 3.0, "population": 720.0, "threshold_min": 23.0}
    assert farthest_communes(times.iloc[:4])["communes"] == 1.0  # never none


def test_median_and_farthest_decile_computed_as_published() -> None:
    access, origins = _access([2.0, 6.0, 8.0, 20.0], [100.0, 200.0, 1000.0, 50.0])
    table = compare_with_published(figures_for("15")[:2], access, origins, ["vie_courante"])
    median, far = table.to_dict("records")
    # population 1,350: half is 675, reached at 8 min (100 + 200 + 1,000 people)
    assert median["status"] == STATUS_COMPUTED and median["computed_min"] == 8.0
    assert median["published_min"] == 8.0
    # 10 % of 4 communes rounds to 0: at least the farthest one, 20 min, 50 people
    assert (far["computed_min"], far["computed_population"], far["computed_communes"]) == \
        (20.0, 50.0, 1.0)


def test_unreachable_commune_counts_as_farthest() -> None:
    access, origins = _access([2.0, np.nan, 8.0], [10.0, 5.0, 10.0],
                              status=["ok", "unreachable", "ok"])
    far = compare_with_published(figures_for("15")[1:2], access, origins,
                                 ["vie_courante"]).iloc[0]
    assert far["computed_min"] == np.inf and far["computed_population"] == 5.0


def test_incomplete_basket_is_not_computed_and_says_why() -> None:
    access, origins = _access([2.0, 6.0], [10.0, 10.0], status=["ok", "incomplete"])
    row = compare_with_published(figures_for("15")[:1], access, origins,
                                 ["vie_courante"]).iloc[0]
    assert row["status"] == STATUS_NOT_COMPUTABLE and np.isnan(row["computed_min"])
    assert "panier incomplet pour 1 commune" in row["reason"]
    missing = compare_with_published(figures_for("15")[:1], access, origins, []).iloc[0]
    assert "n'est pas calculé" in missing["reason"]


def test_population_beyond_ten_minutes_of_a_proximity_pole() -> None:
    _, origins = _access([0.0] * 4, [100.0, 200.0, 400.0, 800.0])
    poles = pd.DataFrame({"origin_id": origins["origin_id"], "level": "proximite",
                          "travel_time_min": [5.0, 10.0, 12.5, np.nan],
                          "status": ["ok", "ok", "ok", "unreachable"]})
    other_level = poles.assign(level="intermediaire", travel_time_min=30.0)
    table = compare_with_published(figures_for("15")[2:], pd.DataFrame(), origins,
                                   ["vie_courante"], pd.concat([poles, other_level]))
    row = table.iloc[0]
    # 10.0 is not beyond 10 min; 12.5 min and unreachable are: 400 + 800 people
    assert row["status"] == STATUS_COMPUTED and row["computed_population"] == 1200.0
    none = compare_with_published(figures_for("15")[2:], pd.DataFrame(), origins, [],
                                  poles.assign(status="no_pole")).iloc[0]
    assert none["status"] == STATUS_NOT_COMPUTABLE and "aucun pôle" in none["reason"]


def test_other_origins_than_town_halls_are_not_compared() -> None:
    access, origins = _access([2.0], [10.0])
    table = compare_with_published(figures_for("15"), access, origins, ["vie_courante"],
                                   origins_are_town_halls=False)
    assert (table["status"] == STATUS_NOT_COMPUTABLE).all()
    assert table["reason"].str.contains("chefs-lieux").all()
    assert table["published_min"].tolist()[:2] == pytest.approx([8.0, 18.0])


def test_basket_without_data_in_one_category_is_measured_on_the_others() -> None:
    access, origins = _access([2.0, 6.0, 8.0], [100.0, 200.0, 1000.0],
                              status=["incomplete"] * 3)
    by_category = []
    for category, times, status in (("pharmacie", [2.0, 4.0, 10.0], ["ok"] * 3),
                                    ("ecole", [4.0, np.nan, 6.0], ["ok", "unreachable", "ok"]),
                                    ("bibliotheque", [np.nan] * 3, ["no_service"] * 3)):
        frame, _ = _access(times, [100.0, 200.0, 1000.0], status=status, basket=category)
        by_category.append(frame.assign(target_kind="category"))
    access = pd.concat([access, *by_category], ignore_index=True)
    members = {"vie_courante": ["pharmacie", "ecole", "bibliotheque"]}
    median, far = compare_with_published(figures_for("15")[:2], access, origins,
                                         ["vie_courante"], basket_members=members
                                         ).to_dict("records")
    # commune times: (2+4)/2 = 3, unreachable, (10+6)/2 = 8; population 1,300, half 650:
    # 100 people within 3 min, then 1,000 within 8 min -> median 8 min
    assert median["status"] == "partial" and median["computed_min"] == 8.0
    assert "réduit à 2 de ses 3 catégories" in median["reason"]
    assert "bibliotheque" in median["reason"]
    assert ("(aucune source de l'inventaire n'en recense dans le territoire et sa marge)"
            in median["reason"])
    assert far["computed_min"] == np.inf and far["computed_population"] == 200.0
