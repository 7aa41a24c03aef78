"""Population-weighted access indicators per commune, per EPCI and for the territory.

Quantiles are population-weighted and defined as the inverse of the weighted cumulative
distribution: the q-quantile is the smallest time t such that the population reaching
its service in at most t is >= q x the population. Unreachable origins count as an
infinite time: they are part of the population beyond every threshold, and a quantile
that falls on them is reported as missing, never as a finite number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from proximite.catalogue import Catalogue
from proximite.errors import ProximiteError
from proximite.model import (
    STATUS_INCOMPLETE,
    STATUS_NO_ORIGIN,
    STATUS_NO_SERVICE,
    STATUS_OK,
    STATUS_UNREACHABLE,
    IndicatorParams,
)

DECILES = tuple(range(1, 10))


def commune_mean_times(keys: pd.DataFrame, times: np.ndarray,
                       weights: np.ndarray | None = None) -> pd.Series:
    """Mean time per group of ``keys`` (e.g. code_insee, or code_insee + category),
    weighted by the origins' population when given; ``inf`` if any origin has ``inf``.

    Why weighted: with a population grid a commune has many origins, and an empty square
    at the commune's edge must not count as much as the bourg. Groups whose weights are
    all zero fall back to the plain mean.
    """
    weights = np.ones(len(times)) if weights is None else np.nan_to_num(
        np.asarray(weights, dtype=float))
    frame = keys.reset_index(drop=True).assign(
        _t=np.asarray(times, dtype=float), _w=weights)
    frame["_tw"] = np.where(np.isinf(frame["_t"]), np.inf, frame["_t"] * frame["_w"])
    grouped = frame.groupby(list(keys.columns), sort=True)
    total_w = grouped["_w"].sum()
    weighted = grouped["_tw"].sum() / total_w.where(total_w > 0)
    plain = grouped["_t"].mean()
    return weighted.where(total_w > 0, plain)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value v with sum(weights[values <= v]) >= q * sum(weights).

    ``values`` may hold ``inf`` (unreachable); the result is then ``inf`` when the
    quantile falls among them. Zero total weight gives ``nan``.
    """
    return float(weighted_quantiles(values, weights, (q,))[0])


