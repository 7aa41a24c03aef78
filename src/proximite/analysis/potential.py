"""Potential accessibility: supply set against the demand that competes for it.

Nearest-service times say how far the closest GP is, not whether that GP can take the
patients around it. Floating-catchment measures answer the second question from a long
cost table (``origin_id, destination_id`` or ``service_id``, ``travel_time_min``), such as
the one :func:`proximite.analysis.bounded.bounded_travel_times` produces:

* 2SFCA (Luo & Wang 2003): ``R_j = S_j / Σ_k P_k [t_kj <= d]``,
  ``A_i = Σ_j R_j [t_ij <= d]``.
* E2SFCA, in the form of the DREES APL (Barlet et al. 2012): the indicator ``[t <= d]``
  is replaced by a stepwise decay ``f(t)`` in both steps.
* gravity: Hansen potential ``Σ_j S_j f(t_ij)``, or its competition-adjusted form (the
  gravity 2SFCA) when a demand is given, with a power or exponential ``f``.
* cumulative opportunities: ``Σ_j S_j [t_ij <= d]``.

Conventions (the same as PySAL ``access``, which the tests use as an oracle): a cutoff
and a band's upper bound are *inclusive* (``t <= d``); cost rows with a missing or infinite
time are unreachable and ignored; destinations of the cost table absent from a supply
Series are not of that kind and are ignored. A destination whose weighted demand in reach
is zero has an undefined ratio ``R_j``: it contributes 0 and its id is listed in the
result's ``attrs["destinations_without_demand"]``. Results are indexed by every origin
(the demand's index, or the cost table's origins when no demand is given), 0 where
nothing is in reach.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.errors import InputError, SettingError
from proximite.messages import number, short_number
from proximite.model import DREES_APL_2012, StepDecay

DESTINATION_COLUMNS = ("destination_id", "service_id")
LIST_LIMIT = 10

WeightFunction = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------- decay


def power_decay(beta: float, min_time_min: float = 1.0) -> WeightFunction:
    """``max(t, t_min) ** -beta``: the floor avoids an infinite weight at 0 min."""
    if not (math.isfinite(beta) and beta > 0):
        raise SettingError("beta", short_number(beta), "un exposant de la loi puissance > 0")
    if not (math.isfinite(min_time_min) and min_time_min > 0):
        raise SettingError("min_time_min", short_number(min_time_min),
                           "un temps plancher de la loi puissance > 0 min")
    return lambda minutes: np.power(np.maximum(minutes, min_time_min), -beta)


def exponential_decay(beta: float) -> WeightFunction:
    """``exp(-beta t)``, with ``beta`` in 1/min."""
    if not (math.isfinite(beta) and beta > 0):
        raise SettingError("beta", short_number(beta),
                           "un taux de décroissance exponentielle > 0 par minute")
    return lambda minutes: np.exp(-beta * np.asarray(minutes, dtype=float))


# --------------------------------------------------------------------------- inputs


def _check_cutoff(cutoff_min: float) -> float:
    cutoff = float(cutoff_min)
    if not cutoff > 0:  # also rejects NaN
        raise SettingError("cutoff_min", short_number(cutoff), "un temps limite > 0 min")
    return cutoff


def _listed(ids: Iterable[object]) -> str:
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:LIST_LIMIT])
    return shown + (f"… ({number(len(ids))} en tout)" if len(ids) > LIST_LIMIT else "")


def _check_supply(supply: pd.Series) -> pd.Series:
    """Supply must be > 0: a zero-supply destination is not a destination at all."""
    if supply.index.has_duplicates:
        raise InputError("identifiants de destination en double : "
                         + _listed(supply.index[supply.index.duplicated()].unique()),
                         field="offre", expected="une valeur par destination")
    values = pd.to_numeric(supply, errors="coerce").astype(float)
    bad = ~(np.isfinite(values.to_numpy()) & (values.to_numpy() > 0))
    if bad.any():
        raise InputError("nulle, négative ou absente pour les destinations "
                         + _listed(supply.index[bad]), field="offre", expected="une offre > 0")
    return values


def _check_demand(demand: pd.Series) -> pd.Series:
    if demand.index.has_duplicates:
        raise InputError("identifiants d'origine en double : "
                         + _listed(demand.index[demand.index.duplicated()].unique()),
                         field="demande", expected="une valeur par origine")
    values = pd.to_numeric(demand, errors="coerce").astype(float)
    bad = ~(np.isfinite(values.to_numpy()) & (values.to_numpy() >= 0))
    if bad.any():
        raise InputError("négative ou absente pour les origines " + _listed(demand.index[bad]),
                         field="demande", expected="une population ≥ 0")
    return values


@dataclass
class CostTable:
    """A cost table checked once and encoded as integer codes, reused across measures."""

    origin_code: np.ndarray
    destination_id: np.ndarray  # per row
    minutes: np.ndarray
    origins: pd.Index

    @classmethod
    def from_frame(cls, costs: pd.DataFrame, origins: pd.Index | None = None) -> CostTable:
        """Check the columns and times; ``origins`` (demand's index) must cover the table."""
        destination_column = next((c for c in DESTINATION_COLUMNS if c in costs.columns), None)
        missing = [c for c in ("origin_id", "travel_time_min") if c not in costs.columns]
        if destination_column is None:
            missing.append(" ou ".join(DESTINATION_COLUMNS))
        if missing:
            raise InputError("table des temps : colonne(s) manquante(s) "
                                 + ", ".join(missing))
        minutes = pd.to_numeric(costs["travel_time_min"], errors="coerce").to_numpy(float)
        if np.any(minutes < 0):
            raise InputError("table des temps : temps de trajet négatifs (attendu : des "
                                 "minutes ≥ 0)")
        if costs.duplicated(["origin_id", destination_column]).any():
            raise InputError("table des temps : couples origine-destination en double "
                                 "(attendu : un temps par couple)")
        reachable = np.isfinite(minutes)
        origin_ids = costs["origin_id"].to_numpy()[reachable]
        if origins is None:
            origins = pd.Index(pd.unique(origin_ids), name="origin_id")
        origin_code = origins.get_indexer(origin_ids)
        if np.any(origin_code < 0):
            raise InputError("demande absente pour des origines de la table des temps : "
                                 + _listed(pd.unique(origin_ids[origin_code < 0])))
        return cls(
            origin_code=origin_code,
            destination_id=costs[destination_column].to_numpy()[reachable],
            minutes=minutes[reachable],
            origins=origins.rename("origin_id"),
        )

    def for_supply(self, supply: pd.Series) -> _SupplyRows:
        """The rows whose destination offers this supply."""
        destinations = supply.index
        code = destinations.get_indexer(pd.Index(self.destination_id))
        keep = code >= 0
        return _SupplyRows(
            origin_code=self.origin_code[keep],
            destination_code=code[keep],
            minutes=self.minutes[keep],
            supply=supply.to_numpy(float),
            destinations=destinations,
        )


@dataclass
class _SupplyRows:
    origin_code: np.ndarray
    destination_code: np.ndarray
    minutes: np.ndarray
    supply: np.ndarray
    destinations: pd.Index


def _step_weights(minutes: np.ndarray, cutoff_min: float) -> np.ndarray:
    return (minutes <= cutoff_min).astype(float)


def _floating_catchment(
    table: CostTable, rows: _SupplyRows, demand: np.ndarray, weights: np.ndarray
) -> pd.Series:
    """Both steps of a floating catchment with per-row weights ``f(t)``."""
    n_destinations = len(rows.destinations)
    demand_in_reach = np.bincount(rows.destination_code, weights=weights * demand[
        rows.origin_code], minlength=n_destinations)
    in_reach = np.bincount(rows.destination_code, weights=(weights > 0).astype(float),
                           minlength=n_destinations) > 0
    served = demand_in_reach > 0
    ratio = np.divide(rows.supply, demand_in_reach, out=np.zeros(n_destinations),
                      where=served)
    access = np.bincount(rows.origin_code, weights=weights * ratio[rows.destination_code],
                         minlength=len(table.origins))
    result = pd.Series(access, index=table.origins, name="accessibility")
    result.attrs["destinations_without_demand"] = list(rows.destinations[~served])
    result.attrs["destinations_out_of_reach"] = list(rows.destinations[~in_reach])
    return result


def _as_table(costs: pd.DataFrame | CostTable, origins: pd.Index | None) -> CostTable:
    if isinstance(costs, CostTable):
        if origins is not None and not costs.origins.equals(origins):
            # programmer error: a CostTable reused with another demand (English on purpose)
            raise ValueError("cost table was prepared for other origins than the demand's")
        return costs
    return CostTable.from_frame(costs, origins)


# --------------------------------------------------------------------------- measures


def supply_demand_ratios(
    costs: pd.DataFrame | CostTable,
    demand: pd.Series,
    supply: pd.Series,
    weight: WeightFunction,
) -> pd.Series:
    """First step alone, ``R_j = S_j / Σ_k P_k f(t_kj)`` (NaN where undefined).

    Useful to map where supply is under pressure, independently of the origins.
    """
    demand = _check_demand(demand)
    supply = _check_supply(supply)
    table = _as_table(costs, demand.index)
    rows = table.for_supply(supply)
    weights = weight(rows.minutes)
    demand_in_reach = np.bincount(rows.destination_code,
                                  weights=weights * demand.to_numpy()[rows.origin_code],
                                  minlength=len(rows.destinations))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_in_reach > 0, rows.supply / demand_in_reach, np.nan)
    return pd.Series(ratio, index=supply.index, name="supply_demand_ratio")


