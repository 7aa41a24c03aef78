"""The YAML schema of a plan: from the file's data to a :class:`~proximite.plans.model.Plan`
and back.

The schema is the one of ``shared/data/plans/README.md`` (``plan`` header, ``levels``,
nested ``items`` with ``children``), plus what following a plan needs:

- an item may sit in a flat list and name its ``parent`` instead of being nested;
- an item may carry ``retired: {date, who, reason}`` (retired, kept for the history);
- an evaluation may carry ``comment`` and ``who`` (who entered it) besides ``level``,
  ``facts`` and the document's own keys;
- an indicator may carry ``id``, ``query: {measure, category | basket, threshold_min}``
  (computed from each saved diagnostic run; ``{measure: fibre_premises}`` or
  ``fibre_communes`` alone for the territory's digital axis) and ``lower_is_better``; a
  plan-level
  ``indicators`` list holds indicators that name their ``items``.

A plan without ``evaluation_scale`` is reviewed on the SDAASP scale. Every error is one
French line naming the file and the item (:class:`~proximite.errors.InputError`).
Pure: takes and returns in-memory data; reading the file is :mod:`proximite.io.plans`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from proximite.catalogue import Catalogue
from proximite.errors import InputError
from proximite.plans.model import (
    CATEGORY_ONLY,
    LOWER_IS_BETTER,
    NEEDS_THRESHOLD,
    SDAASP_LABELS,
    SDAASP_SCALE,
    TERRITORY,
    TERRITORY_MEASURES,
    Evaluation,
    Indicator,
    Measure,
    Observation,
    Plan,
    PlanItem,
    Query,
    Review,
)

#: Keys of an item the software interprets; every other key is kept in ``extra``.
ITEM_KEYS = ("id", "level", "number", "title", "pilots", "partners", "calendar",
             "retired", "indicators", "evaluations", "children", "parent")
EVALUATION_KEYS = ("date", "level", "facts", "comment", "who")
INDICATOR_KEYS = ("id", "name", "items", "kind", "unit", "target", "query",
                  "lower_is_better", "observed")
OBSERVATION_KEYS = ("date", "value", "source", "who", "computed")
SCALE_META = ("source_quote", "seed_file")


class _Reader:
    """The file being read: where errors point, the catalogue queries are checked on."""

    def __init__(self, path: str, catalogue: Catalogue | None) -> None:
        self.path = path
        self.catalogue = catalogue

    def fail(self, message: str, item: str | None = None,
             expected: str | None = None) -> InputError:
        where = f"élément « {item} » : " if item is not None else ""
        return InputError(where + message, path=self.path, expected=expected)

    def mapping(self, value: Any, what: str, item: str | None = None) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"{what} : une table (clé: valeur) est attendue", item)
        return dict(value)

    def sequence(self, value: Any, what: str, item: str | None = None) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{what} : une liste est attendue", item)
        return value

    def text(self, value: Any, what: str, item: str | None = None) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(f"{what} : un texte est attendu (trouvé « {value} »"
                            + (" ; l'écrire entre guillemets" if isinstance(value, float)
                               else "") + ")", item)
        return str(value)

    def texts(self, value: Any, what: str, item: str | None) -> tuple[str, ...]:
        return tuple(self.text(v, what, item) for v in self.sequence(value, what, item))

    def date(self, value: Any, what: str, item: str | None) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(f"{what} : date « {value} » invalide", item,
                            "une date AAAA-MM-JJ") from None


def parse_plan(data: Any, path: str = "<plan>", catalogue: Catalogue | None = None) -> Plan:
    """The plan held by ``data`` (the file's YAML, loaded), checked.

    ``catalogue``: where the categories and baskets of computed indicators must exist
    (None: their codes are not checked).
    """
    reader = _Reader(path, catalogue)
    top = reader.mapping(data, "le fichier")
    for key in ("plan", "levels", "items"):
        if key not in top:
            raise reader.fail(f"clé « {key} » manquante", expected="les clés plan, levels, "
                                                                   "items")
    header = reader.mapping(top["plan"], "plan")
    for key in ("id", "title"):
        if key not in header:
            raise reader.fail(f"plan : clé « {key} » manquante")
    levels = reader.texts(top["levels"], "levels", None)
    if not levels or len(set(levels)) != len(levels):
        raise reader.fail("levels : une liste de noms de niveaux distincts est attendue")
    scale, labels = _scale(reader, header)
    plan = Plan(id=reader.text(header["id"], "plan.id"),
                title=reader.text(header["title"], "plan.title"), levels=levels, scale=scale,
                scale_labels=labels, header=header, items={},
                extra={k: v for k, v in top.items()
                       if k not in ("plan", "levels", "items", "indicators")})
    pending: list[tuple[str, dict[str, Any], str | None]] = []  # (item, raw, parent)
    for raw in reader.sequence(top["items"], "items"):
        _read_item(reader, plan, raw, None, pending)
    _resolve_parents(reader, plan, pending)
    for raw in reader.sequence(top.get("indicators"), "indicators"):
        _add_indicator(reader, plan, raw, None)
    for indicator in plan.indicators.values():
        for linked in indicator.item_ids:
            if linked not in plan.items:
                raise reader.fail(f"indicateur « {indicator.id} » : élément « {linked} » "
                                  "inconnu", indicator.declared_on or "indicators",
                                  "l'id d'un élément du fichier")
    return plan


def _scale(reader: _Reader, header: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, str]]:
    if "evaluation_scale" not in header:
        return SDAASP_SCALE, dict(SDAASP_LABELS)
    scale = reader.texts(header["evaluation_scale"], "plan.evaluation_scale", None)
    if len(scale) < 2 or len(set(scale)) != len(scale):
        raise reader.fail("plan.evaluation_scale : au moins deux niveaux distincts, du "
                          "meilleur au moins bon, sont attendus")
    given = reader.mapping(header.get("evaluation_scale_labels") or {},
                           "plan.evaluation_scale_labels")
    labels = {key: str(given.get(key, SDAASP_LABELS.get(key, key))) for key in scale}
    unknown = [k for k in given if k not in scale and k not in SCALE_META]
    if unknown:
        raise reader.fail(f"plan.evaluation_scale_labels : niveau « {unknown[0]} » absent de "
                          "l'échelle", expected=", ".join(scale))
    return scale, labels


def _read_item(reader: _Reader, plan: Plan, raw: Any, parent: str | None,
               pending: list[tuple[str, dict[str, Any], str | None]]) -> None:
    spec = reader.mapping(raw, "élément de la liste items")
    if "id" not in spec:
        title = spec.get("title", "?")
        raise reader.fail(f"élément sans id (titre « {title} »)")
    item_id = reader.text(spec["id"], "id")
    if item_id in plan.items:
        raise reader.fail("identifiant en double", item_id, "des id uniques dans le fichier")
    if "parent" in spec:
        if parent is not None:
            raise reader.fail("« parent » donné pour un élément déjà placé sous un autre "
                              f"(« {parent} »)", item_id)
        parent = reader.text(spec["parent"], "parent", item_id)
    for key in ("level", "title"):
        if key not in spec:
            raise reader.fail(f"clé « {key} » manquante", item_id)
    level = reader.text(spec["level"], "level", item_id)
    if level not in plan.levels:
        raise reader.fail(f"niveau « {level} » inconnu", item_id,
                          "un des niveaux du plan : " + ", ".join(plan.levels))
    retired = spec.get("retired")
    if retired is not None:
        retired = reader.mapping(retired, "retired", item_id)
    calendar = spec.get("calendar")
    item = PlanItem(
        id=item_id, level=level, title=reader.text(spec["title"], "title", item_id),
        parent_id=parent,
        number=None if spec.get("number") is None else reader.text(spec["number"], "number",
                                                                    item_id),
        pilots=reader.texts(spec.get("pilots"), "pilots", item_id),
        partners=reader.texts(spec.get("partners"), "partners", item_id),
        calendar=None if calendar is None else reader.text(calendar, "calendar", item_id),
        retired=retired, extra={k: v for k, v in spec.items() if k not in ITEM_KEYS})
    plan.items[item_id] = item
    pending.append((item_id, spec, parent))
    for position, evaluation in enumerate(reader.sequence(spec.get("evaluations"),
                                                          "evaluations", item_id)):
        _add_evaluation(reader, plan, item_id, evaluation, position)
    for indicator in reader.sequence(spec.get("indicators"), "indicators", item_id):
        _add_indicator(reader, plan, indicator, item_id)
    for child in reader.sequence(spec.get("children"), "children", item_id):
        _read_item(reader, plan, child, item_id, pending)


def _resolve_parents(reader: _Reader, plan: Plan,
                     pending: list[tuple[str, dict[str, Any], str | None]]) -> None:
    """Parents exist and sit at a higher level; no cycle (flat lists may name any id)."""
    for item_id, _, parent in pending:
        if parent is None:
            continue
        if parent not in plan.items:
            raise reader.fail(f"parent « {parent} » inconnu", item_id,
                              "l'id d'un élément du fichier")
        if plan.levels.index(plan.items[parent].level) >= plan.levels.index(
                plan.items[item_id].level):
            raise reader.fail(f"niveau « {plan.items[item_id].level} » placé sous « {parent} » "
                              f"de niveau « {plan.items[parent].level} »", item_id,
                              "un niveau plus fin que celui du parent ("
                              + " > ".join(plan.levels) + ")")
    # Flat lists may give a child before its parent: keep a parent before its children.
    ordered: dict[str, PlanItem] = {}
    for _, item in plan.tree(with_retired=True):
        ordered[item.id] = item
    plan.items = ordered


def _add_evaluation(reader: _Reader, plan: Plan, item_id: str, raw: Any,
                    position: int) -> None:
    spec = reader.mapping(raw, f"evaluations[{position}]", item_id)
    if "date" not in spec:
        raise reader.fail(f"evaluations[{position}] : date manquante", item_id)
    date = reader.date(spec["date"], f"evaluations[{position}].date", item_id)
    level = spec.get("level")
    if level is not None:
        level = reader.text(level, "level", item_id)
        if level not in plan.scale:
            raise reader.fail(f"évaluation du {date.isoformat()} : niveau « {level} » hors de "
                              "l'échelle", item_id, ", ".join(plan.scale))
    review = plan.reviews.setdefault(date, Review(date))
    if item_id in review.entries:
        raise reader.fail(f"deux évaluations datées du {date.isoformat()}", item_id,
                          "une évaluation par revue")
    comment = spec.get("comment")
    who = spec.get("who")
    review.entries[item_id] = Evaluation(
        item_id=item_id, level=level,
        facts=reader.texts(spec.get("facts"), "facts", item_id),
        comment=None if comment is None else reader.text(comment, "comment", item_id),
        who=None if who is None else reader.text(who, "who", item_id),
        extra={k: v for k, v in spec.items() if k not in EVALUATION_KEYS})
    plan.reviews = dict(sorted(plan.reviews.items()))


def _query(reader: _Reader, raw: Any, where: str) -> Query:
    spec = reader.mapping(raw, "query", where)
    try:
        measure = Measure(str(spec.get("measure")))
    except ValueError:
        raise reader.fail(f"query.measure « {spec.get('measure')} » inconnue", where,
                          ", ".join(m.value for m in Measure)) from None
    kinds = [k for k in ("category", "basket") if k in spec]
    if measure in TERRITORY_MEASURES:
        unknown = [k for k in spec if k != "measure"]
        if unknown:
            raise reader.fail(f"query : la mesure « {measure} » porte sur tout le territoire "
                              f"(axe numérique) : clé « {unknown[0]} » en trop", where,
                              f"query: {{measure: {measure}}}")
        return Query(measure=measure, target="", target_kind=TERRITORY)
    if len(kinds) != 1:
        raise reader.fail("query : une catégorie (category) ou un panier (basket) est "
                          "attendu", where)
    kind = kinds[0]
    target = reader.text(spec[kind], f"query.{kind}", where)
    catalogue = reader.catalogue
    if catalogue is not None:
        known = catalogue.categories if kind == "category" else catalogue.baskets
        if target not in known:
            what = "catégorie" if kind == "category" else "panier"
            raise reader.fail(f"query : {what} « {target} » inconnu(e) du catalogue", where,
                              f"un code de {what} du catalogue (proximite categories)")
    if kind == "basket" and measure in CATEGORY_ONLY:
        raise reader.fail(f"query : la mesure « {measure} » ne s'applique qu'à une catégorie",
                          where)
    threshold = spec.get("threshold_min")
    if measure in NEEDS_THRESHOLD:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
                or threshold <= 0:
            raise reader.fail(f"query.threshold_min « {threshold} » invalide", where,
                              "un temps en minutes > 0")
    elif threshold is not None:
        raise reader.fail(f"query.threshold_min donné pour la mesure « {measure} »", where)
    unknown = [k for k in spec if k not in ("measure", "category", "basket", "threshold_min")]
    if unknown:
        raise reader.fail(f"query : clé « {unknown[0]} » inconnue", where)
    return Query(measure=measure, target=target, target_kind=kind,
                 threshold_min=None if threshold is None else float(threshold))


def _add_indicator(reader: _Reader, plan: Plan, raw: Any, item_id: str | None) -> None:
    where = item_id or "indicators"
    spec = reader.mapping(raw, "indicateur", where)
    if "name" not in spec:
        raise reader.fail("indicateur sans nom (name)", where)
    name = reader.text(spec["name"], "name", where)
    position = len([i for i in plan.indicators.values() if i.declared_on == item_id]) + 1
    ind_id = (reader.text(spec["id"], "id", where) if "id" in spec
              else f"{item_id}#{position}" if item_id else "")
    if not ind_id:
        raise reader.fail(f"indicateur « {name} » sans id", where)
    if ind_id in plan.indicators:
        raise reader.fail(f"indicateur « {ind_id} » en double", where)
    if item_id is None:
        items = reader.texts(spec.get("items"), "items", ind_id)
        if not items:
            raise reader.fail(f"indicateur « {ind_id} » : aucun élément (items)", where)
    else:
        items = (item_id, *(t for t in reader.texts(spec.get("items"), "items", where)
                            if t != item_id))
    query = None if spec.get("query") is None else _query(reader, spec["query"], where)
    better = spec.get("lower_is_better")
    if better is not None and not isinstance(better, bool):
        raise reader.fail("lower_is_better : true ou false attendu", where)
    if better is None and query is not None:
        better = LOWER_IS_BETTER[query.measure]
    observed = []
    for obs in reader.sequence(spec.get("observed"), "observed", where):
        o = reader.mapping(obs, "observed", where)
        if "date" not in o or "value" not in o:
            raise reader.fail(f"indicateur « {name} » : une observation a besoin de date et "
                              "value", where)
        date = o["date"] if isinstance(o["date"], dt.date) else str(o["date"])
        value = o["value"]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise reader.fail(f"indicateur « {name} » : valeur « {value} » invalide", where)
        observed.append(Observation(
            date=date, value=value, source=o.get("source"), who=o.get("who"),
            computed=bool(o.get("computed", False)),
            extra={k: v for k, v in o.items() if k not in OBSERVATION_KEYS}))
    target = spec.get("target")
    plan.indicators[ind_id] = Indicator(
        id=ind_id, name=name, item_ids=items, declared_on=item_id, kind=spec.get("kind"),
        unit=spec.get("unit"), target=target, query=query, lower_is_better=better,
        observed=observed, extra={k: v for k, v in spec.items() if k not in INDICATOR_KEYS})
    if "id" in spec:
        plan.indicators[ind_id].extra["id"] = spec["id"]


def add_indicators(plan: Plan, data: Any, path: str,
                   catalogue: Catalogue | None = None) -> list[str]:
    """Add the plan-level ``indicators`` of an indicators file (``plan: <id>``) to ``plan``.

    Why a separate file: the shipped plans are the documents' own data; which diagnostic
    query measures an item is the observatory's choice, kept beside them. Returns the
    ids added.
    """
    reader = _Reader(path, catalogue)
    top = reader.mapping(data, "le fichier")
    if str(top.get("plan")) != plan.id:
        raise reader.fail(f"plan « {top.get('plan')} » : ce fichier ne porte pas sur le plan "
                          f"« {plan.id} »", expected=f"plan: {plan.id}")
    before = set(plan.indicators)
    for raw in reader.sequence(top.get("indicators"), "indicators"):
        _add_indicator(reader, plan, raw, None)
    added = [i for i in plan.indicators if i not in before]
    for ind_id in added:
        for linked in plan.indicators[ind_id].item_ids:
            if linked not in plan.items:
                raise reader.fail(f"indicateur « {ind_id} » : élément « {linked} » inconnu",
                                  "indicators", "l'id d'un élément du plan")
    return added


# ------------------------------------------------------------------------------- export
def _optional(data: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != () and value != []:
        data[key] = list(value) if isinstance(value, tuple) else value


def _observation_data(obs: Observation) -> dict[str, Any]:
    data: dict[str, Any] = {"date": obs.date, "value": obs.value}
    _optional(data, "source", obs.source)
    _optional(data, "who", obs.who)
    if obs.computed:
        data["computed"] = True
    data.update(obs.extra)
    return data


def _indicator_data(ind: Indicator) -> dict[str, Any]:
    data: dict[str, Any] = {"name": ind.name}
    extra = dict(ind.extra)
    if "id" in extra:
        data["id"] = extra.pop("id")
    linked = [i for i in ind.item_ids if i != ind.declared_on]
    _optional(data, "items", linked)
    for key in ("kind", "unit", "target"):
        _optional(data, key, getattr(ind, key))
    if ind.query is not None:
        data["query"] = ind.query.to_data()
        if ind.lower_is_better != LOWER_IS_BETTER[ind.query.measure]:
            data["lower_is_better"] = ind.lower_is_better
    else:
        _optional(data, "lower_is_better", ind.lower_is_better)
    _optional(data, "observed", [_observation_data(o) for o in ind.observed])
    data.update(extra)
    return data


def _evaluation_data(date: dt.date, ev: Evaluation) -> dict[str, Any]:
    data: dict[str, Any] = {"date": date}
    _optional(data, "level", ev.level)
    _optional(data, "facts", ev.facts)
    _optional(data, "comment", ev.comment)
    _optional(data, "who", ev.who)
    data.update(ev.extra)
    return data


def _item_data(plan: Plan, item: PlanItem) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "level": item.level}
    _optional(data, "number", item.number)
    data["title"] = item.title
    _optional(data, "pilots", item.pilots)
    _optional(data, "partners", item.partners)
    _optional(data, "calendar", item.calendar)
    _optional(data, "retired", None if item.retired is None else dict(item.retired))
    data.update(item.extra)
    _optional(data, "indicators", [_indicator_data(i) for i in plan.indicators.values()
                                   if i.declared_on == item.id])
    _optional(data, "evaluations", [_evaluation_data(r.date, r.entries[item.id])
                                    for r in plan.reviews.values() if item.id in r.entries])
    _optional(data, "children", [_item_data(plan, c) for c in plan.children(item.id)])
    return data


def export_plan(plan: Plan) -> dict[str, Any]:
    """The file's data for ``plan`` (nested items), loadable by :func:`parse_plan`."""
    data: dict[str, Any] = {"plan": dict(plan.header)}
    data.update(plan.extra)
    data["levels"] = list(plan.levels)
    data["items"] = [_item_data(plan, item) for item in plan.children(None)]
    _optional(data, "indicators", [_indicator_data(i) for i in plan.indicators.values()
                                   if i.declared_on is None])
    return data
