"""Access-time profiles A–F of communes (Allier services observatory), as explicit rules.

The Allier steering document (2019) sorts communes on its 17-service basket into:

- **A** "temps d'accès très élevés à au moins 6 services";
- **B** "élevés à au moins 4 services";
- **C** "supérieur à la moyenne avec des temps d'accès plus longs du panier
  Santé-Éducation-Alimentation";
- **D** "supérieur à la moyenne sauf au panier Santé-Éducation-Alimentation";
- **E** "temps d'accès moyen à l'ensemble du panier";
- **F** "rapide à au moins 6 services".

The words are the observatory's; the cut-offs are parameters
(:class:`~proximite.model.ProfileParams`), all against the territory's **mean** and
standard deviation, per service: *très élevé* > mean + 1 sd (or unreachable), *élevé* >
mean, *rapide* < mean − 0.5 sd by default. "Supérieur à la moyenne" for the whole basket
(C, D) compares the commune's basket time (the mean of its service times, INSEE's basket
time) with the mean of the communes' basket times; "plus longs du panier
Santé-Éducation-Alimentation" (C) does the same on the sub-basket's services.

Rule order, the first that holds: A, B, F, then C or D when the basket time is above the
mean, E otherwise. Counts are out of 17 and scaled to a basket of n services as
``ceil(count × n / 17)``.

A commune without a time for one of the basket's services (the service has no data in the
inventory, or the commune no origin) gets no profile: its ``status`` is ``incomplete`` and
the explanation names the services missing. Nothing is averaged over what happens to be
there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from proximite.access import STATUS_OK
from proximite.catalogue import Catalogue
from proximite.errors import ProximiteError
from proximite.indicators import commune_mean_times
from proximite.model import STATUS_NO_ORIGIN, ProfileParams, namer

PROFILES = ("A", "B", "C", "D", "E", "F")
STATUS_PROFILED = "ok"
STATUS_INCOMPLETE = "incomplete"

PROFILE_LABELS = {
    "A": "temps d'accès très élevés à au moins {n} services",
    "B": "temps d'accès élevés à au moins {n} services",
    "C": "temps supérieurs à la moyenne, plus longs pour le panier santé-éducation-"
         "alimentation",
    "D": "temps supérieurs à la moyenne, sauf pour le panier santé-éducation-alimentation",
    "E": "temps d'accès moyens pour l'ensemble du panier",
    "F": "temps d'accès rapides à au moins {n} services",
}

PROFILE_COLUMNS = ["code_insee", "profile", "status", "basket", "n_services",
                   "n_very_high", "n_high", "n_fast", "basket_time_min",
                   "sub_basket_time_min", "explanation"]


def scaled_count(count: int, n_services: int, params: ProfileParams) -> int:
    """``count`` out of the reference basket, scaled to ``n_services`` (>= 1)."""
    if n_services == params.reference_basket_size:
        return count
    return max(1, math.ceil(count * n_services / params.reference_basket_size))


def _category_rows(access_times: pd.DataFrame) -> pd.DataFrame:
    """Category rows of communes with an origin (a basket's row is not a service time)."""
    rows = access_times
    if "status" in rows:
        rows = rows[rows["status"] != STATUS_NO_ORIGIN]
    if "target_kind" in rows:
        rows = rows[rows["target_kind"] == "category"]
    return rows[rows["code_insee"].fillna("").astype(str) != ""]


def commune_time_table(access_times: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    """Commune × category times in minutes: ``inf`` where unreachable, NaN where no data.

    Several origins in a commune (a population grid) give their population-weighted mean
    (``inf`` as soon as one cannot reach). A category whose status is neither ``ok`` nor
    ``unreachable`` (``no_service``: nothing in the inventory) has no time (NaN).
    """
    rows = _category_rows(access_times)
    rows = rows[rows["category"].isin(categories)]
    status = rows["status"].to_numpy()
    times = np.where(status == STATUS_OK, rows["travel_time_min"].to_numpy(dtype=float),
                     np.where(status == "unreachable", np.inf, np.nan))
    keys = pd.DataFrame({"code_insee": rows["code_insee"].astype(str).to_numpy(),
                         "category": rows["category"].to_numpy()})
    weights = rows["population"].to_numpy(dtype=float) if "population" in rows else None
    no_data = np.isnan(times)
    table = commune_mean_times(keys, np.where(no_data, 0.0, times), weights) \
        .unstack("category")
    lacking = keys.assign(_m=no_data).groupby(["code_insee", "category"])["_m"].any() \
        .unstack("category").reindex_like(table).fillna(False).astype(bool)
    table = table.mask(lacking)
    table.columns.name = "category"
    return table.reindex(columns=categories)


def _weights(codes: pd.Index, communes: pd.DataFrame | None, weighted: bool) -> np.ndarray:
    if communes is None or not weighted:
        return np.ones(len(codes))
    population = communes.assign(code_insee=communes["code_insee"].astype(str)) \
        .set_index("code_insee")["population"]
    return population.reindex(codes).fillna(0.0).to_numpy(dtype=float)


def mean_and_sd(times: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted mean and (population) standard deviation of the finite times."""
    finite = np.isfinite(times) & (weights > 0)
    if not finite.any():
        return math.nan, math.nan
    mean = float(np.average(times[finite], weights=weights[finite]))
    var = float(np.average((times[finite] - mean) ** 2, weights=weights[finite]))
    return mean, math.sqrt(var)


def _names(codes: Iterable[str], name: Callable[[str], str]) -> str:
    return ", ".join(name(code) for code in codes)


def commune_profiles(
    access_times: pd.DataFrame,
    categories: Iterable[str],
    params: ProfileParams | None = None,
    *,
    communes: pd.DataFrame | None = None,
    labels: Mapping[str, str] | Catalogue | None = None,
    basket: str = "",
) -> pd.DataFrame:
    """Profile A–F of every commune on the basket ``categories``, with its explanation.

    ``access_times``: the diagnostic's table (``code_insee, category, travel_time_min,
    status``). ``communes`` (``code_insee, population``) adds the communes without any time
    (status ``incomplete``) and gives the weights when ``params.population_weighted``.
    ``labels`` (a mapping or the catalogue) names the services in the explanations;
    ``basket`` is the basket's code, written in each row.

    Columns :data:`PROFILE_COLUMNS`; ``attrs``: ``categories`` (the basket),
    ``sub_basket`` (its Santé-Éducation-Alimentation members), ``cutoffs`` (service ->
    mean, sd and the three cut-offs in minutes), ``basket_cutoff`` (mean of the basket
    times), ``sub_basket_cutoff``, ``counts`` (the scaled counts), ``missing``
    (services without data anywhere), ``params``.
    """
    params = params or ProfileParams()
    names = namer(labels)
    cats = list(dict.fromkeys(categories))
    if not cats:
        raise ProximiteError("profils : le panier ne compte aucun service")
    sub = [c for c in cats if c in set(params.sub_basket)]
    table = commune_time_table(access_times, cats)
    if communes is not None:
        table = table.reindex(pd.Index(communes["code_insee"].astype(str)).union(table.index))
    weights = _weights(table.index, communes, params.population_weighted)
    values = table.to_numpy(dtype=float)
    complete = ~np.isnan(values).any(axis=1)
    n = len(cats)
    counts = {"very_high": scaled_count(params.very_high_min_count, n, params),
              "high": scaled_count(params.high_min_count, n, params),
              "fast": scaled_count(params.fast_min_count, n, params)}
    cutoffs: dict[str, dict[str, float]] = {}
    very_high = np.zeros(values.shape, dtype=bool)
    high = very_high.copy()
    fast = very_high.copy()
    for j, code in enumerate(cats):
        column = values[:, j]
        mean, sd = mean_and_sd(column, weights)
        cut = {"mean": mean, "sd": sd, "very_high": mean + params.very_high_sd * sd,
               "high": mean + params.high_sd * sd, "fast": mean + params.fast_sd * sd}
        cutoffs[code] = cut
        with np.errstate(invalid="ignore"):
            very_high[:, j] = column > cut["very_high"]   # inf (unreachable) included
            high[:, j] = column > cut["high"]
            fast[:, j] = column < cut["fast"]
    basket_time = np.where(complete, values.mean(axis=1) if n else np.nan, np.nan)
    sub_idx = [cats.index(c) for c in sub]
    sub_time = np.where(complete, values[:, sub_idx].mean(axis=1), np.nan) if sub_idx \
        else np.full(len(values), np.nan)
    basket_cut = mean_and_sd(basket_time[complete], weights[complete])[0]
    sub_cut = mean_and_sd(sub_time[complete], weights[complete])[0] if sub_idx else math.nan
    missing_everywhere = [c for j, c in enumerate(cats) if np.isnan(values[:, j]).all()]
    rows = []
    for i, code_insee in enumerate(table.index):
        row = {"code_insee": code_insee, "basket": basket, "n_services": n,
               "basket_time_min": basket_time[i], "sub_basket_time_min": sub_time[i]}
        if not complete[i]:
            lacking = [c for j, c in enumerate(cats) if np.isnan(values[i, j])]
            rows.append(row | {
                "profile": "", "status": STATUS_INCOMPLETE, "n_very_high": np.nan,
                "n_high": np.nan, "n_fast": np.nan,
                "explanation": f"pas de profil : pas de temps pour {len(lacking)} des {n} "
                               f"services du panier ({_names(lacking, names)})"})
            continue
        vh = [c for j, c in enumerate(cats) if very_high[i, j]]
        hi = [c for j, c in enumerate(cats) if high[i, j]]
        fa = [c for j, c in enumerate(cats) if fast[i, j]]
        profile, text = _classify(vh, hi, fa, basket_time[i], basket_cut, sub_time[i],
                                  sub_cut, bool(sub_idx), counts, n, names)
        rows.append(row | {"profile": profile, "status": STATUS_PROFILED,
                           "n_very_high": len(vh), "n_high": len(hi), "n_fast": len(fa),
                           "explanation": text})
    result = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    result.attrs.update({
        "categories": cats, "sub_basket": sub, "cutoffs": cutoffs,
        "basket_cutoff": basket_cut, "sub_basket_cutoff": sub_cut, "counts": counts,
        "missing": missing_everywhere, "params": params, "basket": basket,
    })
    return result


def _minutes(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " min"


def _classify(very_high: list[str], high: list[str], fast: list[str], basket_time: float,
              basket_cut: float, sub_time: float, sub_cut: float, has_sub: bool,
              counts: dict[str, int], n: int, names: Callable[[str], str]) -> tuple[str, str]:
    """Apply the rule order A, B, F, C/D, E to one commune."""
    if len(very_high) >= counts["very_high"]:
        return "A", (f"A : temps très élevés pour {len(very_high)} services sur {n} "
                     f"(au moins {counts['very_high']}) : {_names(very_high, names)}")
    if len(high) >= counts["high"]:
        return "B", (f"B : temps élevés (au-dessus de la moyenne) pour {len(high)} services "
                     f"sur {n} (au moins {counts['high']}) : {_names(high, names)}")
    if len(fast) >= counts["fast"]:
        return "F", (f"F : temps rapides pour {len(fast)} services sur {n} (au moins "
                     f"{counts['fast']}) : {_names(fast, names)}")
    basket = (f"temps moyen au panier {_minutes(basket_time)} pour une moyenne des "
              f"communes de {_minutes(basket_cut)}")
    if basket_time > basket_cut:
        if has_sub and sub_time > sub_cut:
            return "C", (f"C : {basket} ; panier santé-éducation-alimentation "
                         f"{_minutes(sub_time)}, au-dessus de sa moyenne "
                         f"({_minutes(sub_cut)}) ; temps élevés : {_names(high, names)}")
        if has_sub:
            return "D", (f"D : {basket} ; mais panier santé-éducation-alimentation "
                         f"{_minutes(sub_time)}, pas au-dessus de sa moyenne "
                         f"({_minutes(sub_cut)}) ; temps élevés : {_names(high, names)}")
        return "D", (f"D : {basket} ; le panier ne compte aucun service santé-éducation-"
                     "alimentation")
    return "E", (f"E : {basket} ; temps élevés pour {len(high)} services seulement "
                 f"(moins de {counts['high']}), rapides pour {len(fast)} (moins de "
                 f"{counts['fast']})")
