"""Static choropleth maps (PNG bytes) for the self-contained HTML report.

Maps are drawn with matplotlib's Agg canvas through the object-oriented API (a bare
``Figure``, never pyplot's global figure list), so generating a report from a notebook
neither opens windows nor leaks figures, and needs no tile server: the PNG is embedded
in the page, which works offline.

Values are minutes per commune. ``NaN`` means "not computed" (no service data) and
``inf`` means "unreachable": they get their own legend entries, never a colour class,
so a missing value is never read as a short time.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from proximite.report.formatting import UNREACHABLE_TEXT, fmt_threshold

#: Upper bounds (minutes) of the colour classes; the last class is "more than 30 min".
CLASS_BREAKS_MIN: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
#: ColorBrewer YlGnBu: sequential, colour-blind safe, still ordered when printed in grey.
CLASS_COLOURS: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
UNREACHABLE_COLOUR = "#bdbdbd"
NOT_COMPUTED_COLOUR = "#ffffff"
SERVICE_COLOUR = "#d7301f"
DPI = 90
#: Simplification tolerance in degrees (~50 m): invisible at report scale, much faster.
SIMPLIFY_DEG = 0.0005


def class_labels(breaks: Sequence[float] = CLASS_BREAKS_MIN) -> list[str]:
    """French legend labels of the colour classes, e.g. ``5 à 10 min``."""
    bounds = [0.0, *breaks]
    labels = [f"{fmt_threshold(lo)} à {fmt_threshold(hi)} min"
              for lo, hi in itertools.pairwise(bounds)]
    return [*labels, f"plus de {fmt_threshold(breaks[-1])} min"]


def classify(values: pd.Series, breaks: Sequence[float] = CLASS_BREAKS_MIN) -> pd.Series:
    """Class index per value (0 = fastest); -1 = unreachable (inf), -2 = not computed."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    # right-closed classes: exactly 10 min falls in "5 à 10 min"
    index = np.searchsorted(np.asarray(breaks, dtype=float), numbers, side="left")
    index = np.where(np.isinf(numbers), -1, index)
    index = np.where(np.isnan(numbers), -2, index)
    return pd.Series(index.astype(int), index=values.index)


def class_counts(values: pd.Series, breaks: Sequence[float] = CLASS_BREAKS_MIN
                 ) -> list[tuple[str, int]]:
    """(label, number of communes) per legend entry: the map's content as text."""
    classes = classify(values, breaks)
    counts = [(label, int((classes == i).sum())) for i, label in enumerate(class_labels(breaks))]
    counts.append((UNREACHABLE_TEXT, int((classes == -1).sum())))
    counts.append(("non calculé", int((classes == -2).sum())))
    return counts


def simplified(communes: gpd.GeoDataFrame, tolerance_deg: float = SIMPLIFY_DEG
               ) -> gpd.GeoDataFrame:
    """Lighter polygons for drawing: the report draws several maps of the same communes."""
    out = communes[["code_insee", "geometry"]].copy()
    out["geometry"] = out.geometry.simplify(tolerance_deg, preserve_topology=True)
    return out


