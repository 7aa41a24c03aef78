"""Deficit zones and their vulnerability ranks on hand-computed cases; demo smoke test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from proximite.analysis.deficit import (
    VulnerabilityWeights,
    deficit_zones,
    epci_deficit_summary,
)
from proximite.analysis.poles import equipment_counts, pole_catchments, service_poles
from proximite.analysis.typology import commune_profiles
from proximite.errors import ProximiteError
from proximite.io.reference import load_gamme_tables
from proximite.pipeline import DiagnosticResult

COMMUNES = pd.DataFrame({
    "code_insee": ["K1", "K2", "K3", "K4"],
    "nom": ["Un", "Deux", "Trois", "Quatre"],
    "population": [1000.0, 200.0, 500.0, 50.0],
    "epci_code": ["E1", "E1", "E2", "E2"],
    "epci_nom": ["CC Est", "CC Est", "CC Ouest", "CC Ouest"],
    "pct_65plus": [20.0, 35.0, 30.0, 40.0],
})


def _access() -> pd.DataFrame:
    rows = []
    pharmacie = {"K1": 5.0, "K2": 25.0, "K3": 40.0, "K4": None}
    for code, t in pharmacie.items():
        rows.append({"origin_id": code, "code_insee": code, "category": "pharmacie",
                     "target_kind": "category", "travel_time_min": t,
                     "status": "ok" if t is not None else "unreachable"})
        rows.append({"origin_id": code, "code_insee": code, "category": "ecole",
                     "target_kind": "category", "travel_time_min": np.nan,
                     "status": "no_service"})
        rows.append({"origin_id": code, "code_insee": code, "category": "panier",
                     "target_kind": "basket", "travel_time_min": np.nan,
                     "status": "incomplete"})
    return pd.DataFrame(rows)


def test_deficit_scores_and_ranks_hand_computed() -> None:
    # Percentile ranks among the 4 communes: time K2 .5, K3 .75, K4 (unreachable) 1;
    # 65+ K2 .75, K3 .5, K4 1; population K2 .5, K3 .75, K4 .25.
    result = deficit_zones(_access(), COMMUNES, ["pharmacie"], 20.0)
    table = result.set_index("code_insee")
    assert list(result["code_insee"]) == ["K4", "K3", "K2"]
    assert list(result["rank"]) == [1, 2, 3]
    assert table.at["K2", "vulnerability_score"] == pytest.approx(1.75 / 3)
    assert table.at["K3", "vulnerability_score"] == pytest.approx(2.0 / 3)
    assert table.at["K4", "vulnerability_score"] == pytest.approx(0.75)
    assert math.isinf(table.at["K4", "travel_time_min"])
    assert table.at["K4", "status"] == "unreachable"
    assert table.at["K2", "nom"] == "Deux"
    assert result.attrs["components"] == ["travel_time", "pct_65plus", "population"]


def test_no_deficit_for_a_sub_category_whose_parent_is_within_the_threshold() -> None:
    """A relais poste at 25 min is no deficit where a bureau de poste (the parent La Poste
    point) is at 12 min; K3 has no La Poste point within 20 min: it stays."""
    relais = {"K1": 5.0, "K2": 25.0, "K3": 40.0, "K4": 30.0}
    la_poste = {"K1": 5.0, "K2": 12.0, "K3": 35.0, "K4": 20.0}
    rows = [{"origin_id": code, "code_insee": code, "category": category,
             "target_kind": "category", "travel_time_min": times[code], "status": "ok"}
            for category, times in (("relais_poste", relais), ("la_poste", la_poste))
            for code in times]
    access = pd.concat([_access(), pd.DataFrame(rows)], ignore_index=True)
    result = deficit_zones(access, COMMUNES, ["relais_poste", "pharmacie"], 20.0,
                           parents={"relais_poste": ["la_poste"]})
    relay = result[result["target"] == "relais_poste"]
    assert list(relay["code_insee"]) == ["K3"]  # K2 (12 min) and K4 (20 min) are covered
    assert result.attrs["covered_by_parent"] == {"relais_poste": 2, "pharmacie": 0}
    # ranks: per target 1..n, overall unique 1..len
    assert sorted(result["rank_overall"]) == list(range(1, len(result) + 1))
    assert list(result.loc[result["target"] == "pharmacie", "rank"]) == [1, 2, 3]
    top = result.sort_values("rank_overall").iloc[0]
    assert top["vulnerability_score"] == result["vulnerability_score"].max()


def test_pole_time_enters_the_score() -> None:
    poles = pd.DataFrame({"code_insee": ["K1", "K2", "K3", "K4"],
                          "travel_time_min": [0.0, 30.0, 10.0, 20.0],
                          "status": "ok"})
    result = deficit_zones(_access(), COMMUNES, ["pharmacie"], 20.0, pole_times=poles)
    table = result.set_index("code_insee")
    assert list(result["code_insee"]) == ["K4", "K2", "K3"]
    assert table.at["K2", "vulnerability_score"] == pytest.approx(2.75 / 4)
    assert table.at["K3", "vulnerability_score"] == pytest.approx(2.5 / 4)
    assert table.at["K4", "pole_time_min"] == 20.0
    only_time = deficit_zones(_access(), COMMUNES, ["pharmacie"], 20.0, pole_times=poles,
                              weights=VulnerabilityWeights(1.0, 0.0, 0.0, 0.0))
    assert list(only_time["code_insee"]) == ["K4", "K3", "K2"]
    two_levels = pd.concat([poles, poles])
    with pytest.raises(ProximiteError, match="plusieurs lignes par commune"):
        deficit_zones(_access(), COMMUNES, ["pharmacie"], 20.0, pole_times=two_levels)


def test_targets_without_data_are_set_aside() -> None:
    result = deficit_zones(_access(), COMMUNES, ["pharmacie", "ecole", "panier", "x"],
                           {"pharmacie": 30.0, "ecole": 10.0, "panier": 10.0, "x": 5.0})
    assert result.attrs["targets_used"] == ["pharmacie"]
    assert set(result.attrs["targets_skipped"]) == {"ecole", "panier", "x"}
    assert "no_service" in result.attrs["targets_skipped"]["ecole"]
    assert list(result["code_insee"]) == ["K4", "K3"]  # 40 min and unreachable > 30


def test_epci_summary() -> None:
    deficits = deficit_zones(_access(), COMMUNES, ["pharmacie"], 20.0)
    summary = epci_deficit_summary(deficits, COMMUNES).set_index("epci_code")
    assert summary.at["E1", "n_communes"] == 2
    assert summary.at["E1", "n_communes_deficit"] == 1
    assert summary.at["E1", "population_deficit"] == 200.0
    assert summary.at["E1", "share_population_deficit"] == pytest.approx(100 * 200 / 1200)
    assert summary.at["E1", "population_65plus_deficit"] == pytest.approx(70.0)
    assert summary.at["E2", "n_communes_deficit"] == 2
    assert summary.at["E2", "share_population_deficit"] == pytest.approx(100.0)
    assert summary.at["E2", "population_65plus_deficit"] == pytest.approx(170.0)
    assert summary.at["E2", "threshold_min"] == 20.0


@pytest.mark.parametrize("thresholds, message", [
    (0.0, "> 0 minute"),
    (-5.0, "> 0 minute"),
    ({"autre": 10.0}, "pas de seuil"),
])
def test_threshold_validation(thresholds: object, message: str) -> None:
    with pytest.raises(ProximiteError, match=message):
        deficit_zones(_access(), COMMUNES, ["pharmacie"], thresholds)  # type: ignore[arg-type]


def test_weight_validation() -> None:
    with pytest.raises(ProximiteError, match="poids"):
        VulnerabilityWeights(0.0, 0.0, 0.0, 0.0)
    with pytest.raises(ProximiteError, match="poids"):
        VulnerabilityWeights(travel_time=-1.0)
    with pytest.raises(ProximiteError, match="aucune cible"):
        deficit_zones(_access(), COMMUNES, [], 20.0)


@pytest.fixture(scope="module")
def demo(demo_result: DiagnosticResult) -> DiagnosticResult:
    return demo_result


def test_demo_profiles_poles_and_deficits(demo: DiagnosticResult) -> None:
    communes = demo.territory.communes
    allier = commune_profiles(demo.access_times, demo.catalogue.baskets["allier_17"].categories,
                              communes=communes, labels=demo.catalogue)
    assert len(allier) == 152
    assert set(allier["status"]) == {"incomplete"}  # the stand-in has no health data
    assert "medecin_generaliste" in allier.attrs["missing"]
    profiles = commune_profiles(demo.access_times, demo.catalogue.baskets["socle_demo"].categories,
                                communes=communes, labels=demo.catalogue)
    assert len(profiles) == 152
    assert set(profiles["profile"]) <= set("ABCDEF")
    assert (profiles["explanation"].str.len() > 10).all()
    assert "france_services" in profiles.attrs["categories"]

    counts = equipment_counts(demo.services, demo.catalogue, load_gamme_tables(),
                              communes=communes)
    poles = service_poles(counts)
    assert len(poles) == 152
    assert poles["threshold_scaled"].all()  # the demo covers 1 type per gamme
    catchments = pole_catchments(demo.graph, demo.origins, poles, demo.options.access,
                                 communes=communes)
    reached = catchments.by_origin[catchments.by_origin["status"] == "ok"]
    population = demo.origins.set_index("origin_id")["population"]
    for level, group in reached.groupby("level"):
        served = catchments.by_pole.loc[catchments.by_pole["level"] == level,
                                        "population_served"].sum()
        assert served == pytest.approx(population.loc[group["origin_id"]].sum())

    pole_times = catchments.by_origin[catchments.by_origin["level"] == "proximite"]
    deficits = deficit_zones(demo.access_times, communes, ["france_services", "socle_demo"],
                             {"france_services": 20.0, "socle_demo": 10.0},
                             pole_times=pole_times)
    assert (deficits.groupby("target")["travel_time_min"].min() > 0).all()
    assert set(deficits["target"]) <= {"france_services", "socle_demo"}
    summary = epci_deficit_summary(deficits, communes)
    assert summary.groupby("target")["population_deficit"].sum().to_dict() == pytest.approx(
        deficits.groupby("target")["population"].sum().to_dict())
