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
