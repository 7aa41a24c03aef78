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
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from PIL import Image

from proximite.places import PLACES_NOTE, map_places
from proximite.report.formatting import UNREACHABLE_TEXT, fmt_threshold

#: Upper bounds (minutes) of the colour classes; the last class is "more than 30 min".
CLASS_BREAKS_MIN: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
#: ColorBrewer YlGnBu: sequential, colour-blind safe, still ordered when printed in grey.
CLASS_COLOURS: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
UNREACHABLE_COLOUR = "#bdbdbd"
NOT_COMPUTED_COLOUR = "#ffffff"
SERVICE_COLOUR = "#d7301f"
DPI = 90
#: Figure size in inches (about 900 x 720 px at DPI): large enough for place names
FIGSIZE_IN = (10.0, 8.0)
#: Label font size per place role (préfecture, sous-préfecture, EPCI's largest commune)
PLACE_FONT = {"prefecture": 10.0, "sous_prefecture": 9.0, "epci": 8.0}
SCALE_STEPS_KM = (1, 2, 5, 10, 20, 25, 50, 100, 200)
KM_PER_DEGREE = 111.32
#: Simplification tolerance in degrees (~50 m): invisible at report scale, much faster.
SIMPLIFY_DEG = 0.0005


class ReportCanvas(FigureCanvasAgg):
    """An Agg canvas that draws only when the PNG is saved.

    geopandas' ``plot`` ends with ``canvas.draw_idle()``, which on a plain Agg canvas is a
    full render of the figure: a map with two polygon layers was drawn three times for one
    PNG. The saved image is the same (``savefig`` draws the finished figure).
    """

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        """Nothing to refresh: there is no window, ``savefig`` draws the figure."""


def report_figure(figsize: tuple[float, float], dpi: int) -> Figure:
    """A bare figure (no pyplot state) on a :class:`ReportCanvas`."""
    fig = Figure(figsize=figsize, dpi=dpi)
    ReportCanvas(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """The figure as an opaque RGB PNG on white.

    Why not ``savefig``: Agg's PNG is RGBA, and the alpha channel of a map on a white
    background is 255 everywhere; dropping it gives the same pixels in a file about a
    tenth smaller, compressed about a third faster (zlib has a quarter less to read).
    """
    fig.patch.set_facecolor("white")
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    rgb = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="png", dpi=(fig.dpi, fig.dpi))
    return buffer.getvalue()


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
    """Lighter polygons for drawing: the report draws several maps of the same communes.

    The place names of the maps (:func:`proximite.places.map_places`) travel with them in
    ``attrs["places"]``, so every map drawn from these shapes names the same places.
    """
    out = communes[["code_insee", "geometry"]].copy()
    out["geometry"] = out.geometry.simplify(tolerance_deg, preserve_topology=True)
    if {"nom", "population", "epci_code", "origin_lon", "origin_lat"} <= set(communes.columns):
        out.attrs["places"] = map_places(communes)
    return out


def _places(communes_gdf: gpd.GeoDataFrame, places: pd.DataFrame | None) -> pd.DataFrame | None:
    return places if places is not None else communes_gdf.attrs.get("places")


def scale_length_km(width_km: float) -> float:
    """A round scale-bar length near a fifth of the map's width."""
    target = width_km / 5
    return float(min(SCALE_STEPS_KM, key=lambda step: abs(step - target)))


