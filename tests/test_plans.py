"""Action plans as data: the four shipped plans, the schema's errors, export, edits, roll-ups.

Counts are the ones ``shared/data/plans/README.md`` states for each document (its
"Counts" table); roll-up figures are computed by hand in the comments.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from proximite.catalogue import load_catalogue
from proximite.errors import InputError
from proximite.io.plans import plan_yaml, read_plan, shipped_plans
from proximite.plans.edit import (
    PlanEditError,
    add_item,
    move_item,
    record_evaluation,
    retire_item,
    update_item,
)
from proximite.plans.model import Evaluation, Indicator, Measure, Observation, PlanItem, Query
from proximite.plans.progress import (
    changes_since_previous,
    computed_value,
    item_history,
    level_weights,
    roll_up,
    trend,
    with_computed,
)
from proximite.plans.schema import export_plan, parse_plan

CATALOGUE = load_catalogue()
ALLIER = "allier-sdaasp-2018-2023"
REVIEW = dt.date(2019, 7, 10)
AT = dt.datetime(2020, 1, 15, 10, 0)


@pytest.fixture(scope="module")
def allier():
    return read_plan(ALLIER)


# ------------------------------------------------------------------------ shipped plans
@pytest.mark.parametrize(("plan_id", "levels", "items", "leaves", "indicators"), [
    (ALLIER, ("axe", "objectif", "orientation", "sous-orientation"), 53, 29, 1),
    ("cantal-sdaasp-2018-2023", ("axe", "fiche-action", "sous-action"), 66, None, 36),
    ("lozere-sdaasp-2016-2022", ("axe", "action"), 42, 36, 0),
    ("allier-plan-numerique-2019-2021", ("axe", "objectif", "action"), 36, 23, 0),
])
def test_the_four_shipped_plans_load(plan_id, levels, items, leaves, indicators) -> None:
    plan = read_plan(plan_id)
    assert plan.id == plan_id
    assert plan.levels == levels
    assert len(plan.items) == items
    if leaves is not None:
        assert len(plan.leaves()) == leaves
    assert len(plan.indicators) == indicators
    assert set(shipped_plans()) >= {plan_id}


def test_allier_structure_and_review(allier) -> None:
    by_level = pd.Series([i.level for i in allier.items.values()]).value_counts().to_dict()
    assert by_level == {"axe": 2, "objectif": 6, "orientation": 16, "sous-orientation": 29}
    assert list(allier.reviews) == [REVIEW]
    review = allier.reviews[REVIEW]
    assert len(review.entries) == 29
    # only 1.1.2 and 3.2.1 say their level in the text ("non initié")
    assert {k for k, e in review.entries.items() if e.level is not None} == {"1.1.2", "3.2.1"}
    assert review.entries["1.1.1"].facts[0] == "11 MSAP existantes (pas d'évolution en 2018)"
    assert sum(len(e.facts) for e in review.entries.values()) == 104  # README: 104 facts
    assert allier.scale == ("atteint", "en_partie_atteint", "initie", "non_initie")
    assert allier.level_label("en_partie_atteint") == "en partie atteint"
    assert [a.id for a in allier.ancestors("1.1.2")] == ["1.1", "O1", "A1"]


@pytest.mark.parametrize("plan_id", sorted(shipped_plans()))
def test_export_gives_back_the_files_data(plan_id) -> None:
    path = shipped_plans()[plan_id]
    original = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan = read_plan(path)
    assert export_plan(plan) == original
    again = parse_plan(yaml.safe_load(plan_yaml(plan)), "again", CATALOGUE)
    assert export_plan(again) == original


def test_shipped_copies_are_the_shared_files() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "plans"
    if not shared.is_dir():
        shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "plans"
    if not shared.is_dir():
        pytest.skip("no shared/ folder beside the clone")
    for path in shipped_plans().values():
        assert path.read_bytes() == (shared / path.name).read_bytes(), path.name


# ------------------------------------------------------------------------------ errors
def _small() -> dict:
    return {"plan": {"id": "p", "title": "Plan test"}, "levels": ["axe", "action"],
            "items": [{"id": "A1", "level": "axe", "title": "Axe 1", "children": [
                {"id": "1.1", "level": "action", "title": "Action 1.1"},
                {"id": "1.2", "level": "action", "title": "Action 1.2"}]}]}


def _error(data: dict) -> str:
    with pytest.raises(InputError) as info:
        parse_plan(data, "plans/p.yaml", CATALOGUE)
    message = str(info.value)
    assert "\n" not in message and message.startswith("plans/p.yaml: ")
    return message


def test_duplicate_id() -> None:
    data = _small()
    data["items"][0]["children"][1]["id"] = "1.1"
    assert "élément « 1.1 » : identifiant en double" in _error(data)


def test_child_under_missing_parent() -> None:
    data = _small()
    data["items"].append({"id": "2.1", "parent": "A2", "level": "action", "title": "x"})
    assert "élément « 2.1 » : parent « A2 » inconnu" in _error(data)


def test_flat_list_with_parents_is_the_nested_plan() -> None:
    flat = {"plan": {"id": "p", "title": "Plan test"}, "levels": ["axe", "action"],
            "items": [{"id": "1.2", "parent": "A1", "level": "action", "title": "Action 1.2"},
                      {"id": "A1", "level": "axe", "title": "Axe 1"},
                      {"id": "1.1", "parent": "A1", "level": "action", "title": "Action 1.1"}]}
    plan = parse_plan(flat, "flat.yaml", CATALOGUE)
    assert list(plan.items) == ["A1", "1.2", "1.1"]
    assert [i.id for i in plan.children("A1")] == ["1.2", "1.1"]


def test_unknown_level_and_level_order() -> None:
    data = _small()
    data["items"][0]["children"][0]["level"] = "chapitre"
    message = _error(data)
    assert "élément « 1.1 » : niveau « chapitre » inconnu" in message
    assert "axe, action" in message
    data = _small()
    data["items"][0]["children"][0]["level"] = "axe"
    assert "élément « 1.1 » : niveau « axe » placé sous « A1 »" in _error(data)


def test_review_level_outside_the_scale() -> None:
    data = _small()
    data["items"][0]["children"][0]["evaluations"] = [{"date": REVIEW, "level": "fini"}]
    message = _error(data)
    assert "élément « 1.1 » : évaluation du 2019-07-10 : niveau « fini » hors de l'échelle" \
        in message
    assert "atteint, en_partie_atteint, initie, non_initie" in message  # SDAASP by default


def test_indicator_bound_to_unknown_category_or_basket() -> None:
    data = _small()
    data["items"][0]["children"][0]["indicators"] = [
        {"name": "Population à plus de 30 min", "query": {
            "measure": "pop_over", "category": "maison_france", "threshold_min": 30}}]
    assert "élément « 1.1 » : query : catégorie « maison_france » inconnu(e)" in _error(data)
    data["items"][0]["children"][0]["indicators"][0]["query"] = {
        "measure": "median_min", "basket": "panier_x"}
    assert "query : panier « panier_x » inconnu(e)" in _error(data)
    data["items"][0]["children"][0]["indicators"][0]["query"] = {
        "measure": "pop_over", "category": "france_services"}
    assert "query.threshold_min « None » invalide" in _error(data)


def test_bad_yaml_file_names_the_line(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("plan:\n  id: p\n  title: [unclosed\nlevels: [axe]\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_plan(path)
    assert str(info.value).startswith(f"{path}:")
    assert "YAML invalide" in str(info.value)


# ------------------------------------------------------------------------------- edits
def test_edits_keep_history_and_export() -> None:
    plan = parse_plan(_small(), "p.yaml", CATALOGUE)
    history = [
        add_item(plan, PlanItem("A2", "axe", "Axe 2", None), who="ana", at=AT),
        add_item(plan, PlanItem("2.1", "action", "Action 2.1", "A2"), who="ana", at=AT),
        move_item(plan, "1.2", "A2", who="ana", at=AT),
        update_item(plan, "2.1", who="ana", at=AT, pilots=["Département"],
                    partners=["EPCI", "CAF"], calendar="2021"),
        retire_item(plan, "1.1", "fusionnée avec 1.2", who="ana", at=AT),
    ]
    assert [c.action for c in history] == ["ajout", "ajout", "déplacement", "modification",
                                           "retrait"]
    assert history[2].before == {"parent": "A1"} and history[2].after == {"parent": "A2"}
    assert history[3].before == {"pilots": [], "partners": [], "calendar": None}
    assert [i.id for i in plan.children("A2")] == ["2.1", "1.2"]
    assert [i.id for i in plan.leaves()] == ["A1", "2.1", "1.2"]  # A1 lost its active child
    data = export_plan(plan)
    assert data["items"][0]["children"][0]["retired"] == {
        "date": AT.date(), "who": "ana", "reason": "fusionnée avec 1.2"}
    assert data["items"][1]["children"][0]["pilots"] == ["Département"]
    again = parse_plan(data, "again.yaml", CATALOGUE)
    assert export_plan(again) == data


def test_edits_refused() -> None:
    plan = parse_plan(_small(), "p.yaml", CATALOGUE)
    with pytest.raises(PlanEditError, match="« 1.1 » : identifiant déjà utilisé"):
        add_item(plan, PlanItem("1.1", "action", "x", "A1"), who="a", at=AT)
    with pytest.raises(PlanEditError, match="niveau « chapitre » inconnu"):
        add_item(plan, PlanItem("9", "chapitre", "x", None), who="a", at=AT)
    with pytest.raises(PlanEditError, match="ou sous « 1.1 », qui en dépend"):
        move_item(plan, "A1", "1.1", who="a", at=AT)
    with pytest.raises(PlanEditError, match="hors de l'échelle"):
        record_evaluation(plan, REVIEW, Evaluation("1.1", "fini"), at=AT)


# ----------------------------------------------------------------------------- roll-up
def test_level_weights_are_equal_steps() -> None:
    assert level_weights(("atteint", "en_partie_atteint", "initie", "non_initie")) == {
        "atteint": 1.0, "en_partie_atteint": 2 / 3, "initie": 1 / 3, "non_initie": 0.0}


def test_roll_up_on_the_allier_review(allier) -> None:
    # O1 has 3 sous-orientations: only 1.1.2 is rated (non initié) -> 0 %, 1 of 3 rated
    o1 = roll_up(allier, REVIEW, "O1")
    assert o1.n_leaves == 3 and o1.n_rated == 1 and o1.progress == 0.0
    assert o1.counts == {"atteint": 0, "en_partie_atteint": 0, "initie": 0, "non_initie": 1,
                         None: 2}
    # O2 has none rated: progress unknown, not 0
    assert roll_up(allier, REVIEW, "O2").progress is None
    whole = roll_up(allier, REVIEW)
    assert whole.n_leaves == 29 and whole.counts[None] == 27 and whole.counts["non_initie"] == 2


def test_roll_up_and_changes_after_a_new_review(allier) -> None:
    plan = copy.deepcopy(allier)
    later = dt.date(2020, 1, 20)
    for item_id, level in (("1.1.1", "atteint"), ("1.1.2", "initie"), ("1.2.1", "non_initie")):
        record_evaluation(plan, later, Evaluation(item_id, level, who="cm"), at=AT)
    # O1 = (1 + 1/3 + 0) / 3 = 4/9
    assert roll_up(plan, later, "O1").progress == pytest.approx(4 / 9)
    # A1 rated leaves are those three only (the others have no evaluation at this review)
    assert roll_up(plan, later, "A1").n_rated == 3
    before, changes = changes_since_previous(plan, later)
    assert before == REVIEW
    assert [(c.item_id, c.before, c.after, c.kind) for c in changes] == [
        ("1.1.1", None, "atteint", "nouvelle évaluation"),
        ("1.1.2", "non_initie", "initie", "progrès"),
        ("1.2.1", None, "non_initie", "nouvelle évaluation"),
        ("3.2.1", "non_initie", None, "non réévalué")]
    assert [d for d, _ in item_history(plan, "1.1.2")] == [REVIEW, later]
    assert [e.level for _, e in item_history(plan, "1.1.2")] == ["non_initie", "initie"]


# -------------------------------------------------------------------------- indicators
def _indicators(pop_over_30: float, services: float) -> pd.DataFrame:
    return pd.DataFrame([
        {"level": "territory", "zone_code": "", "category": "france_services",
         "target_kind": "category", "pop_over_30": pop_over_30, "median_min": 12.5,
         "services_in_zone": services},
        {"level": "commune", "zone_code": "48001", "category": "france_services",
         "target_kind": "category", "pop_over_30": 1.0, "median_min": 1.0,
         "services_in_zone": 1.0}])


def test_computed_values_and_trend() -> None:
    query = Query(Measure.POP_OVER, "france_services", "category", 30.0)
    assert computed_value(_indicators(1200.0, 4), query) == 1200.0
    assert computed_value(_indicators(1200.0, 4), Query(
        Measure.SERVICES, "france_services", "category")) == 4.0
    with pytest.raises(ValueError, match="seuil de 45 min non calculé.*seuils : 30 min"):
        computed_value(_indicators(1.0, 1), Query(Measure.POP_OVER, "france_services",
                                                  "category", 45.0))
    indicator = Indicator("i", "Population à plus de 30 min", ("1.1",), "1.1", query=query,
                          lower_is_better=True, target=1000)
    notes = with_computed(_plan_with(indicator), [("2019", _indicators(1500.0, 3)),
                                                  ("2020", _indicators(1200.0, 4))])
    assert notes == []
    assert [o.value for o in indicator.observed] == [1500.0, 1200.0]
    t = trend(indicator)
    assert (t.delta, t.direction, t.favourable, t.target_reached) == (-300.0, "en baisse",
                                                                       True, False)


def _plan_with(indicator: Indicator):
    plan = parse_plan(_small(), "p.yaml", CATALOGUE)
    plan.indicators[indicator.id] = indicator
    return plan


def test_trend_of_declared_values() -> None:
    indicator = Indicator("b", "bases", ("3.2.2",), "3.2.2", target="17",
                          lower_is_better=False,
                          observed=[Observation(dt.date(2019, 7, 10), 12),
                                    Observation(dt.date(2020, 1, 1), "12,0")])
    t = trend(indicator)
    assert (t.direction, t.delta, t.target_value, t.target_reached) == ("stable", 0.0, 17.0,
                                                                         False)
    assert trend(Indicator("c", "c", ("x",), "x")).direction == "aucune valeur"


def test_indicators_file_is_checked_against_its_plan(tmp_path) -> None:
    from proximite.io.plans import read_indicators, shipped_indicators

    plan = read_plan(ALLIER)
    assert read_indicators(plan, shipped_indicators(ALLIER)) == [
        "fs-pop-30", "fs-lieux", "mediation-lieux", "panier-17-median", "medecin-pop-20",
        "fibre-locaux", "fibre-communes"]
    assert plan.indicators["fs-pop-30"].item_ids == ("1.1.1", "1.1.2")
    assert plan.indicators["fs-pop-30"].lower_is_better is True  # from the measure
    assert [i.id for i in plan.indicators_of("1.1.1")] == ["fs-pop-30", "fs-lieux"]
    other = tmp_path / "autre.yaml"
    other.write_text("plan: cantal-sdaasp-2018-2023\nindicators: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="ne porte pas sur le plan « allier-sdaasp"):
        read_indicators(read_plan(ALLIER), other)
    unknown = tmp_path / "inconnu.yaml"
    unknown.write_text(f"plan: {ALLIER}\nindicators:\n  - {{id: x, name: X, items: [9.9.9], "
                       "query: {measure: services, category: france_services}}\n",
                       encoding="utf-8")
    with pytest.raises(InputError, match="indicateur « x » : élément « 9.9.9 » inconnu"):
        read_indicators(read_plan(ALLIER), unknown)


def test_a_figure_the_run_could_not_compute_is_a_note_not_a_value() -> None:
    query = Query(Measure.MEDIAN_MIN, "france_services", "category")
    indicator = Indicator("m", "Temps médian", ("1.1",), "1.1", query=query,
                          lower_is_better=True)
    table = _indicators(1.0, 1.0).assign(median_min=float("nan"))
    notes = with_computed(_plan_with(indicator), [("2024", table)])
    assert indicator.observed == []
    assert notes == ["Temps médian (2024) : non calculable (ce diagnostic n'a pas de données "
                     "de service pour cet indicateur)"]
    missing = Indicator("b", "Panier", ("1.1",), "1.1", lower_is_better=True,
                        query=Query(Measure.MEDIAN_MIN, "allier_17", "basket"))
    assert with_computed(_plan_with(missing), [("2024", table)]) == [
        "Panier (2024) : ce panier n'est pas calculé dans ce diagnostic"]
