"""The diagnosis on the Lozère demo: report sections and GeoPackage layers."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pyogrio
import pytest

from proximite.analysis.diagnosis import AnalysisResult
from proximite.outputs import write_outputs
from proximite.pipeline import DiagnosticResult


@pytest.fixture(scope="module")
def demo(demo_result: DiagnosticResult,
         demo_analysis: AnalysisResult) -> tuple[DiagnosticResult, AnalysisResult]:
    return demo_result, demo_analysis


def test_analysis_covers_every_commune(demo: tuple[DiagnosticResult, AnalysisResult]) -> None:
    result, analysis = demo
    assert len(analysis.profiles) == 152
    assert set(analysis.profiles["profile"]) <= set("ABCDEF")
    assert (analysis.profiles["explanation"] != "").all()
    assert len(analysis.poles) == 152
    assert analysis.poles["threshold_scaled"].all()  # the demo covers few BPE types
    assert len(analysis.potential) == 152
    # every territory resident is served first by exactly one proximity pole
    summary = analysis.pole_summary
    served = summary.loc[summary["level"] == "proximite", "population_served"].sum()
    assert served == pytest.approx(result.territory.population)
    scenario = analysis.scenario
    assert scenario is not None
    assert "bureau de poste" in scenario.scenario.name
    assert scenario.affected_population > 0
    assert set(scenario.recomputed) >= {"la_poste", "bureau_de_poste"}
    assert "france_services" not in scenario.recomputed


def test_report_and_layers(demo: tuple[DiagnosticResult, AnalysisResult],
                           tmp_path: Path) -> None:
    result, analysis = demo
    written = write_outputs(result, tmp_path, analysis=analysis)
    html = written["report"].read_text(encoding="utf-8")
    for anchor in ("profils", "poles", "deficits", "accessibilite-potentielle", "scenario"):
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html
    assert "Pôles indicatifs" in html
    # the example closure's affected population, formatted as in the page
    affected = f"{analysis.scenario.affected_population:,.0f}".replace(",", "\u202f")
    assert affected in html
    # each map has a text alternative and the table it refers to exists
    for alt in re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]*)"', html):
        assert alt
    assert 'id="table-profils"' in html and 'id="table-poles"' in html
    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "diagnostic.gpkg")}
    assert {"profiles", "poles", "deficits", "potential_accessibility",
            "scenario_comparison"} <= layers
    communes = pyogrio.read_dataframe(tmp_path / "diagnostic.gpkg", layer="communes")
    assert communes["profile"].notna().all()
    assert set(communes["pole_level"]) <= {"aucun", "proximite", "intermediaire",
                                           "superieure"}


def test_difference_and_potential_classes() -> None:
    from proximite.report_analysis import delta_class, potential_class

    assert delta_class(5.0, 5.0) == "inchangé"
    assert delta_class(5.0, 9.0) == "+0 à 5 min"
    assert delta_class(5.0, 15.0) == "+5 à 10 min"
    assert delta_class(5.0, 40.0) == "plus de +20 min"
    assert delta_class(5.0, float("inf")) == "plus d'accès"
    assert delta_class(9.0, 5.0) == "plus court"
    assert potential_class(0.0) == "aucun site accessible"
    assert potential_class(0.3) == "moins de 0,5"
    assert potential_class(1.0) == "1 à 2"
    assert potential_class(7.0) == "5 et plus"


def test_report_has_difference_and_potential_maps(
        demo: tuple[DiagnosticResult, AnalysisResult]) -> None:
    from proximite.report import render_report

    result, analysis = demo
    html = unescape(render_report(result, analysis=analysis))
    assert "Carte de la variation du temps d'accès" in html
    assert "Carte de l'accessibilité potentielle 2sfca_france_services_20min" in html
    assert 'id="table-scenario-communes"' in html
    assert 'id="table-potentiel-communes"' in html
    # the closed post office's commune gets longer times
    assert "+0 à 5 min" in html or "+5 à 10 min" in html or "+10 à 20 min" in html
