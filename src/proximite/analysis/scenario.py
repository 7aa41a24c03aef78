"""What-if scenarios on a finished diagnostic: close or open services, change road speeds.

A scenario is answered from a :class:`~proximite.pipeline.DiagnosticResult` without
re-running the job: the graph, the origins and a :class:`~proximite.network.snap.Snapper`
are reused, and only what can change is recomputed. Closing or opening services changes
only the categories those services count for (the service's category and its parents,
e.g. a bureau de poste counts for ``bureau_de_poste`` and ``la_poste``) and the baskets
holding them; a road speed change touches every category and basket.

Conventions of the comparison: a time that is not ``ok`` (unreachable, no service left,
incomplete basket) counts as infinite, i.e. beyond every threshold, as in the indicators.
``delta_min`` is ``after - before`` where both are ``ok`` and missing otherwise (the
statuses then say what changed). In ``threshold_changes``, ``net`` is
``population_now_beyond - population_no_longer_beyond``: positive when the scenario
leaves more people beyond the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from proximite.access import STATUS_NO_SERVICE, STATUS_OK, nearest_service_times
from proximite.errors import ProximiteError, require_columns
from proximite.indicators import basket_times, compute_indicators
from proximite.inventory.schema import SERVICE_COLUMNS, normalise_services
from proximite.messages import number
from proximite.model import DiagnosticResult, Scenario, ScenarioResult, _changed_mask
from proximite.network.snap import Snapper

NO_SERVICE_LEFT = "plus aucun service dans le territoire et sa marge"
SCENARIO_SOURCE = "scénario"

COMPARISON_COLUMNS = [
    "origin_id", "code_insee", "category", "target_kind", "population",
    "before_min", "after_min", "delta_min", "status_before", "status_after",
    "nearest_before", "nearest_after", "status_detail_after",
]
THRESHOLD_COLUMNS = [
    "category", "target_kind", "threshold", "population_now_beyond",
    "population_no_longer_beyond", "net",
]

def make_example_closure(result: DiagnosticResult) -> Scenario:
    """Close the post office that is the nearest one for the largest population.

    The report's example: the closure that a comité de pilotage would ask about first.
    """
    rows = result.access_times[(result.access_times["category"] == "bureau_de_poste")
                               & (result.access_times["target_kind"] == "category")
                               & (result.access_times["nearest_service_id"] != "")]
    if rows.empty:
        raise ProximiteError("aucun bureau de poste atteint dans ce diagnostic : pas de "
                             "scénario de fermeture exemple")
    population = result.origins.set_index("origin_id")["population"]
    served = rows.assign(population=population.reindex(rows["origin_id"]).to_numpy())
    by_service = served.groupby("nearest_service_id")["population"].sum()
    service_id = str(by_service.sort_values(ascending=False, kind="stable").index[0])
    name = result.services.loc[result.services["service_id"] == service_id, "name"]
    label = str(name.iloc[0]) if len(name) and name.iloc[0] else service_id
    return Scenario(close_service_ids=[service_id],
                    name=f"Fermeture du bureau de poste {label} "
                    f"(le plus proche pour {number(by_service.max())} habitants)")


def _opened_table(scenario: Scenario, result: DiagnosticResult) -> pd.DataFrame:
    """The services to open, in the service schema, with fresh unique ids."""
    opened = scenario.open_services
    if opened is None or len(opened) == 0:
        return normalise_services(pd.DataFrame(columns=SERVICE_COLUMNS))
    if isinstance(opened, pd.DataFrame):
        frame = opened.copy()
        require_columns(list(frame.columns), ["category", "lon", "lat"], "services to open")
    else:
        frame = pd.DataFrame([tuple(row) for row in opened],
                             columns=["category", "lon", "lat", "name"][:len(opened[0])])
    frame = normalise_services(frame)
    bad = frame["lon"].isna() | frame["lat"].isna() | (frame["lon"].abs() > 180) \
        | (frame["lat"].abs() > 90)
    if bad.any():
        raise ProximiteError("services à ouvrir : coordonnées invalides à la ou les lignes "
                             + ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())))
    _check_categories(frame["category"].unique(), result)
    existing = set(result.services["service_id"].astype(str))
    ids = []
    for i, sid in enumerate(frame["service_id"]):
        candidate = sid or f"scenario:{i + 1}"
        if candidate in existing or candidate in ids:
            candidate = f"scenario:{i + 1}:{candidate}"
        ids.append(candidate)
    frame["service_id"] = ids
    frame["source"] = frame["source"].replace("", SCENARIO_SOURCE)
    return frame


def _check_categories(codes: Sequence[str] | np.ndarray, result: DiagnosticResult) -> None:
    unknown = sorted({str(c) for c in codes} - set(result.catalogue.categories))
    if unknown:
        raise ProximiteError(f"catégorie(s) inconnue(s) {', '.join(unknown)} (catégories "
                             f"connues : {', '.join(result.catalogue.categories)})")


def _closed_mask(scenario: Scenario, result: DiagnosticResult,
                 warnings: list[str]) -> np.ndarray:
    services = result.services
    ids = services["service_id"].astype(str)
    closed = np.zeros(len(services), dtype=bool)
    wanted_ids = [str(s) for s in scenario.close_service_ids]
    unknown = sorted(set(wanted_ids) - set(ids))
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" (+{len(unknown) - 10})" if len(unknown) > 10 else "")
        raise ProximiteError(f"identifiant(s) de service inconnu(s) {shown} : absent(s) "
                             "des services du diagnostic (voir services.csv)")
    closed |= ids.isin(wanted_ids).to_numpy()
    _check_categories(scenario.close_categories, result)
    for code in scenario.close_categories:
        in_cat = services["category"].isin(result.catalogue.members(code)).to_numpy()
        if not in_cat.any():
            warnings.append(f"aucun service de la catégorie {code} dans l'inventaire : rien à "
                            "fermer")
        closed |= in_cat
    if scenario.close_communes:
        codes = services["code_insee"].astype(str)
        known = set(codes) | set(result.origins.get("code_insee", pd.Series(dtype=str)))
        communes = getattr(result.territory, "communes", None)
        if communes is not None and len(communes):
            known |= set(communes["code_insee"].astype(str))
        unknown = sorted({str(c) for c in scenario.close_communes} - known)
        if unknown:
            raise ProximiteError(f"commune(s) inconnue(s) {', '.join(unknown)} : ni dans le "
                                 "territoire ni dans les code_insee des services")
        for code in scenario.close_communes:
            here = (codes == str(code)).to_numpy()
            if not here.any():
                warnings.append(f"aucun service situé dans la commune {code} : rien à fermer")
            closed |= here
    return closed


def _effective(times: pd.Series, status: pd.Series) -> np.ndarray:
    return np.where(status.to_numpy() == STATUS_OK, times.to_numpy(dtype=float), np.inf)


def run_scenario(result: DiagnosticResult, scenario: Scenario, *,
                 snapper: Snapper | None = None) -> ScenarioResult:
    """Apply ``scenario`` to ``result`` and compare, recomputing only what changes."""
    import time

    start = time.perf_counter()
    timings: dict[str, float] = {}
    warnings: list[str] = []
    catalogue = result.catalogue
    params = result.options.access
    closed = _closed_mask(scenario, result, warnings)
    opened = _opened_table(scenario, result)
    speed_changed = bool(scenario.speed_factor_by_class)
    graph = (result.graph.with_speed_factors(dict(scenario.speed_factor_by_class))
             if speed_changed else result.graph)
    snapper = snapper or Snapper.for_graph(result.graph)  # same nodes whatever the speeds
    timings["validation"] = time.perf_counter() - start

    before_all = result.access_times
    computed = list(dict.fromkeys(
        before_all.loc[before_all["target_kind"] == "category", "category"]))
    changed_cats = {str(c) for c in result.services.loc[closed, "category"]} \
        | {str(c) for c in opened["category"]}
    if speed_changed:
        categories = list(computed)
    else:
        touched = {a for code in changed_cats for a in catalogue.ancestors(code)}
        categories = [c for c in computed if c in touched] \
            + sorted(touched - set(computed), key=list(catalogue.categories).index)
    baskets = [b for b in result.baskets
               if speed_changed or set(catalogue.baskets[b].categories) & set(categories)]
    if scenario.is_empty():
        warnings.append("scénario vide : rien de fermé, d'ouvert ni de ralenti")

    services_after = pd.concat([result.services.loc[~closed], opened], ignore_index=True) \
        if len(opened) else result.services.loc[~closed].reset_index(drop=True)
    members = {code: sorted(catalogue.members(code)) for code in categories}
    step = time.perf_counter()
    after = nearest_service_times(graph, result.origins, services_after, members, params,
                                  snapper=snapper)
    after["target_kind"] = "category"
    timings["temps d'accès"] = time.perf_counter() - step
    before = before_all[before_all["category"].isin(categories)
                        & (before_all["target_kind"] == "category")]
    new_cats = [c for c in categories if c not in computed]
    if new_cats:  # a category never computed (opened with no service before)
        extra = nearest_service_times(result.graph, result.origins, result.services,
                                      {c: members[c] for c in new_cats}, params,
                                      snapper=snapper)
        extra["target_kind"] = "category"
        before = pd.concat([before, extra], ignore_index=True)

    # Categories with services before and none left after: say so plainly.
    for code in categories:
        had = result.services["category"].isin(members[code]).any()
        left = services_after["category"].isin(members[code]).any()
        if had and not left:
            rows = (after["category"] == code) & (after["status"] == STATUS_NO_SERVICE)
            after.loc[rows, "status_detail"] = NO_SERVICE_LEFT
            label = catalogue.categories[code].label
            warnings.append(f"{label} ({code}) : {NO_SERVICE_LEFT} après les fermetures")

    if baskets:
        step = time.perf_counter()
        needed = {m for b in baskets for m in catalogue.baskets[b].categories}
        cat_after = pd.concat(
            [before_all[(before_all["target_kind"] == "category")
                        & before_all["category"].isin(needed - set(categories))],
             after[after["category"].isin(needed)]], ignore_index=True)
        basket_after = basket_times(cat_after, catalogue, baskets)
        basket_after["target_kind"] = "basket"
        after = pd.concat([after, basket_after], ignore_index=True)
        before = pd.concat([before, before_all[(before_all["target_kind"] == "basket")
                                               & before_all["category"].isin(baskets)]],
                           ignore_index=True)
        timings["paniers"] = time.perf_counter() - step

    step = time.perf_counter()
    comparison = _compare(before, after, result.origins)
    thresholds = result.options.indicators.thresholds_min
    threshold_changes = _threshold_changes(comparison, thresholds)
    indicators_before, indicators_after = _territory_indicators(result, before, after)
    timings["comparaison"] = time.perf_counter() - step
    affected = float(comparison.loc[_changed_mask(comparison)]
                     .drop_duplicates("origin_id")["population"].sum()) \
        if len(comparison) else 0.0
    far = _far_opened(opened, snapper, params)
    if far:
        warnings.append("service(s) ouvert(s) trop loin du réseau, non utilisé(s) : "
                        + ", ".join(far))
    timings["total"] = time.perf_counter() - start
    return ScenarioResult(
        scenario=scenario, comparison=comparison, threshold_changes=threshold_changes,
        indicators_before=indicators_before, indicators_after=indicators_after,
        affected_population=affected, recomputed=categories + baskets,
        closed_service_ids=result.services.loc[closed, "service_id"].astype(str).tolist(),
        opened_services=opened, warnings=warnings, timings_s=timings)


def _far_opened(opened: pd.DataFrame, snapper: Snapper, params: object) -> list[str]:
    if not len(opened):
        return []
    _, distance = snapper.snap(opened["lon"], opened["lat"])
    limit = getattr(params, "max_snap_m", math.inf)
    return [f"{sid} ({number(d / 1000, 1)} km)" for sid, d in zip(opened["service_id"], distance,
                                                            strict=True) if d > limit]


def _compare(before: pd.DataFrame, after: pd.DataFrame, origins: pd.DataFrame) -> pd.DataFrame:
    keys = ["origin_id", "category", "target_kind"]
    left = before[[*keys, "travel_time_min", "status", "nearest_service_id"]].rename(
        columns={"travel_time_min": "before_min", "status": "status_before",
                 "nearest_service_id": "nearest_before"})
    right = after[[*keys, "travel_time_min", "status", "status_detail",
                          "nearest_service_id"]].rename(
        columns={"travel_time_min": "after_min", "status": "status_after",
                 "status_detail": "status_detail_after", "nearest_service_id": "nearest_after"})
    table = left.merge(right, on=keys, how="outer", validate="one_to_one")
    table = table.merge(origins[["origin_id", "code_insee", "population"]], on="origin_id",
                        how="left")
    both_ok = (table["status_before"] == STATUS_OK) & (table["status_after"] == STATUS_OK)
    table["delta_min"] = np.where(both_ok, table["after_min"] - table["before_min"], np.nan)
    for col in ("nearest_before", "nearest_after", "status_detail_after"):
        table[col] = table[col].fillna("").astype(str)
    return table[COMPARISON_COLUMNS]


def _threshold_changes(comparison: pd.DataFrame,
                       thresholds: Sequence[float]) -> pd.DataFrame:
    rows = []
    for (code, kind), group in comparison.groupby(["category", "target_kind"], sort=False):
        t_before = _effective(group["before_min"], group["status_before"])
        t_after = _effective(group["after_min"], group["status_after"])
        population = group["population"].to_numpy(dtype=float)
        for threshold in thresholds:
            now = float(population[(t_before <= threshold) & (t_after > threshold)].sum())
            gone = float(population[(t_before > threshold) & (t_after <= threshold)].sum())
            rows.append({"category": code, "target_kind": kind, "threshold": float(threshold),
                         "population_now_beyond": now, "population_no_longer_beyond": gone,
                         "net": now - gone})
    return pd.DataFrame(rows, columns=THRESHOLD_COLUMNS)


def _territory_indicators(result: DiagnosticResult, before: pd.DataFrame,
                          after: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Territory-level indicators of the recomputed rows, before and after."""
    params = result.options.indicators
    if before.empty:
        return pd.DataFrame(), pd.DataFrame()
    table_before = compute_indicators(before, result.origins, None, params)
    table_after = compute_indicators(after, result.origins, None, params)
    return table_before.reset_index(drop=True), table_after.reset_index(drop=True)


__all__ = [
    "NO_SERVICE_LEFT",
    "Scenario",
    "ScenarioResult",
    "make_example_closure",
    "run_scenario",
]
