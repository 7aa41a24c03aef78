"""Write the national run's own outputs next to the usual diagnostic files.

``departements.csv`` (median, D9, population beyond each threshold per département and
category), ``france_services_communes_au_dela.csv`` and
``france_services_departements.csv`` (the 30-minute check: who, where, how many) and one
map per headline category (``carte_<category>.png``, metropolitan France and Corsica: the
outre-mer have no Travel Mapping road in the national archive and would squeeze the map).
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from proximite.analysis.national import NationalResult
from proximite.io.csv_writer import write_csv
from proximite.model import Level
from proximite.report.formatting import fmt_count, fmt_number, fmt_percent, fmt_threshold
from proximite.report.maps import (
    CLASS_COLOURS,
    NOT_COMPUTED_COLOUR,
    UNREACHABLE_COLOUR,
    class_labels,
    classify,
)

#: categories drawn on a national map (when computed)
MAP_CATEGORIES = ("france_services", "la_poste", "gare", "hopital", "station_carburant")
NATIONAL_DPI = 110
NATIONAL_FILES = ("departements.csv", "france_services_communes_au_dela.csv",
                  "france_services_departements.csv", "carte_*.png")


def metropolitan(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communes of metropolitan France and Corsica (INSEE codes not starting with 97)."""
    return communes[~communes["code_insee"].str.startswith("97")]


def write_national_files(national: NationalResult, out: Path, *,
                         maps: bool = True) -> dict[str, Path]:
    """Write the national tables (and maps) into ``out``; the paths by name."""
    result = national.result
    written: dict[str, Path] = {}
    departements = national.departements.copy()
    departements.insert(list(departements.columns).index("category") + 1, "libelle",
                        departements["category"].astype(str).map(result.catalogue.label))
    tables = {
        "departements": departements,
        "france_services_communes_au_dela": national.france_services_beyond,
        "france_services_departements": national.france_services_by_departement,
    }
    for name, table in tables.items():
        path = out / f"{name}.csv"
        write_csv(table, path)
        written[name] = path
    if maps:
        written.update(_maps(national, out))
    return written


def _maps(national: NationalResult, out: Path) -> dict[str, Path]:
    result = national.result
    communes = metropolitan(result.territory.communes)
    per_commune = result.indicators[result.indicators["level"] == Level.COMMUNE.value]
    written = {}
    for category in MAP_CATEGORIES:
        if category not in result.categories:
            continue
        rows = per_commune[per_commune["category"] == category].set_index("zone_code")
        values = rows["median_min"].astype(float)
        values[(rows["population_unreachable"] > 0) & values.isna()] = float("inf")
        png = town_hall_map_png(
            communes, values, f"{result.catalogue.label(category)} : temps d'accès par "
            "commune depuis la mairie (France métropolitaine et Corse)", note=result.network_note)
        path = out / f"carte_{category}.png"
        path.write_bytes(png)
        written[f"carte_{category}"] = path
    return written


def town_hall_map_png(communes: gpd.GeoDataFrame, values: pd.Series, title: str, *,
                      note: str = "", dpi: int = NATIONAL_DPI) -> bytes:
    """PNG of one dot per commune (its town hall) coloured by ``values`` (minutes by
    code_insee), in the report's classes and colours. Why dots: 35,000 polygons take a
    minute per map to draw, and at the scale of France a commune is a dot anyway."""
    classes = classify(values.reindex(communes["code_insee"].to_numpy())).to_numpy()
    colours = np.array((*CLASS_COLOURS, UNREACHABLE_COLOUR, NOT_COMPUTED_COLOUR))
    fig = Figure(figsize=(8.0, 8.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.06, 0.70, 0.86))
    lon = communes["origin_lon"].to_numpy(dtype=float)
    lat = communes["origin_lat"].to_numpy(dtype=float)
    ax.scatter(lon, lat, s=0.6, c=colours[classes], linewidths=0)
    ax.set_aspect(1 / np.cos(np.radians(46.5)))
    ax.set_axis_off()
    fig.suptitle(title, fontsize=11, x=0.02, ha="left", wrap=True)
    if note:
        fig.text(0.02, 0.015, note, fontsize=7, color="#8a3f00", ha="left", va="bottom",
                 wrap=True)
    counts = {i: int((classes == i).sum()) for i in (*range(len(CLASS_COLOURS)), -1, -2)}
    handles = [Patch(facecolor=c, edgecolor="#555555", label=f"{lab} ({fmt_number(counts[i])})")
               for i, (c, lab) in enumerate(zip(CLASS_COLOURS, class_labels(), strict=True))]
    handles.append(Patch(facecolor=UNREACHABLE_COLOUR, edgecolor="#555555",
                         label=f"inaccessible ({fmt_number(counts[-1])})"))
    if counts[-2]:
        handles.append(Patch(facecolor=NOT_COMPUTED_COLOUR, edgecolor="#555555",
                             label=f"non calculé ({fmt_number(counts[-2])})"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.71, 0.5),
               title="Temps d'accès (communes)", fontsize=8, title_fontsize=9,
               frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


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
