"""Error messages a user can trigger are French, one line naming the setting or field and
what was expected; the CLI prints them without a traceback and exits with 2.

Two checks: a scan of every error the package builds (the wording written in the code,
by :func:`language.english_message_words`), where only programmer errors (a caller's bug,
never triggered by a file, a setting or an option) may stay English, each marked with a
``# programmer error`` comment; and bad settings, options and arguments tried for real.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from language import english_lines, english_message_words
from proximite.cli import app
from proximite.errors import SettingError

SRC = Path(__file__).resolve().parents[1] / "src" / "proximite"
MARK = "# programmer error"
#: Callables whose text arguments are a message for the user.
RAISERS = ("Error", "Exception", "fail")
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def _messages() -> list[tuple[str, int, str, bool]]:
    """(file, line, wording, marked) of every error built in the package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if not name.endswith(RAISERS):
                continue
            text = " ".join(sub.value for sub in ast.walk(node)
                            if isinstance(sub, ast.Constant) and isinstance(sub.value, str))
            if not text.strip():
                continue
            above = lines[max(0, node.lineno - 3):node.lineno]
            found.append((str(path.relative_to(SRC)), node.lineno, text,
                          any(MARK in line for line in above)))
    return found


def test_every_error_a_user_can_trigger_is_worded_in_french() -> None:
    english = [f"{path}:{line}: {text!r} {english_message_words(text)}"
               for path, line, text, marked in _messages()
               if not marked and english_message_words(text)]
    assert english == []


def test_the_scan_sees_the_errors_and_the_programmer_errors_stay_few() -> None:
    messages = _messages()
    assert len(messages) > 300  # the scan reads the package's errors, not a handful
    marked = sorted(f"{path}:{line}" for path, line, _, is_marked in messages if is_marked)
    # each one a caller's bug; a new one needs the same reason, written beside it
    assert len(marked) <= 15, marked
    by_file = {path for path, _, _, is_marked in messages if is_marked}
    assert {"analysis/potential.py", "report/blocks.py", "store/db.py"} <= by_file


# --------------------------------------------------------------------------- for real


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proximite.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("toml", "line"), [
    ("[analysis]\ndecay = [[10, 1.0], [5, 0.5]]\n",
     "analysis.decay 10,1,5,0.5 : attendu des paliers rangés par borne supérieure croissante"),
    ("[analysis]\ndecay = [[10, 1.5]]\n",
     "analysis.decay 10,1.5 : attendu des poids entre 0 et 1, pas 1,5"),
    ("[analysis]\ndecay = [[5, 1.0], [5, 0.3]]\n",
     "attendu des paliers qui ne se chevauchent pas (deux paliers finissent à 5 min)"),
    ("[analysis]\npotential_cutoffs_min = [20, 0]\n",
     "analysis.potential_cutoffs_min 20,0 : attendu des temps limites > 0 min"),
    ("[analysis]\ndeficit_threshold_min = -5\n",
     "analysis.deficit_threshold_min -5 : attendu un seuil > 0 min"),
    ("[diagnostic]\ndedup_distance_m = -1\n",
     "diagnostic.dedup_distance_m -1 : attendu une distance ≥ 0 m"),
    ("[planning]\ncutoff_min = 0\n", "planning.cutoff_min 0 : attendu un temps > 0 min"),
    ("[planning]\ndays_per_week = 8\n",
     "planning.days_per_week 8 : attendu un nombre de jours entre 1 et 7"),
])
def test_a_bad_setting_in_proximite_toml_is_one_french_line(tmp_path: Path, toml: str,
                                                            line: str) -> None:
    config = _toml(tmp_path, toml)
    result = runner.invoke(app, ["config", "--config", str(config)], env=WIDE)
    assert result.exit_code == 2, result.output
    assert line in result.output
    assert str(config) in result.output  # names where the value came from
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output and english_lines(result.output) == []
    assert english_message_words(result.output.replace(str(config), "")) == []


@pytest.mark.parametrize(("args", "line"), [
    (["diagnostic", "--departement", "999"], "code de département « 999 » inconnu"),
])
def test_a_bad_option_is_one_french_line(tmp_path: Path, args: list[str], line: str) -> None:
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")], env=WIDE)
    assert result.exit_code == 2, result.output
    assert line in result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Erreur")]
    assert len(errors) == 1  # one line (after the progress spinner)
    assert english_message_words(errors[0]) == []


@pytest.mark.parametrize("value", ["-1", "abc", "1e999"])
def test_every_setting_takes_a_bad_value_or_refuses_it_in_one_french_line(value: str) -> None:
    """Through the environment, every leaf of the settings tree: a refusal names the
    variable and is French; nothing crashes with another error type."""
    from proximite.settings import leaves, load_settings

    refused = 0
    for key, _, _ in leaves():
        name = "PROXIMITE_" + key.replace(".", "__").upper()
        try:
            load_settings(environ={name: value})
        except SettingError as exc:
            refused += 1
            message = str(exc)
            # the variable first; a rule between several values names them after it
            assert message.startswith(f"{name} {value} : attendu ") or (
                message.startswith(f"{name} (") and " : attendu " in message), message
            assert "\n" not in message
            assert english_message_words(message) == [], message
    assert refused >= 30  # numbers, sizes and times are checked, not only a few


