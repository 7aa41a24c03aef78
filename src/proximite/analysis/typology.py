"""Access-time profiles A–F of communes (Allier services observatory), as explicit rules.

The Allier observatory (access times measured in October 2018 on a 17-service basket)
sorts communes into six profiles:

- **A** — very long times to at least 6 services;
- **B** — long times to at least 4 services;
- **C** — times above average, longer still for the health–education–food basket;
- **D** — times above average, except for that basket;
- **E** — times in the average for the whole basket;
- **F** — short times to at least 6 services.

The publication gives the words, not the cut-offs: every number below is a parameter of
:class:`ProfileRules`, with defaults stated there, so that a département can reproduce its
own reading and say which one it used.

How a time is judged, per category: the territory's *population-weighted* distribution of
the communes' times to that category (``proximite.indicators.weighted_quantile``) gives
the cut-offs. With the default quantiles a commune's time is

- *very long* when it is > P90 (or the category is unreachable from the commune),
- *long* when > P75, *above average* when > the median, *short* when <= P25.

The counts are cumulative: a very long time is also long and above average.

Counts ("at least 6 services", "at least 4") refer to a 17-service basket. When fewer
categories are used (n < 17), each count is scaled to the basket size as
``ceil(count / 17 × n)`` (e.g. 6 of 17 becomes 3 of 8), never below 1.

Only categories whose status is ``ok`` or ``unreachable`` for every origin are used: a
category with ``no_service`` somewhere (no data in the inventory) would describe the
inventory, not access. The categories used and set aside are recorded in ``attrs``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.access import STATUS_OK, STATUS_UNREACHABLE
from proximite.catalogue import Catalogue
from proximite.errors import ProximiteError
from proximite.indicators import commune_mean_times, weighted_quantile
from proximite.model import STATUS_NO_ORIGIN

PROFILES = ("A", "B", "C", "D", "E", "F")

#: Health, education and food categories of the Allier basket (the C/D sub-basket).
HEALTH_EDUCATION_FOOD = (
    "medecin_generaliste", "chirurgien_dentiste", "infirmier", "kinesitherapeute",
    "pharmacie", "ecole", "college", "boulangerie", "boucherie", "epicerie", "supermarche",
    "hypermarche",
)

PROFILE_LABELS = {
    "A": "temps très longs pour au moins {n} services",
    "B": "temps longs pour au moins {n} services",
    "C": "temps supérieurs à la moyenne, plus longs pour le panier santé-éducation-alimentation",
    "D": "temps supérieurs à la moyenne, sauf pour le panier santé-éducation-alimentation",
    "E": "temps dans la moyenne pour l'ensemble du panier",
    "F": "temps courts pour au moins {n} services",
}

PROFILE_COLUMNS = ["code_insee", "profile", "n_categories", "n_very_long", "n_long",
                   "n_above", "n_short", "n_sub_basket", "n_sub_basket_above", "explanation"]


@dataclass(frozen=True)
class ProfileRules:
    """The parameters of the A–F rules (defaults: one reading of the Allier publication).

    Quantiles are of the population-weighted distribution of commune times per category
    and must increase: ``short_quantile < above_quantile < long_quantile <
    very_long_quantile``. Counts are "out of ``reference_basket_size``" and are scaled
    down to smaller baskets (see the module docstring).
    """

    very_long_quantile: float = 0.90
    long_quantile: float = 0.75
    above_quantile: float = 0.50
    short_quantile: float = 0.25
    very_long_min_count: int = 6   # profile A: very long times to at least 6 services
    long_min_count: int = 4        # profile B: long times to at least 4 services
    short_min_count: int = 6       # profile F: short times to at least 6 services
    above_min_count: int = 9       # C/D: above the median for a majority (9 of 17)
    reference_basket_size: int = 17
    # C rather than D when at least this share of the available sub-basket categories
    # are above the median.
    sub_basket_min_share: float = 0.5
    sub_basket: tuple[str, ...] = HEALTH_EDUCATION_FOOD
    # Above-average communes when no sub-basket category has data: C or D cannot be told
    # apart; this profile is given and the explanation says the sub-basket was not judged.
    without_sub_basket: str = "C"

    def __post_init__(self) -> None:
        quantiles = [self.short_quantile, self.above_quantile, self.long_quantile,
                     self.very_long_quantile]
        if any(not 0.0 < q < 1.0 for q in quantiles):
            raise ProximiteError(
                f"typologie : les quantiles doivent être dans ]0, 1[ (reçu {quantiles})")
        if not all(a < b for a, b in itertools.pairwise(quantiles)):
            raise ProximiteError(
                "typologie : les quantiles de coupure doivent être strictement croissants "
                "(court < supérieur à la moyenne < long < très long), reçu "
                f"{quantiles}")
        if self.reference_basket_size < 1:
            raise ProximiteError("typologie : la taille du panier de référence doit être >= 1")
        for name in ("very_long_min_count", "long_min_count", "short_min_count",
                     "above_min_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= self.reference_basket_size:
                raise ProximiteError(
                    f"typologie : {name} doit être un entier entre 1 et "
                    f"{self.reference_basket_size} (reçu {value!r})")
        if not 0.0 < self.sub_basket_min_share <= 1.0:
            raise ProximiteError("typologie : sub_basket_min_share doit être dans ]0, 1]")
        if self.without_sub_basket not in ("C", "D"):
            raise ProximiteError("typologie : without_sub_basket doit valoir 'C' ou 'D'")

    def scaled_count(self, count: int, n_categories: int) -> int:
        """``count`` out of the reference basket, scaled to ``n_categories`` (>= 1)."""
        if n_categories >= self.reference_basket_size:
            return count
        return max(1, math.ceil(count / self.reference_basket_size * n_categories))


def _category_rows(access_times: pd.DataFrame) -> pd.DataFrame:
    """Category rows only: a basket's mean time is not a category time. Communes without
    origin (no_origin) have no time to classify and no profile."""
    if "status" in access_times:
        access_times = access_times[access_times["status"] != STATUS_NO_ORIGIN]
    if "target_kind" in access_times:
        return access_times[access_times["target_kind"] == "category"]
    return access_times


def usable_categories(access_times: pd.DataFrame,
                      categories: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Categories whose status is ok/unreachable everywhere; the others with the reason."""
    used: list[str] = []
    excluded: dict[str, str] = {}
    rows = _category_rows(access_times)
    rows = rows[rows["category"].isin(list(categories))]
    status_by_cat = rows.groupby("category")["status"].agg(lambda s: set(s))
    for code in dict.fromkeys(categories):
        if code not in status_by_cat.index:
            excluded[code] = "pas de temps calculé"
            continue
        other = status_by_cat[code] - {STATUS_OK, STATUS_UNREACHABLE}
        if other:
            excluded[code] = "statut " + ", ".join(sorted(other)) + " (pas de données)"
        else:
            used.append(code)
    return used, excluded


