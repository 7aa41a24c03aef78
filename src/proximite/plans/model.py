"""The data of an action plan: its tree of items, its reviews (COPIL) and its indicators.

Why plain dataclasses and not the store's rows: a plan is read from a YAML file, edited,
reviewed, rolled up and rendered without any database (a notebook, the ``copil``
command, the tests); :mod:`proximite.store.plans` only persists these objects.

Every key of the file that the software does not interpret is kept in ``extra`` (item,
review entry, indicator, observation, plan header): exporting a plan gives back the
file's data, key for key (YAML comments apart).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: The SDAASP scale of the Allier committee, best level first (keys of the YAML files).
SDAASP_SCALE = ("atteint", "en_partie_atteint", "initie", "non_initie")
SDAASP_LABELS = {"atteint": "atteint", "en_partie_atteint": "en partie atteint",
                 "initie": "initié", "non_initie": "non initié"}


class Measure(StrEnum):
    """What a computed indicator reads from a saved diagnostic's territory indicators."""

    POP_OVER = "pop_over"  # population beyond ``threshold_min`` minutes
    SHARE_OVER = "share_over"  # % of the population beyond ``threshold_min`` minutes
    MEDIAN_MIN = "median_min"  # population-weighted median time
    MEAN_MIN = "mean_min"  # population-weighted mean time
    SERVICES = "services"  # number of places of the category in the territory
    COMMUNES_WITHOUT = "communes_without"  # communes with no place of the category
    # The digital axis (digital.csv, ARCEP FttH file), about the whole territory:
    FIBRE_PREMISES = "fibre_premises"  # premises connectable to fibre (FttH)
    FIBRE_COMMUNES = "fibre_communes"  # communes with at least one premise connectable


#: Whether a lower value of the measure is progress (for the trend's wording).
LOWER_IS_BETTER = {Measure.POP_OVER: True, Measure.SHARE_OVER: True,
                   Measure.MEDIAN_MIN: True, Measure.MEAN_MIN: True,
                   Measure.SERVICES: False, Measure.COMMUNES_WITHOUT: True,
                   Measure.FIBRE_PREMISES: False, Measure.FIBRE_COMMUNES: False}
#: Measures that need a threshold in minutes.
NEEDS_THRESHOLD = frozenset({Measure.POP_OVER, Measure.SHARE_OVER})
#: Measures that only exist for a category (a basket has no places).
CATEGORY_ONLY = frozenset({Measure.SERVICES, Measure.COMMUNES_WITHOUT})
#: Measures of the territory's digital axis: no category or basket. The ARCEP file has
#: no total of premises, so a *share* connectable is not among them (only counts are
#: exact; the share per commune is a class, see :mod:`proximite.inventory.digital`).
TERRITORY_MEASURES = frozenset({Measure.FIBRE_PREMISES, Measure.FIBRE_COMMUNES})
#: ``Query.target_kind`` of a territory measure.
TERRITORY = "territory"


@dataclass(frozen=True)
class Query:
    """A diagnostic query: ``measure`` of ``target`` (a category or basket code), or of the
    whole territory for :data:`TERRITORY_MEASURES` (``target`` "", kind "territory")."""

    measure: Measure
    target: str
    target_kind: str  # "category", "basket" or "territory"
    threshold_min: float | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"measure": str(self.measure)}
        if self.target_kind != TERRITORY:
            data[self.target_kind] = self.target
        if self.threshold_min is not None:
            data["threshold_min"] = self.threshold_min
        return data


@dataclass(frozen=True)
class Observation:
    """One value of an indicator: declared (who, source) or computed from a saved run."""

    date: dt.date | str
    value: float | str
    source: str | None = None
    who: str | None = None
    computed: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Indicator:
    """An indicator of the plan, linked to the items it measures.

    ``declared_on``: the item whose ``indicators`` list holds it in the file (None: the
    plan-level ``indicators`` list, which names its items in ``items``).
    """

    id: str
    name: str
    item_ids: tuple[str, ...]
    declared_on: str | None
    kind: str | None = None
    unit: str | None = None
    target: float | str | None = None
    query: Query | None = None
    lower_is_better: bool | None = None
    observed: list[Observation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return self.query is not None


@dataclass(frozen=True)
class Evaluation:
    """The level, facts and comment given to one item at one review."""

    item_id: str
    level: str | None  # a key of the plan's scale; None: not given (or lost)
    facts: tuple[str, ...] = ()
    comment: str | None = None
    who: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Review:
    """A dated review of the plan (a steering committee), one evaluation per item."""

    date: dt.date
    entries: dict[str, Evaluation] = field(default_factory=dict)


@dataclass
class PlanItem:
    """One node of the plan's tree, at one of the document's own levels."""

    id: str
    level: str
    title: str
    parent_id: str | None
    number: str | None = None
    pilots: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    calendar: str | None = None
    retired: Mapping[str, Any] | None = None  # {date, who, reason} once retired
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The item as the document names it: level, number and title."""
        number = f" {self.number}" if self.number else ""
        return f"{self.level.capitalize()}{number} : {self.title}"


@dataclass
class Plan:
    """An action plan: header, levels, scale, items in document order, reviews, indicators."""

    id: str
    title: str
    levels: tuple[str, ...]
    scale: tuple[str, ...]
    scale_labels: dict[str, str]
    header: dict[str, Any]  # the file's ``plan`` block, as read
    items: dict[str, PlanItem]  # document order (a parent before its children)
    reviews: dict[dt.date, Review] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # other top-level keys

    @property
    def territory_name(self) -> str:
        territory = self.header.get("territory") or {}
        return str(territory.get("name", "")) if isinstance(territory, Mapping) else ""

    def children(self, item_id: str | None) -> list[PlanItem]:
        """The items directly under ``item_id`` (None: the top level), in order."""
        return [item for item in self.items.values() if item.parent_id == item_id]

    def tree(self, item_id: str | None = None, depth: int = 0, *,
             with_retired: bool = False) -> Iterator[tuple[int, PlanItem]]:
        """(depth, item) for every item under ``item_id``, depth first, in order."""
        for child in self.children(item_id):
            if child.retired is not None and not with_retired:
                continue
            yield depth, child
            yield from self.tree(child.id, depth + 1, with_retired=with_retired)

    def leaves(self, item_id: str | None = None) -> list[PlanItem]:
        """The items under ``item_id`` with no (active) child: the actions reviewed."""
        return [item for _, item in self.tree(item_id)
                if not any(c.retired is None for c in self.children(item.id))]

    def ancestors(self, item_id: str) -> list[PlanItem]:
        """The parents of ``item_id``, nearest first."""
        out = []
        parent = self.items[item_id].parent_id
        while parent is not None:
            out.append(self.items[parent])
            parent = self.items[parent].parent_id
        return out

    def level_label(self, level: str | None) -> str:
        if level is None:
            return "sans niveau"
        return self.scale_labels.get(level, level)

    def indicators_of(self, item_id: str) -> list[Indicator]:
        return [ind for ind in self.indicators.values() if item_id in ind.item_ids]
