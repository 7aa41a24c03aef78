"""The settings tree: one default per value, sources in order, refusals naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from proximite.cli import app
from proximite.errors import SettingError
from proximite.model import AccessParams, DemoDefaults, DiagnosticOptions
from proximite.settings import (
    DEFAULT,
    Given,
    Settings,
    differences_from_demo,
    load_settings,
    with_demo_defaults,
)

runner = CliRunner()


def test_defaults_are_the_dataclass_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.diagnostic == DiagnosticOptions()
    assert settings.diagnostic.margin_m == 20_000.0
    assert settings.diagnostic.indicators.thresholds_min == (10.0, 20.0, 30.0)
    assert settings.diagnostic.access is None  # the network's own default
    assert settings.source("diagnostic.margin_m") == DEFAULT


def test_toml_then_environment_then_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "proximite.toml"
    toml.write_text("[diagnostic]\nmargin_m = 5000\n[diagnostic.access]\nmax_snap_m = 700\n"
                    "[serve]\nport = 9000\n", encoding="utf-8")
    settings = load_settings(toml, environ={"PROXIMITE_SERVE__PORT": "9100",
                                            "PROXIMITE_DIAGNOSTIC__EDGE_SPEED_KMH": "45,5"})
    assert settings.diagnostic.margin_m == 5000.0
    assert settings.diagnostic.access == AccessParams(max_snap_m=700.0)
    assert settings.serve.port == 9100
    assert settings.diagnostic.edge_speed_kmh == 45.5
    assert settings.source("serve.port") == "PROXIMITE_SERVE__PORT"
    assert settings.source("diagnostic.margin_m").endswith("proximite.toml : diagnostic.margin_m")
    over = load_settings(toml, environ={}, overrides={
        "diagnostic.margin_m": Given(1000.0, "--margin-km", "1")})
    assert over.diagnostic.margin_m == 1000.0
    assert over.source("diagnostic.margin_m") == "--margin-km"


def test_unknown_key_in_toml_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "proximite.toml"
    toml.write_text("[diagnostic]\nmargin_km = 5\n", encoding="utf-8")
    with pytest.raises(SettingError.__mro__[1], match="clé inconnue « diagnostic.margin_km »"):
        load_settings(toml, environ={})


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(SettingError) as caught:
        load_settings(environ={"PROXIMITE_DIAGNOSTIC__ACCESS__MAX_SNAP_M": "-3"})
    assert str(caught.value) == ("PROXIMITE_DIAGNOSTIC__ACCESS__MAX_SNAP_M -3 : attendu une "
                                 "distance ≥ 0 m")
    assert isinstance(caught.value, ValueError)


def test_near_precompute_threshold_from_the_environment() -> None:
    # above it the géoportail searches "near" on request (tests/test_web_on_request.py)
    env = {"PROXIMITE_WEB__NEAR_MAX_PRECOMPUTED_PAIRS": "1000"}
    assert load_settings(environ=env).web.near_max_precomputed_pairs == 1000
    assert load_settings(environ={}).web.near_max_precomputed_pairs == 20_000_000
    with pytest.raises(SettingError) as caught:
        load_settings(environ={"PROXIMITE_WEB__NEAR_MAX_PRECOMPUTED_PAIRS": "-1"})
    assert str(caught.value) == ("PROXIMITE_WEB__NEAR_MAX_PRECOMPUTED_PAIRS -1 : attendu un "
                                 "nombre de paires ≥ 0")


@pytest.mark.parametrize(("args", "line"), [
    (["--margin-km", "nan"], "--margin-km nan : attendu une distance ≥ 0"),
    (["--thresholds", "abc"], "--thresholds abc : attendu des nombres séparés par des virgules"),
    (["--thresholds", "10,-5"], "--thresholds 10,-5 : attendu des durées en minutes > 0"),
    (["--edge-speed-kmh", "0"], "--edge-speed-kmh 0 : attendu une vitesse > 0 km/h"),
])
def test_cli_refuses_bad_values_in_one_line_naming_the_option(
        args: list[str], line: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagnostic", "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert line in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_config_prints_every_value_and_its_source(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text("[planning]\nk_new = 3\n", encoding="utf-8")
    result = runner.invoke(app, ["config", "--config", str(toml)],
                           env={"PROXIMITE_DIAGNOSTIC__MARGIN_M": "12000"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "margin_m = 12000  # PROXIMITE_DIAGNOSTIC__MARGIN_M" in lines
    assert f"k_new = 3  # {toml} : planning.k_new" in lines
    assert "port = 8000  # défaut" in lines
    assert "[diagnostic.indicators]" in lines
    assert "thresholds_min = [10, 20, 30]  # défaut" in lines


def test_config_output_is_a_valid_proximite_toml(tmp_path: Path) -> None:
    """What `config` prints reads back as the same settings (a user can start from it)."""
    result = runner.invoke(app, ["config"], env={"PROXIMITE_SERVE__PORT": "8123"})
    assert result.exit_code == 0, result.output
    toml = tmp_path / "proximite.toml"
    toml.write_text(result.output, encoding="utf-8")
    again = load_settings(toml, environ={})
    assert again == load_settings(environ={"PROXIMITE_SERVE__PORT": "8123"})
    assert again.serve.port == 8123


def test_demo_defaults_fill_only_what_nobody_set() -> None:
    demo = DemoDefaults(access=AccessParams(30.0, 10_000.0), edge_speed_kmh=60.0,
                        source="48/bundle.yaml")
    settings = load_settings(environ={}, overrides={
        "diagnostic.access.max_snap_m": Given(500.0, "--max-snap-m")})
    resolved, taken = with_demo_defaults(settings, demo)
    assert resolved.diagnostic.access == AccessParams(30.0, 500.0)
    assert taken == ["vitesse hors réseau 30 km/h", "vitesse sur les arcs 60 km/h"]
    assert resolved.source("diagnostic.access.access_speed_kmh") == "démo (48/bundle.yaml)"
    # the library defaults on the demo's files: what differs is said, with the demo's value
    assert differences_from_demo(Settings(), demo) == [
        "vitesse hors réseau 5 km/h (démo : 30)", "distance au réseau max. 2000 m (démo : 10000)"]
