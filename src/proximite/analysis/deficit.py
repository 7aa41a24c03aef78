"""Zones in access deficit, crossed with vulnerability (SDAASP action programme).

The SDAASP must run an action programme for the zones in access deficit. A commune is *in
deficit* for a category or basket when its time to it is beyond a threshold (an
unreachable service is beyond every threshold). Deficit communes are then ordered by a
vulnerability score so that the programme starts where it matters most.

Vulnerability score (documented, parameterised by :class:`VulnerabilityWeights`): for each
target, every component is turned into its percentile rank among *all* the territory's
communes (``pandas.Series.rank(pct=True)``, ties averaged, so each value is in ]0, 1]):

- ``travel_time``: the commune's time to the target (longer = more vulnerable);
- ``pct_65plus``: share of people aged 65 or more (older = more vulnerable);
- ``pole_time``: time to the nearest service pole, when ``pole_times`` is given
  (farther = more isolated);
- ``population``: people concerned (more = more priority).

score = Σ weight × rank / Σ weight, over the components with a value for the commune
(a missing value drops its weight for that commune, and ``pole_time`` is left out
altogether without ``pole_times``). ``rank`` 1 is the most vulnerable deficit commune of
the target; ties are broken by longer time, then by code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.access import STATUS_OK, STATUS_UNREACHABLE
from proximite.errors import ProximiteError
from proximite.indicators import commune_mean_times

DEFICIT_COLUMNS = [
    "target", "target_kind", "threshold_min", "code_insee", "nom", "epci_code", "epci_nom",
    "population", "pct_65plus", "travel_time_min", "status", "pole_time_min",
    "rank_travel_time", "rank_pct_65plus", "rank_pole_time", "rank_population",
    "vulnerability_score", "rank", "rank_overall",
]


@dataclass(frozen=True)
class VulnerabilityWeights:
    """Weights of the score's components (>= 0, at least one > 0)."""

    travel_time: float = 1.0
    pct_65plus: float = 1.0
    pole_time: float = 1.0
    population: float = 1.0

    def __post_init__(self) -> None:
        values = [self.travel_time, self.pct_65plus, self.pole_time, self.population]
        if any(not np.isfinite(v) or v < 0 for v in values) or not any(v > 0 for v in values):
            raise ProximiteError(
                "déficits : les poids de vulnérabilité doivent être des nombres >= 0, dont au "
                f"moins un > 0 (reçu {values})")


