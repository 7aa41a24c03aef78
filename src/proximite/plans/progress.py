"""Roll-up of a review, the history of an item, what changed, and the indicators' trends.

**Roll-up rule** (the committee's "où en est l'objectif ?"). The items a committee
evaluates are the leaves of the tree (sous-orientations, sous-actions, actions). For any
item, its roll-up at a review counts its active leaves by level of the plan's scale, plus
the leaves with no level (not evaluated, or level not given). The **progress** is the
mean, over the leaves that have a level, of the level's weight; on a scale of ``n`` levels
ordered from best to worst, level ``k`` (0 = best) weighs ``(n - 1 - k) / (n - 1)``: on the
SDAASP scale atteint 100 %, en partie atteint 67 %, initié 33 %, non initié 0 %. Each leaf
counts once, whatever its depth, so an objective with 13 sous-orientations weighs its
13 actions, not its 4 orientations. With no leaf evaluated, the progress is None (never
0 %: "nothing said" is not "nothing done"), and the roll-up says how many leaves were.

A computed indicator reads one figure of a saved diagnostic's territory indicators, or
of its digital axis (``digital.csv``) for the fibre measures (:func:`computed_value`);
its values across runs, with the declared ones, make its :func:`trend`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from proximite.plans.model import (
    TERRITORY_MEASURES,
    Evaluation,
    Indicator,
    Measure,
    Observation,
    Plan,
    Query,
)


def level_weights(scale: tuple[str, ...]) -> dict[str, float]:
    """Weight of each level: 1 for the best, 0 for the worst, equal steps between."""
    n = len(scale)
    return {level: (n - 1 - k) / (n - 1) for k, level in enumerate(scale)}


@dataclass(frozen=True)
class RollUp:
    """The state of an item's leaves at one review."""

    item_id: str
    counts: dict[str | None, int]  # level (None: no level) -> number of leaves
    n_leaves: int
    n_rated: int
    progress: float | None  # 0..1 over the rated leaves, None when none is rated


def roll_up(plan: Plan, date: dt.date, item_id: str | None = None) -> RollUp:
    """The roll-up of ``item_id`` (None: the whole plan) at the review of ``date``."""
    review = plan.reviews.get(date)
    leaves = ([plan.items[item_id]] if item_id is not None and not plan.leaves(item_id)
              else plan.leaves(item_id))
    counts: dict[str | None, int] = {level: 0 for level in plan.scale}
    counts[None] = 0
    weights = level_weights(plan.scale)
    rated: list[float] = []
    for leaf in leaves:
        entry = review.entries.get(leaf.id) if review is not None else None
        level = entry.level if entry is not None else None
        counts[level] += 1
        if level is not None:
            rated.append(weights[level])
    return RollUp(item_id=item_id or plan.id, counts=counts, n_leaves=len(leaves),
                  n_rated=len(rated), progress=sum(rated) / len(rated) if rated else None)


def item_history(plan: Plan, item_id: str) -> list[tuple[dt.date, Evaluation]]:
    """The evaluations of one item, oldest first, across every review of the plan."""
    return [(date, review.entries[item_id]) for date, review in plan.reviews.items()
            if item_id in review.entries]


def previous_review(plan: Plan, date: dt.date) -> dt.date | None:
    earlier = [d for d in plan.reviews if d < date]
    return max(earlier) if earlier else None


@dataclass(frozen=True)
class Change:
    """What a review changed on one item compared with the previous one."""

    item_id: str
    before: str | None  # level at the previous review (None: none)
    after: str | None
    # "progrès", "recul", "nouvelle évaluation", "non réévalué" (no entry at this review),
    # "niveau non donné" (an entry without level), "faits" (same level, other facts)
    kind: str


def changes_since_previous(plan: Plan, date: dt.date) -> tuple[dt.date | None, list[Change]]:
    """(previous review date, changes of level or facts on the leaves), in plan order."""
    before_date = previous_review(plan, date)
    current = plan.reviews.get(date)
    if current is None:
        return before_date, []
    previous = plan.reviews[before_date].entries if before_date is not None else {}
    rank = {level: k for k, level in enumerate(plan.scale)}
    changes = []
    for leaf in plan.leaves():
        now, then = current.entries.get(leaf.id), previous.get(leaf.id)
        after = now.level if now else None
        before = then.level if then else None
        if after is not None and before is not None and after != before:
            kind = "progrès" if rank[after] < rank[before] else "recul"
        elif after is not None and before is None:
            kind = "nouvelle évaluation"
        elif after is None and before is not None:
            kind = "non réévalué" if now is None else "niveau non donné"
        elif now is not None and (then is None or now.facts != then.facts):
            kind = "faits"
        else:
            continue
        changes.append(Change(leaf.id, before, after, kind))
    return before_date, changes


# ------------------------------------------------------------------------- indicators
class QueryError(ValueError):
    """A computed indicator that a run cannot answer (threshold not computed...)."""


def _territory_row(indicators: pd.DataFrame, query: Query) -> pd.Series:
    rows = indicators[(indicators["level"] == "territory")
                      & (indicators["category"] == query.target)
                      & (indicators["target_kind"] == query.target_kind)]
    if rows.empty:
        what = ("ce panier n'est pas calculé" if query.target_kind == "basket"
                else "cette catégorie n'est pas calculée")
        raise QueryError(f"{what} dans ce diagnostic")
    return rows.iloc[0]


