"""Report maps: place names, scale bar length, every category with data mapped."""

from __future__ import annotations

import pandas as pd
import pytest

from proximite.bundles import TerritoryBundle
from proximite.model import DiagnosticResult
from proximite.places import map_places
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
