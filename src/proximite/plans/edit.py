"""Editing a plan: add, move, retire items; change pilots, partners, calendar, title.

Each edit changes the :class:`~proximite.plans.model.Plan` in place and returns one
:class:`Change` (who, when, what, the values before and after): the store keeps them as
the plan's history. A retired item stays in the plan (``retired: {date, who, reason}``),
out of the roll-ups, so that its past evaluations keep their meaning. Every refusal is a
:class:`PlanEditError` in French naming the item.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from proximite.errors import ProximiteError
from proximite.plans.model import Evaluation, Observation, Plan, PlanItem, Review

#: The item fields an edit may change.
EDITABLE = ("title", "number", "pilots", "partners", "calendar")


class PlanEditError(ProximiteError, ValueError):
    """An edit the plan refuses (unknown item, level, parent...)."""


@dataclass(frozen=True)
class Change:
    """One entry of a plan's history."""

    at: dt.datetime
    who: str
    # "ajout", "déplacement", "retrait", "modification", "évaluation", "valeur déclarée",
    # "programme de travail"
    action: str
    item_id: str
    before: dict[str, Any]
    after: dict[str, Any]


def _item(plan: Plan, item_id: str) -> PlanItem:
    if item_id not in plan.items:
        raise PlanEditError(f"élément « {item_id} » inconnu du plan {plan.id}")
    return plan.items[item_id]


def _check_parent(plan: Plan, level: str, parent_id: str | None, item_id: str) -> None:
    if level not in plan.levels:
        raise PlanEditError(f"élément « {item_id} » : niveau « {level} » inconnu (niveaux du "
                            f"plan : {', '.join(plan.levels)})")
    if parent_id is None:
        return
    parent = _item(plan, parent_id)
    if plan.levels.index(parent.level) >= plan.levels.index(level):
        raise PlanEditError(f"élément « {item_id} » : un « {level} » ne peut pas être placé "
                            f"sous « {parent_id} » ({parent.level})")
    if parent.retired is not None:
        raise PlanEditError(f"élément « {item_id} » : le parent « {parent_id} » est retiré")


def _reorder(plan: Plan) -> None:
    plan.items = {item.id: item for _, item in plan.tree(with_retired=True)}


def add_item(plan: Plan, item: PlanItem, *, who: str, at: dt.datetime) -> Change:
    """Add ``item`` under ``item.parent_id`` (after its existing children)."""
    if item.id in plan.items:
        raise PlanEditError(f"élément « {item.id} » : identifiant déjà utilisé")
    _check_parent(plan, item.level, item.parent_id, item.id)
    plan.items[item.id] = item
    _reorder(plan)
    return Change(at, who, "ajout", item.id, {},
                  {"parent": item.parent_id, "level": item.level, "title": item.title})


def move_item(plan: Plan, item_id: str, parent_id: str | None, *, who: str,
              at: dt.datetime) -> Change:
    """Put ``item_id`` (and its subtree) under ``parent_id``, as its last child."""
    item = _item(plan, item_id)
    if parent_id is not None and (parent_id == item_id
                                  or item_id in {a.id for a in plan.ancestors(parent_id)}):
        raise PlanEditError(f"élément « {item_id} » : ne peut pas être placé sous lui-même "
                            f"ou sous « {parent_id} », qui en dépend")
    _check_parent(plan, item.level, parent_id, item_id)
    before = item.parent_id
    del plan.items[item_id]  # re-inserted last: the last child of its new parent
    plan.items[item_id] = dataclasses.replace(item, parent_id=parent_id)
    _reorder(plan)
    return Change(at, who, "déplacement", item_id, {"parent": before}, {"parent": parent_id})


def retire_item(plan: Plan, item_id: str, reason: str, *, who: str,
                at: dt.datetime) -> Change:
    """Retire ``item_id`` and its active descendants (kept, out of the roll-ups)."""
    item = _item(plan, item_id)
    if item.retired is not None:
        raise PlanEditError(f"élément « {item_id} » : déjà retiré")
    mark = {"date": at.date(), "who": who, "reason": reason}
    for target in [item, *(i for _, i in plan.tree(item_id))]:
        if target.retired is None:
            plan.items[target.id] = dataclasses.replace(target, retired=mark)
    return Change(at, who, "retrait", item_id, {}, {"reason": reason})