def choropleth_png(
    communes_gdf: gpd.GeoDataFrame,
    values: pd.Series,
    title: str,
    services_gdf: gpd.GeoDataFrame | None = None,
    *,
    breaks: Sequence[float] = CLASS_BREAKS_MIN,
    dpi: int = DPI,
    note: str = "",
) -> bytes:
    """PNG of commune polygons coloured by ``values`` (minutes, indexed by code_insee).

    Communes absent from ``values`` or with ``NaN`` are "non calculé" (white), ``inf`` is
    "inaccessible" (hatched grey); services, when given, are small points. ``note`` is
    printed under the map, so a warning (e.g. stand-in network) stays with the image when
    it is copied into another document.
    """
    if len(breaks) != len(CLASS_COLOURS) - 1:
        raise ValueError(f"expected {len(CLASS_COLOURS) - 1} class breaks")
    shapes = communes_gdf[["code_insee", "geometry"]].copy()
    shapes["value"] = values.reindex(shapes["code_insee"].to_numpy()).to_numpy(dtype=float)
    shapes["cls"] = classify(shapes["value"], breaks).to_numpy()

    fig = Figure(figsize=(7.5, 6.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.06, 0.68, 0.85))
    colours = np.array((*CLASS_COLOURS, UNREACHABLE_COLOUR, NOT_COMPUTED_COLOUR))
    plain = shapes[shapes["cls"] != -1]
    if len(plain):
        plain.plot(ax=ax, color=list(colours[plain["cls"].to_numpy()]), edgecolor="#555555",
                   linewidth=0.3)
    unreachable = shapes[shapes["cls"] == -1]
    if len(unreachable):
        unreachable.plot(ax=ax, facecolor=UNREACHABLE_COLOUR, edgecolor="#555555",
                         hatch="////", linewidth=0.3)
    if services_gdf is not None and len(services_gdf):
        points = services_gdf[services_gdf.geometry.notna() & ~services_gdf.geometry.is_empty]
        if len(points):
            ax.scatter(points.geometry.x, points.geometry.y, s=12, c=SERVICE_COLOUR,
                       edgecolors="white", linewidths=0.4, zorder=3)
            west, south, east, north = shapes.total_bounds
            pad_x, pad_y = 0.02 * (east - west), 0.02 * (north - south)
            ax.set_xlim(west - pad_x, east + pad_x)  # services of the margin stay off-frame
            ax.set_ylim(south - pad_y, north + pad_y)
    ax.set_axis_off()
    fig.suptitle(title, fontsize=11, x=0.02, ha="left", wrap=True)
    if note:
        fig.text(0.02, 0.015, note, fontsize=8, color="#8a3f00", ha="left", va="bottom",
                 wrap=True)

    handles: list[Patch | Line2D] = [
        Patch(facecolor=c, edgecolor="#555555", label=lab)
        for c, lab in zip(CLASS_COLOURS, class_labels(breaks), strict=True)
    ]
    handles.append(Patch(facecolor=UNREACHABLE_COLOUR, edgecolor="#555555", hatch="////",
                         label="inaccessible"))
    if (shapes["cls"] == -2).any():
        handles.append(Patch(facecolor=NOT_COMPUTED_COLOUR, edgecolor="#555555",
                             label="non calculé"))
    if services_gdf is not None and len(services_gdf):
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=4,
                              markerfacecolor=SERVICE_COLOUR, markeredgecolor="white",
                              label="service"))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.70, 0.5),
               title="Temps d'accès", fontsize=9, title_fontsize=9, frameon=False)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def categorical_png(communes_gdf: gpd.GeoDataFrame, labels: pd.Series, title: str,
                    colours: dict[str, str], *, legend_title: str = "",
                    legend_labels: dict[str, str] | None = None, dpi: int = DPI,
                    note: str = "") -> bytes:
    """PNG of commune polygons coloured by a class per commune (profile, pole level).

    ``labels`` is indexed by code_insee; ``colours`` maps each class to a colour, in
    legend order. Communes without a class are white.
    """
    shapes = communes_gdf[["code_insee", "geometry"]].copy()
    shapes["label"] = labels.reindex(shapes["code_insee"].to_numpy()).to_numpy()
    fig = Figure(figsize=(7.5, 6.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.06, 0.68, 0.85))
    face = [colours.get(str(v), NOT_COMPUTED_COLOUR) if pd.notna(v) else NOT_COMPUTED_COLOUR
            for v in shapes["label"]]
    shapes.plot(ax=ax, color=face, edgecolor="#555555", linewidth=0.3)
    ax.set_axis_off()
    fig.suptitle(title, fontsize=11, x=0.02, ha="left", wrap=True)
    if note:
        fig.text(0.02, 0.015, note, fontsize=8, color="#8a3f00", ha="left", va="bottom",
                 wrap=True)
    names = legend_labels or {}
    handles = [Patch(facecolor=colour, edgecolor="#555555", label=names.get(key, key))
               for key, colour in colours.items()]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.70, 0.5),
               title=legend_title, fontsize=9, title_fontsize=9, frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
