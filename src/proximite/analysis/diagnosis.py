"""The diagnosis layer run after the diagnostic: potential accessibility, profiles A–F,
service poles and their catchments, deficit zones and one example scenario.

:func:`run_analysis` reads a :class:`~proximite.pipeline.DiagnosticResult` and returns an
:class:`AnalysisResult`; the outputs and the report read that. Every parameter has a
documented default in :class:`AnalysisOptions`.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from proximite.analysis.bounded import bounded_travel_times
from proximite.analysis.deficit import deficit_zones, epci_deficit_summary
from proximite.analysis.poles import (
    bpe_equipment_counts,
    equipment_counts,
    pole_catchments,
    service_poles,
)
from proximite.analysis.potential import potential_accessibility
from proximite.analysis.scenario import make_example_closure, run_scenario
from proximite.analysis.scheme import inventory_change, scheme_indicators
from proximite.analysis.typology import commune_profiles
from proximite.errors import ProximiteError
from proximite.inventory.schema import permanent_mask
from proximite.model import AnalysisOptions, AnalysisResult, DiagnosticResult, ProfileParams


def categories_with_data(result: DiagnosticResult) -> list[str]:
    """Computed categories with at least one usable service (status never no_service)."""
    access = result.access_times
    cats = access[access["target_kind"] == "category"]
    no_data = set(cats.loc[cats["status"] == "no_service", "category"])
    return [c for c in result.categories if c not in no_data]


def basket_profiles(result: DiagnosticResult, params: ProfileParams) -> pd.DataFrame:
    """Profiles A–F on the basket ``params.basket`` (its own categories, never every
    category with data)."""
    basket = result.catalogue.baskets.get(params.basket)
    if basket is None:
        raise ProximiteError(
            f"profils : panier « {params.basket} » inconnu du catalogue (attendu : "
            + ", ".join(result.catalogue.baskets) + ")")
    return commune_profiles(result.access_times, basket.categories, params,
                            communes=result.territory.communes, labels=result.catalogue,
                            basket=basket.code)


def _equipment(result: DiagnosticResult, communes: pd.DataFrame) -> pd.DataFrame:
    """Gamme types present per commune: from the BPE counts of every type when the
    territory ships them, else from the inventory's services."""
    reference = result.reference
    if reference is not None and reference.bpe_types is not None:
        return bpe_equipment_counts(reference, communes["code_insee"].astype(str))
    if reference is None:
        raise ProximiteError("pôles : tables des gammes BPE non lues (référence absente)")
    permanent = result.services[permanent_mask(result.services)]  # a bus is no equipment
    return equipment_counts(permanent, result.catalogue, reference.gamme_tables,
                            communes=communes)


def _potential(result: DiagnosticResult, categories: list[str],
               options: AnalysisOptions) -> pd.DataFrame:
    """2SFCA at each cutoff and E2SFCA, supply = one per site, per 1,000 inhabitants."""
    horizon = max([*options.potential_cutoffs_min, options.decay.horizon_min])
    costs = bounded_travel_times(result.graph, result.origins, result.services, horizon,
                                 result.options.access)
    demand = result.origins.set_index("origin_id")["population"]
    frames = []
    for code in categories:
        members = result.catalogue.members(code)
        # permanent sites only: a bus stop is not supply (as in the nearest-service times)
        sites = result.services.loc[result.services["category"].isin(members)
                                    & permanent_mask(result.services), "service_id"]
        supply = pd.Series(1.0, index=pd.Index(sites.astype(str)))
        costs_for = costs[costs["service_id"].astype(str).isin(supply.index)].rename(
            columns={"service_id": "destination_id"})
        costs_for = costs_for.assign(destination_id=costs_for["destination_id"].astype(str))
        frame = potential_accessibility(costs_for, demand, {code: supply},
                                        options.potential_cutoffs_min, options.decay)
        frames.append(frame * 1000.0)  # sites per 1,000 inhabitants
    if not frames:
        return pd.DataFrame(index=demand.index)
    out = pd.concat(frames, axis=1)
    out.index.name = "origin_id"
    return out