def update_item(plan: Plan, item_id: str, *, who: str, at: dt.datetime,
                **fields: Any) -> Change:
    """Change some of :data:`EDITABLE` (lists given as lists or tuples)."""
    item = _item(plan, item_id)
    unknown = [f for f in fields if f not in EDITABLE]
    if unknown:
        raise PlanEditError(f"élément « {item_id} » : champ « {unknown[0]} » non modifiable "
                            f"(champs : {', '.join(EDITABLE)})")
    values: dict[str, Any] = {k: tuple(v) if k in ("pilots", "partners") else v
                              for k, v in fields.items()}
    before = {k: _plain(getattr(item, k)) for k in values}
    plan.items[item_id] = dataclasses.replace(item, **values)
    return Change(at, who, "modification", item_id, before,
                  {k: _plain(v) for k, v in values.items()})


def record_evaluation(plan: Plan, date: dt.date, evaluation: Evaluation, *,
                      at: dt.datetime) -> Change:
    """Enter (or replace) one item's evaluation at the review of ``date``."""
    item = _item(plan, evaluation.item_id)
    if evaluation.level is not None and evaluation.level not in plan.scale:
        raise PlanEditError(f"élément « {item.id} » : niveau « {evaluation.level} » hors de "
                            f"l'échelle ({', '.join(plan.scale)})")
    review = plan.reviews.setdefault(date, Review(date))
    plan.reviews = dict(sorted(plan.reviews.items()))
    old = review.entries.get(item.id)
    extra = dict(old.extra) if old is not None else {}
    review.entries[item.id] = dataclasses.replace(evaluation, extra={**extra,
                                                                    **evaluation.extra})
    return Change(at, evaluation.who or "", "évaluation", item.id,
                  {} if old is None else _evaluation_summary(old),
                  {"date": date.isoformat(), **_evaluation_summary(evaluation)})


def declare_value(plan: Plan, indicator_id: str, observation: Observation, *,
                  at: dt.datetime) -> Change:
    """Add a declared value (date, value, source, who) to a declared indicator."""
    indicator = plan.indicators.get(indicator_id)
    if indicator is None or indicator.query is not None:
        raise PlanEditError(f"indicateur « {indicator_id} » : pas un indicateur déclaré du "
                            f"plan {plan.id}")
    indicator.observed.append(observation)
    date = observation.date.isoformat() if isinstance(observation.date, dt.date) \
        else str(observation.date)
    return Change(at, observation.who or "", "valeur déclarée", indicator_id, {},
                  {"date": date, "value": observation.value, "source": observation.source})


def set_work_programme(plan: Plan, date: dt.date, actions: list[str], *, who: str,
                       at: dt.datetime, adopted: bool = True) -> Change:
    """The work programme adopted (or proposed) at the review of ``date``: replaces the one
    of that date in the plan's ``work_programme`` (the documents' own block)."""
    actions = [a.strip() for a in actions if a.strip()]
    if not actions:
        raise PlanEditError("programme de travail vide : donner au moins une action")
    entries = plan.header.get("work_programme")
    entries = list(entries) if isinstance(entries, list) else []
    old = next((e for e in entries if isinstance(e, dict) and e.get("date") == date), None)
    entry = {"date": date, "adopted": adopted, "items": actions, "who": who}
    if old is not None:
        entries[entries.index(old)] = {**old, **entry}
    else:
        entries.append(entry)
    entries.sort(key=lambda e: str(e.get("date")) if isinstance(e, dict) else "")
    plan.header = {**plan.header, "work_programme": entries}
    return Change(at, who, "programme de travail", date.isoformat(),
                  {} if old is None else {"items": list(old.get("items") or [])},
                  {"items": actions, "adopted": adopted})


def _evaluation_summary(ev: Evaluation) -> dict[str, Any]:
    return {"level": ev.level, "facts": list(ev.facts), "comment": ev.comment}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