@pytest.mark.parametrize(("baskets", "line"), [
    ("baskets:\n  x: [a\n", "baskets.yaml:3: YAML invalide (« expected"),
    ("baskets:\n  sans_nom:\n    categories: [pharmacie]\n",
     "baskets.yaml: champ « label » : le panier « sans_nom » n'a pas de libellé"),
])
def test_a_bad_catalogue_is_one_french_line(tmp_path: Path, baskets: str, line: str) -> None:
    from proximite.catalogue import DEFAULT_CATALOGUE_DIR

    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    (catalogue / "categories.yaml").write_text(
        (DEFAULT_CATALOGUE_DIR / "categories.yaml").read_text(encoding="utf-8"),
        encoding="utf-8")
    (catalogue / "baskets.yaml").write_text(baskets, encoding="utf-8")
    result = runner.invoke(app, ["diagnostic", "--catalogue", str(catalogue), "--out",
                                 str(tmp_path / "o")], env=WIDE)
    assert result.exit_code == 2, result.output
    errors = [text for text in result.output.splitlines() if text.startswith("Erreur")]
    assert len(errors) == 1 and line in errors[0], result.output
    assert "Traceback" not in result.output
    assert english_message_words(errors[0].replace(str(catalogue), "")) == []


def _refused(call: object) -> str:
    assert callable(call)
    with pytest.raises(ValueError) as caught:  # every user error is a ValueError too
        call()
    message = str(caught.value)
    assert "\n" not in message
    assert english_message_words(message) == [], message
    return message


def test_library_parameters_are_refused_in_french_naming_the_parameter() -> None:
    from proximite.analysis import potential
    from proximite.analysis.bounded import bounded_travel_times
    from proximite.catalogue import load_catalogue
    from proximite.inventory.dedup import deduplicate
    from proximite.model import StepDecay
    from proximite.network.graph import RoadGraph

    costs = pd.DataFrame({"origin_id": ["o"], "destination_id": ["d"],
                          "travel_time_min": [5.0]})
    supply = pd.Series({"d": 1.0})
    demand = pd.Series({"o": 10.0})
    assert _refused(lambda: potential.power_decay(0)).startswith("beta 0 : attendu")
    assert _refused(lambda: potential.power_decay(1, 0)).startswith("min_time_min 0 :")
    assert _refused(lambda: potential.exponential_decay(-1)).startswith("beta -1 :")
    assert _refused(lambda: potential.gravity(costs, supply, 1.0, kind="gaussian")) == (
        "kind gaussian : attendu « power » (loi puissance) ou « exponential » (exponentielle)")
    assert _refused(lambda: potential.two_step_fca(costs, demand, supply, math.nan)) == (
        "cutoff_min NaN : attendu un temps limite > 0 min")
    assert "potential_cutoffs_min" in _refused(
        lambda: potential.potential_accessibility(costs, demand, {"gp": supply}, []))
    assert _refused(lambda: potential.standardised_demand(
        demand, pd.Series({"o": 20.0}), (0.0, 0.0))).startswith("weights 0 ; 0 : attendu")
    assert _refused(lambda: potential.standardised_demand(
        demand, pd.Series({"o": 120.0}), (1.0, 2.0))) == (
        "champ « pct_65plus » : invalide ou absent pour o (attendu : un pourcentage entre 0 "
        "et 100)")
    assert "o" in _refused(lambda: potential.two_step_fca(
        costs, pd.Series({"o": -1.0}), supply, 10))
    assert _refused(lambda: StepDecay([(5, 1.5)])) == (
        "decay [[5, 1.5]] : attendu des poids entre 0 et 1, pas 1,5")

    graph = RoadGraph.from_edges(np.array(["A", "B"]), np.array([3.5, 3.51]),
                                 np.array([44.5, 44.5]), np.array([0]), np.array([1]),
                                 np.array([1.0]))
    points = pd.DataFrame({"origin_id": [1], "lon": [3.5], "lat": [44.5]})
    services = pd.DataFrame({"service_id": ["x"], "lon": [3.51], "lat": [44.5]})
    assert _refused(lambda: bounded_travel_times(graph, points, services, 10,
                                                 batch_size=0)).startswith("batch_size 0 :")
    catalogue = load_catalogue()
    rows = pd.DataFrame({"service_id": ["a"], "category": ["pharmacie"], "name": ["P"],
                         "lon": [3.5], "lat": [44.5], "source": ["s"]})
    assert _refused(lambda: deduplicate(rows, catalogue, distance_m=-1)) == (
        "distance_m -1 : attendu une distance de fusion des doublons ≥ 0 m")
    assert _refused(lambda: deduplicate(rows, catalogue, name_similarity=1.5)) == (
        "name_similarity 1,5 : attendu une similarité des noms entre 0 et 1")
    with pytest.raises(SettingError):  # a setting's error: the CLI names where it came from
        StepDecay([])