def two_step_fca(
    costs: pd.DataFrame | CostTable,
    demand: pd.Series,
    supply: pd.Series,
    cutoff_min: float,
) -> pd.Series:
    """Classic 2SFCA: supply per head within the cutoff, summed over what is in reach."""
    cutoff = _check_cutoff(cutoff_min)
    demand = _check_demand(demand)
    supply = _check_supply(supply)
    table = _as_table(costs, demand.index)
    rows = table.for_supply(supply)
    return _floating_catchment(table, rows, demand.to_numpy(),
                               _step_weights(rows.minutes, cutoff))


def enhanced_two_step_fca(
    costs: pd.DataFrame | CostTable,
    demand: pd.Series,
    supply: pd.Series,
    decay: StepDecay = DREES_APL_2012,
) -> pd.Series:
    """E2SFCA in the DREES APL form: the decay weighs both the demand and the access."""
    demand = _check_demand(demand)
    supply = _check_supply(supply)
    table = _as_table(costs, demand.index)
    rows = table.for_supply(supply)
    return _floating_catchment(table, rows, demand.to_numpy(), decay(rows.minutes))


def gravity(
    costs: pd.DataFrame | CostTable,
    supply: pd.Series,
    beta: float,
    *,
    kind: str = "power",
    demand: pd.Series | None = None,
    cutoff_min: float | None = None,
    min_time_min: float = 1.0,
) -> pd.Series:
    """Gravity potential with a power (``max(t, t_min)^-beta``) or exponential decay.

    Without ``demand``: Hansen's potential ``Σ_j S_j f(t_ij)``. With it: the
    competition-adjusted gravity 2SFCA, ``Σ_j f(t_ij) S_j / Σ_k P_k f(t_kj)``, which is
    what makes the value comparable to a ratio per head. ``cutoff_min`` optionally
    truncates the decay (weights 0 beyond it).
    """
    if kind == "power":
        weight = power_decay(beta, min_time_min)
    elif kind == "exponential":
        weight = exponential_decay(beta)
    else:
        raise SettingError("kind", kind, "« power » (loi puissance) ou « exponential » "
                           "(exponentielle)")
    cutoff = _check_cutoff(cutoff_min) if cutoff_min is not None else math.inf
    supply = _check_supply(supply)
    if demand is not None:
        demand = _check_demand(demand)
    table = _as_table(costs, demand.index if demand is not None else None)
    rows = table.for_supply(supply)
    weights = np.where(rows.minutes <= cutoff, weight(rows.minutes), 0.0)
    if demand is not None:
        return _floating_catchment(table, rows, demand.to_numpy(), weights)
    potential = np.bincount(rows.origin_code, weights=weights * rows.supply[
        rows.destination_code], minlength=len(table.origins))
    return pd.Series(potential, index=table.origins, name="accessibility")