def decorate(ax: Axes, places: pd.DataFrame | None = None) -> None:
    """Place names, a scale bar and a north arrow on a lon/lat map (geopandas sets the
    aspect to 1/cos(latitude), so a kilometre is the same length in both directions)."""
    west, east = ax.get_xlim()
    south, north = ax.get_ylim()
    middle_lat = np.radians((south + north) / 2)
    km_per_lon_degree = KM_PER_DEGREE * np.cos(middle_lat)
    length_km = scale_length_km((east - west) * km_per_lon_degree)
    length_deg = length_km / km_per_lon_degree
    x0 = west + 0.04 * (east - west)
    y0 = south + 0.04 * (north - south)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    ax.plot([x0, x0 + length_deg], [y0, y0], color="#1a1a1a", linewidth=3,
            solid_capstyle="butt", zorder=5)
    ax.text(x0 + length_deg / 2, y0 + 0.012 * (north - south),
            f"{fmt_threshold(length_km)} km", ha="center", va="bottom", fontsize=8,
            zorder=5, path_effects=halo)
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.87), xycoords="axes fraction",
                ha="center", va="center", fontsize=10, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "#1a1a1a", "linewidth": 1.5},
                zorder=5)
    if places is None or not len(places):
        return
    for name, lon, lat, role in zip(places["name"].astype(str),
                                    places["lon"].to_numpy(dtype=float),
                                    places["lat"].to_numpy(dtype=float),
                                    places["role"].astype(str), strict=True):
        ax.plot(lon, lat, marker="o", markersize=3 if role == "epci" else 4,
                color="#1a1a1a", markeredgecolor="white", zorder=6)
        ax.text(lon, lat + 0.006 * (north - south), name, fontsize=PLACE_FONT.get(role, 8.0),
                fontweight="bold" if role == "prefecture" else "normal", ha="center",
                va="bottom", zorder=6, path_effects=halo)


def choropleth_png(
    communes_gdf: gpd.GeoDataFrame,
    values: pd.Series,
    title: str,
    services_gdf: gpd.GeoDataFrame | None = None,
    *,
    breaks: Sequence[float] = CLASS_BREAKS_MIN,
    dpi: int = DPI,
    note: str = "",
    places: pd.DataFrame | None = None,
) -> bytes:
    """PNG of commune polygons coloured by ``values`` (minutes, indexed by code_insee).

    Communes absent from ``values`` or with ``NaN`` are "non calculé" (white), ``inf`` is
    "inaccessible" (hatched grey); services, when given, are small points. ``note`` is
    printed under the map, so a warning (e.g. stand-in network) stays with the image when
    it is copied into another document.
    """
    if len(breaks) != len(CLASS_COLOURS) - 1:
        # programmer error: the report computes the breaks (English on purpose)
        raise ValueError(f"expected {len(CLASS_COLOURS) - 1} class breaks")
    shapes = communes_gdf[["code_insee", "geometry"]].copy()
    shapes["value"] = values.reindex(shapes["code_insee"].to_numpy()).to_numpy(dtype=float)
    shapes["cls"] = classify(shapes["value"], breaks).to_numpy()

    fig = report_figure(FIGSIZE_IN, dpi)
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
    places = _places(communes_gdf, places)
    decorate(ax, places)
    if places is not None and len(places):
        fig.text(0.98, 0.015, PLACES_NOTE, fontsize=7, color="#444444", ha="right",
                 va="bottom", wrap=True)
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

    return png_bytes(fig)


def categorical_png(communes_gdf: gpd.GeoDataFrame, labels: pd.Series, title: str,
                    colours: dict[str, str], *, legend_title: str = "",
                    legend_labels: dict[str, str] | None = None, dpi: int = DPI,
                    note: str = "", places: pd.DataFrame | None = None) -> bytes:
    """PNG of commune polygons coloured by a class per commune (profile, pole level).

    ``labels`` is indexed by code_insee; ``colours`` maps each class to a colour, in
    legend order. Communes without a class are white.
    """
    shapes = communes_gdf[["code_insee", "geometry"]].copy()
    shapes["label"] = labels.reindex(shapes["code_insee"].to_numpy()).to_numpy()
    fig = report_figure(FIGSIZE_IN, dpi)
    ax = fig.add_axes((0.01, 0.06, 0.68, 0.85))
    face = [colours.get(str(v), NOT_COMPUTED_COLOUR) if pd.notna(v) else NOT_COMPUTED_COLOUR
            for v in shapes["label"]]
    shapes.plot(ax=ax, color=face, edgecolor="#555555", linewidth=0.3)
    ax.set_axis_off()
    places = _places(communes_gdf, places)
    decorate(ax, places)
    if places is not None and len(places):
        fig.text(0.98, 0.015, PLACES_NOTE, fontsize=7, color="#444444", ha="right",
                 va="bottom", wrap=True)
    fig.suptitle(title, fontsize=11, x=0.02, ha="left", wrap=True)
    if note:
        fig.text(0.02, 0.015, note, fontsize=8, color="#8a3f00", ha="left", va="bottom",
                 wrap=True)
    names = legend_labels or {}
    handles = [Patch(facecolor=colour, edgecolor="#555555", label=names.get(key, key))
               for key, colour in colours.items()]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.70, 0.5),
               title=legend_title, fontsize=9, title_fontsize=9, frameon=False)
    return png_bytes(fig)