def commune_time_table(access_times: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    """Commune x category times in minutes; ``inf`` where unreachable.

    With several origins in a commune (a population grid) the commune time is the mean of
    its origins' times weighted by their population when ``access_times`` has a
    ``population`` column (``inf`` as soon as one origin cannot reach the category). Rows
    without a commune code are not part of a commune table.
    """
    rows = _category_rows(access_times)
    rows = rows[rows["category"].isin(categories)
                        & (rows["code_insee"].fillna("").astype(str) != "")]
    times = np.where(rows["status"].to_numpy() == STATUS_OK,
                     rows["travel_time_min"].to_numpy(dtype=float), np.inf)
    keys = pd.DataFrame({"code_insee": rows["code_insee"].astype(str).to_numpy(),
                         "category": rows["category"].to_numpy()})
    weights = rows["population"].to_numpy(dtype=float) if "population" in rows else None
    means = commune_mean_times(keys, times, weights)
    table = means.unstack("category")
    table.columns.name = "category"
    return table.reindex(columns=categories)


def _weights(codes: pd.Index, communes: pd.DataFrame | None) -> np.ndarray:
    if communes is None:
        return np.ones(len(codes))
    population = communes.assign(code_insee=communes["code_insee"].astype(str)) \
        .set_index("code_insee")["population"]
    return population.reindex(codes).fillna(0.0).to_numpy(dtype=float)


def _label_map(labels: Mapping[str, str] | Catalogue | None) -> Mapping[str, str]:
    if isinstance(labels, Catalogue):
        return {code: cat.label for code, cat in labels.categories.items()}
    return labels or {}


def _names(codes: Iterable[str], labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(code, code) for code in codes)


def commune_profiles(
    access_times: pd.DataFrame,
    categories: list[str],
    rules: ProfileRules | None = None,
    *,
    sub_basket: Iterable[str] | None = None,
    communes: pd.DataFrame | None = None,
    labels: Mapping[str, str] | Catalogue | None = None,
) -> pd.DataFrame:
    """Profile A–F of every commune, with the counts and a French explanation.

    ``access_times``: the diagnostic's table (``code_insee, category, travel_time_min,
    status``). ``categories``: the basket to judge (e.g. the Allier basket's categories);
    those without data are set aside. ``communes`` (``code_insee, population``) weights
    the distributions by population; without it each commune weighs 1. ``sub_basket``
    overrides ``rules.sub_basket``; only its categories that are used count. ``labels``
    (a mapping or the catalogue) names the categories in the explanations.

    Rule order (the first that holds gives the profile), with n the number of categories
    used and the counts scaled to n:

    1. **A** if ``n_very_long >= very_long_min_count``;
    2. **B** if ``n_long >= long_min_count``;
    3. **F** if ``n_short >= short_min_count``;
    4. if ``n_above >= above_min_count`` (above average): **C** when at least
       ``sub_basket_min_share`` of the sub-basket categories used are above the median,
       **D** otherwise (``rules.without_sub_basket`` when the sub-basket has no category
       with data);
    5. **E** otherwise.

    ``attrs`` records ``categories_used``, ``categories_excluded`` (code -> reason),
    ``sub_basket_used``, ``cutoffs`` (category -> quantile times) and ``counts`` (the
    scaled counts applied).
    """
    rules = rules or ProfileRules()
    names = _label_map(labels)
    used, excluded = usable_categories(access_times, categories)
    if not used:
        raise ProximiteError(
            "typologie : aucune catégorie avec des temps sur tout le territoire parmi "
            + ", ".join(categories) + " (" + "; ".join(f"{c} : {r}" for c, r in
                                                   excluded.items()) + ")")
    sub_wanted = tuple(sub_basket) if sub_basket is not None else rules.sub_basket
    sub_used = [code for code in used if code in set(sub_wanted)]
    table = commune_time_table(access_times, used)
    if communes is not None:
        all_codes = pd.Index(communes["code_insee"].astype(str)).union(table.index)
        table = table.reindex(all_codes)
    weights = _weights(table.index, communes)
    n = len(used)
    counts = {
        "very_long": rules.scaled_count(rules.very_long_min_count, n),
        "long": rules.scaled_count(rules.long_min_count, n),
        "short": rules.scaled_count(rules.short_min_count, n),
        "above": rules.scaled_count(rules.above_min_count, n),
    }
    cutoffs: dict[str, dict[str, float]] = {}
    very_long = pd.DataFrame(False, index=table.index, columns=used)
    long_ = very_long.copy()
    above = very_long.copy()
    short = very_long.copy()
    for code in used:
        times = table[code].to_numpy(dtype=float)
        known = ~np.isnan(times)
        cut = {name: weighted_quantile(times[known], weights[known], q) for name, q in (
            ("very_long", rules.very_long_quantile), ("long", rules.long_quantile),
            ("above", rules.above_quantile), ("short", rules.short_quantile))}
        cutoffs[code] = cut
        unreachable = np.isinf(times)
        with np.errstate(invalid="ignore"):
            very_long[code] = unreachable | (known & (times > cut["very_long"]))
            long_[code] = unreachable | (known & (times > cut["long"]))
            above[code] = unreachable | (known & (times > cut["above"]))
            short[code] = known & ~unreachable & (times <= cut["short"])
    rows = []
    for code_insee in table.index:
        vl = [c for c in used if very_long.at[code_insee, c]]
        lg = [c for c in used if long_.at[code_insee, c]]
        ab = [c for c in used if above.at[code_insee, c]]
        sh = [c for c in used if short.at[code_insee, c]]
        sub_above = [c for c in sub_used if above.at[code_insee, c]]
        missing = [c for c in used if np.isnan(table.at[code_insee, c])]
        profile, text = _classify(vl, lg, ab, sh, sub_used, sub_above, counts, n, rules,
                                  names)
        if missing:
            text += f" (pas de temps pour : {_names(missing, names)})"
        rows.append({"code_insee": code_insee, "profile": profile, "n_categories": n,
                     "n_very_long": len(vl), "n_long": len(lg), "n_above": len(ab),
                     "n_short": len(sh), "n_sub_basket": len(sub_used),
                     "n_sub_basket_above": len(sub_above), "explanation": text})
    result = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    result.attrs.update({
        "categories_used": used, "categories_excluded": excluded,
        "sub_basket_used": sub_used, "cutoffs": cutoffs, "counts": counts,
        "weighted_by_population": communes is not None,
    })
    return result


def _classify(very_long: list[str], long_: list[str], above: list[str], short: list[str],
              sub_used: list[str], sub_above: list[str], counts: dict[str, int], n: int,
              rules: ProfileRules, names: Mapping[str, str]) -> tuple[str, str]:
    """Apply the rule order of :func:`commune_profiles` to one commune."""
    if len(very_long) >= counts["very_long"]:
        return "A", (f"A : temps très longs pour {len(very_long)} services sur {n} "
                     f"(seuil {counts['very_long']}) : {_names(very_long, names)}")
    if len(long_) >= counts["long"]:
        return "B", (f"B : temps longs pour {len(long_)} services sur {n} "
                     f"(seuil {counts['long']}) : {_names(long_, names)}")
    if len(short) >= counts["short"]:
        return "F", (f"F : temps courts pour {len(short)} services sur {n} "
                     f"(seuil {counts['short']}) : {_names(short, names)}")
    if len(above) >= counts["above"]:
        head = (f"temps supérieurs à la médiane pour {len(above)} services sur {n} "
                f"(seuil {counts['above']}) : {_names(above, names)}")
        if not sub_used:
            return rules.without_sub_basket, (
                f"{rules.without_sub_basket} : {head} ; panier santé-éducation-alimentation "
                "non évalué (aucune de ses catégories n'a de données)")
        need = math.ceil(rules.sub_basket_min_share * len(sub_used))
        if len(sub_above) >= need:
            return "C", (f"C : {head} ; dont panier santé-éducation-alimentation "
                         f"({len(sub_above)} sur {len(sub_used)}) : "
                         f"{_names(sub_above, names)}")
        return "D", (f"D : {head} ; mais pas pour le panier santé-éducation-alimentation "
                     f"({len(sub_above)} sur {len(sub_used)} au-dessus de la médiane)")
    return "E", (f"E : temps dans la moyenne : supérieurs à la médiane pour {len(above)} "
                 f"services sur {n} seulement (seuil {counts['above']})")
