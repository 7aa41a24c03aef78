"""The indicators step as it was before vectorisation: one Python loop per zone x target.

Kept as the oracle of ``tests/test_indicators_vectorised.py``: slow (0.3 ms per group) but
plainly right, each group summarised by :func:`proximite.indicators.weighted_quantiles`
and numpy sums on its own rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from proximite.indicators import DECILES, weighted_quantiles
from proximite.model import (
    STATUS_INCOMPLETE,
    STATUS_NO_ORIGIN,
    STATUS_NO_SERVICE,
    STATUS_OK,
    IndicatorParams,
)


def _summary(times: np.ndarray, status: np.ndarray, population: np.ndarray,
             params: IndicatorParams) -> dict[str, float]:
    # A commune without origin (no_origin) holds nobody: no figure, in no total.
    has_origin = status != STATUS_NO_ORIGIN
    if not has_origin.any():
        return {"population": 0.0, "n_origins": 0.0, "population_unreachable": float("nan")}
    times, status, population = times[has_origin], status[has_origin], population[has_origin]
    effective = np.where(status == STATUS_OK, times, np.inf)
    computable = not np.isin(status, [STATUS_NO_SERVICE, STATUS_INCOMPLETE]).any()
    total = float(population.sum())
    out: dict[str, float] = {"population": total, "n_origins": float(len(times))}
    if not computable:
        out["population_unreachable"] = float("nan")
        return out
    out["population_unreachable"] = float(population[~np.isfinite(effective)].sum())
    deciles = weighted_quantiles(effective, population, [d / 10 for d in DECILES])
    for d, value in zip(DECILES, deciles, strict=True):
        out[f"d{d}_min"] = float(value) if np.isfinite(value) else float("nan")
    out["median_min"] = out["d5_min"]
    out["mean_min"] = (float(np.average(effective, weights=population))
                       if total > 0 and np.isfinite(effective).all() else float("nan"))
    for threshold in params.thresholds_min:
        beyond = float(population[effective > threshold].sum())
        label = f"{threshold:g}"
        out[f"pop_over_{label}"] = beyond
        out[f"share_over_{label}"] = 100.0 * beyond / total if total > 0 else float("nan")
    return out


def reference_indicators(
    times: pd.DataFrame,
    origins: pd.DataFrame,
    communes: pd.DataFrame | None,
    params: IndicatorParams | None = None,
) -> pd.DataFrame:
    """The former ``compute_indicators`` (without the equipment counts, shared code).

    ``times``: origin_id, category, travel_time_min, status, target_kind. ``origins``:
    origin_id, population, code_insee. ``communes``: code_insee, nom, epci_code, epci_nom.
    """
    params = params or IndicatorParams()
    data = times.drop(columns=["code_insee", "population"], errors="ignore")
    data = data.merge(origins[["origin_id", "population", "code_insee"]], on="origin_id",
                       how="left", validate="many_to_one")
    levels: list[tuple[str, str, str]] = [("territory", "", "")]
    if communes is not None and len(communes):
        data = data.merge(communes[["code_insee", "nom", "epci_code", "epci_nom"]],
                          on="code_insee", how="left")
        levels += [("epci", "epci_code", "epci_nom"), ("commune", "code_insee", "nom")]
    # Groups by index arrays rather than pandas sub-frames: with 50 categories and 300
    # communes the sub-frame slicing, not the arithmetic, took most of a diagnostic.
    times_min = data["travel_time_min"].to_numpy(dtype=float)
    status = data["status"].to_numpy()
    population = data["population"].to_numpy(dtype=float)
    pair_codes, pairs = pd.factorize(pd.MultiIndex.from_arrays(
        [data["category"], data["target_kind"]]))  # in order of first appearance
    pair_order = np.argsort(pair_codes, kind="stable")
    pair_bounds = np.searchsorted(pair_codes[pair_order], np.arange(len(pairs) + 1))
    rows = []
    for g, (category, kind) in enumerate(pairs):
        group = pair_order[pair_bounds[g]:pair_bounds[g + 1]]  # original row order
        for level, code_col, name_col in levels:
            for zone_code, zone_name, sub in _zones(data, group, level, code_col, name_col):
                row = {"level": level, "zone_code": zone_code, "zone_name": zone_name,
                       "category": category, "target_kind": kind}
                row.update(_summary(times_min[sub], status[sub], population[sub], params))
                rows.append(row)
    table = pd.DataFrame(rows)
    return table


def _zones(data: pd.DataFrame, group: np.ndarray, level: str, code_col: str,
           name_col: str) -> list[tuple[str, str, np.ndarray]]:
    """(zone code, zone name, row positions) of a group at a level, zones sorted by code,
    rows in their original order; rows without a zone code belong to no zone."""
    if level == "territory":
        return [("", "", group)]
    codes, uniques = pd.factorize(data[code_col].to_numpy()[group], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    names = data[name_col].to_numpy()
    zones = []
    for z, code in enumerate(uniques):
        rows = group[order[bounds[z]:bounds[z + 1]]]
        zones.append((code, names[rows[0]], rows))
    return zones
