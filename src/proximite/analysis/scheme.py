"""The figures the schemes quote, computed the way they write them.

- *The 10 % farthest communes* (Cantal SDAASP: "les 10 % des communes les plus éloignées,
  2 870 habitants, à plus de 18 min"): per basket, the communes whose basket time is at or
  beyond the 9th decile of the communes' times (each commune counts once), their number
  and population.
- *Population beyond 10 min of a pôle de proximité* (Cantal: ≈ 17 000 people): the people
  whose nearest pole of that level or higher is farther (or unreachable).
- *Communes with none of a group* ("ni supérette, ni épicerie, ni boulangerie"): communes
  where the inventory places no service of any of the group's categories (their
  sub-categories included).
- *Change between two inventories of different dates* (the 2018 MSAP list against the
  2024 France Services list): per commune, the time to the nearest site of each, who
  gained, who lost and by how many minutes.

Everything is pure: tables in, tables out (the file layer writes them).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from proximite.access import STATUS_OK
from proximite.analysis.poles import POLE_LABELS
from proximite.catalogue import Catalogue
from proximite.indicators import commune_mean_times
from proximite.model import SchemeParams

SCHEME_COLUMNS = ["indicator", "target", "label", "threshold_min", "n_communes",
                  "population", "share_population_pct"]
CHANGE_COLUMNS = ["code_insee", "nom", "population", "before_min", "after_min",
                  "change_min", "change"]


def commune_times(access_times: pd.DataFrame, target: str) -> pd.Series:
    """Time per commune to ``target`` (category or basket): ``inf`` where unreachable,
    NaN where the target has no data; population-weighted over a commune's origins."""
    rows = access_times[(access_times["category"] == target)
                        & (access_times["code_insee"].fillna("").astype(str) != "")]
    status = rows["status"].to_numpy()
    times = np.where(status == STATUS_OK, rows["travel_time_min"].to_numpy(dtype=float),
                     np.where(status == "unreachable", np.inf, np.nan))
    keys = pd.DataFrame({"code_insee": rows["code_insee"].astype(str).to_numpy()})
    weights = rows["population"].to_numpy(dtype=float) if "population" in rows else None
    no_data = pd.Series(np.isnan(times)).groupby(keys["code_insee"].to_numpy()).any()
    means = commune_mean_times(keys, np.nan_to_num(times, nan=0.0, posinf=np.inf), weights)
    return means.mask(no_data.reindex(means.index, fill_value=False))


def farthest_decile(access_times: pd.DataFrame, communes: pd.DataFrame,
                    target: str) -> dict[str, float]:
    """The communes at or beyond the 9th decile of the communes' times to ``target``.

    The decile is of communes, each counting once (the Cantal figure's reading):
    ``numpy.quantile(..., method="inverted_cdf")``, the smallest time with at least 90 %
    of the communes at or below it. Unreachable communes are beyond it. Keys:
    ``threshold_min``, ``n_communes``, ``population`` (NaN values when no data).
    """
    times = commune_times(access_times, target)
    codes = communes["code_insee"].astype(str)
    times = times.reindex(codes.to_numpy())
    population = pd.Series(communes["population"].to_numpy(dtype=float),
                           index=codes.to_numpy())
    if times.isna().any() or times.empty:
        return {"threshold_min": np.nan, "n_communes": np.nan, "population": np.nan}
    values = times.to_numpy(dtype=float)
    d9 = float(np.quantile(values, 0.9, method="inverted_cdf"))
    far = values >= d9
    return {"threshold_min": d9, "n_communes": int(far.sum()),
            "population": float(population[far].sum())}


def population_beyond_pole(by_origin: pd.DataFrame, origins: pd.DataFrame, level: str,
                           threshold_min: float) -> tuple[int, float]:
    """Communes and people whose nearest pole of ``level`` (or higher) is beyond the
    threshold or out of reach: ``(n_communes, population)`` (a commune counts when one of
    its origins is)."""
    rows = by_origin[by_origin["level"] == level]
    time = np.where(rows["status"] == STATUS_OK, rows["travel_time_min"].astype(float),
                    np.inf)
    beyond = rows[time > threshold_min]
    people = origins.set_index("origin_id")["population"].reindex(beyond["origin_id"])
    codes = beyond["code_insee"].fillna("").astype(str)
    return int(codes[codes != ""].nunique()), float(people.fillna(0.0).sum())


