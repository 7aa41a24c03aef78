"""Action plans in the store: items, reviews, indicators, their values and the history.

One row per item, per evaluation, per indicator and per indicator value, so that a
review entered in the géoportail is one row (with who and when) and the public page reads
the same rows. The keys the software does not interpret (the documents' quotes, sources,
comments...) are kept as YAML text (:class:`YamlText`): YAML keeps the documents' dates as
dates, which JSON would not, and stays readable in any SQL client.

Every change goes through the pure edits of :mod:`proximite.plans.edit` (which check it)
on the plan read from the store, then :func:`save_plan` writes the plan back and
appends the edit to ``plan_history``. The ``plans`` row carries a version number
(SQLAlchemy's ``version_id_col``): two staff members saving the same plan at once cannot
overwrite each other; the second gets :class:`StalePlanError` and enters again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from sqlalchemy import Date, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from proximite.errors import ProximiteError
from proximite.plans.edit import Change
from proximite.plans.model import (
    TERRITORY,
    Evaluation,
    Indicator,
    Measure,
    Observation,
    Plan,
    PlanItem,
    Query,
    Review,
)
from proximite.store.db import Base, UTCDateTime, utcnow


class StalePlanError(ProximiteError):
    """The plan changed in the store since it was read."""


class PlanNotFound(ProximiteError, LookupError):
    """No plan of that id in the store."""


class YamlText(TypeDecorator[Any]):
    """Any YAML-representable value (dates included), stored as YAML text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else yaml.safe_load(value)


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    territory: Mapped[str] = mapped_column(String(10), default="")  # département code
    levels: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    scale: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    scale_labels: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    header: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    extra: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own dict)


class PlanItemRow(Base):
    __tablename__ = "plan_items"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    item_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(60))
    number: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text)
    pilots: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    partners: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    calendar: Mapped[str | None] = mapped_column(Text)
    retired: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    extra: Mapped[Any] = mapped_column(YamlText(), nullable=True)


class EvaluationRow(Base):
    __tablename__ = "plan_evaluations"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    review_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    level: Mapped[str | None] = mapped_column(String(60))
    facts: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text)
    who: Mapped[str | None] = mapped_column(String(200))
    extra: Mapped[Any] = mapped_column(YamlText(), nullable=True)


class IndicatorRow(Base):
    __tablename__ = "plan_indicators"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    item_ids: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    declared_on: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str | None] = mapped_column(String(60))
    unit: Mapped[str | None] = mapped_column(String(60))
    target: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    query: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    lower_is_better: Mapped[bool | None] = mapped_column()
    # the declared values: [{date, value, source, who, computed, extra}]
    observed: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    extra: Mapped[Any] = mapped_column(YamlText(), nullable=True)


class HistoryRow(Base):
    __tablename__ = "plan_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[str] = mapped_column(String(120))
    before: Mapped[Any] = mapped_column(YamlText(), nullable=True)
    after: Mapped[Any] = mapped_column(YamlText(), nullable=True)


# ------------------------------------------------------------------------------ writing
def _observation_data(obs: Observation) -> dict[str, Any]:
    return {"date": obs.date, "value": obs.value, "source": obs.source, "who": obs.who,
            "computed": obs.computed, "extra": dict(obs.extra)}


def _rows(plan: Plan) -> list[Base]:
    rows: list[Base] = []
    for position, item in enumerate(plan.items.values()):
        rows.append(PlanItemRow(
            plan_id=plan.id, item_id=item.id, position=position, parent_id=item.parent_id,
            level=item.level, number=item.number, title=item.title, pilots=list(item.pilots),
            partners=list(item.partners), calendar=item.calendar,
            retired=None if item.retired is None else dict(item.retired),
            extra=dict(item.extra)))
    for date, review in plan.reviews.items():
        for ev in review.entries.values():
            rows.append(EvaluationRow(
                plan_id=plan.id, review_date=date, item_id=ev.item_id, level=ev.level,
                facts=list(ev.facts), comment=ev.comment, who=ev.who, extra=dict(ev.extra)))
    for position, ind in enumerate(plan.indicators.values()):
        rows.append(IndicatorRow(
            plan_id=plan.id, indicator_id=ind.id, position=position, name=ind.name,
            item_ids=list(ind.item_ids), declared_on=ind.declared_on, kind=ind.kind,
            unit=ind.unit, target=ind.target,
            query=None if ind.query is None else ind.query.to_data(),
            lower_is_better=ind.lower_is_better,
            observed=[_observation_data(o) for o in ind.observed if not o.computed],
            extra=dict(ind.extra)))
    return rows


