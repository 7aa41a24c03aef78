"""The planning job on the Lozère demo: siting, tour, comparison, report and CLI."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from language import english_sentences, visible_text
from proximite.cli import app


def test_plan_cli_on_demo(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["plan", "--out", str(out), "--tour-seconds", "1"])
    assert result.exit_code == 0, result.output
    assert "LSCP" in result.output
    comparison = pd.read_csv(out / "plan_comparison.csv")
    assert comparison["plan"].iloc[0] == "situation actuelle"
    assert len(comparison) == 4
    current = comparison.iloc[0]
    # opening sites or stops never makes the territory worse off
    for _, row in comparison.iloc[1:].iterrows():
        assert row["pop_over_20"] <= current["pop_over_20"]
        assert row["median_min"] <= current["median_min"] + 1e-9
    lscp = pd.read_csv(out / "siting_lscp.csv")
    assert lscp["covered"].all()  # everyone within 30 min with the LSCP sites
    timetable = pd.read_csv(out / "tour_timetable.csv")
    assert timetable["stop_id"].is_unique
    assert set(timetable["weekday"]) <= {"lundi", "mardi", "mercredi", "jeudi", "vendredi"}
    ics = (out / "tour.ics").read_text(encoding="utf-8")
    assert ics.count("BEGIN:VEVENT") == len(timetable)
    page = (out / "plan_report.html").read_text(encoding="utf-8")
    assert english_sentences("\n".join(visible_text(page))) == []
    html = unescape(page)
    assert "Modèles de localisation" in html and "LSCP" in html and "MCLP" in html
    assert "Horaires hebdomadaires" in html and "Comparaison des plans" in html
    assert "écart d'optimalité" in html and "temps de calcul" in html


def test_plan_cli_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "--category", "licorne", "--out",
                                      str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "catégorie « licorne » inconnue" in result.output


def test_plan_cli_bad_candidates_file_named_before_any_computation(tmp_path: Path) -> None:
    candidates = tmp_path / "candidats.csv"
    candidates.write_text("candidate_id,lon,lat,name\nc1,abc,44.5,Salle\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", "--candidates", str(candidates), "--out",
                                      str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "candidats.csv:2: champ « lon »" in result.output
    assert not (tmp_path / "p").exists()
