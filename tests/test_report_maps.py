"""Report maps: place names, scale bar length, every category with data mapped."""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from shapely.geometry import box

from proximite.bundles import TerritoryBundle
from proximite.model import DiagnosticResult
from proximite.places import map_places
from proximite.report import maps
from proximite.report.maps import scale_length_km, simplified
from proximite.report.render import render_block
from proximite.report.small_multiples import PER_FIGURE, small_multiples_section
from proximite.report.targets import targets


def test_scale_bar_is_a_round_fifth_of_the_width() -> None:
    assert scale_length_km(100) == 20  # Lozère is about 100 km wide
    assert scale_length_km(260) == 50
    assert scale_length_km(4) == 1


@pytest.mark.parametrize(("departement", "prefecture", "sous_prefectures"), [
    ("48", "Mende", {"Florac Trois Rivières"}),
    ("15", "Aurillac", {"Mauriac", "Saint-Flour"}),
    ("03", "Moulins", {"Montluçon", "Vichy"}),
])
def test_places_name_the_prefecture_sous_prefectures_and_one_commune_per_epci(
        departement: str, prefecture: str, sous_prefectures: set[str]) -> None:
    bundle = TerritoryBundle.find(departement)
    assert bundle is not None
    communes = bundle.territory().communes
    places = map_places(communes)
    assert places.loc[places["role"] == "prefecture", "name"].tolist() == [prefecture]
    assert set(places.loc[places["role"] == "sous_prefecture", "name"]) == sous_prefectures
    # each EPCI has a named commune: its most populated one, unless a (sous-)préfecture is
    named = communes[communes["code_insee"].isin(places["code_insee"])]
    assert set(named["epci_code"]) == set(communes["epci_code"])
    epci = places[places["role"] == "epci"].merge(communes, on="code_insee")
    largest = communes.groupby("epci_code")["population"].max()
    assert (epci["population"].to_numpy() == largest.reindex(epci["epci_code"]).to_numpy()).all()
    assert places["code_insee"].is_unique
    assert simplified(communes).attrs["places"].equals(places)


def test_every_category_with_data_gets_a_map(demo_result: DiagnosticResult) -> None:
    with_data = [t for t in targets(demo_result, "category") if t.has_data]
    section = small_multiples_section(demo_result, with_data)
    figures = [b for b in section.blocks if b.kind == "figure"]
    assert len(figures) == -(-len(with_data) // PER_FIGURE)
    html = render_block(section)
    for target in with_data:
        assert target.label.replace("'", "&#39;") in html
    assert pd.Series([f.alt for f in figures]).str.startswith("Petites cartes").all()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_maps_have_the_pixels_of_matplotlibs_own_png(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's canvas (no redraw per geopandas layer), its panel titles placed at the
    top directly and its RGB file give exactly the pixels of a plain Agg canvas with
    matplotlib's own title placement, saved by ``savefig`` (whose alpha is opaque)."""
    shapes = gpd.GeoDataFrame({"code_insee": ["48001", "48002", "48003"]}, geometry=[
        box(3.0, 44.0, 3.1, 44.1), box(3.1, 44.0, 3.2, 44.1), box(3.0, 44.1, 3.2, 44.2)],
        crs="EPSG:4326")
    values = pd.Series([4.0, float("inf"), 25.0], index=["48001", "48002", "48003"])
    services = gpd.GeoDataFrame(geometry=gpd.points_from_xy([3.05], [44.05]), crs="EPSG:4326")
    ours = _pixels(maps.choropleth_png(shapes, values, "Temps d'accès", services,
                                       note="réseau de substitution"))
    panels = _pixels(maps.small_multiples_png(shapes, [("A", values), ("B", values * 2)]))

    def plain_figure(figsize: tuple[float, float], dpi: int) -> Figure:
        fig = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(fig)
        return fig

    def savefig_png(fig: Figure) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=fig.dpi, facecolor="white")
        return buffer.getvalue()

    set_title = Axes.set_title

    def automatic_title(self: Axes, label: str, *args: Any, y: float | None = None,
                        **kwargs: Any) -> Any:
        return set_title(self, label, *args, **kwargs)  # matplotlib places it

    monkeypatch.setattr(maps, "report_figure", plain_figure)
    monkeypatch.setattr(maps, "png_bytes", savefig_png)
    monkeypatch.setattr(Axes, "set_title", automatic_title)
    theirs = _pixels(maps.choropleth_png(shapes, values, "Temps d'accès", services,
                                         note="réseau de substitution"))
    assert ours.shape[2] == 3 and theirs.shape[2] == 4 and (theirs[..., 3] == 255).all()
    assert np.array_equal(ours, theirs[..., :3])
    assert len(np.unique(ours.reshape(-1, 3), axis=0)) > 5  # a map, not a blank image
    theirs_panels = _pixels(maps.small_multiples_png(shapes, [("A", values),
                                                              ("B", values * 2)]))
    assert np.array_equal(panels, theirs_panels[..., :3])
