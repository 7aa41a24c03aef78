"""The run's figures beside the published ones they can be compared with.

A chargé de mission quotes the scheme's figures (Cantal: "median ≈ 8 min to the everyday
basket", "the 10 % farthest communes, 2,870 people, beyond 18 min", "≈ 17,000 people more
than 10 min from a pôle de proximité"). This module computes the same measures on the
run (commune town halls as origins, as INSEE), from the reference list
``data/reference/published_figures.yaml``, and says when a figure cannot be computed
(basket incomplete, no pole, origins that are not town halls). Pure computation: the
tables come from the diagnostic and its analysis; the report renders the result.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from proximite.access import STATUS_OK
from proximite.indicators import commune_mean_times, weighted_quantile
from proximite.model import Catalogue, namer

if TYPE_CHECKING:
    from proximite.model import AnalysisResult, DiagnosticResult

FIGURES_FILE = "published_figures.yaml"
FARTHEST_SHARE = 0.10
MEASURES = ("population_median", "farthest_communes_decile", "population_beyond_pole")

STATUS_COMPUTED = "computed"
STATUS_NOT_COMPUTABLE = "not_computable"
STATUS_PARTIAL = "partial"  # computed on the basket's categories that have data


@dataclass(frozen=True)
class PublishedFigure:
    """One published figure and how to measure it on a run."""

    id: str
    departement: str
    label: str
    measure: str
    target: str  # a basket code, or a pole level for population_beyond_pole
    source: str
    vintage: str
    published_min: float | None = None
    published_population: float | None = None
    threshold_min: float | None = None
    approximate: bool = False


@functools.cache
def published_figures() -> tuple[PublishedFigure, ...]:
    """The shipped reference list (read once)."""
    path = resources.files("proximite") / "data" / "reference" / FIGURES_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    figures = tuple(PublishedFigure(**entry) for entry in raw["figures"])
    unknown = [f.id for f in figures if f.measure not in MEASURES]
    if unknown:
        # programmer error: the shipped file is the package's own (English on purpose)
        raise ValueError(f"{FIGURES_FILE}: unknown measure in {', '.join(unknown)}")
    return figures


def figures_for(departement: str | None) -> list[PublishedFigure]:
    if not departement:
        return []
    return [f for f in published_figures() if f.departement == departement]


def commune_basket_times(access_times: pd.DataFrame, basket: str) -> pd.DataFrame:
    """Per commune: population and basket time (population-weighted over its origins;
    ``inf`` when an origin cannot reach), and whether every origin's basket is complete."""
    rows = access_times[(access_times["category"] == basket)
                        & (access_times["target_kind"] == "basket")
                        & (access_times["code_insee"].fillna("").astype(str) != "")]
    times = np.where(rows["status"] == STATUS_OK, rows["travel_time_min"].astype(float),
                     np.inf)
    keys = pd.DataFrame({"code_insee": rows["code_insee"].astype(str).to_numpy()})
    population = rows["population"].to_numpy(dtype=float)
    mean = commune_mean_times(keys, times, population)
    status = pd.Series(rows["status"].to_numpy(), index=keys["code_insee"])
    complete = status.isin([STATUS_OK, "unreachable"]).groupby(level=0).all()
    pop = pd.Series(population, index=keys["code_insee"]).groupby(level=0).sum()
    return pd.DataFrame({"travel_time_min": mean, "population": pop,
                         "complete": complete}).rename_axis("code_insee")


def farthest_communes(times: pd.DataFrame, share: float = FARTHEST_SHARE) -> dict[str, float]:
    """The ``share`` of communes with the longest times (count rounded, at least one):
    how many, their population, and the shortest time among them (all are at or beyond)."""
    ordered = times.sort_values("travel_time_min", ascending=False, kind="stable")
    count = max(1, math.floor(share * len(ordered) + 0.5))
    far = ordered.iloc[:count]
    return {"communes": float(count), "population": float(far["population"].sum()),
            "threshold_min": float(far["travel_time_min"].min())}


