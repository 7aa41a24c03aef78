"""National tables: indicators per département and the France Services 30-minute check.

The State's commitment (2019) is a France Services within 30 minutes of everyone; the
check lists who is beyond (communes and population), where (per département) and how
many. Pure computation over the diagnostic's access table and communes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.indicators import compute_indicators
from proximite.model import STATUS_OK, DiagnosticResult, IndicatorParams, Level

FRANCE_SERVICES = "france_services"
DEPARTEMENT_COLUMNS = ["departement_code", "departement_nom"]


def departement_indicators(access: pd.DataFrame, origins: pd.DataFrame,
                           communes: pd.DataFrame,
                           params: IndicatorParams | None = None) -> pd.DataFrame:
    """Population-weighted median, D9 and population beyond each threshold, per
    département and category/basket (the EPCI level of the indicators, with the
    départements in place of the EPCIs)."""
    zones = communes[["code_insee", "nom", *DEPARTEMENT_COLUMNS]].rename(
        columns={"departement_code": "epci_code", "departement_nom": "epci_nom"})
    table = compute_indicators(access, origins, zones, params)
    table = table[table["level"] == Level.EPCI.value].drop(columns="level")
    n_communes = communes.groupby("departement_code").size()
    table = table.rename(columns={"zone_code": "departement_code",
                                  "zone_name": "departement_nom"})
    table.insert(2, "communes", table["departement_code"].map(n_communes).to_numpy())
    return table.reset_index(drop=True)


def france_services_check(access: pd.DataFrame, communes: pd.DataFrame,
                          threshold_min: float = 30.0,
                          category: str = FRANCE_SERVICES,
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(communes beyond ``threshold_min`` of the nearest France Services, or without a
    time, with their status; the count and population of those per département).

    Origins are the town halls: one row per commune. A commune counts as beyond when its
    time is over the threshold or it has no time at all (unreachable, no road).
    """
    rows = access[(access["category"] == category)
                  & (access["target_kind"] == "category")]
    rows = rows[["code_insee", "travel_time_min", "status", "status_detail",
                 "nearest_service_id"]]
    table = communes[["code_insee", "nom", *DEPARTEMENT_COLUMNS, "population"]].merge(
        rows, on="code_insee", how="left", validate="one_to_one")
    ok = table["status"].eq(STATUS_OK).to_numpy()
    beyond = ~ok | (table["travel_time_min"].to_numpy(dtype=float) > threshold_min)
    table["au_dela"] = beyond
    per_dep = table.assign(
        population_au_dela=np.where(beyond, table["population"], 0.0),
        sans_temps=~ok,
    ).groupby(DEPARTEMENT_COLUMNS, sort=True).agg(
        communes=("code_insee", "size"), communes_au_dela=("au_dela", "sum"),
        communes_sans_temps=("sans_temps", "sum"), population=("population", "sum"),
        population_au_dela=("population_au_dela", "sum")).reset_index()
    per_dep["part_population_au_dela"] = (100.0 * per_dep["population_au_dela"]
                                          / per_dep["population"].where(
                                              per_dep["population"] > 0))
    beyond_table = table[beyond].drop(columns="au_dela").sort_values(
        ["departement_code", "code_insee"]).reset_index(drop=True)
    return beyond_table, per_dep


@dataclass
class NationalResult:
    """The national run: the diagnostic of every commune of France and its own tables."""

    result: DiagnosticResult
    departements: pd.DataFrame  # :func:`departement_indicators`
    france_services_beyond: pd.DataFrame  # communes beyond the threshold
    france_services_by_departement: pd.DataFrame
    threshold_min: float


def national_tables(result: DiagnosticResult, threshold_min: float) -> NationalResult:
    """The per-département indicators and the France Services check of a national run."""
    communes = pd.DataFrame(result.territory.communes.drop(columns="geometry"))
    departements = departement_indicators(result.access_times, result.origins, communes,
                                          result.options.indicators)
    beyond, per_dep = france_services_check(result.access_times, communes, threshold_min)
    return NationalResult(result, departements, beyond, per_dep, threshold_min)
