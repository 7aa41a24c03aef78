"""Origins from an INSEE population grid (Filosofi carreaux) and origins files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from proximite.errors import InputError
from proximite.origins import decode_square_ids, load_origins, read_population_grid
from proximite.pipeline import DemoBundle
from proximite.territory import load_communes_file

GRID = Path(__file__).parent / "data" / "origins" / "filosofi_200m_sample_48.csv"
HEADER = "idcar_200m,ind\n"


@pytest.fixture(scope="module")
def territory():
    bundle = DemoBundle.load()
    return load_communes_file(bundle.path("communes"), population_field="population",
                              name="Lozère (48)")


def test_square_ids_give_the_centre_of_the_square() -> None:
    x, y, epsg = decode_square_ids(
        pd.Series(["CRS3035RES200mN2029800E4252400", "CRS3035RES1000mN2433000E3788000"]),
        Path("grid.csv"), "idcar_200m")
    assert epsg == 3035
    assert x.tolist() == [4252500.0, 3788500.0]  # lower-left corner + half the size
    assert y.tolist() == [2029900.0, 2433500.0]


def test_grid_squares_land_in_their_commune(territory) -> None:
    origins, warnings = read_population_grid(GRID, territory)
    raw = pd.read_csv(GRID, dtype=str)
    assert warnings == []
    assert len(origins) == len(raw) == 68
    # the commune found by the spatial join is the one the squares were built in
    assert origins["code_insee"].tolist() == raw["lcog_geo"].tolist()
    totals = origins.groupby("code_insee")["population"].sum()
    assert totals.to_dict() == pytest.approx({"48140": 3955.0, "48166": 282.0})


def test_polygon_grid_gives_the_same_centres_as_the_ids(tmp_path: Path, territory) -> None:
    """A GeoPackage of the squares (polygons) is read through its geometry."""
    raw = pd.read_csv(GRID, dtype=str)
    parts = raw["idcar_200m"].str.extract(r"N(?P<n>\d+)E(?P<e>\d+)").astype(float)
    squares = gpd.GeoDataFrame(
        raw, geometry=[shapely.box(e, n, e + 200, n + 200)
                       for e, n in zip(parts["e"], parts["n"], strict=True)], crs=3035)
    path = tmp_path / "carreaux_200m.gpkg"
    squares.to_file(path)
    from_ids, _ = read_population_grid(GRID, territory)
    from_polygons, _ = load_origins(path, territory)
    np.testing.assert_allclose(from_polygons[["lon", "lat"]], from_ids[["lon", "lat"]],
                               atol=1e-9)
    assert from_polygons["code_insee"].tolist() == from_ids["code_insee"].tolist()


def test_csv_kind_is_recognised_by_its_columns(tmp_path: Path, territory) -> None:
    grid, _ = load_origins(GRID, territory)
    assert grid["origin_id"].iloc[0].startswith("CRS3035RES200m")
    plain = tmp_path / "origins.csv"
    plain.write_text("origin_id,lon,lat,population\na,3.5,44.5,10\n")
    origins, warnings = load_origins(plain, territory)
    assert origins["origin_id"].tolist() == ["a"] and warnings == []


def test_diagnostic_weights_by_square_population(territory, grid_demo_result) -> None:
    """Commune indicators become population-weighted over the squares of the commune."""
    result = grid_demo_result  # run_diagnostic(origins=GRID): the demo, grid origins
    inhabited = result.origins["population"] > 0  # the other communes: no_origin
    assert set(result.origins.loc[inhabited, "code_insee"]) == {"48140", "48166"}
    times = result.access_times.query("category == 'france_services'")
    expected = result.origins.set_index("origin_id")["population"]
    assert times["population"].tolist() == expected.loc[times["origin_id"]].tolist()
    cans = times[times["code_insee"] == "48166"].sort_values("travel_time_min")
    assert cans["travel_time_min"].nunique() > 1  # hamlets are farther than the bourg
    cumulative = cans["population"].cumsum() / cans["population"].sum()
    by_hand = cans["travel_time_min"].to_numpy()[np.searchsorted(cumulative.to_numpy(), 0.5)]
    row = result.indicators.query("level == 'commune' and zone_code == '48166' and "
                                  "category == 'france_services'").iloc[0]
    assert row["population"] == pytest.approx(282.0)
    assert row["median_min"] == pytest.approx(by_hand, abs=1e-6)


@pytest.mark.parametrize(("text", "message"), [
    ("", "fichier vide"),
    ("idcar_200m,men\nCRS3035RES200mN2433600E3788400,3\n", r"colonne.*manquante.*population"),
    (HEADER + "CRS3035RES200mN2433600E3788400,3\nCRS3035RES200mX1E2,4\n",
     r"grid\.csv:3: champ « idcar_200m » : « CRS3035RES200mX1E2 » n'est pas un "
     r"identifiant de carreau"),
    (HEADER + "CRS3035RES200mN2433600E3788400,3\nCRS2154RES200mN6400000E700000,4\n",
     r":3: champ « idcar_200m » : carreaux dans plusieurs systèmes de référence"),
    (HEADER + "CRS3035RES200mN2433600E3788400,-3\n", r"ind"),
    (HEADER + "CRS3035RES200mN2433600E3788400,abc\n", r"ind"),
    (HEADER + "CRS3035RES200mN2433600E3788400,3\nCRS3035RES200mN2433600E3788400,4\n",
     r":3: champ « idcar_200m » : idcar_200m « \S+ » en double"),
    (HEADER + "CRS3035RES200mN2889000E3760000,3\n", "aucun carreau de la grille n'est "
                                                     "dans les communes du territoire"),  # Paris
])
def test_bad_grids_are_named(tmp_path: Path, territory, text: str, message: str) -> None:
    path = tmp_path / "grid.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_population_grid(path, territory)


def test_squares_outside_or_empty_are_left_out_with_a_warning(tmp_path: Path,
                                                              territory) -> None:
    path = tmp_path / "grid.csv"
    path.write_text(HEADER + "CRS3035RES200mN2433600E3788400,113\n"
                    "CRS3035RES200mN2889000E3760000,40\n"  # Paris
                    "CRS3035RES200mN2433600E3788600,0\n", encoding="utf-8")
    origins, warnings = read_population_grid(path, territory)
    assert origins["origin_id"].tolist() == ["CRS3035RES200mN2433600E3788400"]
    assert warnings == [f"{path} : 1 carreau(x) sans population écarté(s)",
                        f"{path} : 1 carreau(x) hors du territoire écarté(s) (40 habitants)"]


def test_polygons_without_crs_are_refused(tmp_path: Path, territory) -> None:
    squares = gpd.GeoDataFrame({"idcar_200m": ["a"], "ind": [3.0]},
                               geometry=[shapely.box(0, 0, 200, 200)])
    path = tmp_path / "grid.gpkg"
    squares.to_file(path)
    with pytest.raises(InputError, match="les carreaux n'ont pas de système de coordonnées"):
        read_population_grid(path, territory)


def test_commune_mean_times_by_hand() -> None:
    from proximite.indicators import commune_mean_times

    keys = pd.DataFrame({"code_insee": ["a", "a", "a", "b", "b", "c"]})
    times = np.array([10.0, 20.0, 40.0, 5.0, np.inf, 7.0])
    weights = np.array([3.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    means = commune_mean_times(keys, times, weights)
    assert means["a"] == pytest.approx((10 * 3 + 20 * 1) / 4)  # 12.5, the empty square ignored
    assert means["b"] == np.inf  # one origin cannot reach: the commune cannot
    assert means["c"] == 7.0  # all weights zero: plain mean
    assert commune_mean_times(keys, times)["a"] == pytest.approx(70 / 3)


def test_profiles_and_deficits_use_weighted_commune_times() -> None:
    from proximite.analysis.deficit import commune_target_times
    from proximite.analysis.typology import commune_time_table

    access = pd.DataFrame({
        "origin_id": ["s1", "s2", "s3"], "code_insee": ["48166"] * 3,
        "category": ["france_services"] * 3, "target_kind": ["category"] * 3,
        "travel_time_min": [4.0, 16.0, 30.0], "status": ["ok"] * 3,
        "population": [200.0, 50.0, 0.0]})
    expected = (4 * 200 + 16 * 50) / 250  # 6.4 min, not the plain mean 16.7
    assert commune_time_table(access, ["france_services"]).at["48166", "france_services"] \
        == pytest.approx(expected)
    deficit = commune_target_times(access, "france_services")
    assert deficit.at["48166", "travel_time_min"] == pytest.approx(expected)
    assert deficit.at["48166", "status"] == "ok"
