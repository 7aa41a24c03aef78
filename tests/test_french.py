"""Every text the command line shows is French: help of every command, output, errors.

The detector (:mod:`english`) is proven on both sides first: it flags English sentences
the project used to print and passes the French ones it prints now.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from english import english_lines
from proximite.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


@pytest.mark.parametrize("line", [
    "the network has no edge in the territory",
    "Show this message and exit.",
    "Run the diagnostic. Without options: the embedded Lozère demo.",
    "data/services.csv:3: field 'lat': invalid value 'x' (expected WGS84 degrees)",
    "no service file given (--services FILE)",
    "Services kept up to this distance outside the territory (km)",
])
def test_detector_flags_english_sentences(line: str) -> None:
    assert english_lines(line) == [line]


@pytest.mark.parametrize("line", [
    "Lancer le diagnostic. Sans option : la démo embarquée de la Lozère.",
    "--margin-km nan : attendu une distance ≥ 0",
    "Résultats écrits dans diagnostic : diagnostic.gpkg, access_times.csv, report.html",
    "Réseau routier : extrait OpenStreetMap (.osm.pbf, .pbf, .osm) ; table d'arcs (.csv)",
    "Vitesse des trajets hors réseau (km/h) [défaut : 5 ; démo : celle de son bundle.yaml]",
    "Fichiers de services (option répétable) : ANCT, La Poste, carburants, CNFS, GTFS",
])
def test_detector_passes_french_sentences(line: str) -> None:
    assert english_lines(line) == []


def _commands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_every_command_is_scanned() -> None:
    assert {"diagnostic", "scenario", "plan", "serve", "config", "categories"} <= set(
        _commands())


@pytest.mark.parametrize("command", [None, *_commands()])
def test_help_is_french(command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert english_lines(result.output) == []


def test_run_output_and_errors_are_french(tmp_path: Path) -> None:
    outputs = []
    result = runner.invoke(app, ["diagnostic", "--out", str(tmp_path / "d"), "--no-analysis",
                                 "--no-report"], env=WIDE)
    assert result.exit_code == 0, result.output
    outputs.append(result.output)
    for args in (["diagnostic", "--services", str(tmp_path / "absent.csv")],
                 ["diagnostic", "--network", str(tmp_path / "absent.osm.pbf")],
                 ["diagnostic", "--mode", "bike"],
                 ["diagnostic", "--mode", "walk"],
                 ["scenario", "--speed-factor", "primary"],
                 ["serve", "--diagnostic", str(tmp_path), "--mode", "car"],
                 ["config", "--config", str(tmp_path / "absent.toml")]):
        result = runner.invoke(app, args, env=WIDE)
        assert result.exit_code == 2, (args, result.output)
        outputs.append(result.output)
    config = runner.invoke(app, ["config"], env=WIDE)
    outputs.append(config.output)
    assert [line for text in outputs for line in english_lines(text)] == []
