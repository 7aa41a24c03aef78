"""Population-weighted access indicators per commune, per EPCI and for the territory.

Quantiles are population-weighted and defined as the inverse of the weighted cumulative
distribution: the q-quantile is the smallest time t such that the population reaching
its service in at most t is >= q x the population. Unreachable origins count as an
infinite time: they are part of the population beyond every threshold, and a quantile
that falls on them is reported as missing, never as a finite number.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.catalogue import Catalogue
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
            # programmer error: the caller computes every member first (English on purpose)
            raise ValueError(f"basket '{code}': categories {absent} were not computed")
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
            "injoignable : " + ", ".join(catalogue.label(c) for c in members
                                        if unreachable.loc[o, c])
            for o in origins[unr]
        ]
        frame.loc[inc, "status"] = STATUS_INCOMPLETE
        frame.loc[inc, "status_detail"] = (
            f"aucune donnée de service pour {len(missing_cats)} des {len(members)} "
            "catégories : " + ", ".join(catalogue.label(c) for c in missing_cats)
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

    Rows come per (category, target kind) in order of first appearance, then territory,
    EPCI and commune level, zones sorted by code. Every figure is computed for all groups
    at once (grouped numpy sums), not per group: a national run has about 1.4 million
    (zone, target) groups.
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
    category_codes, categories = pd.factorize(data["category"])
    kind_codes, kinds = pd.factorize(data["target_kind"])
    # (category, target kind) pairs in order of first appearance
    pair_codes, pair_keys = pd.factorize(category_codes * max(len(kinds), 1) + kind_codes)
    pair_category = np.asarray(categories, dtype=object)[pair_keys // max(len(kinds), 1)]
    pair_kind = np.asarray(kinds, dtype=object)[pair_keys % max(len(kinds), 1)]
    status = data["status"].to_numpy()
    rows = _Rows(data["travel_time_min"].to_numpy(dtype=float),
                 data["population"].to_numpy(dtype=float),
                 is_ok=status == STATUS_OK, has_origin=status != STATUS_NO_ORIGIN,
                 blocked=np.isin(status, [STATUS_NO_SERVICE, STATUS_INCOMPLETE]),
                 no_service=status == STATUS_NO_SERVICE)
    columns: dict[str, list[np.ndarray]] = {}
    sort_keys: list[np.ndarray] = []
    for rank, (level, code_col, name_col) in enumerate(levels):
        if level == "territory":
            zone = np.zeros(len(data), dtype=np.int64)
            zone_codes = np.array([""], dtype=object)
            names = np.full(len(data), "", dtype=object)
        else:
            zone, zone_codes = pd.factorize(data[code_col].to_numpy(), sort=True)
            zone_codes = np.asarray(zone_codes, dtype=object)
            names = data[name_col].to_numpy()
        in_zone = zone >= 0  # rows without a zone code belong to no zone
        key = pair_codes.astype(np.int64) * len(zone_codes) + zone
        positions = np.flatnonzero(in_zone)
        groups, group_of_row = np.unique(key[in_zone], return_inverse=True)
        counts = np.bincount(group_of_row, minlength=len(groups))
        first_row = positions[np.argsort(group_of_row, kind="stable")[
            np.cumsum(counts) - counts]]  # each zone's name is that of its first row
        pair = groups // len(zone_codes)
        level_columns = {
            "level": np.full(len(groups), level, dtype=object),
            "zone_code": zone_codes[groups % len(zone_codes)],
            "zone_name": names[first_row],
            "category": pair_category[pair],
            "target_kind": pair_kind[pair],
            **rows.summaries(positions, group_of_row, len(groups), params),
        }
        for name, values in level_columns.items():
            columns.setdefault(name, []).append(values)
        sort_keys.append(pair * len(levels) + rank)
    order = np.argsort(np.concatenate(sort_keys), kind="stable")
    table = pd.DataFrame({name: np.concatenate(parts)[order]
                          for name, parts in columns.items()})
    if services_per_commune is not None and communes is not None and len(table):
        table = _add_commune_equipment(table, communes, services_per_commune)
    if "statut" in table:  # last, so the figures keep their columns
        table = table[[c for c in table.columns if c != "statut"] + ["statut"]]
    return table


@dataclass(frozen=True)
class _Rows:
    """The access rows' times, populations and statuses, summarised by group."""

    times_min: np.ndarray
    population: np.ndarray
    is_ok: np.ndarray  # status ok: the time counts
    has_origin: np.ndarray  # not no_origin: a commune without origin holds nobody
    blocked: np.ndarray  # no_service or incomplete: no figure for the whole group
    no_service: np.ndarray  # no_service: the group's status says so (else incomplete)

    def summaries(self, positions: np.ndarray, group: np.ndarray, n_groups: int,
                  params: IndicatorParams) -> dict[str, np.ndarray]:
        """Figures per group; ``group[i]`` is the group of row ``positions[i]``.

        A commune without origin (no_origin) holds nobody: no figure, in no total. A group
        with a no_service or incomplete row has its population and nothing else.
        """
        keep = self.has_origin[positions]
        positions, group = positions[keep], group[keep]
        population = self.population[positions]
        effective = np.where(self.is_ok[positions], self.times_min[positions], np.inf)
        n_origins = np.bincount(group, minlength=n_groups).astype(float)
        total = _group_sum(population, group, n_groups)
        blocked = self.blocked[positions]
        computable = (n_origins > 0) & (np.bincount(group[blocked], minlength=n_groups) == 0)
        nan = np.full(n_groups, np.nan)
        out: dict[str, np.ndarray] = {"population": total, "n_origins": n_origins}
        unreachable = ~np.isfinite(effective)
        out["population_unreachable"] = np.where(
            computable, _group_sum(population[unreachable], group[unreachable], n_groups), nan)
        deciles = _group_quantiles(effective, population, group, n_groups,
                                   [d / 10 for d in DECILES], self.value_order(positions))
        for d, values in zip(DECILES, deciles, strict=True):
            out[f"d{d}_min"] = np.where(computable & np.isfinite(values), values, nan)
        out["median_min"] = out["d5_min"]
        all_finite = np.bincount(group[unreachable], minlength=n_groups) == 0
        weighted = _group_sum(np.where(unreachable, 0.0, effective) * population, group,
                              n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["mean_min"] = np.where(computable & all_finite & (total > 0),
                                       weighted / total, nan)
            for threshold in params.thresholds_min:
                over = effective > threshold
                beyond = _group_sum(population[over], group[over], n_groups)
                label = f"{threshold:g}"
                out[f"pop_over_{label}"] = np.where(computable, beyond, nan)
                out[f"share_over_{label}"] = np.where(computable & (total > 0),
                                                      100.0 * beyond / total, nan)
        no_service = np.bincount(group[self.no_service[positions]], minlength=n_groups) > 0
        out["statut"] = np.where(
            n_origins == 0, ZONE_STATUS_NO_ORIGIN,
            np.where(computable, ZONE_STATUS_COMPUTED,
                     np.where(no_service, ZONE_STATUS_NO_SERVICE, ZONE_STATUS_INCOMPLETE)),
        ).astype(object)
        return out

    @functools.cached_property
    def _effective_order(self) -> np.ndarray:
        """Every row by effective time (inf unless ok), stable: sorted once, not per level."""
        effective = np.where(self.is_ok, self.times_min, np.inf)
        return np.argsort(effective, kind="stable")

    def value_order(self, positions: np.ndarray) -> np.ndarray:
        """Indices into ``positions`` (ascending row numbers) ordered by effective time."""
        local = np.full(len(self.times_min), -1, dtype=np.int64)
        local[positions] = np.arange(len(positions))
        ordered = local[self._effective_order]
        return ordered[ordered >= 0]


#: numpy sums fewer values than this one after the other, more by pairwise blocks.
_NUMPY_PAIRWISE_FROM = 8
_EXACT_INTEGER_SUM = 2.0 ** 53


def _group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per group (0 for an empty group), rounded as ``values[g].sum()``.

    Why not a plain ``bincount``: it adds one value after the other, numpy's ``sum`` by
    pairwise blocks from 8 values on, and the figures must stay those of a per-group
    ``sum`` to the last bit. Integers (populations) are exact in any order; other values
    in groups of 8 or more are summed by numpy itself, group by group.
    """
    sums = np.bincount(group, weights=values, minlength=n_groups)
    if not len(values) or (np.all(np.mod(values, 1.0) == 0.0)
                           and np.abs(values).sum() < _EXACT_INTEGER_SUM):
        return sums
    counts = np.bincount(group, minlength=n_groups)
    large = np.flatnonzero(counts >= _NUMPY_PAIRWISE_FROM)
    if len(large):
        order = np.argsort(group, kind="stable")
        ordered = values[order]
        starts = np.cumsum(counts) - counts
        for g in large:
            sums[g] = ordered[starts[g]:starts[g] + counts[g]].sum()
    return sums


def _group_quantiles(values: np.ndarray, weights: np.ndarray, group: np.ndarray,
                     n_groups: int, qs: Sequence[float],
                     by_value: np.ndarray | None = None) -> list[np.ndarray]:
    """:func:`weighted_quantiles` of every group at once: sort by (group, value), then the
    q-quantile's position in its group is the number of rows whose cumulative weight is
    below q x the group's weight (what ``searchsorted(side="left")`` finds).

    ``by_value``: the rows' stable order by value, when the caller already has it.
    """
    if by_value is None:
        by_value = np.argsort(values, kind="stable")
    by_value = by_value[weights[by_value] > 0]
    # a stable sort of small integers is a radix sort: by group, ties kept by value
    group_key = group[by_value].astype(np.uint16 if n_groups < 2**16 else np.int64)
    order = by_value[np.argsort(group_key, kind="stable")]
    values, weights, group = values[order], weights[order], group[order]
    counts = np.bincount(group, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    cumulative = np.cumsum(weights)
    before = np.concatenate([[0.0], cumulative])[starts]  # weight of the earlier groups
    total = _group_sum(weights, group, n_groups)
    out = []
    for q in qs:
        target = q * total - 1e-9 * total
        below = (cumulative - before[group]) < target[group]
        position = np.minimum(np.bincount(group[below], minlength=n_groups),
                              np.maximum(counts - 1, 0))
        picked = values[np.minimum(starts + position, max(len(values) - 1, 0))] \
            if len(values) else np.zeros(n_groups)
        out.append(np.where((counts > 0) & (total > 0), picked, np.nan))
    return out


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
