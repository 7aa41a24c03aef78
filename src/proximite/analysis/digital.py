"""The digital axis per commune: fibre, 4G, digital help and a fragility index.

Inputs are the ARCEP tables read by :mod:`proximite.inventory.digital`, the diagnostic's
times to the nearest digital-help place (France Services or médiation numérique, a
permanent site) and the commune's population and share aged 65+ (INSEE RP 2020).

The digital-fragility index (0 to 100) is the mean of four dimensions, each the commune's
percentile rank among the territory's communes, oriented so that a higher rank is more
fragile:

* fibre: the share of premises connectable, at the middle of its ARCEP class (lower is
  more fragile);
* mobile: the number of operators with a 4G site within ``radius_m`` (fewer is more
  fragile);
* help: the time to the nearest digital-help place (longer is more fragile);
* age: the share aged 65 or more (higher is more fragile).

A rank is relative to the territory: 80 says "more fragile than about 80 % of the
territory's communes on average over the dimensions", not an absolute level. A dimension
unknown for a commune is left out of its mean (``indice_dimensions`` says how many were
used). The population concerned is crossed in the report: inhabitants and people aged 65+
living in the communes at or above the ``fragile_quantile`` of the index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from proximite.inventory.digital import OPERATORS, fibre_share, sites_4g_near
from proximite.inventory.schedule import hours_per_week
from proximite.model import STATUS_OK, DigitalParams, TargetKind

DIMENSIONS = {
    "fragilite_fibre": "part des locaux raccordables à la fibre (milieu de la classe ARCEP)",
    "fragilite_mobile": "opérateurs ayant un site 4G dans le rayon",
    "fragilite_aide": "temps jusqu'au lieu d'aide numérique le plus proche",
    "fragilite_age": "part des 65 ans ou plus",
}


def _rank(values: pd.Series, *, higher_is_fragile: bool) -> pd.Series:
    """Percentile rank in [0, 1] (ties share their mean rank; NaN stays NaN)."""
    oriented = values if higher_is_fragile else -values
    return oriented.rank(method="average", pct=True)


def nearest_help(access_times: pd.DataFrame, services: pd.DataFrame, origins: pd.DataFrame,
                 category: str) -> pd.DataFrame:
    """Per commune: time to the nearest help place (population-weighted mean over its
    origins) and that place (of its most populated origin) with its weekly hours."""
    rows = access_times[(access_times["category"] == category)
                        & (access_times["target_kind"] == TargetKind.CATEGORY.value)]
    columns = ["code_insee", "aide_temps_min", "aide_lieu_id", "aide_lieu",
               "aide_heures_semaine"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.drop(columns=["code_insee", "population"], errors="ignore").merge(
        origins[["origin_id", "code_insee", "population"]], on="origin_id", how="left")
    names = services.drop_duplicates("service_id").set_index("service_id")
    out = []
    for code, group in rows.groupby("code_insee", sort=False):
        weights = group["population"].fillna(0).to_numpy(dtype=float)
        main = group.iloc[int(np.argmax(weights))]
        ok = (group["status"] == STATUS_OK).to_numpy()
        minutes = group["travel_time_min"].to_numpy(dtype=float)
        time_min = (float(np.average(minutes[ok], weights=weights[ok]))
                    if ok.any() and weights[ok].sum() > 0
                    else float(main["travel_time_min"]) if main["status"] == STATUS_OK
                    else np.nan)
        place = str(main["nearest_service_id"]) if main["status"] == STATUS_OK else ""
        known = place in names.index
        out.append({
            "code_insee": code, "aide_temps_min": round(time_min, 2),
            "aide_lieu_id": place,
            "aide_lieu": str(names.at[place, "name"]) if known else "",
            "aide_heures_semaine": round(hours_per_week(str(names.at[place, "opening_hours"])),
                                         1) if known else np.nan,
        })
    return pd.DataFrame(out, columns=columns)


def digital_table(communes: pd.DataFrame, ftth: pd.DataFrame | None, quarter: str,
                  sites: pd.DataFrame | None, help_times: pd.DataFrame,
                  params: DigitalParams) -> pd.DataFrame:
    """One row per commune: fibre, 4G per operator, digital help, the fragility index.

    ``communes``: code_insee, nom, population, pct_65plus, origin_lon, origin_lat.
    ``help_times``: :func:`nearest_help`. Columns of a missing source are absent.
    """
    table = communes[["code_insee", "nom", "population", "pct_65plus"]].copy()
    table["population"] = table["population"].astype(float)
    table["population_65plus"] = (table["population"] * table["pct_65plus"] / 100).round(0)
    dimensions: dict[str, pd.Series] = {}
    if ftth is not None:
        fibre = fibre_share(ftth).drop_duplicates("code_insee")
        table = table.merge(fibre, on="code_insee", how="left")
        table.insert(list(table.columns).index("ftth_locaux_raccordables"), "ftth_trimestre",
                     quarter)
        middle = (table["ftth_part_min_pct"] + table["ftth_part_max_pct"]) / 2
        dimensions["fragilite_fibre"] = _rank(middle, higher_is_fragile=False)
    if sites is not None:
        halls = communes[["code_insee"]].assign(lon=communes["origin_lon"].to_numpy(),
                                                lat=communes["origin_lat"].to_numpy())
        table = table.merge(sites_4g_near(halls, sites, params.radius_m), on="code_insee",
                            how="left")
        table["rayon_4g_m"] = params.radius_m
        dimensions["fragilite_mobile"] = _rank(table["operateurs_4g"].astype(float),
                                               higher_is_fragile=False)
    table = table.merge(help_times, on="code_insee", how="left")
    if help_times["aide_temps_min"].notna().any():
        dimensions["fragilite_aide"] = _rank(table["aide_temps_min"], higher_is_fragile=True)
    if table["pct_65plus"].notna().any():
        dimensions["fragilite_age"] = _rank(table["pct_65plus"], higher_is_fragile=True)
    for name, values in dimensions.items():
        table[name] = values.round(3)
    if dimensions:
        ranks = pd.DataFrame(dimensions)
        table["indice_dimensions"] = ranks.notna().sum(axis=1)
        table["indice_fragilite_numerique"] = (ranks.mean(axis=1) * 100).round(1)
        threshold = table["indice_fragilite_numerique"].quantile(params.fragile_quantile)
        table["parmi_les_plus_fragiles"] = table["indice_fragilite_numerique"] >= threshold
    return table


def digital_summary(table: pd.DataFrame) -> dict[str, float]:
    """Territory figures of the digital section (population in the most fragile communes)."""
    if "parmi_les_plus_fragiles" not in table.columns:
        return {}
    fragile = table[table["parmi_les_plus_fragiles"].astype(bool)]
    out = {"communes_fragiles": float(len(fragile)),
           "population_fragile": float(fragile["population"].sum()),
           "population_65plus_fragile": float(fragile["population_65plus"].sum()),
           "seuil_indice": float(fragile["indice_fragilite_numerique"].min())}
    if "operateurs_4g" in table.columns:
        none = table["operateurs_4g"] == 0
        out["population_sans_4g"] = float(table.loc[none, "population"].sum())
    if "ftth_part_max_pct" in table.columns:
        out["population_sans_fibre"] = float(
            table.loc[table["ftth_part_max_pct"] == 0, "population"].sum())
    return out


__all__ = ["DIMENSIONS", "OPERATORS", "digital_summary", "digital_table", "nearest_help"]