def run_analysis(result: DiagnosticResult,
                 options: AnalysisOptions | None = None) -> AnalysisResult:
    """Run every diagnosis step on a diagnostic result."""
    options = options or AnalysisOptions()
    timings: dict[str, float] = {}
    warnings: list[str] = []
    result, without_origin = _with_origins_only(result)
    if without_origin:
        warnings.append(f"{without_origin} commune(s) sans origine (statut no_origin) : ni "
                        "profil, ni pôle, ni zone déficitaire")
    communes = result.territory.communes

    def timed(name: str, start: float) -> None:
        timings[name] = time.perf_counter() - start

    categories = categories_with_data(result)
    start = time.perf_counter()
    potential = _potential(result, categories, options)
    timed("accessibilité potentielle", start)

    if len(communes):
        start = time.perf_counter()
        profiles = basket_profiles(result, options.profiles)
        timed("profils A–F", start)

        start = time.perf_counter()
        equipment = _equipment(result, communes)
        population = communes.set_index(communes["code_insee"].astype(str))["population"]
        poles = service_poles(equipment, options.poles.thresholds(),
                              scale_to_inventory=options.poles.scale_to_inventory,
                              population=population,
                              min_population=options.poles.min_population)
        warnings.extend(sorted({w for w in poles["warning"].dropna() if w}))
        catchments = pole_catchments(result.graph, result.origins, poles,
                                     result.options.access, communes=communes)
        warnings.extend(catchments.warnings)
        by_origin, pole_summary = catchments.by_origin, catchments.by_pole
        timed("pôles de services", start)

        start = time.perf_counter()
        proximity = by_origin[by_origin["level"] == "proximite"]
        pole_times = _commune_pole_times(proximity, result.origins) if len(proximity) \
            else None
        catalogue = result.catalogue
        has_children = {c.parent for c in catalogue.categories.values() if c.parent}
        leaves = [c for c in categories if c not in has_children]
        deficits = deficit_zones(
            result.access_times, communes, [*leaves, *result.baskets],
            options.deficit_threshold_min, pole_times=pole_times,
            parents={c: catalogue.ancestors(c)[1:] for c in leaves})
        epci = epci_deficit_summary(deficits, communes)
        timed("zones déficitaires", start)
    else:
        # Origins from a file without communes: commune typology, poles and deficit zones
        # have no unit to describe; potential accessibility and scenarios still apply.
        warnings.append("pas de communes : profils, pôles et zones déficitaires non calculés")
        profiles = equipment = poles = by_origin = pole_summary = pd.DataFrame()
        deficits = epci = pd.DataFrame()

    scheme = change = pd.DataFrame()
    if len(communes):
        start = time.perf_counter()
        scheme = scheme_indicators(result.access_times, communes, result.services,
                                   result.catalogue, result.baskets, by_origin,
                                   result.origins, options.scheme)
        change = inventory_change(result.access_times, communes, options.scheme.change_before,
                                  options.scheme.change_after,
                                  options.scheme.change_tolerance_min)
        timed("indicateurs des schémas", start)

    scenario = None
    if options.example_scenario and "bureau_de_poste" in set(result.services["category"]):
        start = time.perf_counter()
        scenario = run_scenario(result, make_example_closure(result))
        timed("scénario exemple", start)
    return AnalysisResult(
        potential=potential, profiles=profiles, equipment=equipment, poles=poles,
        pole_by_origin=by_origin, pole_summary=pole_summary, deficits=deficits,
        epci_deficits=epci, scenario=scenario, options=options, warnings=warnings,
        timings_s=timings, scheme_indicators=scheme, inventory_change=change)


def _with_origins_only(result: DiagnosticResult) -> tuple[DiagnosticResult, int]:
    """The result without the communes that have no origin (status no_origin): the analysis
    describes where people are; those communes keep their rows in the diagnostic's tables."""
    from proximite.model import STATUS_NO_ORIGIN

    access = result.access_times
    placeholder = access["status"] == STATUS_NO_ORIGIN
    if not placeholder.any():
        return result, 0
    ids = set(access.loc[placeholder, "origin_id"])
    codes = set(access.loc[placeholder, "code_insee"])
    territory = dataclasses.replace(result.territory, communes=result.territory.communes[
        ~result.territory.communes["code_insee"].isin(codes)].reset_index(drop=True))
    return dataclasses.replace(
        result, territory=territory, access_times=access[~placeholder],
        origins=result.origins[~result.origins["origin_id"].isin(ids)]), len(codes)


def _commune_pole_times(by_origin: pd.DataFrame, origins: pd.DataFrame) -> pd.Series:
    """Time to the nearest pole per commune: population-weighted over its origins (one per
    commune with town halls, many with a population grid); ``inf`` if one cannot reach."""
    from proximite.access import STATUS_OK
    from proximite.indicators import commune_mean_times

    rows = by_origin[by_origin["code_insee"].fillna("").astype(str) != ""]
    population = rows["origin_id"].map(origins.set_index("origin_id")["population"])
    times = np.where(rows["status"] == STATUS_OK, rows["travel_time_min"].astype(float),
                     np.inf)
    keys = pd.DataFrame({"code_insee": rows["code_insee"].astype(str).to_numpy()})
    return commune_mean_times(keys, times, population.to_numpy(dtype=float))