def _row(figure: PublishedFigure, **values: Any) -> dict[str, Any]:
    return {"figure_id": figure.id, "label": figure.label, "source": figure.source,
            "vintage": figure.vintage, "approximate": figure.approximate,
            "published_min": figure.published_min,
            "published_population": figure.published_population,
            "computed_min": np.nan, "computed_population": np.nan,
            "computed_communes": np.nan, "status": STATUS_COMPUTED, "reason": "", **values}


def reduced_basket_times(access_times: pd.DataFrame,
                         categories: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Commune times to the mean of the basket's categories that have at least one
    service (the INSEE mean over fewer items), and the categories left out."""
    rows = access_times[(access_times["target_kind"] == "category")
                        & access_times["category"].isin(categories)
                        & (access_times["code_insee"].fillna("").astype(str) != "")]
    with_data = set(rows.loc[rows["status"] != "no_service", "category"])
    missing = [c for c in categories if c not in with_data]
    rows = rows[rows["category"].isin(with_data)]
    per_origin = pd.DataFrame({
        "origin_id": rows["origin_id"].to_numpy(),
        "time": np.where(rows["status"] == STATUS_OK, rows["travel_time_min"].astype(float),
                         np.inf)}).groupby("origin_id", sort=True)["time"].mean()
    first = rows.drop_duplicates("origin_id").set_index("origin_id")
    keys = pd.DataFrame({"code_insee": first.loc[per_origin.index, "code_insee"].astype(str)
                         .to_numpy()})
    population = first.loc[per_origin.index, "population"].to_numpy(dtype=float)
    mean = commune_mean_times(keys, per_origin.to_numpy(), population)
    pop = pd.Series(population, index=keys["code_insee"]).groupby(level=0).sum()
    return pd.DataFrame({"travel_time_min": mean, "population": pop,
                         "complete": True}).rename_axis("code_insee"), missing


def _basket_figure(figure: PublishedFigure, access_times: pd.DataFrame,
                   baskets: list[str], members: list[str] | None,
                   labels: Mapping[str, str] | Catalogue) -> dict[str, Any]:
    if figure.target not in baskets:
        return _row(figure, status=STATUS_NOT_COMPUTABLE,
                    reason=f"le panier « {figure.target} » n'est pas calculé dans ce diagnostic")
    times = commune_basket_times(access_times, figure.target)
    incomplete = int((~times["complete"]).sum())
    status, reason = STATUS_COMPUTED, ""
    if len(times) == 0 or incomplete:
        missing: list[str] = []
        if members:
            times, missing = reduced_basket_times(access_times, members)
        if not members or not missing or len(missing) == len(members) or len(times) == 0:
            return _row(figure, status=STATUS_NOT_COMPUTABLE,
                        reason=f"panier incomplet pour {incomplete} commune(s) : des "
                               "catégories du panier n'ont aucun service dans l'inventaire")
        status = STATUS_PARTIAL
        reason = (f"panier réduit à {len(members) - len(missing)} de ses {len(members)} "
                  "catégories, faute de service dans l'inventaire pour : "
                  + ", ".join(namer(labels)(code) for code in missing)
                  + " (aucune source de l'inventaire n'en recense dans le territoire et "
                  "sa marge) ; le chiffre publié compte aussi ces catégories : ce n'est "
                  "donc pas tout à fait la même mesure")
    if figure.measure == "population_median":
        value = weighted_quantile(times["travel_time_min"].to_numpy(),
                                  times["population"].to_numpy(), 0.5)
        return _row(figure, computed_min=value, status=status, reason=reason)
    far = farthest_communes(times)
    return _row(figure, computed_min=far["threshold_min"], status=status, reason=reason,
                computed_population=far["population"], computed_communes=far["communes"])


def _pole_figure(figure: PublishedFigure, pole_by_origin: pd.DataFrame | None,
                 origins: pd.DataFrame) -> dict[str, Any]:
    if pole_by_origin is None or len(pole_by_origin) == 0:
        return _row(figure, status=STATUS_NOT_COMPUTABLE,
                    reason="pôles de services non calculés (diagnostic sans analyse)")
    rows = pole_by_origin[pole_by_origin["level"] == figure.target]
    if len(rows) == 0 or (rows["status"] == "no_pole").all():
        return _row(figure, status=STATUS_NOT_COMPUTABLE,
                    reason=f"aucun pôle de niveau « {figure.target} » dans le territoire")
    population = rows["origin_id"].map(origins.set_index("origin_id")["population"])
    threshold = float(figure.threshold_min or 0.0)
    beyond = (rows["status"] != STATUS_OK) | (rows["travel_time_min"].astype(float) > threshold)
    return _row(figure, computed_population=float(population[beyond.to_numpy()].sum()),
                computed_min=threshold)


def compare_with_published(
    figures: list[PublishedFigure],
    access_times: pd.DataFrame,
    origins: pd.DataFrame,
    baskets: list[str],
    pole_by_origin: pd.DataFrame | None = None,
    *,
    origins_are_town_halls: bool = True,
    basket_members: dict[str, list[str]] | None = None,
    category_labels: Mapping[str, str] | Catalogue | None = None,
) -> pd.DataFrame:
    """One row per published figure: the published and the computed value, or why not.

    The published figures were measured from the communes' chefs-lieux (INSEE); with
    other origins (a population grid) the measure differs and the row says so. With
    ``basket_members`` (basket code -> categories), a basket incomplete for lack of data
    in some categories is measured on the others, with status ``partial`` naming them.
    """
    rows = []
    for figure in figures:
        if not origins_are_town_halls:
            rows.append(_row(figure, status=STATUS_NOT_COMPUTABLE,
                             reason="origines autres que les mairies : la mesure publiée "
                                    "part des chefs-lieux de commune"))
        elif figure.measure == "population_beyond_pole":
            rows.append(_pole_figure(figure, pole_by_origin, origins))
        else:
            members = (basket_members or {}).get(figure.target)
            rows.append(_basket_figure(figure, access_times, baskets, members,
                                       category_labels or {}))
    columns = list(_row(PublishedFigure("", "", "", MEASURES[0], "", "", "")).keys())
    return pd.DataFrame(rows, columns=columns)


def departement_of(codes: pd.Series) -> str | None:
    """The département of a territory whose communes all share one (else None)."""
    prefixes = {c[:3] if c.startswith("97") else c[:2] for c in codes.astype(str)}
    return prefixes.pop() if len(prefixes) == 1 else None


def compare_run(result: DiagnosticResult, analysis: AnalysisResult | None) -> pd.DataFrame:
    """:func:`compare_with_published` for a diagnostic (and its analysis, for the poles)."""
    communes = result.territory.communes
    figures = figures_for(departement_of(communes["code_insee"])) if len(communes) else []
    origins = result.origins
    town_halls = (len(origins) == len(communes)
                  and (origins["origin_id"].astype(str) == origins["code_insee"].astype(str)).all())
    poles = analysis.pole_by_origin if analysis is not None else None
    members = {code: list(basket.categories)
               for code, basket in result.catalogue.baskets.items()}
    table = compare_with_published(figures, result.access_times, origins, result.baskets,
                                   poles, origins_are_town_halls=bool(town_halls),
                                   basket_members=members,
                                   category_labels=result.catalogue)
    partial = analysis is not None and "warning" in analysis.poles \
        and analysis.poles["warning"].fillna("").astype(bool).any()
    pole_rows = table["figure_id"].map({f.id: f.measure for f in figures}) \
        == "population_beyond_pole"
    if partial:
        table.loc[pole_rows & (table["status"] == STATUS_COMPUTED), "reason"] = (
            "pôles définis sur une partie seulement des équipements de la gamme (voir la "
            "section des pôles de services)")
    return table