def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       qs: Sequence[float]) -> np.ndarray:
    """:func:`weighted_quantile` for several ``qs`` at once (one sort, not one per q)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    total = weights.sum()
    if total <= 0:
        return np.full(len(qs), np.nan)
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    targets = np.asarray(qs, dtype=float) * total - 1e-9 * total
    positions = np.searchsorted(cumulative, targets, side="left")
    return values[order][np.minimum(positions, len(values) - 1)]


def basket_times(access: pd.DataFrame, catalogue: Catalogue,
                 baskets: list[str]) -> pd.DataFrame:
    """Basket time per origin = mean of its categories' nearest times (INSEE method).

    A basket is ``incomplete`` for an origin when one of its categories has no service at
    all in the inventory (the mean would silently describe another basket), and
    ``unreachable`` when one of its services cannot be reached.
    """
    rows = []
    wide_time = access.pivot(index="origin_id", columns="category", values="travel_time_min")
    wide_status = access.pivot(index="origin_id", columns="category", values="status")
    origins = wide_time.index
    for code in baskets:
        members = list(catalogue.baskets[code].categories)
        absent = [m for m in members if m not in wide_time.columns]
        if absent:
            raise ProximiteError(f"basket '{code}': categories {absent} were not computed")
        status = wide_status[members]
        times = wide_time[members]
        no_service = (status == STATUS_NO_SERVICE)
        unreachable = (status == STATUS_UNREACHABLE)
        frame = pd.DataFrame({
            "origin_id": origins,
            "category": code,
            "travel_time_min": times.mean(axis=1).to_numpy(),
            "status": STATUS_OK,
            "status_detail": "",
        })
        missing_cats = [m for m in members if no_service[m].all()]
        inc = no_service.any(axis=1).to_numpy()
        unr = unreachable.any(axis=1).to_numpy() & ~inc
        frame.loc[unr, "status"] = STATUS_UNREACHABLE
        frame.loc[unr, "status_detail"] = [
            "unreachable: " + ", ".join(c for c in members if unreachable.loc[o, c])
            for o in origins[unr]
        ]
        frame.loc[inc, "status"] = STATUS_INCOMPLETE
        frame.loc[inc, "status_detail"] = (
            f"no service data for {len(missing_cats)} of {len(members)} categories: "
            + ", ".join(missing_cats)
        )
        frame.loc[inc | unr, "travel_time_min"] = np.nan
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=["origin_id", "category", "travel_time_min", "status",
                                     "status_detail"])
    return pd.concat(rows, ignore_index=True)


#: The ``statut`` column of the indicators: why a row has figures or not, in French, as
#: the tables are read by people (a blank row must say why it is blank).
ZONE_STATUS_COMPUTED = "calculé"
ZONE_STATUS_NO_ORIGIN = "sans lieu habité"
ZONE_STATUS_NO_SERVICE = "aucun service de la catégorie"
ZONE_STATUS_INCOMPLETE = "panier incomplet"


def _summary(times: np.ndarray, status: np.ndarray, population: np.ndarray,
             params: IndicatorParams) -> dict[str, float | str]:
    # A commune without origin (no_origin) holds nobody: no figure, in no total.
    has_origin = status != STATUS_NO_ORIGIN
    if not has_origin.any():
        return {"population": 0.0, "n_origins": 0.0, "population_unreachable": float("nan"),
                "statut": ZONE_STATUS_NO_ORIGIN}
    times, status, population = times[has_origin], status[has_origin], population[has_origin]
    effective = np.where(status == STATUS_OK, times, np.inf)
    computable = not np.isin(status, [STATUS_NO_SERVICE, STATUS_INCOMPLETE]).any()
    total = float(population.sum())
    out: dict[str, float | str] = {"population": total, "n_origins": float(len(times))}
    if not computable:
        out["population_unreachable"] = float("nan")
        out["statut"] = (ZONE_STATUS_NO_SERVICE if (status == STATUS_NO_SERVICE).any()
                         else ZONE_STATUS_INCOMPLETE)
        return out
    out["statut"] = ZONE_STATUS_COMPUTED
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


def compute_indicators(
    times: pd.DataFrame,
    origins: pd.DataFrame,
    communes: pd.DataFrame | None,
    params: IndicatorParams | None = None,
    *,
    services_per_commune: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Indicators for every category and basket at commune, EPCI and territory level.

    ``times``: origin_id, category, travel_time_min, status, target_kind. ``origins``:
    origin_id, population, code_insee. ``communes``: code_insee, nom, epci_code, epci_nom.
    ``services_per_commune``: code_insee, category, n_services (services located in the
    commune), used to count communes without the service.
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
    if services_per_commune is not None and communes is not None and len(table):
        table = _add_commune_equipment(table, communes, services_per_commune)
    if "statut" in table:  # last, so the figures keep their columns
        table = table[[c for c in table.columns if c != "statut"] + ["statut"]]
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


def _add_commune_equipment(table: pd.DataFrame, communes: pd.DataFrame,
                           counts: pd.DataFrame) -> pd.DataFrame:
    """Services inside each commune, and communes without any, per category."""
    full = pd.MultiIndex.from_product(
        [communes["code_insee"], table.loc[table.target_kind == "category", "category"].unique()],
        names=["code_insee", "category"])
    n_series = counts.set_index(["code_insee", "category"])["n_services"].reindex(
        full, fill_value=0)
    n = n_series.reset_index().merge(communes[["code_insee", "epci_code"]], on="code_insee")
    n["without"] = (n["n_services"] == 0).astype(int)
    table["services_in_zone"] = np.nan
    table["communes_without_service"] = np.nan
    for level, key in (("commune", "code_insee"), ("epci", "epci_code"), ("territory", None)):
        agg = (n.groupby(["category", key]) if key else n.groupby("category"))[
            ["n_services", "without"]].sum().reset_index()
        if key is None:
            agg["zone"] = ""
        else:
            agg = agg.rename(columns={key: "zone"})
        agg = agg.set_index(["category", "zone"])
        mask = (table.level == level) & (table.target_kind == "category")
        idx = pd.MultiIndex.from_arrays([table.loc[mask, "category"], table.loc[mask, "zone_code"]])
        table.loc[mask, "services_in_zone"] = agg["n_services"].reindex(idx).to_numpy()
        table.loc[mask, "communes_without_service"] = agg["without"].reindex(idx).to_numpy()
    return table
