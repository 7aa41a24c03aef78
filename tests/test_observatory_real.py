"""Issue 12 acceptance on the real Lozère demo: profiles on allier_17, poles, deficits,
the schemes' figures and the MSAP 2018 -> France Services 2024 change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from proximite.model import AnalysisResult, DiagnosticResult
from proximite.outputs import write_outputs
from proximite.report.document import render_report
from proximite.report.formatting import fmt_number


def test_profiles_on_the_allier_basket_with_an_explanation(
        real_demo_result: DiagnosticResult, real_demo_analysis: AnalysisResult) -> None:
    profiles = real_demo_analysis.profiles
    basket = real_demo_result.catalogue.baskets["allier_17"]
    assert profiles.attrs["categories"] == list(basket.categories)
    assert set(profiles["basket"]) == {"allier_17"}
    assert len(profiles) == 152
    profiled = profiles["status"] == "ok"
    assert set(profiles.loc[profiled, "profile"]) <= set("ABCDEF")
    assert (profiles.loc[~profiled, "profile"] == "").all()
    assert profiles["explanation"].str.match(r"^([A-F] : |pas de profil : )").all()
    assert profiles.attrs["counts"] == {"very_high": 6, "high": 4, "fast": 6}
    # Mende, the préfecture, has rapid times to at least 6 of the 17 services
    mende = profiles.set_index("code_insee").loc["48095"]
    assert mende["profile"] == "F" and mende["n_fast"] >= 6
    # an A commune has >= 6 services above mean + 1 sd: check one against the cut-offs
    a_row = profiles[profiles["profile"] == "A"].iloc[0]
    cut = profiles.attrs["cutoffs"]
    access = real_demo_result.access_times
    times = access[(access["code_insee"] == a_row["code_insee"])
                   & access["category"].isin(basket.categories)].set_index("category")
    above = [c for c in basket.categories
             if times.at[c, "status"] != "ok"
             or times.at[c, "travel_time_min"] > cut[c]["very_high"]]
    assert len(above) == a_row["n_very_high"] >= 6


def test_poles_mende_superieur_and_none_under_500(
        real_demo_result: DiagnosticResult, real_demo_analysis: AnalysisResult) -> None:
    poles = real_demo_analysis.poles.merge(
        real_demo_result.territory.communes[["code_insee", "nom", "population"]],
        on="code_insee")
    by_name = poles.set_index("nom")
    assert by_name.at["Mende", "pole_level"] == "superieure"
    assert by_name.at["Marvejols", "pole_level"] == "intermediaire"
    is_pole = poles["pole_level"] != "aucun"
    assert poles.loc[is_pole, "population"].min() >= 500
    assert 20 <= is_pole.sum() <= 40
    # the counts come from the BPE 2013 types: Mende has 27 of the 28 proximité types
    assert by_name.at["Mende", "n_types_proximite"] == 27
    # Bastide-Puylaurent (167 inhabitants) has the equipment of a pole, not the people
    assert bool(by_name.at["Bastide-Puylaurent", "below_min_population"])
    summary = real_demo_analysis.pole_summary
    top = summary[summary["level"] == "superieure"]
    assert list(top["pole_name"]) == ["Mende"] and top["communes_served"].iloc[0] == 152


def test_deficits_leaf_categories_and_baskets_unique_ranks(
        real_demo_result: DiagnosticResult, real_demo_analysis: AnalysisResult) -> None:
    deficits = real_demo_analysis.deficits
    catalogue = real_demo_result.catalogue
    parents = {c.parent for c in catalogue.categories.values() if c.parent}
    assert not set(deficits["target"]) & parents  # no grouping category
    access = real_demo_result.access_times
    for target in set(deficits["target"]) & set(catalogue.categories):
        for parent in catalogue.ancestors(target)[1:]:
            near = access[(access["category"] == parent) & (access["status"] == "ok")
                          & (access["travel_time_min"] <= 20.0)]["code_insee"]
            rows = deficits[deficits["target"] == target]
            assert not set(rows["code_insee"]) & set(near), (target, parent)
    # nobody is beyond 20 min of a La Poste point: no relais poste deficit at all
    assert "relais_poste" not in set(deficits["target"])
    assert sorted(deficits["rank_overall"]) == list(range(1, len(deficits) + 1))
    for _, group in deficits.groupby("target"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
    by_epci = real_demo_analysis.epci_deficits.groupby("target")["population_deficit"].sum()
    by_row = deficits.groupby("target")["population"].sum()
    assert by_epci.reindex(by_row.index).to_dict() == pytest.approx(by_row.to_dict())
    assert (by_epci.drop(by_row.index) == 0).all()  # targets without any deficit commune


def test_schemes_figures_and_the_msap_france_services_change(
        real_demo_analysis: AnalysisResult) -> None:
    scheme = real_demo_analysis.scheme_indicators.set_index(["indicator", "target"])
    far = scheme.loc[("farthest_decile", "allier_17")]
    assert far["n_communes"] == 16  # the 10 % farthest of 152 communes, ties included
    beyond = scheme.loc[("beyond_pole", "proximite")]
    assert 0 < beyond["population"] < 76_486
    change = real_demo_analysis.inventory_change
    assert len(change) == 152
    assert set(change["change"]) <= {"gained", "lost", "unchanged"}
    gained = change[change["change"] == "gained"]
    assert (gained["after_min"] < gained["before_min"] - 0.5).all()
    lost = change[change["change"] == "lost"]
    assert (lost["after_min"] > lost["before_min"] + 0.5).all()
    assert np.allclose(change["change_min"], change["after_min"] - change["before_min"])


def test_report_and_csv_carry_the_observatory(real_demo_result: DiagnosticResult,
                                              real_demo_analysis: AnalysisResult,
                                              tmp_path: Path) -> None:
    write_outputs(real_demo_result, tmp_path, report=False, analysis=real_demo_analysis)
    assert (tmp_path / "inventory_change.csv").exists()
    assert (tmp_path / "scheme_indicators.csv").exists()
    html = render_report(real_demo_result, analysis=real_demo_analysis)
    assert "Évolution entre deux inventaires" in html
    assert "Maison de services au public (liste 2018) » et de « France Services »" in html
    assert "Les 10 % des communes les plus éloignées" in html
    assert "« très élevé » au-delà de la moyenne + 1 écart-type" in html
    assert "(17 services) : 17 services (Médecin généraliste" in html
    # counts say when they include the margin
    services = real_demo_result.services
    inside = services["code_insee"].isin(real_demo_result.territory.communes["code_insee"])
    assert 0 < inside.sum() < len(services)
    expected = (f"dont {fmt_number(inside.sum())} dans le territoire et "
                f"{fmt_number((~inside).sum())} dans la marge de 20 km")
    assert expected in html and "Services (marge de 20 km comprise)" in html
    assert "2sfca_" not in html
    assert "« élevé » au-delà de la moyenne + 0,5 écart-type" in html
