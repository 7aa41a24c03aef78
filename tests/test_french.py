"""Every text the command line shows is French: help of every command, output, errors.

The detector (:mod:`language`) is proven on both sides first: it flags English sentences
the project used to print and passes the French ones it prints now.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from language import english_lines
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


def test_rejection_file_warnings_and_output_on_bad_services_are_french(tmp_path: Path) -> None:
    """A services file with every usual mistake: what the run prints and the reasons of
    rejected_services.csv read as French (and there are reasons to read)."""
    import pandas as pd

    from proximite.pipeline import DemoBundle

    bundle = DemoBundle.load()
    services = tmp_path / "services.csv"
    services.write_text(
        "service_id,category,name,lon,lat\n"
        "ok,france_services,Mende,3.4993,44.5181\n"
        "missing,france_services,Sans coordonnées,,\n"
        "text,france_services,Texte,abc,44.5\n"
        "swapped,france_services,Inversé,44.5181,3.4993\n"
        "lambert,france_services,Lambert,770000,6380000\n"
        "far,france_services,Paris,2.35,48.85\n"
        "range,france_services,Hors bornes,3.5,95\n"
        "short,france_services\n"
        "ok,france_services,Doublon,3.5,44.5\n", encoding="utf-8")
    out = tmp_path / "d"
    result = runner.invoke(app, [
        "diagnostic", "--communes", str(bundle.path("communes")),
        "--network", str(bundle.directory / bundle.networks()["stand-in"]["file"]),
        "--services", str(services), "--no-report", "--no-analysis", "--out", str(out)],
        env=WIDE)
    assert result.exit_code == 0, result.output
    rejected = pd.read_csv(out / "rejected_services.csv", dtype=str).fillna("")
    assert len(rejected) >= 7, rejected
    assert [r for r in rejected["reason"] if english_lines(r)] == []
    assert english_lines(result.output) == []
    # Without the report, the full list of warnings is said to be where it is.
    assert "liste complète dans la couche « run » de diagnostic.gpkg" in result.output


def test_network_builder_warnings_are_french() -> None:
    from proximite.network.bdtopo import build_bdtopo_graph

    dump = Path(__file__).parent / "data" / "bdtopo" / "ign_bdtopo_troncon_route_marseille10.sql"
    warnings = build_bdtopo_graph(dump).warnings
    assert len(warnings) >= 3
    assert [w for w in warnings if english_lines(w)] == []
