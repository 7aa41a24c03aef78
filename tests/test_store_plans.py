"""Action plans in the store (SQLite, and PostgreSQL when given): the four shipped plans
go in and come out unchanged, edits keep a history, concurrent saves cannot overwrite."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from proximite.io.plans import read_plan, shipped_plans
from proximite.plans.edit import record_evaluation, update_item
from proximite.plans.model import Evaluation, Observation
from proximite.plans.schema import export_plan
from proximite.store.db import Base
from proximite.store.plans import (
    PlanNotFound,
    StalePlanError,
    history,
    list_plans,
    load_plan,
    save_plan,
)

AT = dt.datetime(2020, 1, 15, 9, 30, tzinfo=dt.UTC)
PLAN_TABLES = {"plans", "plan_items", "plan_evaluations", "plan_indicators", "plan_history"}


def test_migration_matches_the_models(store_engine: Engine) -> None:
    with store_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if any(t in str(d) for t in PLAN_TABLES)]
    assert ours == []


@pytest.mark.parametrize("plan_id", sorted(shipped_plans()))
def test_shipped_plans_round_trip_through_the_store(store_session: Session, plan_id) -> None:
    plan = read_plan(plan_id)
    assert save_plan(store_session, plan) == 1
    stored, version = load_plan(store_session, plan_id)
    assert version == 1
    assert export_plan(stored) == export_plan(plan)
    assert list_plans(store_session)[0][0] == plan_id


def test_review_entered_then_history(store_session: Session) -> None:
    save_plan(store_session, read_plan("allier-sdaasp-2018-2023"))
    plan, version = load_plan(store_session, "allier-sdaasp-2018-2023")
    later = dt.date(2020, 1, 20)
    changes = [
        record_evaluation(plan, later, Evaluation("1.1.1", "initie", ("12 MSAP",),
                                                  "ouverture à Cérilly", "Mme X"), at=AT),
        update_item(plan, "1.1.1", who="Mme X", at=AT, pilots=["Préfecture"]),
    ]
    plan.indicators["3.2.2#1"].observed.append(
        Observation(dt.date(2020, 1, 20), 14, source="mission schéma", who="Mme X"))
    assert save_plan(store_session, plan, expected_version=version, changes=changes) == 2
    again, version = load_plan(store_session, "allier-sdaasp-2018-2023")
    assert version == 2
    assert list(again.reviews) == [dt.date(2019, 7, 10), later]
    entry = again.reviews[later].entries["1.1.1"]
    assert (entry.level, entry.facts, entry.comment, entry.who) == (
        "initie", ("12 MSAP",), "ouverture à Cérilly", "Mme X")
    assert again.items["1.1.1"].pilots == ("Préfecture",)
    assert [o.value for o in again.indicators["3.2.2#1"].observed] == [12, 14]
    rows = history(store_session, "allier-sdaasp-2018-2023")
    assert [(r.action, r.item_id, r.who) for r in rows] == [
        ("évaluation", "1.1.1", "Mme X"), ("modification", "1.1.1", "Mme X")]
    assert rows[0].after == {"date": "2020-01-20", "level": "initie", "facts": ["12 MSAP"],
                             "comment": "ouverture à Cérilly"}
    assert rows[0].at == AT


def test_a_stale_save_is_refused(store_session: Session) -> None:
    save_plan(store_session, read_plan("lozere-sdaasp-2016-2022"))
    first, version = load_plan(store_session, "lozere-sdaasp-2016-2022")
    second = copy.deepcopy(first)
    update_item(first, "1.1", who="a", at=AT, calendar="2021")
    save_plan(store_session, first, expected_version=version)
    update_item(second, "1.1", who="b", at=AT, calendar="2022")
    with pytest.raises(StalePlanError, match="modifié entre-temps"):
        save_plan(store_session, second, expected_version=version)
    assert load_plan(store_session, "lozere-sdaasp-2016-2022")[0].items["1.1"].calendar == \
        "2021"


def test_new_plan_refused_twice_and_unknown_plan(store_session: Session) -> None:
    plan = read_plan("lozere-sdaasp-2016-2022")
    save_plan(store_session, plan)
    with pytest.raises(Exception, match="déjà en base"):
        save_plan(store_session, plan)
    with pytest.raises(PlanNotFound, match="« absent » absent de la base"):
        load_plan(store_session, "absent")


def test_cli_edits_with_history(tmp_path) -> None:
    """`suivi ajouter / deplacer / modifier / retirer` on a stored plan, then its history;
    a refused edit is one French line, exit 2, and changes nothing."""
    from typer.testing import CliRunner

    from proximite.cli import app
    from proximite.store.db import make_engine, session_factory

    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'base.sqlite'}"
    base = ["--plan", "lozere-sdaasp-2016-2022", "--database-url", url]

    def run(*args: str):
        return runner.invoke(app, list(args), env={"COLUMNS": "200"})

    assert run("store", "upgrade", "--database-url", url).exit_code == 0
    assert run("suivi", "importer", *base).exit_code == 0
    steps = [
        ("ajouter", "--element", "7.1", "--niveau", "action", "--titre", "Suivre le plan",
         "--parent", "A6", "--numero", "7.1"),
        ("deplacer", "--element", "7.1", "--parent", "A1"),
        ("modifier", "--element", "7.1", "--pilote", "Préfecture", "--pilote",
         "Département", "--calendrier", "2026"),
        ("retirer", "--element", "1.1", "--motif", "fusionnée avec 1.2"),
    ]
    for command, *args in steps:
        result = run("suivi", command, *base, *args, "--auteur", "Mme X")
        assert result.exit_code == 0, (command, result.output)
    refused = run("suivi", "retirer", *base, "--element", "1.1", "--motif", "x",
                  "--auteur", "Mme X")
    assert refused.exit_code == 2
    assert "élément « 1.1 » : déjà retiré" in refused.output
    assert "Traceback" not in refused.output
    unknown = run("suivi", "ajouter", *base, "--element", "9", "--niveau", "chapitre",
                  "--titre", "x", "--auteur", "Mme X")
    assert unknown.exit_code == 2 and "niveau « chapitre » inconnu" in unknown.output

    with session_factory(make_engine(url))() as session:
        plan, version = load_plan(session, "lozere-sdaasp-2016-2022")
        rows = history(session, "lozere-sdaasp-2016-2022")
    assert version == 5  # import + 4 accepted edits
    item = plan.items["7.1"]
    assert (item.parent_id, item.pilots, item.calendar) == ("A1", ("Préfecture", "Département"),
                                                            "2026")
    assert plan.items["1.1"].retired["reason"] == "fusionnée avec 1.2"
    assert [(r.action, r.item_id) for r in rows] == [
        ("ajout", "7.1"), ("déplacement", "7.1"), ("modification", "7.1"),
        ("retrait", "1.1")]
    assert rows[1].before == {"parent": "A6"} and rows[1].after == {"parent": "A1"}


def test_a_fibre_indicator_without_target_round_trips_through_the_store(
        store_session: Session) -> None:
    from proximite.io.plans import read_indicators, shipped_indicators
    from proximite.plans.model import TERRITORY, Measure, Query

    plan = read_plan("allier-sdaasp-2018-2023")
    read_indicators(plan, shipped_indicators(plan.id))  # type: ignore[arg-type]
    save_plan(store_session, plan)
    stored, _ = load_plan(store_session, plan.id)
    assert stored.indicators["fibre-locaux"].query == Query(Measure.FIBRE_PREMISES, "",
                                                            TERRITORY)
    assert stored.indicators["fs-lieux"].query == plan.indicators["fs-lieux"].query
    assert export_plan(stored) == export_plan(plan)
