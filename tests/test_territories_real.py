"""The real diagnostics of Lozère, Cantal and Allier from the shipped bundles (issue 11).

These run the whole job on a fresh clone's data: the commune bundles, the full inventory
built with the project's importers and the calibrated Travel Mapping cut.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from proximite.analysis.diagnosis import categories_with_data
from proximite.cli import app
from proximite.model import DiagnosticResult
from proximite.outputs import write_outputs
from proximite.pipeline import run_diagnostic

COUNTS = {"48": 152, "15": 250, "03": 317}


@pytest.fixture(scope="module")
def real_demo(real_demo_result: DiagnosticResult) -> DiagnosticResult:
    return real_demo_result  # the session's real demo (conftest)


def test_default_demo_is_lozere_on_calibrated_travel_mapping(real_demo: DiagnosticResult,
                                                             ) -> None:
    assert real_demo.territory.name == "Lozère (48)"
    assert len(real_demo.territory.communes) == 152
    assert not real_demo.graph.is_stand_in
    note = real_demo.network_note
    assert "routes numérotées Travel Mapping" in note
    assert "calibré sur la matrice OSRM" in note and "Isère" in note
    assert "écart médian" in note  # the measured error, in the run's own words
    assert len(categories_with_data(real_demo)) >= 20
    assert real_demo.territory.communes["pct_65plus"].notna().all()
    # every commune has a time (or a stated status) for every computed category
    cats = real_demo.access_times[real_demo.access_times.target_kind == "category"]
    assert cats.groupby("category")["origin_id"].nunique().eq(152).all()


def test_demo_network_option_keeps_the_stand_in(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["diagnostic", "--demo-network", "ailleurs",
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--demo-network ailleurs : attendu « travelmapping » ou « stand-in »" in \
        result.output


@pytest.fixture(scope="module")
def real_demo_layers(real_demo: DiagnosticResult,
                     tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The GeoPackage layers of the real demo's outputs, written once for both cases."""
    written = write_outputs(real_demo, tmp_path_factory.mktemp("demo") / "48", report=False)
    return {name for name, _ in pyogrio.list_layers(written["gpkg"])}


@pytest.mark.parametrize("departement", ["15", "03"])
def test_departement_runs_with_every_commune_and_the_demo_layers(
        departement: str, real_demo_layers: set[str], tmp_path: Path) -> None:
    result = run_diagnostic(departement=departement)
    communes = result.territory.communes
    assert len(communes) == COUNTS[departement]
    assert communes["pct_65plus"].notna().all()
    assert len(categories_with_data(result)) >= 20
    cats = result.access_times[result.access_times.target_kind == "category"]
    assert cats.groupby("category")["origin_id"].nunique().eq(COUNTS[departement]).all()
    written = write_outputs(result, tmp_path / departement, report=False)
    layers = {name for name, _ in pyogrio.list_layers(written["gpkg"])}
    assert layers == real_demo_layers
    if departement == "15":  # the restored communes are there, with their town halls
        restored = communes.set_index("code_insee").loc[["15031", "15035", "15047",
                                                         "15171"]]
        assert restored["origin_lon"].notna().all()