def communes_without_group(services: pd.DataFrame, communes: pd.DataFrame,
                           catalogue: Catalogue, group: Iterable[str]) -> pd.DataFrame:
    """Communes where the inventory places no service of the group (sub-categories
    included): ``code_insee, nom, population``."""
    members: set[str] = set()
    for code in group:
        members |= catalogue.members(code)
    present = set(services.loc[services["category"].isin(members), "code_insee"]
                  .fillna("").astype(str))
    table = communes.assign(code_insee=communes["code_insee"].astype(str))
    keep = ["code_insee", "nom", "population"] if "nom" in table else ["code_insee",
                                                                       "population"]
    return table.loc[~table["code_insee"].isin(present), keep].reset_index(drop=True)


def inventory_change(access_times: pd.DataFrame, communes: pd.DataFrame, before: str,
                     after: str, tolerance_min: float) -> pd.DataFrame:
    """Per commune, the time to the nearest ``before`` site against the nearest ``after``.

    ``change_min`` = after − before (negative: closer now). ``change``: ``gained`` when
    the time fell by more than ``tolerance_min``, ``lost`` when it rose by more,
    ``unchanged`` otherwise; ``no_data`` when either list has no site. Columns
    :data:`CHANGE_COLUMNS`, sorted by change (the largest loss first).
    """
    codes = communes["code_insee"].astype(str).to_numpy()
    old = commune_times(access_times, before).reindex(codes).to_numpy(dtype=float)
    new = commune_times(access_times, after).reindex(codes).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        delta = new - old
    change = np.where(np.isnan(old) | np.isnan(new), "no_data",
                      np.where(delta < -tolerance_min, "gained",
                               np.where(delta > tolerance_min, "lost", "unchanged")))
    both_inf = np.isinf(old) & np.isinf(new)
    change = np.where(both_inf, "unchanged", change)
    delta = np.where(both_inf, 0.0, delta)
    table = pd.DataFrame({
        "code_insee": codes,
        "nom": communes["nom"].to_numpy() if "nom" in communes else "",
        "population": communes["population"].to_numpy(dtype=float),
        "before_min": old, "after_min": new, "change_min": delta, "change": change})
    table = table.sort_values(["change_min", "code_insee"], ascending=[False, True],
                              kind="mergesort", na_position="last").reset_index(drop=True)
    table.attrs.update({"before": before, "after": after, "tolerance_min": tolerance_min})
    return table[CHANGE_COLUMNS]


def scheme_indicators(access_times: pd.DataFrame, communes: pd.DataFrame,
                      services: pd.DataFrame, catalogue: Catalogue, baskets: Iterable[str],
                      by_origin: pd.DataFrame | None, origins: pd.DataFrame,
                      params: SchemeParams) -> pd.DataFrame:
    """The schemes' figures in one table (columns :data:`SCHEME_COLUMNS`)."""
    total = float(communes["population"].sum())
    rows = []

    def add(indicator: str, target: str, label: str, threshold: float, n: float,
            population: float) -> None:
        rows.append({"indicator": indicator, "target": target, "label": label,
                     "threshold_min": threshold, "n_communes": n, "population": population,
                     "share_population_pct": 100.0 * population / total if total > 0
                     and np.isfinite(population) else np.nan})

    for basket in baskets:
        far = farthest_decile(access_times, communes, basket)
        add("farthest_decile", basket, catalogue.baskets[basket].label, far["threshold_min"],
            far["n_communes"], far["population"])
    if by_origin is not None and len(by_origin):
        n, population = population_beyond_pole(by_origin, origins, params.pole_level,
                                               params.pole_threshold_min)
        add("beyond_pole", params.pole_level, POLE_LABELS[params.pole_level],
            params.pole_threshold_min, n, population)
    without = communes_without_group(services, communes, catalogue, params.group)
    add("without_group", "|".join(params.group),
        "aucun service : " + " ; ".join(catalogue.categories[c].label for c in params.group),
        np.nan, len(without), float(without["population"].sum()))
    return pd.DataFrame(rows, columns=SCHEME_COLUMNS)
