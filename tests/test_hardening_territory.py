"""Issue 10: territories, origins and networks that make no sense are refused or warned
about, never computed (invalid or point communes, metres declared as degrees, a grid
covering part of the territory, origins outside it, edge times of 1e308 or all zero,
populations all zero)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from proximite.errors import InputError
from proximite.model import STATUS_NO_ORIGIN, DiagnosticResult
from proximite.network.edges import read_edge_table
from proximite.pipeline import DemoBundle, run_diagnostic
from proximite.territory import load_communes_file

GRID = Path(__file__).parent / "data" / "origins" / "filosofi_200m_sample_48.csv"


@pytest.fixture(scope="module")
def demo_communes() -> gpd.GeoDataFrame:
    return gpd.read_file(DemoBundle.load().path("communes"))


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, driver="GeoJSON")
    return path


def test_self_intersecting_commune_is_repaired_and_named(tmp_path: Path,
                                                        demo_communes) -> None:
    communes = demo_communes.head(3).copy()
    bowtie = shapely.Polygon([(3.4, 44.4), (3.6, 44.6), (3.6, 44.4), (3.4, 44.6)])
    assert not bowtie.is_valid
    communes.loc[communes.index[0], "geometry"] = bowtie
    path = _write(communes, tmp_path / "bowtie.geojson")
    territory = load_communes_file(path)
    assert (f"{path} : 1 polygone(s) de commune invalide(s) (auto-intersection…) réparé(s) "
            "par shapely.make_valid : 48001") in territory.warnings
    repaired = territory.communes.set_index("code_insee").geometry["48001"]
    assert repaired.is_valid
    # the two triangles of the bow tie: half of the 0.2 x 0.2 degree square
    assert repaired.area == pytest.approx(0.02, rel=1e-9)


def test_lambert93_declared_as_wgs84_names_the_probable_crs(tmp_path: Path,
                                                           demo_communes) -> None:
    metres = demo_communes.head(3).to_crs(2154).set_crs(4326, allow_override=True)
    path = _write(metres, tmp_path / "l93.geojson")
    with pytest.raises(InputError, match=r"l93\.geojson: champ « geometry » : coordonnées hors "
                       r"des limites des degrés .* se déclare en WGS 84 : probablement du "
                       r"Lambert-93 \(EPSG:2154\)"):
        load_communes_file(path)


def test_point_communes_are_refused(tmp_path: Path, demo_communes) -> None:
    points = demo_communes.head(3).copy()
    points["geometry"] = points.representative_point()
    path = _write(points, tmp_path / "points.geojson")
    with pytest.raises(InputError, match=r"points\.geojson:1: champ « geometry » : 3 commune\(s\) "
                       r"non surfacique\(s\) \(Point pour 48001\)"):
        load_communes_file(path)


def test_communes_with_zero_population_everywhere_are_refused(tmp_path: Path,
                                                             demo_communes) -> None:
    zero = demo_communes.head(3).assign(population=0)
    path = _write(zero, tmp_path / "zero.geojson")
    with pytest.raises(InputError, match=r"zero\.geojson: champ « population » : toutes les "
                       "populations des communes sont nulles"):
        load_communes_file(path)


def test_partial_grid_keeps_every_commune_with_status_no_origin(
        grid_demo_result: DiagnosticResult) -> None:
    result = grid_demo_result  # run_diagnostic(origins=GRID): 68 squares in 2 of 152 communes
    access = result.access_times
    assert access["code_insee"].nunique() == 152
    per_commune = access.groupby("code_insee")["status"].agg(set)
    without = per_commune[per_commune.map(lambda s: STATUS_NO_ORIGIN in s)]
    assert len(without) == 150 and set(without.index).isdisjoint({"48140", "48166"})
    assert without.map(lambda s: s == {STATUS_NO_ORIGIN}).all()
    rows = access[access["status"] == STATUS_NO_ORIGIN]
    assert rows["travel_time_min"].isna().all() and (rows["population"] == 0).all()
    communes = result.indicators[result.indicators["level"] == "commune"]
    assert communes.groupby("category")["zone_code"].nunique().eq(152).all()
    empty = communes[~communes["zone_code"].isin(["48140", "48166"])]
    assert (empty["n_origins"] == 0).all() and empty["median_min"].isna().all()
    # indicators.csv says why those rows are blank, in its own column
    assert (empty["statut"] == "sans lieu habité").all()
    inhabited = communes[communes["zone_code"].isin(["48140", "48166"])
                         & (communes["category"] == "la_poste")]
    assert inhabited["statut"].tolist() == ["calculé", "calculé"]
    # the territory's figures are those of the 68 squares alone
    territory = result.indicators.query("level == 'territory' and category == 'la_poste'")
    assert territory["population"].iloc[0] == pytest.approx(
        result.origins["population"].sum())
    assert territory["n_origins"].iloc[0] == 68
    warning = next(w for w in result.warnings if "no_origin" in w)
    assert warning.startswith(f"{GRID} : 150 commune(s) sur 152 sans aucune origine")
    assert "Albaret-le-Comtal (48001)" in warning


def test_origins_outside_the_territory_blame_the_origins(tmp_path: Path) -> None:
    path = tmp_path / "paris.csv"
    path.write_text("origin_id,lon,lat,population\na,2.35,48.85,100\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"paris\.csv: aucune des 1 origines n'est dans les "
                       r"communes du territoire Lozère \(48\)"):
        run_diagnostic(origins=path)


def test_origin_code_insee_must_be_an_insee_code(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("origin_id,lon,lat,population,code_insee\na,3.5,44.5,10,48095\n"
                    "b,3.5,44.5,10,Mende\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"o\.csv:3: champ « code_insee » : code_insee 'Mende' "
                       "n'est pas un code INSEE"):
        run_diagnostic(origins=path)


def test_origins_with_zero_population_everywhere_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("origin_id,lon,lat,population\na,3.5,44.5,0\nb,3.49,44.52,0\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"o\.csv: champ « population » : la population de "
                       "toutes les origines est nulle"):
        run_diagnostic(origins=path)


@pytest.mark.parametrize(("rows", "message"), [
    ("a,b,1e308\nb,c,2\n", r"e\.csv:2: champ « travel_time_min » : 1 arc\(s\) de plus de 1440 "
                           r"min \(le premier : 1e\+308 min\)"),
    ("a,b,2\nb,c,inf\n", r"e\.csv:3: champ « travel_time_min » : 1 arc\(s\) de plus"),
    ("a,b,0\nb,c,0\n", r"e\.csv: champ « travel_time_min » : tous les temps de parcours des "
                       "arcs sont nuls"),
])
def test_nonsense_edge_times_are_refused(tmp_path: Path, rows: str, message: str) -> None:
    edges = tmp_path / "e.csv"
    edges.write_text("from,to,travel_time_min\n" + rows, encoding="utf-8")
    nodes = tmp_path / "n.csv"
    nodes.write_text("node_id,lon,lat\na,3.5,44.5\nb,3.6,44.5\nc,3.7,44.5\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_edge_table(edges, nodes_path=nodes)


def test_longest_plausible_edge_time_is_kept(tmp_path: Path) -> None:
    edges = tmp_path / "e.csv"
    edges.write_text("from,to,travel_time_min\na,b,1440\nb,c,0\n", encoding="utf-8")
    nodes = tmp_path / "n.csv"
    nodes.write_text("node_id,lon,lat\na,3.5,44.5\nb,3.6,44.5\nc,3.7,44.5\n",
                     encoding="utf-8")
    graph = read_edge_table(edges, nodes_path=nodes)
    assert np.isclose(graph.matrix.data.max(), 1440.0)


def test_grid_with_zero_population_everywhere_is_refused(tmp_path: Path) -> None:
    from proximite.origins import read_population_grid

    path = tmp_path / "grid.csv"
    path.write_text("idcar_200m,ind\nCRS3035RES200mN2433600E3788400,0\n"
                    "CRS3035RES200mN2433600E3788600,0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"grid\.csv: champ « ind » : la population de tous les "
                       "carreaux est nulle"):
        read_population_grid(path, None)