def cumulative_opportunities(
    costs: pd.DataFrame | CostTable,
    supply: pd.Series | None,
    cutoff_min: float,
    *,
    origins: pd.Index | None = None,
) -> pd.Series:
    """Supply reachable within the cutoff (a count of destinations if ``supply`` is None).

    ``origins`` lists every origin to report (0 where nothing is in reach); by default,
    those of the cost table.
    """
    cutoff = _check_cutoff(cutoff_min)
    table = _as_table(costs, origins)
    if supply is None:
        supply = pd.Series(1.0, index=pd.Index(pd.unique(table.destination_id)))
    supply = _check_supply(supply)
    rows = table.for_supply(supply)
    weights = _step_weights(rows.minutes, cutoff)
    total = np.bincount(rows.origin_code, weights=weights * rows.supply[rows.destination_code],
                        minlength=len(table.origins))
    return pd.Series(total, index=table.origins, name="opportunities")


def _cutoff_label(cutoff_min: float) -> str:
    return f"{cutoff_min:g}".replace(".", "_")


def potential_accessibility(
    costs: pd.DataFrame,
    demand: pd.Series,
    supplies: Mapping[str, pd.Series],
    cutoffs: Sequence[float],
    decay: StepDecay | None = None,
) -> pd.DataFrame:
    """Several supplies and cutoffs from one pass over the cost table.

    Columns ``2sfca_<supply>_<cutoff>min`` (a decimal cutoff such as 7.5 is written
    ``7_5``) and, when ``decay`` is given, ``e2sfca_<supply>``; one row per origin of
    the demand. ``attrs["destinations_without_demand"]`` maps each column to its
    destinations with an undefined ratio.
    """
    checked_cutoffs = [_check_cutoff(c) for c in cutoffs]
    if not checked_cutoffs and decay is None:
        raise SettingError("potential_cutoffs_min", "", "au moins un temps limite ou une "
                           "fonction de décroissance (decay)")
    demand = _check_demand(demand)
    table = CostTable.from_frame(costs, demand.index)
    demand_values = demand.to_numpy()
    columns: dict[str, pd.Series] = {}
    without_demand: dict[str, list[object]] = {}
    for name, supply in supplies.items():
        rows = table.for_supply(_check_supply(supply))
        results = {f"2sfca_{name}_{_cutoff_label(c)}min":
                   _floating_catchment(table, rows, demand_values,
                                       _step_weights(rows.minutes, c))
                   for c in checked_cutoffs}
        if decay is not None:
            results[f"e2sfca_{name}"] = _floating_catchment(table, rows, demand_values,
                                                            decay(rows.minutes))
        for column, series in results.items():
            columns[column] = series
            without_demand[column] = series.attrs["destinations_without_demand"]
    frame = pd.DataFrame(columns, index=table.origins)
    frame.attrs["destinations_without_demand"] = without_demand
    return frame