#: The digital table's column of the premises connectable to fibre (ARCEP FttH file).
FIBRE_COLUMN = "ftth_locaux_raccordables"


def _fibre_value(digital: pd.DataFrame | None, measure: Measure) -> float:
    """Premises connectable to fibre in the territory's communes, or the communes with at
    least one; NaN when no commune has a figure."""
    if digital is None or FIBRE_COLUMN not in digital.columns:
        raise QueryError("ce diagnostic n'a pas de données de fibre (axe numérique : "
                         "fichier ARCEP ftthCommunes, option --ftth)")
    premises = pd.to_numeric(digital[FIBRE_COLUMN], errors="coerce")
    if premises.isna().all():
        return math.nan
    if measure == Measure.FIBRE_PREMISES:
        return float(premises.sum())
    return float((premises > 0).sum())


def computed_value(indicators: pd.DataFrame, query: Query,
                   digital: pd.DataFrame | None = None) -> float:
    """The figure of ``query`` in a diagnostic's ``indicators`` table (territory level),
    or, for a fibre measure, in its ``digital`` table (one row per commune).

    Missing (NaN) when the diagnostic could not compute it (a category without any
    service data): the pack then says "non calculable", never 0.
    """
    if query.measure in TERRITORY_MEASURES:
        return _fibre_value(digital, query.measure)
    row = _territory_row(indicators, query)
    measure = query.measure
    if measure in (Measure.POP_OVER, Measure.SHARE_OVER):
        column = f"{measure.value}_{query.threshold_min:g}"
        if column not in row.index:
            computed = sorted(c.rsplit("_", 1)[1] for c in row.index
                              if str(c).startswith("pop_over_"))
            raise QueryError(f"seuil de {query.threshold_min:g} min non calculé dans ce "
                             f"diagnostic (seuils : {', '.join(computed)} min)")
        value = row[column]
    elif measure in (Measure.MEDIAN_MIN, Measure.MEAN_MIN):
        value = row[measure.value]
    else:
        column = "services_in_zone" if measure == Measure.SERVICES else \
            "communes_without_service"
        value = row.get(column, np.nan)
    return float(value) if value is not None and not pd.isna(value) else math.nan


@dataclass(frozen=True)
class Trend:
    """The last two numeric values of an indicator and what the change means."""

    last: Observation | None
    previous: Observation | None
    delta: float | None
    direction: str  # "en hausse", "en baisse", "stable", "une seule valeur", "aucune valeur"
    favourable: bool | None  # None: unknown (no direction declared, or no change)
    target_value: float | None
    target_reached: bool | None


def numeric(value: Any) -> float | None:
    """A figure from a value as written (``12``, ``"17"``, ``"12,5"``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if math.isnan(float(value)) else float(value)
    try:
        return float(str(value).replace("\u202f", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return None


def trend(indicator: Indicator) -> Trend:
    """The indicator's trend over its observations in order (declared and computed)."""
    values = [o for o in indicator.observed if numeric(o.value) is not None]
    target = numeric(indicator.target) if indicator.target is not None else None
    if not values:
        return Trend(None, None, None, "aucune valeur", None, target, None)
    last = values[-1]
    last_value = numeric(last.value)
    assert last_value is not None
    reached = None
    if target is not None and indicator.lower_is_better is not None:
        reached = (last_value <= target if indicator.lower_is_better
                   else last_value >= target)
    if len(values) == 1:
        return Trend(last, None, None, "une seule valeur", None, target, reached)
    previous = values[-2]
    previous_value = numeric(previous.value)
    assert previous_value is not None
    delta = last_value - previous_value
    if math.isclose(delta, 0.0, abs_tol=1e-9):
        return Trend(last, previous, 0.0, "stable", None, target, reached)
    favourable = None
    if indicator.lower_is_better is not None:
        favourable = (delta < 0) == indicator.lower_is_better
    return Trend(last, previous, delta, "en hausse" if delta > 0 else "en baisse",
                 favourable, target, reached)


def with_computed(plan: Plan, runs: list[tuple[str, pd.DataFrame]],
                  digital: Mapping[str, pd.DataFrame] | None = None) -> list[str]:
    """Add to each computed indicator one observation per saved run, in run order.

    ``runs``: (label, the run's ``indicators`` table), oldest first; the label (a date or
    the run's folder name) is the observation's date. ``digital``: the runs' digital
    tables by label (the fibre measures read them). Returns the runs' notes (an
    indicator a run cannot compute), in French.
    """
    notes: list[str] = []
    for indicator in plan.indicators.values():
        if indicator.query is None:
            continue
        for label, table in runs:
            try:
                value = computed_value(table, indicator.query, (digital or {}).get(label))
            except QueryError as exc:
                notes.append(f"{indicator.name} ({label}) : {exc}")
                continue
            if math.isnan(value):  # e.g. a category with no service data in that run
                why = ("aucune commune n'a de chiffre de fibre dans ce diagnostic"
                       if indicator.query.measure in TERRITORY_MEASURES
                       else "ce diagnostic n'a pas de données de service pour cet indicateur")
                notes.append(f"{indicator.name} ({label}) : non calculable ({why})")
                continue
            indicator.observed.append(Observation(date=label, value=value,
                                                  source=f"diagnostic {label}",
                                                  computed=True))
    return notes
