"""The commands that read territory inputs share one option group, defaults from settings."""

from __future__ import annotations

from pathlib import Path

import typer.main
from typer.testing import CliRunner

from proximite.cli import app
from proximite.cli.options import INPUT_OPTIONS
from proximite.io.inputs import DemoBundle

runner = CliRunner()
WIDE = {"COLUMNS": "300"}
INPUT_COMMANDS = ("diagnostic", "scenario", "plan", "serve")


def _options(command: str) -> dict[str, tuple[object, str | None]]:
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    return {p.name: (p.default, p.help) for p in params}


def test_input_commands_take_the_same_input_options_with_the_same_defaults() -> None:
    reference = {name: _options("diagnostic")[name] for name in INPUT_OPTIONS}
    assert set(reference) >= {"network", "services", "communes", "departement", "origins",
                              "mode", "thresholds", "margin_km", "edge_speed_kmh", "config"}
    for command in INPUT_COMMANDS:
        options = _options(command)
        assert {name: options[name] for name in INPUT_OPTIONS} == reference, command
    # the defaults are not re-typed in the CLI: unset options defer to the settings
    assert all(default is None for default, _ in reference.values())
    assert "[défaut : 20]" in str(reference["margin_km"][1])
    assert "[défaut : 10,20,30]" in str(reference["thresholds"][1])


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_the_demo_says_it_uses_its_own_values(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagnostic", "--out", str(tmp_path / "d"), "--no-analysis",
                                 "--no-report", "--demo-network", "stand-in"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert ("Réglages : valeurs de la démo (48/bundle.yaml) : vitesse hors réseau 30 km/h, "
            "distance au réseau max. 10000 m, vitesse sur les arcs 60 km/h.") in _flat(
                result.output)


def test_the_demo_files_by_hand_say_which_defaults_differ(tmp_path: Path) -> None:
    bundle = DemoBundle.load()
    network = bundle.directory / bundle.network("stand-in")["file"]
    args = ["diagnostic", "--out", str(tmp_path / "d"), "--no-analysis", "--no-report",
            "--communes", str(bundle.path("communes")), "--network", str(network)]
    for path in bundle.service_files():
        args += ["--services", str(path)]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    flat = _flat(result.output)
    assert "valeurs par défaut de la bibliothèque, pas celles de la démo" in flat
    assert ("vitesse hors réseau 5 km/h (démo : 30) ; distance au réseau max. 2000 m "
            "(démo : 10000)") in flat
    # given the demo's values, nothing is said
    result = runner.invoke(app, [*args, "--access-speed-kmh", "30", "--max-snap-m", "10000"],
                           env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Réglages" not in result.output


def test_defaults_written_in_the_help_texts_are_shown() -> None:
    """A help text saying "[défaut : …]" is not swallowed as Rich markup."""
    from proximite.settings import PlanningOptions

    plan = runner.invoke(app, ["plan", "--help"], env=WIDE).output
    assert f"Nouveaux sites pour le MCLP [défaut : {PlanningOptions().k_new}]" in plan
    assert "commune du dépôt du bus [défaut : la plus peuplée]" in plan
    assert "\\[" not in plan
    calibrate = runner.invoke(app, ["calibrate", "--help"], env=WIDE).output
    assert "[défaut : l'archive livrée]" in calibrate