def save_plan(session: Session, plan: Plan, *, expected_version: int | None = None,
              changes: list[Change] | None = None) -> int:
    """Write ``plan`` (all of it) and append ``changes`` to its history; its new version.

    ``expected_version``: the version the plan was read at (:func:`load_plan`); None for
    a new plan (refused if the id exists). Computed values are not stored: they are
    recomputed from the saved runs.
    """
    row = session.get(PlanRow, plan.id)
    territory = plan.header.get("territory") or {}
    code = str(territory.get("departement", "")) if isinstance(territory, dict) else ""
    if row is None:
        if expected_version is not None:
            raise PlanNotFound(f"plan « {plan.id} » absent de la base")
        row = PlanRow(id=plan.id)
        session.add(row)
    elif expected_version is None:
        raise ProximiteError(f"plan « {plan.id} » déjà en base : le remplacer demande de le "
                             "relire d'abord")
    elif row.version != expected_version:
        raise StalePlanError(f"plan « {plan.id} » modifié entre-temps (version "
                             f"{row.version}, lue {expected_version}) : recharger la page")
    row.title, row.territory = plan.title, code
    row.levels, row.scale = list(plan.levels), list(plan.scale)
    row.scale_labels, row.header, row.extra = dict(plan.scale_labels), plan.header, plan.extra
    row.updated_at = utcnow()
    try:
        with session.begin_nested():  # a failed check leaves the session usable
            session.flush()  # the version check (UPDATE ... WHERE version = ...)
    except StaleDataError:
        session.expire(row)  # drop the refused changes: the transaction stays usable
        raise StalePlanError(f"plan « {plan.id} » modifié entre-temps : recharger la "
                             "page") from None
    for table in (PlanItemRow, EvaluationRow, IndicatorRow):
        session.execute(delete(table).where(table.plan_id == plan.id))
    session.add_all(_rows(plan))
    for change in changes or []:
        session.add(HistoryRow(plan_id=plan.id, at=change.at, who=change.who,
                               action=change.action, item_id=change.item_id,
                               before=change.before, after=change.after))
    session.flush()
    return row.version


# ------------------------------------------------------------------------------ reading
def list_plans(session: Session) -> list[tuple[str, str, str]]:
    """(id, title, territory code) of the stored plans, by id."""
    return [(r.id, r.title, r.territory)
            for r in session.scalars(select(PlanRow).order_by(PlanRow.id))]


def load_plan(session: Session, plan_id: str) -> tuple[Plan, int]:
    """The stored plan ``plan_id`` and the version read (for :func:`save_plan`)."""
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise PlanNotFound(f"plan « {plan_id} » absent de la base")
    plan = Plan(id=row.id, title=row.title, levels=tuple(row.levels), scale=tuple(row.scale),
                scale_labels=dict(row.scale_labels), header=dict(row.header or {}), items={},
                extra=dict(row.extra or {}))
    items = session.scalars(select(PlanItemRow).where(PlanItemRow.plan_id == plan_id)
                            .order_by(PlanItemRow.position))
    for r in items:
        plan.items[r.item_id] = PlanItem(
            id=r.item_id, level=r.level, title=r.title, parent_id=r.parent_id, number=r.number,
            pilots=tuple(r.pilots or ()), partners=tuple(r.partners or ()),
            calendar=r.calendar, retired=r.retired, extra=dict(r.extra or {}))
    evaluations = session.scalars(select(EvaluationRow).where(EvaluationRow.plan_id == plan_id)
                                  .order_by(EvaluationRow.review_date))
    for e in evaluations:
        review = plan.reviews.setdefault(e.review_date, Review(e.review_date))
        review.entries[e.item_id] = Evaluation(
            item_id=e.item_id, level=e.level, facts=tuple(e.facts or ()), comment=e.comment,
            who=e.who, extra=dict(e.extra or {}))
    for review in plan.reviews.values():  # entries in the plan's order
        review.entries = {k: review.entries[k] for k in plan.items if k in review.entries}
    indicators = session.scalars(select(IndicatorRow).where(IndicatorRow.plan_id == plan_id)
                                 .order_by(IndicatorRow.position))
    for i in indicators:
        query = None
        if i.query:
            kind = next((k for k in ("category", "basket") if k in i.query), TERRITORY)
            query = Query(Measure(i.query["measure"]), i.query.get(kind, ""), kind,
                          i.query.get("threshold_min"))
        plan.indicators[i.indicator_id] = Indicator(
            id=i.indicator_id, name=i.name, item_ids=tuple(i.item_ids), declared_on=i.declared_on,
            kind=i.kind, unit=i.unit, target=i.target, query=query,
            lower_is_better=i.lower_is_better,
            observed=[Observation(date=o["date"], value=o["value"], source=o.get("source"),
                                  who=o.get("who"), computed=bool(o.get("computed")),
                                  extra=o.get("extra") or {}) for o in i.observed or []],
            extra=dict(i.extra or {}))
    return plan, row.version


def history(session: Session, plan_id: str) -> list[HistoryRow]:
    """The plan's edits, oldest first."""
    return list(session.scalars(select(HistoryRow).where(HistoryRow.plan_id == plan_id)
                                .order_by(HistoryRow.at, HistoryRow.id)))