def _rings(shapes: gpd.GeoDataFrame) -> tuple[list[np.ndarray], np.ndarray]:
    """Exterior rings of every polygon part, and the row each belongs to."""
    rings: list[np.ndarray] = []
    owner: list[int] = []
    for row, geometry in enumerate(shapes.geometry):
        if geometry is None or geometry.is_empty:
            continue
        for part in getattr(geometry, "geoms", [geometry]):
            rings.append(np.asarray(part.exterior.coords))
            owner.append(row)
    return rings, np.asarray(owner, dtype=int)


def small_multiples_png(communes_gdf: gpd.GeoDataFrame,
                        panels: Sequence[tuple[str, pd.Series]], *, columns: int = 3,
                        breaks: Sequence[float] = CLASS_BREAKS_MIN, dpi: int = DPI,
                        note: str = "") -> bytes:
    """One PNG of small maps on the same classes, one per (title, minutes by code_insee):
    every category with data gets a map without a page of full-size figures. Each panel
    names the préfecture and has its scale bar and north arrow; one legend for all."""
    rows = max(1, -(-len(panels) // columns))
    fig = report_figure((FIGSIZE_IN[0], 3.1 * rows + 0.9), dpi)
    places = communes_gdf.attrs.get("places")
    if places is not None and len(places):
        places = places[places["role"] == "prefecture"]
    colours = np.array((*CLASS_COLOURS, UNREACHABLE_COLOUR, NOT_COMPUTED_COLOUR))
    shapes = communes_gdf[["code_insee", "geometry"]].copy()
    rings, owner = _rings(shapes)
    west, south, east, north = shapes.total_bounds
    aspect = 1 / np.cos(np.radians((south + north) / 2))
    height = (1 - 0.9 / (3.1 * rows + 0.9)) / rows
    for index, (title, values) in enumerate(panels):
        row, column = divmod(index, columns)
        ax = fig.add_axes((column / columns + 0.005, 1 - (row + 1) * height,
                           1 / columns - 0.01, height * 0.88))
        classes = classify(pd.Series(values.reindex(shapes["code_insee"].to_numpy())
                                     .to_numpy(dtype=float)), breaks).to_numpy()
        # one PolyCollection of precomputed rings: a geopandas plot per panel is 5x slower
        ax.add_collection(PolyCollection(rings, facecolors=colours[classes][owner],
                                         edgecolors="#777777", linewidths=0.15))
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect(aspect)
        ax.set_axis_off()
        # y given: matplotlib then skips placing the title above the tick labels, which
        # builds every tick of both axes (a third of a panel's time); there are none
        # (axis off), so the title sits at the top of the panel either way.
        ax.set_title(title, fontsize=8.5, wrap=True, y=1.0)
        decorate(ax, places)
    handles = [Patch(facecolor=c, edgecolor="#555555", label=lab)
               for c, lab in zip(CLASS_COLOURS, class_labels(breaks), strict=True)]
    handles.append(Patch(facecolor=UNREACHABLE_COLOUR, edgecolor="#555555",
                         label="inaccessible"))
    handles.append(Patch(facecolor=NOT_COMPUTED_COLOUR, edgecolor="#555555",
                         label="non calculé"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.02), title="Temps d'accès",
               title_fontsize=8)
    if note:
        fig.text(0.02, 0.002, note, fontsize=7, color="#8a3f00", ha="left", va="bottom",
                 wrap=True)
    return png_bytes(fig)