def _thresholds(targets: Sequence[str],
                thresholds_min: float | Mapping[str, float]) -> dict[str, float]:
    if isinstance(thresholds_min, Mapping):
        missing = [t for t in targets if t not in thresholds_min]
        if missing:
            raise ProximiteError(f"déficits : pas de seuil (minutes) pour {missing}")
        out = {t: float(thresholds_min[t]) for t in targets}
    else:
        out = dict.fromkeys(targets, float(thresholds_min))
    bad = {t: v for t, v in out.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise ProximiteError(f"déficits : les seuils doivent être > 0 minute (reçu {bad})")
    return out


def _pole_series(pole_times: pd.DataFrame | pd.Series | None) -> pd.Series | None:
    """``code_insee -> time to the nearest pole`` (one level only)."""
    if pole_times is None:
        return None
    if isinstance(pole_times, pd.Series):
        series = pole_times.copy()
        series.index = series.index.astype(str)
        return series.astype(float)
    frame = pole_times
    if "status" in frame:
        frame = frame.assign(travel_time_min=np.where(
            frame["status"] == STATUS_OK, frame["travel_time_min"], np.inf))
    codes = frame["code_insee"].astype(str)
    if codes.duplicated().any():
        raise ProximiteError(
            "déficits : pole_times a plusieurs lignes par commune ; choisir un niveau de pôle "
            "(par ex. by_origin.query(\"level == 'intermediaire'\"))")
    return pd.Series(frame["travel_time_min"].to_numpy(dtype=float), index=codes)


def commune_target_times(access_times: pd.DataFrame, target: str) -> pd.DataFrame:
    """Per commune: time to ``target`` (``inf`` if unreachable) and its status."""
    rows = access_times[(access_times["category"] == target)
                        & (access_times["code_insee"].fillna("").astype(str) != "")]
    times = np.where(rows["status"] == STATUS_OK, rows["travel_time_min"].astype(float),
                     np.inf)
    codes = pd.DataFrame({"code_insee": rows["code_insee"].astype(str).to_numpy()})
    weights = rows["population"].to_numpy(dtype=float) if "population" in rows else None
    statuses = pd.Series(rows["status"].to_numpy(), index=codes["code_insee"])
    all_ok = statuses.eq(STATUS_OK).groupby(level=0).all()
    return pd.DataFrame({
        "travel_time_min": commune_mean_times(codes, times, weights),
        "status": pd.Series(np.where(all_ok, STATUS_OK, STATUS_UNREACHABLE),
                            index=all_ok.index)})


def deficit_zones(
    access_times: pd.DataFrame,
    communes: pd.DataFrame,
    targets: Sequence[str],
    thresholds_min: float | Mapping[str, float],
    *,
    pole_times: pd.DataFrame | pd.Series | None = None,
    weights: VulnerabilityWeights | None = None,
    parents: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The communes beyond the threshold of each target, scored and ranked.

    ``access_times``: the diagnostic's table (``code_insee, category, target_kind,
    travel_time_min, status``). ``communes``: ``code_insee, nom, population, epci_code,
    epci_nom, pct_65plus``. ``targets``: categories or baskets; a target whose status is
    ``no_service`` or ``incomplete`` somewhere (no data) is set aside, not judged.
    ``thresholds_min``: minutes, one for all or one per target. ``pole_times``: time to
    the nearest pole per commune (``pole_catchments(...).by_origin`` filtered on one
    level, or a Series indexed by code_insee).

    One row per (target, deficit commune), columns :data:`DEFICIT_COLUMNS` (an unreachable
    time is ``inf``, status ``unreachable``), sorted by target then rank.
    ``parents``: target -> its parent categories (nearest first). A commune is no deficit
    of a sub-category when one of its parents is within the threshold: nobody lacks a
    relais poste who has a bureau de poste at 5 min. ``rank`` orders the communes of one
    target; ``rank_overall`` is unique across the whole table (higher score first, then
    longer time, then target and code).
    ``attrs``: ``targets_used``, ``targets_skipped`` (target -> reason), ``thresholds``,
    ``weights``, ``components`` (the score's components in use), ``covered_by_parent``
    (target -> communes beyond its threshold but within it of a parent).
    """
    weights = weights or VulnerabilityWeights()
    targets = list(dict.fromkeys(targets))
    if not targets:
        raise ProximiteError("déficits : aucune cible (catégorie ou panier) demandée")
    thresholds = _thresholds(targets, thresholds_min)
    poles = _pole_series(pole_times)
    base = communes.assign(code_insee=communes["code_insee"].astype(str)).set_index(
        "code_insee")
    for col in ("nom", "epci_code", "epci_nom"):
        if col not in base:
            base[col] = ""
    population = base["population"].astype(float)
    pct_65 = base["pct_65plus"].astype(float) if "pct_65plus" in base \
        else pd.Series(np.nan, index=base.index)
    pole = poles.reindex(base.index) if poles is not None else None
    components = {"travel_time": weights.travel_time, "pct_65plus": weights.pct_65plus,
                  "population": weights.population}
    if pole is not None:
        components["pole_time"] = weights.pole_time
    used, skipped, frames = [], {}, []
    covered: dict[str, int] = {}
    for target in targets:
        rows = access_times[access_times["category"] == target]
        if rows.empty:
            skipped[target] = "pas de temps calculé"
            continue
        bad = sorted(set(rows["status"]) - {STATUS_OK, STATUS_UNREACHABLE})
        if bad:
            skipped[target] = "statut " + ", ".join(bad) + " (données manquantes)"
            continue
        used.append(target)
        times = commune_target_times(access_times, target).reindex(base.index)
        ranks = {
            "travel_time": times["travel_time_min"].rank(pct=True),
            "pct_65plus": pct_65.rank(pct=True),
            "population": population.rank(pct=True),
            "pole_time": pole.rank(pct=True) if pole is not None
            else pd.Series(np.nan, index=base.index),
        }
        numerator = np.zeros(len(base))
        denominator = np.zeros(len(base))
        for name, weight in components.items():
            values = ranks[name].to_numpy(dtype=float)
            known = ~np.isnan(values)
            numerator[known] += weight * values[known]
            denominator[known] += weight
        with np.errstate(invalid="ignore", divide="ignore"):
            score = pd.Series(np.where(denominator > 0, numerator / denominator, np.nan),
                              index=base.index)
        kind = rows["target_kind"].iloc[0] if "target_kind" in rows else ""
        frame = pd.DataFrame({
            "target": target, "target_kind": kind, "threshold_min": thresholds[target],
            "code_insee": base.index, "nom": base["nom"].to_numpy(),
            "epci_code": base["epci_code"].to_numpy(), "epci_nom": base["epci_nom"].to_numpy(),
            "population": population.to_numpy(), "pct_65plus": pct_65.to_numpy(),
            "travel_time_min": times["travel_time_min"].to_numpy(),
            "status": times["status"].to_numpy(),
            "pole_time_min": pole.to_numpy() if pole is not None else np.nan,
            "rank_travel_time": ranks["travel_time"].to_numpy(),
            "rank_pct_65plus": ranks["pct_65plus"].to_numpy(),
            "rank_pole_time": ranks["pole_time"].to_numpy(),
            "rank_population": ranks["population"].to_numpy(),
            "vulnerability_score": score.to_numpy(),
        })
        beyond = frame["travel_time_min"].to_numpy() > thresholds[target]
        parent_near = np.zeros(len(frame), dtype=bool)
        for parent in (parents or {}).get(target, ()):
            parent_rows = access_times[access_times["category"] == parent]
            if parent_rows.empty:
                continue
            parent_time = commune_target_times(access_times, parent).reindex(base.index)
            parent_near |= (parent_time["travel_time_min"] <= thresholds[target]).to_numpy()
        covered[target] = int((beyond & parent_near).sum())
        frame = frame[beyond & ~parent_near]
        frame = frame.sort_values(["vulnerability_score", "travel_time_min", "code_insee"],
                                  ascending=[False, False, True], kind="mergesort")
        frame["rank"] = np.arange(1, len(frame) + 1)
        frames.append(frame)
    result = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=DEFICIT_COLUMNS[:-1]))[DEFICIT_COLUMNS[:-1]]
    overall = result.sort_values(["vulnerability_score", "travel_time_min", "target",
                                  "code_insee"], ascending=[False, False, True, True],
                                 kind="mergesort").index
    result["rank_overall"] = pd.Series(np.arange(1, len(result) + 1), index=overall)
    result.attrs.update({"covered_by_parent": covered,
                         "targets_used": used, "targets_skipped": skipped,
                         "thresholds": {t: thresholds[t] for t in used},
                         "weights": weights, "components": list(components)})
    return result


def epci_deficit_summary(deficits: pd.DataFrame, communes: pd.DataFrame,
                         targets: Sequence[str] | None = None) -> pd.DataFrame:
    """Per EPCI and target: communes and population in deficit, and their shares.

    ``deficits``: :func:`deficit_zones`'s table; ``targets`` defaults to its
    ``attrs["targets_used"]`` (so an EPCI without deficit still gets its zero row).
    Columns: ``target, threshold_min, epci_code, epci_nom, n_communes, n_communes_deficit,
    population, population_deficit, share_population_deficit`` (percent),
    ``population_65plus_deficit`` (estimated from each commune's share).
    """
    if targets is None:
        targets = deficits.attrs.get("targets_used",
                                     list(dict.fromkeys(deficits["target"])))
    thresholds = deficits.attrs.get("thresholds", {})
    base = communes.assign(code_insee=communes["code_insee"].astype(str))
    if "epci_nom" not in base:
        base["epci_nom"] = ""
    totals = base.groupby("epci_code", sort=True).agg(
        epci_nom=("epci_nom", "first"), n_communes=("code_insee", "nunique"),
        population=("population", "sum"))
    rows = []
    for target in targets:
        sub = deficits[deficits["target"] == target]
        sub_65 = sub["population"] * sub["pct_65plus"].fillna(0.0) / 100.0
        agg = pd.DataFrame({"n": sub.groupby("epci_code")["code_insee"].nunique(),
                            "pop": sub.groupby("epci_code")["population"].sum(),
                            "pop65": sub_65.groupby(sub["epci_code"]).sum()})
        threshold = thresholds.get(target, sub["threshold_min"].iloc[0] if len(sub)
                                   else np.nan)
        for epci_code, total in totals.iterrows():
            pop_def = float(agg["pop"].get(epci_code, 0.0))
            rows.append({
                "target": target, "threshold_min": threshold, "epci_code": epci_code,
                "epci_nom": total["epci_nom"], "n_communes": int(total["n_communes"]),
                "n_communes_deficit": int(agg["n"].get(epci_code, 0)),
                "population": float(total["population"]), "population_deficit": pop_def,
                "share_population_deficit": (100.0 * pop_def / total["population"]
                                             if total["population"] > 0 else np.nan),
                "population_65plus_deficit": float(agg["pop65"].get(epci_code, 0.0)),
            })
    return pd.DataFrame(rows, columns=[
        "target", "threshold_min", "epci_code", "epci_nom", "n_communes",
        "n_communes_deficit", "population", "population_deficit", "share_population_deficit",
        "population_65plus_deficit"])
