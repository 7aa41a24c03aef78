"""Service poles (Cerema method on the INSEE BPE gammes) and their catchments.

A commune is a *pôle de services* of a gamme when enough of the gamme's equipment types
are present in it. Thresholds (Cerema typology of service poles, as recorded in the
project's domain notes; the BPE vintage they were set on is not stated, hence
parameters, :class:`~proximite.model.PoleParams`): >= 12 of the 24 proximité types,
>= 14 of 27 intermédiaire, >= 18 of 36 supérieure. The 2021 INSEE tables shipped in
``data/reference/`` list 28 / 35 / 47 types, so each threshold is applied as the same
share of the table's size: ``ceil(min_types × n_table / reference_types)``.

The counts come from the BPE itself when the territory ships its counts of every type
(:func:`bpe_equipment_counts`: the 2013 BPE per commune for 48, 15, 03), else from the
inventory's services (:func:`equipment_counts`). When the source covers only k of the n
types (the 2013 BPE holds no gare or cinéma type; an inventory far fewer), the threshold
is scaled to ``ceil(threshold × k / n)`` — and the result is flagged
(``threshold_scaled``, a French warning); with ``scale_to_inventory=False`` it is kept,
and poles are then underestimated, which is also said. Never silent.

A pole also needs inhabitants (``PoleParams.min_population``, 500 by default — a project
choice, not Cerema's): a Cévennes village of 167 inhabitants whose summer trade gives it
half the proximité types serves its visitors, not a catchment.

Pole level: the highest gamme whose threshold is met (supérieure > intermédiaire >
proximité); a higher pole also serves as a pole of the lower levels in the catchments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from proximite.access import AccessParams, multi_source_search
from proximite.catalogue import Catalogue
from proximite.errors import ProximiteError
from proximite.model import ReferenceTables
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

#: From the lowest to the highest level.
GAMMES = ("proximite", "intermediaire", "superieure")
NO_POLE = "aucun"
POLE_LABELS = {"proximite": "pôle de proximité", "intermediaire": "pôle intermédiaire",
               "superieure": "pôle supérieur", NO_POLE: "pas un pôle"}
GAMME_LABELS = {"proximite": "proximité", "intermediaire": "intermédiaire",
                "superieure": "supérieure"}


@dataclass(frozen=True)
class PoleThreshold:
    """``min_types`` of the ``reference_types`` equipment types of a gamme (Cerema)."""

    min_types: int
    reference_types: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_types <= self.reference_types:
            raise ProximiteError(
                f"pôles : seuil invalide {self.min_types} sur {self.reference_types} "
                "(il faut 1 <= seuil <= nombre de types)")


DEFAULT_THRESHOLDS: dict[str, PoleThreshold] = {
    "proximite": PoleThreshold(12, 24),
    "intermediaire": PoleThreshold(14, 27),
    "superieure": PoleThreshold(18, 36),
}


def category_types(catalogue: Catalogue, gamme_tables: pd.DataFrame) -> dict[str, set[str]]:
    """For each category, the gamme types its services stand for (ancestors' codes too)."""
    code_to_types: dict[str, set[str]] = {}
    for type_code, codes in zip(gamme_tables["code_equipement"], gamme_tables["codes"],
                                strict=True):
        for bpe in codes:
            code_to_types.setdefault(bpe, set()).add(type_code)
    out: dict[str, set[str]] = {}
    for code in catalogue.categories:
        types: set[str] = set()
        for ancestor in catalogue.ancestors(code):
            for bpe in catalogue.categories[ancestor].bpe_codes:
                types |= code_to_types.get(bpe, set())
        out[code] = types
    return out


def locate_services(services: pd.DataFrame, communes: pd.DataFrame | None) -> np.ndarray:
    """Each service's commune: its ``code_insee``, else the commune polygon holding it.

    Some sources (TER stations, fuel stations) carry no commune code; with commune
    polygons (a GeoDataFrame in EPSG:4326) they are placed by point in polygon. ``""``
    where neither works.
    """
    codes = services["code_insee"].fillna("").astype(str).to_numpy().copy()
    missing = codes == ""
    if missing.any() and communes is not None and "geometry" in communes \
            and {"lon", "lat"} <= set(services.columns):
        import shapely

        points = shapely.points(services.loc[missing, "lon"].to_numpy(dtype=float),
                                services.loc[missing, "lat"].to_numpy(dtype=float))
        tree = shapely.STRtree(np.asarray(communes.geometry))
        point_idx, poly_idx = tree.query(points, predicate="within")
        found = np.full(int(missing.sum()), "", dtype=object)
        found[point_idx] = communes["code_insee"].astype(str).to_numpy()[poly_idx]
        codes[np.flatnonzero(missing)] = found
    return codes


def equipment_counts(services: pd.DataFrame, catalogue: Catalogue,
                     gamme_tables: pd.DataFrame, *,
                     communes: pd.DataFrame | Iterable[str] | None = None) -> pd.DataFrame:
    """Per commune and gamme: how many of the gamme's equipment types are present.

    A service stands for the BPE codes of its category and of the category's ancestors; a
    type is present in a commune when one of its services stands for it. A type is
    *covered by the inventory* when at least one category with services in the inventory
    stands for it (anywhere): absent types outside that set say nothing about the commune.
    ``communes``: the communes to report (codes, or a table with ``code_insee``; all of
    them, zero counts included; others are left out); by default the communes where
    services are located. With polygons (the territory's GeoDataFrame), services without a
    ``code_insee`` are placed by point in polygon (:func:`locate_services`);
    ``attrs["services_unlocated"]`` counts those still without a commune.

    Columns: ``code_insee, gamme, n_equipment_types, n_types_covered_by_inventory,
    n_types_present, types_present`` (codes joined by ``|``).
    """
    tables = gamme_tables
    types_of = category_types(catalogue, tables)
    unknown = sorted(set(services["category"]) - set(types_of))
    if unknown:
        raise ProximiteError(f"pôles : catégories inconnues du catalogue : {unknown}")
    commune_table = communes if isinstance(communes, pd.DataFrame) else None
    service_communes = locate_services(services, commune_table)
    present: dict[str, set[str]] = {}
    for code_insee, category in zip(service_communes, services["category"], strict=True):
        if code_insee:
            present.setdefault(code_insee, set()).update(types_of[category])
    covered: set[str] = set()
    for category in services["category"].unique():
        covered |= types_of[category]
    if commune_table is not None:
        codes = list(dict.fromkeys(commune_table["code_insee"].astype(str)))
    elif communes is not None:
        codes = list(dict.fromkeys(str(c) for c in communes))
    else:
        codes = sorted(present)
    table = _gamme_table(tables, codes, present, covered)
    table.attrs["services_unlocated"] = int((service_communes == "").sum())
    return table


def _gamme_table(tables: pd.DataFrame, codes: list[str], present: dict[str, set[str]],
                 covered: set[str]) -> pd.DataFrame:
    """One row per commune and gamme: the gamme's types present, and how many the source
    covers (the columns of :func:`equipment_counts`)."""
    rows = []
    for gamme in GAMMES:
        gamme_types = list(tables.loc[tables["gamme"] == gamme, "code_equipement"])
        n_covered = len(set(gamme_types) & covered)
        for code_insee in codes:
            found = [t for t in gamme_types if t in present.get(code_insee, set())]
            rows.append({"code_insee": code_insee, "gamme": gamme,
                         "n_equipment_types": len(gamme_types),
                         "n_types_covered_by_inventory": n_covered,
                         "n_types_present": len(found), "types_present": "|".join(found)})
    return pd.DataFrame(rows, columns=["code_insee", "gamme", "n_equipment_types",
                                       "n_types_covered_by_inventory", "n_types_present",
                                       "types_present"])


def bpe_equipment_counts(reference: ReferenceTables,
                         communes: Iterable[str]) -> pd.DataFrame:
    """Per commune and gamme, from the BPE counts of every type (the Cerema way).

    A gamme type is present in a commune when the BPE counts one of its codes or
    regroupement members there; it is *covered* when the BPE vintage can hold one of them
    (``reference.bpe_observed_types``: the 2013 BPE has no gare or cinéma type, say).
    Same columns as :func:`equipment_counts`.
    """
    if reference.bpe_types is None:
        raise ProximiteError("pôles : pas de comptages BPE par type d'équipement")
    tables = reference.gamme_tables
    code_to_type: dict[str, str] = {}
    for type_code, codes in zip(tables["code_equipement"], tables["codes"], strict=True):
        for code in codes:
            code_to_type.setdefault(code, type_code)
    counts = reference.bpe_types[reference.bpe_types["n_equipment"] > 0]
    present: dict[str, set[str]] = {}
    for code_insee, typequ in zip(counts["code_insee"], counts["typequ"], strict=True):
        if typequ in code_to_type:
            present.setdefault(str(code_insee), set()).add(code_to_type[typequ])
    covered = {code_to_type[c] for c in reference.bpe_observed_types if c in code_to_type}
    codes = list(dict.fromkeys(str(c) for c in communes))
    table = _gamme_table(tables, codes, present, covered)
    table.attrs["source"] = reference.bpe_source
    return table


def pole_thresholds(counts: pd.DataFrame,
                    thresholds: Mapping[str, PoleThreshold | tuple[int, int]] | None = None,
                    *, scale_to_inventory: bool = True) -> pd.DataFrame:
    """The threshold applied per gamme, how it was derived, and the warning if any.

    Columns: ``gamme, min_types, reference_types, n_equipment_types, threshold_table,
    n_types_covered_by_inventory, threshold_applied, threshold_scaled, evaluable, warning``.
    """
    given = dict(DEFAULT_THRESHOLDS if thresholds is None else thresholds)
    source = str(counts.attrs.get("source") or "l'inventaire")
    unknown = sorted(set(given) - set(GAMMES))
    if unknown:
        raise ProximiteError(f"pôles : gamme inconnue {unknown} (attendu : "
                             + ", ".join(GAMMES) + ")")
    rows = []
    for gamme in GAMMES:
        if gamme not in given:
            continue
        spec = given[gamme]
        spec = spec if isinstance(spec, PoleThreshold) else PoleThreshold(*spec)
        sub = counts[counts["gamme"] == gamme]
        if sub.empty:
            continue
        n_table = int(sub["n_equipment_types"].iloc[0])
        k = int(sub["n_types_covered_by_inventory"].iloc[0])
        threshold_table = (spec.min_types if n_table == spec.reference_types
                           else math.ceil(spec.min_types * n_table / spec.reference_types))
        label = GAMME_LABELS[gamme]
        warning = ""
        scaled = False
        applied = threshold_table
        evaluable = k > 0
        if k == 0:
            warning = (f"Gamme {label} : aucun des {n_table} types d'équipements n'est dans "
                       "l'inventaire ; les pôles de ce niveau ne sont pas évalués.")
        elif k < n_table and scale_to_inventory:
            applied = max(1, math.ceil(threshold_table * k / n_table))
            scaled = applied != threshold_table
            warning = (f"Gamme {label} : {source} ne couvre que {k} des {n_table} types "
                       "d'équipements ; " + (
                           f"seuil ramené de {threshold_table} à {applied} (= arrondi "
                           f"supérieur de {threshold_table} × {k} / {n_table}). Pôles "
                           "indicatifs, non comparables à ceux du Cerema." if scaled else
                           f"le seuil reste {threshold_table} (arrondi supérieur de "
                           f"{threshold_table} × {k} / {n_table})."))
        elif k < n_table:
            warning = (f"Gamme {label} : {source} ne couvre que {k} des {n_table} types "
                       f"d'équipements ; seuil maintenu à {threshold_table} : les pôles "
                       "sont sous-estimés.")
        if n_table != spec.reference_types:
            warning = (f"Gamme {label} : seuil Cerema {spec.min_types} sur "
                       f"{spec.reference_types} appliqué en proportion à la table de "
                       f"{n_table} types ({threshold_table}). " + warning).strip()
        rows.append({"gamme": gamme, "min_types": spec.min_types,
                     "reference_types": spec.reference_types, "n_equipment_types": n_table,
                     "threshold_table": threshold_table, "n_types_covered_by_inventory": k,
                     "threshold_applied": applied, "threshold_scaled": scaled,
                     "evaluable": evaluable, "warning": warning})
    return pd.DataFrame(rows)


def service_poles(counts: pd.DataFrame,
                  thresholds: Mapping[str, PoleThreshold | tuple[int, int]] | None = None,
                  *, scale_to_inventory: bool = True,
                  population: pd.Series | None = None,
                  min_population: float = 0.0) -> pd.DataFrame:
    """Pole level of each commune from :func:`equipment_counts`.

    ``thresholds``: gamme -> ``PoleThreshold(min_types, reference_types)`` (or a pair);
    default :data:`DEFAULT_THRESHOLDS`. Columns: ``code_insee, pole_level`` (a gamme code
    or ``"aucun"``), ``pole_label``, ``n_types_<gamme>``, ``threshold_<gamme>``,
    ``threshold_scaled`` (True when a threshold used was scaled to the inventory),
    ``below_min_population`` (the counts made a pole, the population did not),
    ``warning``. ``population`` (code_insee -> inhabitants) with ``min_population``: a
    commune with fewer inhabitants is no pole whatever its equipment (see the module
    docstring). ``attrs["thresholds"]`` holds :func:`pole_thresholds`,
    ``attrs["warnings"]`` the warnings.
    """
    rules = pole_thresholds(counts, thresholds, scale_to_inventory=scale_to_inventory)
    wide = counts.pivot(index="code_insee", columns="gamme", values="n_types_present")
    order = list(dict.fromkeys(counts["code_insee"]))
    wide = wide.reindex(order)
    out = pd.DataFrame({"code_insee": order})
    level = np.full(len(order), NO_POLE, dtype=object)
    rule: Any
    for rule in rules.itertuples():
        n_present = wide[rule.gamme].to_numpy(dtype=int)
        out[f"n_types_{rule.gamme}"] = n_present
        out[f"threshold_{rule.gamme}"] = rule.threshold_applied
        if rule.evaluable:
            level[n_present >= rule.threshold_applied] = rule.gamme  # higher gammes last
    below = np.zeros(len(order), dtype=bool)
    if population is not None and min_population > 0:
        people = population.set_axis(population.index.astype(str)).reindex(order)
        below = people.fillna(0.0).to_numpy(dtype=float) < min_population
    out["below_min_population"] = below & (level != NO_POLE)
    level[below] = NO_POLE
    out["pole_level"] = level
    out["pole_label"] = [POLE_LABELS[v] for v in level]
    warnings = [w for w in rules["warning"] if w] if len(rules) else []
    out["threshold_scaled"] = bool(rules["threshold_scaled"].any()) if len(rules) else False
    out["warning"] = " ".join(warnings)
    out = out[["code_insee", "pole_level", "pole_label",
               *[c for c in out.columns if c.startswith(("n_types_", "threshold_"))],
               "below_min_population", "warning"]]
    out.attrs["thresholds"] = rules
    out.attrs["warnings"] = warnings
    return out


class PoleCatchments(NamedTuple):
    """Nearest pole per origin and level, and what each pole serves first."""

    by_origin: pd.DataFrame
    by_pole: pd.DataFrame
    warnings: list[str]


def pole_catchments(graph: RoadGraph, origins: pd.DataFrame, poles: pd.DataFrame,
                    params: AccessParams | None = None, *,
                    communes: pd.DataFrame | None = None,
                    snapper: Snapper | None = None) -> PoleCatchments:
    """Time from each origin to its nearest pole of each level, and the poles' catchments.

    One multi-source search per level (:func:`proximite.access.multi_source_search`);
    the poles of a level are the communes whose ``pole_level`` is that level or higher,
    each located at its town hall (the origin whose ``code_insee`` is the pole's; a pole
    without one is left out with a warning). The off-network legs are paid at
    ``params.access_speed_kmh`` as for services.

    ``by_origin``: ``origin_id, code_insee, level, nearest_pole_code, pole_level`` (the
    nearest pole's own level), ``travel_time_min, status`` (``ok``, ``unreachable`` or
    ``no_pole``). ``by_pole``: ``level, pole_code, pole_name, pole_level,
    population_served, communes_served`` — the population whose nearest pole of that
    level it is; per level, it sums to the population that reaches a pole.
    """
    params = params or AccessParams()
    snapper = snapper or Snapper.for_graph(graph)
    origin_node, origin_m = snapper.snap(origins["lon"].to_numpy(dtype=float),
                                         origins["lat"].to_numpy(dtype=float))
    origin_on = origin_m <= params.max_snap_m
    origin_leg = params.leg_minutes(origin_m)
    codes = origins["code_insee"].fillna("").astype(str).to_numpy()
    town_hall: dict[str, int] = {}
    for i, code in enumerate(codes):
        town_hall.setdefault(code, i)
    pole_table = poles.assign(code_insee=poles["code_insee"].astype(str))
    names = {} if communes is None else dict(zip(communes["code_insee"].astype(str),
                                                 communes["nom"], strict=False))
    population = origins["population"].to_numpy(dtype=float) if "population" in origins \
        else np.ones(len(origins))
    rank = {g: i for i, g in enumerate(GAMMES)}
    warnings: list[str] = []
    located = [c for c in pole_table["code_insee"] if c in town_hall]
    lost = sorted(set(pole_table.loc[pole_table["pole_level"] != NO_POLE, "code_insee"])
                  - set(located))
    if lost:
        warnings.append(f"{len(lost)} pôle(s) sans mairie parmi les origines, non pris en "
                        "compte : " + ", ".join(lost[:10]))
    level_by_code = dict(zip(pole_table["code_insee"], pole_table["pole_level"], strict=True))
    off = [c for c in located if not origin_on[town_hall[c]] and level_by_code[c] != NO_POLE]
    if off:
        warnings.append(f"{len(off)} pôle(s) trop loin du réseau (plus de "
                        f"{params.max_snap_m:.0f} m), non pris en compte : "
                        + ", ".join(off[:10]))
    reversed_matrix = graph.reversed_matrix()
    by_origin = []
    by_pole = []
    for level in GAMMES:
        at_level = pole_table[pole_table["pole_level"].map(lambda v: rank.get(v, -1))
                              >= rank[level]]
        pole_codes = [c for c in at_level["code_insee"] if c in town_hall
                      and origin_on[town_hall[c]]]
        pole_level_of = dict(zip(at_level["code_insee"], at_level["pole_level"],
                                 strict=True))
        frame = pd.DataFrame({"origin_id": origins["origin_id"].to_numpy(),
                              "code_insee": codes, "level": level,
                              "nearest_pole_code": "", "pole_level": "",
                              "travel_time_min": np.nan, "status": "no_pole"})
        if pole_codes:
            idx = np.array([town_hall[c] for c in pole_codes])
            nodes, legs = origin_node[idx], origin_leg[idx]
            order = np.lexsort((legs, nodes))  # one pole per node: the shortest leg
            keep = np.ones(len(order), dtype=bool)
            keep[1:] = nodes[order][1:] != nodes[order][:-1]
            chosen = order[keep]
            dist, root = multi_source_search(reversed_matrix, nodes[chosen], legs[chosen])
            pole_at_node = {int(nodes[i]): pole_codes[i] for i in chosen}
            o_dist = dist[origin_node]
            reached = origin_on & np.isfinite(o_dist)
            nearest = np.array([pole_at_node.get(int(r), "") if ok else ""
                                for r, ok in zip(root[origin_node], reached, strict=True)],
                               dtype=object)
            frame["nearest_pole_code"] = nearest
            frame["pole_level"] = [pole_level_of.get(c, "") for c in nearest]
            frame["travel_time_min"] = np.where(reached, origin_leg + o_dist, np.nan)
            frame["status"] = np.where(reached, "ok", "unreachable")
            served = pd.DataFrame({"pole_code": nearest[reached],
                                   "population": population[reached],
                                   "code_insee": codes[reached]})
            summary = served.groupby("pole_code").agg(
                population_served=("population", "sum"),
                communes_served=("code_insee", lambda s: s[s != ""].nunique()))
            for code in pole_codes:
                by_pole.append({
                    "level": level, "pole_code": code, "pole_name": names.get(code, ""),
                    "pole_level": pole_level_of[code],
                    "population_served": float(summary["population_served"].get(code, 0.0)),
                    "communes_served": int(summary["communes_served"].get(code, 0))})
        by_origin.append(frame)
    pole_columns = ["level", "pole_code", "pole_name", "pole_level", "population_served",
                    "communes_served"]
    return PoleCatchments(
        by_origin=pd.concat(by_origin, ignore_index=True),
        by_pole=pd.DataFrame(by_pole, columns=pole_columns),
        warnings=warnings)
