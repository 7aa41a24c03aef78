"""The fibre indicators of a plan, computed from a diagnostic's digital axis (digital.csv).

The ARCEP FttH file gives, per commune, the premises connectable to fibre and a class of
the share connectable (no total of premises): the measures are the two exact counts.
Hand-read from the shipped Lozère cut (``bundles/48/digital/ftthCommunes_48.csv``): only
48009 and 48095 (Mende) have premises connectable, 889 and 699 in T3 2017, 891 and 1 683
in T1 2018 (the latest quarter, the one the diagnostic reads).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from proximite.catalogue import load_catalogue
from proximite.errors import InputError
from proximite.inventory.digital import fibre_share
from proximite.io.arcep import read_ftth
from proximite.io.plans import read_indicators, read_plan, shipped_indicators
from proximite.plans.model import TERRITORY, Indicator, Measure, Query
from proximite.plans.progress import computed_value, trend, with_computed
from proximite.plans.schema import export_plan, parse_plan
from proximite.report.copil import indicator_label

FTTH_48 = Path(str(resources.files("proximite") / "data" / "bundles" / "48" / "digital"
                   / "ftthCommunes_48.csv"))
ALLIER = "allier-sdaasp-2018-2023"
PREMISES = Query(Measure.FIBRE_PREMISES, "", TERRITORY)
COMMUNES = Query(Measure.FIBRE_COMMUNES, "", TERRITORY)
NO_TERRITORY = pd.DataFrame(columns=["level", "category", "target_kind"])


def _digital(path: Path) -> pd.DataFrame:
    """The fibre columns of digital.csv, built as the diagnostic builds them."""
    return fibre_share(read_ftth(path)[0])


def _cut_to_first_quarter(tmp_path: Path) -> Path:
    lines = FTTH_48.read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "ftth_T3_2017.csv"
    cut.write_text("\n".join(",".join(line.split(",")[:3]) for line in lines) + "\n",
                   encoding="utf-8")
    return cut


def test_the_bundle_file_is_the_one_read_by_hand() -> None:
    assert FTTH_48.is_file()
    assert read_ftth(FTTH_48)[1] == "T1 2018"


def test_fibre_counts_of_the_shipped_lozere_cut(tmp_path: Path) -> None:
    latest = _digital(FTTH_48)
    assert computed_value(NO_TERRITORY, PREMISES, latest) == 891 + 1683
    assert computed_value(NO_TERRITORY, COMMUNES, latest) == 2
    first = _digital(_cut_to_first_quarter(tmp_path))
    assert computed_value(NO_TERRITORY, PREMISES, first) == 889 + 699


def test_the_diagnostic_digital_table_gives_the_same_count(demo_result) -> None:
    assert computed_value(demo_result.indicators, PREMISES, demo_result.digital) == 2574
    assert computed_value(demo_result.indicators, COMMUNES, demo_result.digital) == 2


def _plan_with(*indicators: Indicator):
    plan = read_plan(ALLIER)
    for indicator in indicators:
        plan.indicators[indicator.id] = indicator
    return plan


def test_trend_between_two_runs_with_different_fibre_files(tmp_path: Path) -> None:
    indicator = Indicator("f", "Locaux raccordables", ("5.1.1",), None, query=PREMISES,
                          lower_is_better=False)
    plan = _plan_with(indicator)
    notes = with_computed(plan, [("2017", NO_TERRITORY), ("2018", NO_TERRITORY)], digital={
        "2017": _digital(_cut_to_first_quarter(tmp_path)), "2018": _digital(FTTH_48)})
    assert notes == []
    assert [o.value for o in indicator.observed] == [1588.0, 2574.0]
    t = trend(indicator)
    assert (t.direction, t.delta, t.favourable) == ("en hausse", 986.0, True)


def test_a_run_without_fibre_data_is_a_note_not_a_value() -> None:
    indicator = Indicator("f", "Locaux raccordables", ("5.1.1",), None, query=PREMISES,
                          lower_is_better=False)
    empty = Indicator("g", "Communes fibrées", ("5.1.1",), None, query=COMMUNES,
                      lower_is_better=False)
    unknown = pd.DataFrame({"code_insee": ["48001"], "ftth_locaux_raccordables": [None]})
    notes = with_computed(_plan_with(indicator, empty), [("2024", NO_TERRITORY)],
                          digital={"2024": pd.DataFrame({"code_insee": ["48001"]})})
    assert indicator.observed == [] and empty.observed == []
    assert notes[0] == ("Locaux raccordables (2024) : ce diagnostic n'a pas de données de "
                        "fibre (axe numérique : fichier ARCEP ftthCommunes, option --ftth)")
    notes = with_computed(_plan_with(empty), [("2024", NO_TERRITORY)],
                          digital={"2024": unknown})
    assert notes[-1] == ("Communes fibrées (2024) : non calculable (aucune commune n'a de "
                         "chiffre de fibre dans ce diagnostic)")


def test_shipped_allier_indicators_bind_the_fibre_counts() -> None:
    plan = read_plan(ALLIER)
    path = shipped_indicators(ALLIER)
    assert path is not None
    added = read_indicators(plan, path)
    assert {"fibre-locaux", "fibre-communes"} <= set(added)
    premises = plan.indicators["fibre-locaux"]
    assert premises.query == PREMISES
    assert premises.item_ids == ("5.1.1",)
    assert premises.lower_is_better is False  # more premises connectable is progress
    assert plan.indicators["fibre-communes"].query == COMMUNES
    assert premises.query.to_data() == {"measure": "fibre_premises"}
    assert indicator_label(premises, load_catalogue()) == (
        "Locaux raccordables à la fibre optique (FttH) (calculé : locaux raccordables à la "
        "fibre (FttH, ARCEP), dans le territoire)")


def _with_query(query: dict) -> dict:
    data = export_plan(read_plan(ALLIER))
    data["indicators"] = [{"id": "fibre", "name": "Fibre", "items": ["5.1.1"], "query": query}]
    return data


def test_a_fibre_query_round_trips_and_refuses_a_target() -> None:
    plan = parse_plan(_with_query({"measure": "fibre_communes"}), "p.yaml", load_catalogue())
    [indicator] = [i for i in plan.indicators.values() if i.name == "Fibre"]
    assert indicator.query == COMMUNES
    assert export_plan(plan)["indicators"][-1]["query"] == {"measure": "fibre_communes"}
    with pytest.raises(InputError) as caught:
        parse_plan(_with_query({"measure": "fibre_premises", "category": "france_services"}),
                   "p.yaml", load_catalogue())
    message = str(caught.value)
    assert message.startswith("p.yaml")
    assert "la mesure « fibre_premises » porte sur tout le territoire (axe numérique) : " \
           "clé « category » en trop" in message
    assert "\n" not in message



def test_the_committee_pack_shows_the_fibre_count_of_a_saved_run(demo_result,
                                                                  tmp_path: Path) -> None:
    """Through the saved GeoPackage (its digital layer) and `proximite copil`."""
    import re

    from typer.testing import CliRunner

    from language import visible_text
    from proximite.cli import app
    from proximite.outputs import write_outputs

    saved = tmp_path / "diag"
    write_outputs(demo_result, saved, report=False)
    indicators = tmp_path / "fibre.yaml"
    indicators.write_text(
        "plan: plan-test-lozere\nindicators:\n"
        "  - {id: fibre, name: Locaux raccordables, items: ['1.1'], unit: locaux,\n"
        "     query: {measure: fibre_premises}}\n", encoding="utf-8")
    plan = Path(__file__).parent / "data" / "plans" / "plan_test_lozere.yaml"
    out = tmp_path / "pack"
    result = CliRunner().invoke(app, [
        "copil", "--plan", str(plan), "--review", "2025-01-15", "--run", f"2025={saved}",
        "--indicateurs", str(indicators), "--out", str(out), "--sans-pdf"],
        env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", " ".join(visible_text(
        (out / "copil.html").read_text(encoding="utf-8"))))
    assert "Locaux raccordables (calculé : locaux raccordables à la fibre (FttH, ARCEP), " \
           "dans le territoire)" in text
    assert "2 574 locaux (diagnostic « 2025 »)" in text
