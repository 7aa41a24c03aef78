"""Write the national run's own outputs next to the usual diagnostic files.

``departements.csv`` (median, D9, population beyond each threshold per département and
category), ``france_services_communes_au_dela.csv`` and
``france_services_departements.csv`` (the 30-minute check: who, where, how many) and one
map per headline category (``carte_<category>.png``, metropolitan France and Corsica: the
outre-mer have no Travel Mapping road in the national archive and would squeeze the map).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from proximite.analysis.national import NationalResult
from proximite.model import Level
from proximite.report.formatting import fmt_count, fmt_number, fmt_percent, fmt_threshold
from proximite.report.maps import choropleth_png, simplified

#: categories drawn on a national map (when computed)
MAP_CATEGORIES = ("france_services", "la_poste", "gare", "hopital", "station_carburant")
#: ~1 km: a commune is a few pixels on a map of France
NATIONAL_SIMPLIFY_DEG = 0.01
NATIONAL_FILES = ("departements.csv", "france_services_communes_au_dela.csv",
                  "france_services_departements.csv", "carte_*.png")


def metropolitan(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communes of metropolitan France and Corsica (INSEE codes not starting with 97)."""
    return communes[~communes["code_insee"].str.startswith("97")]


def write_national_files(national: NationalResult, out: Path, *,
                         maps: bool = True) -> dict[str, Path]:
    """Write the national tables (and maps) into ``out``; the paths by name."""
    result = national.result
    labels = {code: category.label for code, category in result.catalogue.categories.items()}
    written: dict[str, Path] = {}
    departements = national.departements.copy()
    departements.insert(list(departements.columns).index("category") + 1, "libelle",
                        departements["category"].map(labels))
    tables = {
        "departements": departements,
        "france_services_communes_au_dela": national.france_services_beyond,
        "france_services_departements": national.france_services_by_departement,
    }
    for name, table in tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        written[name] = path
    if maps:
        written.update(_maps(national, out, labels))
    return written


def _maps(national: NationalResult, out: Path, labels: dict[str, str]) -> dict[str, Path]:
    result = national.result
    shapes = simplified(metropolitan(result.territory.communes), NATIONAL_SIMPLIFY_DEG)
    per_commune = result.indicators[result.indicators["level"] == Level.COMMUNE.value]
    written = {}
    for category in MAP_CATEGORIES:
        if category not in result.categories:
            continue
        rows = per_commune[per_commune["category"] == category]
        values = rows.set_index("zone_code")["median_min"].astype(float)
        unreachable = rows.set_index("zone_code")["population_unreachable"] > 0
        values[unreachable & values.isna()] = float("inf")
        png = choropleth_png(shapes, values, f"{labels[category]} : temps d'accès par "
                             "commune depuis la mairie (France métropolitaine et Corse)",
                             note=result.network_note)
        path = out / f"carte_{category}.png"
        path.write_bytes(png)
        written[f"carte_{category}"] = path
    return written


def france_services_summary(national: NationalResult) -> str:
    """One French sentence: how many communes and people are beyond the threshold."""
    per_dep = national.france_services_by_departement
    communes = int(per_dep["communes_au_dela"].sum())
    people = float(per_dep["population_au_dela"].sum())
    total = float(per_dep["population"].sum())
    without = int(per_dep["communes_sans_temps"].sum())
    departements = int((per_dep["communes_au_dela"] > 0).sum())
    return (f"France Services à plus de {fmt_threshold(national.threshold_min)} min : "
            f"{fmt_count(communes, 'commune')}, {fmt_number(people)} habitants "
            f"({fmt_percent(100.0 * people / total if total > 0 else float('nan'))}), dans "
            f"{fmt_count(departements, 'département')} ; dont "
            f"{fmt_count(without, 'commune')} sans temps (hors réseau ou sans chemin).")


__all__ = ["NATIONAL_FILES", "france_services_summary", "write_national_files"]