# --------------------------------------------------------------------------- demand


def standardised_demand(
    population: pd.Series,
    pct_65plus: pd.Series,
    weights: tuple[float, float],
    *,
    keep_total: bool = True,
) -> pd.Series:
    """Population weighted by age-specific use of the service, in two groups.

    ``weights = (under_65, aged_65_plus)`` are relative consumptions (e.g. GP visits per
    head; the DREES uses finer age-sex groups from the health insurance's data, which
    this two-group version only approximates). ``pct_65plus`` is a percentage (0-100).
    With ``keep_total`` the result is rescaled to the total population, so that ratios
    stay "per inhabitant" and only the spatial distribution of need changes.
    """
    under, older = (float(w) for w in weights)
    if not (math.isfinite(under) and math.isfinite(older) and under >= 0 and older >= 0
            and under + older > 0):
        raise SettingError("weights", f"{short_number(under)} ; {short_number(older)}",
                           "deux poids ≥ 0 (moins de 65 ans ; 65 ans et plus), pas tous "
                           "deux nuls")
    population = _check_demand(population)
    share = pd.to_numeric(pct_65plus, errors="coerce").astype(float).reindex(population.index)
    bad = ~((share >= 0) & (share <= 100)).to_numpy()
    if bad.any():
        raise InputError("invalide ou absent pour " + _listed(population.index[bad]),
                         field="pct_65plus", expected="un pourcentage entre 0 et 100")
    share = share / 100.0
    standardised = population * ((1.0 - share) * under + share * older)
    total = standardised.sum()
    if keep_total and total > 0:
        standardised = standardised * (population.sum() / total)
    return standardised.rename("standardised_demand")
