"""National tables on hand-computed cases: per-département indicators and the France
Services 30-minute check (who, where, how many)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from proximite.analysis.national import (
    NationalResult,
    departement_indicators,
    france_services_check,
)
from proximite.cli import app
from proximite.cli.national import step_durations
from proximite.distributed import departement_of
from proximite.model import IndicatorParams
from proximite.outputs_france import france_services_summary


def _case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    communes = pd.DataFrame({
        "code_insee": ["48001", "48002", "15001", "97101"],
        "nom": ["Aa", "Bb", "Cc", "Dd"],
        "departement_code": ["48", "48", "15", "971"],
        "departement_nom": ["Lozère", "Lozère", "Cantal", "Guadeloupe"],
        "population": [100.0, 300.0, 600.0, 50.0],
    })
    origins = communes[["code_insee", "population"]].assign(origin_id=communes["code_insee"])
    access = pd.DataFrame({
        "origin_id": origins["origin_id"], "code_insee": origins["code_insee"],
        "category": "france_services", "target_kind": "category",
        "travel_time_min": [12.0, 35.0, 8.0, np.nan],
        "status": ["ok", "ok", "ok", "unreachable"],
        "status_detail": ["", "", "", "origine à 80,0 km du réseau routier"],
        "nearest_service_id": ["fs:1", "fs:2", "fs:3", ""],
    })
    return access, origins, communes


def test_departement_indicators_hand_computed() -> None:
    access, origins, communes = _case()
    table = departement_indicators(access, origins, communes, IndicatorParams((10.0, 30.0)))
    by_dep = table.set_index("departement_code")
    assert list(table["departement_code"]) == ["15", "48", "971"]
    lozere = by_dep.loc["48"]
    assert lozere["departement_nom"] == "Lozère" and lozere["communes"] == 2
    assert lozere["population"] == 400
    assert lozere["median_min"] == 35.0  # 100 at 12 min, 300 at 35: half = 200 -> 35
    assert lozere["d1_min"] == 12.0
    assert lozere["pop_over_10"] == 400 and lozere["pop_over_30"] == 300
    guadeloupe = by_dep.loc["971"]
    assert guadeloupe["population_unreachable"] == 50 and guadeloupe["pop_over_30"] == 50
    assert np.isnan(guadeloupe["median_min"])


def test_france_services_check_who_where_how_many() -> None:
    access, _, communes = _case()
    beyond, per_dep = france_services_check(access, communes, 30.0)
    assert list(beyond["code_insee"]) == ["48002", "97101"]  # 35 min, and no time
    assert beyond.loc[1, "status"] == "unreachable"
    dep = per_dep.set_index("departement_code")
    assert dep.loc["48", "communes_au_dela"] == 1
    assert dep.loc["48", "population_au_dela"] == 300
    assert dep.loc["48", "part_population_au_dela"] == 75.0
    assert dep.loc["15", "communes_au_dela"] == 0
    assert dep.loc["971", "communes_sans_temps"] == 1
    assert per_dep["population_au_dela"].sum() == 350


def test_departement_of_insee_codes() -> None:
    assert [departement_of(c) for c in ("01001", "2A004", "97101", "97611")] == \
        ["01", "2A", "971", "976"]


def test_france_refuses_other_data_options_in_french(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["diagnostic", "--france", "--communes",
                                      str(tmp_path / "communes.geojson"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--france lit les données nationales embarquées : sans --communes" in result.output
    assert "Traceback" not in result.output


def test_france_services_summary_in_french() -> None:
    access, _, communes = _case()
    beyond, per_dep = france_services_check(access, communes, 30.0)
    national = NationalResult(result=None, departements=pd.DataFrame(),  # type: ignore[arg-type]
                              france_services_beyond=beyond,
                              france_services_by_departement=per_dep, threshold_min=30.0)
    assert france_services_summary(national) == (
        "France Services à plus de 30 min : 2 communes, 350 habitants (33,3\u00a0%), dans "
        "2 départements ; dont 1 commune sans temps (hors réseau ou sans chemin).")


def test_step_durations_line_in_french() -> None:
    assert step_durations({"lecture des données nationales": 0.42, "écriture": 12.26}) == (
        "Durées (s) : lecture des données nationales 0,4 ; écriture 12,3 ; total 12,7")
