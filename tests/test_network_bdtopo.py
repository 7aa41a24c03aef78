"""BD TOPO troncon_de_route -> road graph, on a real IGN extract (Marseille 10e).

Expected travel times are recomputed here from each row's own geometry and speed, not
taken from the builder, so a wrong direction, speed or length shows as a wrong number.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from proximite.access import STATUS_OK, nearest_service_times
from proximite.errors import InputError
from proximite.network.bdtopo import (
    build_bdtopo_graph,
    read_troncons,
    read_troncons_sql_dump,
)
from proximite.network.graph import RoadGraph

DUMP = Path(__file__).parent / "data" / "bdtopo" / "ign_bdtopo_troncon_route_marseille10.sql"

SENS_DIRECT = "TRONROUT0000000040964451"  # Route à 1 chaussée, 30 km/h
SENS_INVERSE = "TRONROUT0000000040968904"  # Route à 1 chaussée, 45 km/h
DOUBLE_SENS = "TRONROUT0000000224431292"  # CHE DE L'ARMEE D'AFRIQUE, 40 km/h
RESTRICTED = "TRONROUT0000000040972387"  # Restreint aux ayants droit, gated residence
SENTIER = "TRONROUT0000000224431773"  # footpath, dump line 117

TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def troncons() -> gpd.GeoDataFrame:
    return read_troncons(DUMP)


@pytest.fixture(scope="module")
def car_graph(troncons: gpd.GeoDataFrame) -> RoadGraph:
    return build_bdtopo_graph(troncons, description="marseille10")


def row(troncons: gpd.GeoDataFrame, cleabs: str) -> pd.Series:
    match = troncons[troncons["cleabs"] == cleabs]
    assert len(match) == 1
    return match.iloc[0]


def node_at(graph: RoadGraph, x: float, y: float) -> int:
    """Graph node at a Lambert-93 point (endpoints become nodes to the centimetre)."""
    lon, lat = TO_WGS84.transform(x, y)
    gap = np.hypot(graph.lon - lon, graph.lat - lat)
    index = int(np.argmin(gap))
    assert gap[index] < 1e-6, f"no node at ({x}, {y})"
    return index


def ends(graph: RoadGraph, troncon: pd.Series) -> tuple[int, int]:
    coords = shapely.get_coordinates(troncon.geometry)
    return node_at(graph, *coords[0]), node_at(graph, *coords[-1])


def minutes(troncon: pd.Series, speed_kmh: float) -> float:
    return shapely.length(troncon.geometry) / 1000.0 / speed_kmh * 60.0


def edge(graph: RoadGraph, start: int, end: int) -> float:
    return float(graph.matrix[start, end])


# --------------------------------------------------------------------------- reading

def test_dump_reads_every_row_with_types_and_quotes(troncons: gpd.GeoDataFrame) -> None:
    assert len(troncons) == 2936
    assert troncons.crs.to_epsg() == 2154
    assert set(troncons.geom_type) == {"LineString"}
    assert troncons["cleabs"].is_unique
    assert troncons["vitesse_moyenne_vl"].dtype == "Int64"
    assert troncons["fictif"].sum() == 10
    first = troncons.iloc[0]
    assert (first["fid"], first["source_line"]) == (438993, 103)
    double = row(troncons, DOUBLE_SENS)
    assert double["nom_collaboratif_gauche"] == "CHE DE L'ARMEE D'AFRIQUE"  # '' unescaped
    assert double["source_line"] == 105
    assert pd.isna(double["nom_2_gauche"])  # NULL
    assert troncons["nature"].value_counts()["Route à 1 chaussée"] == 2012


def test_copy_block_dump_with_escapes(tmp_path: Path, troncons: gpd.GeoDataFrame) -> None:
    """pg_dump's default COPY format: tab-separated, \\N nulls, backslash escapes."""
    header = DUMP.read_text(encoding="utf-8").split("INSERT INTO", 1)[0]
    wkb = shapely.to_wkb(troncons.geometry.iloc[:2].to_numpy(), hex=True,
                         include_srid=False)
    columns = "fid, geom, cleabs, nature, nom_collaboratif_gauche"
    body = (
        f"COPY public.troncon_de_route ({columns}) FROM stdin;\n"
        f"1\t{wkb[0]}\tA1\tRoute à 1 chaussée\tRUE\\tDU\\\\PORT\\n\n"
        f"2\t{wkb[1]}\tA2\t\\N\t\\N\n"
        "\\.\n"
    )
    path = tmp_path / "copy.sql"
    path.write_text(header + body, encoding="utf-8")
    read = read_troncons_sql_dump(path)
    assert list(read["cleabs"]) == ["A1", "A2"]
    assert read["nom_collaboratif_gauche"].iloc[0] == "RUE\tDU\\PORT\n"
    assert pd.isna(read["nature"].iloc[1])
    assert read["fid"].tolist() == [1, 2]
    assert read.geometry.iloc[1].equals(troncons.geometry.iloc[1])
    assert read.crs.to_epsg() == 2154  # from geometry(LineStringZ,2154) in CREATE TABLE


def test_multi_row_insert_with_column_list(tmp_path: Path, troncons) -> None:
    """INSERT with its own column order, several rows, E'' strings, quotes and newlines."""
    header = DUMP.read_text(encoding="utf-8").split("INSERT INTO", 1)[0]
    wkb = shapely.to_wkb(troncons.geometry.iloc[:2].to_numpy(), hex=True, include_srid=True)
    path = tmp_path / "multi.sql"
    path.write_text(
        header
        + "INSERT INTO public.troncon_de_route (cleabs, geom, nature, nom_collaboratif_gauche,"
        " fid) VALUES\n"
        f"  ('A', '{wkb[0]}', E'Route\\tx', 'L''Estaque; (nord)', 1),\n"
        f"  ('B', '{wkb[1]}', NULL, 'two\nlines', -2);\n",
        encoding="utf-8",
    )
    read = read_troncons(path)
    assert read["nature"].iloc[0] == "Route\tx"
    assert read["nom_collaboratif_gauche"].tolist() == ["L'Estaque; (nord)", "two\nlines"]
    assert read["fid"].tolist() == [1, -2]
    assert read["source_line"].tolist() == [104, 105]


# --------------------------------------------------------------------------- car graph

def test_sens_direct_gives_one_edge_along_the_geometry(troncons, car_graph) -> None:
    troncon = row(troncons, SENS_DIRECT)
    assert troncon["sens_de_circulation"] == "Sens direct"
    first, last = ends(car_graph, troncon)
    assert edge(car_graph, first, last) == pytest.approx(minutes(troncon, 30), rel=1e-9)
    assert edge(car_graph, last, first) == 0.0  # no edge against the traffic
    assert minutes(troncon, 30) == pytest.approx(0.0862267, rel=1e-5)  # 43.11 m


def test_sens_inverse_gives_one_edge_against_the_geometry(troncons, car_graph) -> None:
    troncon = row(troncons, SENS_INVERSE)
    assert troncon["sens_de_circulation"] == "Sens inverse"
    assert troncon["vitesse_moyenne_vl"] == 45
    first, last = ends(car_graph, troncon)
    assert edge(car_graph, last, first) == pytest.approx(minutes(troncon, 45), rel=1e-9)
    assert edge(car_graph, first, last) == 0.0


def test_double_sens_gives_both_edges(troncons, car_graph) -> None:
    troncon = row(troncons, DOUBLE_SENS)
    assert troncon["sens_de_circulation"] == "Double sens"
    first, last = ends(car_graph, troncon)
    expected = minutes(troncon, 40)
    assert edge(car_graph, first, last) == pytest.approx(expected, rel=1e-9)
    assert edge(car_graph, last, first) == pytest.approx(expected, rel=1e-9)


def test_missing_speed_uses_the_nature_default(troncons) -> None:
    edited = troncons.copy()
    edited.loc[edited["cleabs"] == SENS_DIRECT, "vitesse_moyenne_vl"] = 0
    edited.loc[edited["cleabs"] == DOUBLE_SENS, "vitesse_moyenne_vl"] = pd.NA
    graph = build_bdtopo_graph(edited)
    direct, double = row(troncons, SENS_DIRECT), row(troncons, DOUBLE_SENS)
    first, last = ends(graph, direct)
    assert edge(graph, first, last) == pytest.approx(minutes(direct, 40), rel=1e-9)
    first, last = ends(graph, double)
    assert edge(graph, last, first) == pytest.approx(minutes(double, 40), rel=1e-9)
    assert any("2 tronçons sans vitesse_moyenne_vl" in w and "Route à 1 chaussée : 2" in w
               for w in graph.warnings)
    slower = build_bdtopo_graph(edited, default_speeds_kmh={"Route à 1 chaussée": 20.0})
    first, last = ends(slower, direct)
    assert edge(slower, first, last) == pytest.approx(minutes(direct, 20), rel=1e-9)


def test_rows_without_car_access_are_absent(troncons, car_graph) -> None:
    restricted = row(troncons, RESTRICTED)
    assert restricted["acces_vehicule_leger"] == "Restreint aux ayants droit"
    assert restricted["vitesse_moyenne_vl"] == 0
    first, last = ends(car_graph, restricted)  # both ends are reached by other roads...
    assert edge(car_graph, first, last) == edge(car_graph, last, first) == 0.0  # ...not it
    opened = troncons.copy()
    opened.loc[opened["cleabs"] == RESTRICTED, "acces_vehicule_leger"] = "Libre"
    graph = build_bdtopo_graph(opened)
    first, last = ends(graph, restricted)
    assert edge(graph, first, last) == pytest.approx(minutes(restricted, 40), rel=1e-9)
    assert edge(graph, last, first) == pytest.approx(minutes(restricted, 40), rel=1e-9)
    assert ("539 tronçons sur 2\u202f936 écartés : pas d'accès en voiture (Restreint aux "
            "ayants droit : 372, Physiquement impossible : 167)") in car_graph.warnings
    assert ("351 tronçons sur 2\u202f936 écartés : nature fermée aux voitures (Sentier : 267, "
            "Chemin : 71, Escalier : 10, Piste cyclable : 3)") in car_graph.warnings
    assert ("1 tronçons sur 2\u202f936 écartés : pas en service (En construction : 1)"
            in car_graph.warnings)


def test_car_graph_size_and_largest_component(car_graph) -> None:
    # 2,045 usable troncons; 1,747 endpoints, of which the strong component keeps 1,571
    # (the rest are one-way stubs cut by the extract's edge and cul-de-sacs of gated
    # residences behind "Restreint aux ayants droit" troncons).
    assert car_graph.n_nodes == 1571
    assert car_graph.n_edges == 3144
    assert car_graph.warnings[-1].startswith("176 nœud(s) du réseau sur 1\u202f747 sont hors")
    assert car_graph.n_nodes / 1747 > 0.85
    ids = car_graph.node_ids
    assert ids.dtype.kind == "i" and (np.diff(ids) > 0).all() and ids.max() < 1747
    # Marseille 10e, south-east of the city centre.
    assert car_graph.lon.min() > 5.38 and car_graph.lon.max() < 5.46
    assert car_graph.lat.min() > 43.25 and car_graph.lat.max() < 43.30


def test_walk_graph_uses_paths_both_ways_at_5_kmh(troncons) -> None:
    walk = build_bdtopo_graph(troncons, mode="walk")
    assert (walk.n_nodes, walk.n_edges) == (2240, 5596)
    path = row(troncons, SENTIER)
    assert path["nature"] == "Sentier"
    first, last = ends(walk, path)
    assert edge(walk, first, last) == pytest.approx(minutes(path, 5), rel=1e-9)
    assert edge(walk, last, first) == pytest.approx(minutes(path, 5), rel=1e-9)
    assert ("75 tronçons sur 2\u202f936 écartés : nature non praticable à pied (Type "
            "autoroutier : 40, Bretelle : 35)") in walk.warnings


def test_nearest_service_times_inside_marseille_10e(car_graph) -> None:
    origins = pd.DataFrame({
        "origin_id": ["capelette", "pont_de_vivaux", "saint_loup"],
        "lon": [5.4010, 5.4170, 5.4330],
        "lat": [43.2830, 43.2780, 43.2720],
    })
    services = pd.DataFrame({
        "service_id": ["pharmacie_a", "pharmacie_b"],
        "category": ["pharmacie", "pharmacie"],
        "lon": [5.4100, 5.4300],
        "lat": [43.2800, 43.2700],
    })
    result = nearest_service_times(car_graph, origins, services, {"pharmacie": ["pharmacie"]})
    assert (result["status"] == STATUS_OK).all()
    times = result["travel_time_min"].to_numpy()
    assert np.isfinite(times).all()
    assert (times > 0).all() and (times < 20).all()  # a few km in town
    assert (result["snap_distance_m"] < 200).all()


# --------------------------------------------------------------------------- GIS layers

def _small_area(troncons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    centre = row(troncons, DOUBLE_SENS).geometry.centroid
    return troncons[troncons.intersects(centre.buffer(1000))].copy()


def test_geopackage_round_trip_builds_the_same_graph(tmp_path: Path, troncons) -> None:
    subset = _small_area(troncons)
    assert 400 < len(subset) < 700
    path = tmp_path / "bdtopo.gpkg"
    subset.drop(columns=["source_line"]).to_file(path, layer="troncon_de_route",
                                                 engine="pyogrio")
    from_frame = build_bdtopo_graph(subset)
    from_file = build_bdtopo_graph(path)
    assert from_file.n_nodes == from_frame.n_nodes > 150
    assert from_file.n_edges == from_frame.n_edges
    assert np.allclose(from_file.matrix.toarray(), from_frame.matrix.toarray(), rtol=1e-9)
    assert np.allclose(from_file.lon, from_frame.lon)
    # A two-way troncon of the subset's strong component, read back from the file.
    two_way = subset[(subset["sens_de_circulation"] == "Double sens")
                     & (subset["acces_vehicule_leger"] == "Libre")
                     & (subset["vitesse_moyenne_vl"] > 1)]
    pairs = [frozenset(map(tuple, np.round(shapely.get_coordinates(g)[[0, -1], :2], 2)))
             for g in subset.geometry]
    parallel = pd.Series(pairs, index=subset.index).map(pd.Series(pairs).value_counts()) > 1
    checked = 0
    for index, troncon in two_way.iterrows():
        if parallel[index]:  # the graph keeps the fastest of parallel troncons
            continue
        coords = shapely.get_coordinates(troncon.geometry)
        lon, lat = TO_WGS84.transform(coords[[0, -1], 0], coords[[0, -1], 1])
        if not all(np.hypot(from_file.lon - x, from_file.lat - y).min() < 1e-6
                   for x, y in zip(lon, lat, strict=True)):
            continue
        first, last = ends(from_file, troncon)
        if first == last:  # a loop at the end of a cul-de-sac: no edge, by design
            continue
        expected = minutes(troncon, troncon["vitesse_moyenne_vl"])
        assert edge(from_file, first, last) == pytest.approx(expected, rel=1e-9)
        assert edge(from_file, last, first) == pytest.approx(expected, rel=1e-9)
        checked += 1
    assert checked > 50


def test_shapefile_with_short_bdtopo_names_and_other_crs(tmp_path: Path, troncons) -> None:
    """BD TOPO shapefiles name the fields SENS, VIT_MOY_VL, ACCES_VL; here in WGS84."""
    subset = _small_area(troncons)[
        ["cleabs", "nature", "sens_de_circulation", "vitesse_moyenne_vl",
         "acces_vehicule_leger", "geometry"]
    ].rename(columns={"cleabs": "ID", "nature": "NATURE", "sens_de_circulation": "SENS",
                      "vitesse_moyenne_vl": "VIT_MOY_VL", "acces_vehicule_leger": "ACCES_VL"})
    path = tmp_path / "TRONCON_DE_ROUTE.shp"
    subset.to_crs("EPSG:4326").to_file(path, engine="pyogrio")
    graph = build_bdtopo_graph(path)
    reference = build_bdtopo_graph(_small_area(troncons))
    assert (graph.n_nodes, graph.n_edges) == (reference.n_nodes, reference.n_edges)
    # Lengths survive the WGS84 round trip to well under a millimetre per metre.
    assert graph.matrix.sum() == pytest.approx(reference.matrix.sum(), rel=1e-4)


# --------------------------------------------------------------------------- bad input

def test_misspelt_column_is_named_with_its_near_match(troncons, tmp_path: Path) -> None:
    renamed = troncons.rename(columns={"sens_de_circulation": "sens_circulation"})
    with pytest.raises(InputError) as error:
        build_bdtopo_graph(renamed, description="export.gpkg")
    message = str(error.value)
    assert "colonne(s) manquante(s) 'sens_de_circulation'" in message
    assert "trouvé « sens_circulation » : faute de frappe ?" in message
    assert message.startswith("export.gpkg:1: ")
    path = tmp_path / "renamed.gpkg"
    renamed.iloc[:20].drop(columns=["source_line"]).to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match=r"renamed\.gpkg:1: colonne\(s\) manquante\(s\) "
                                         r"'sens_de_circulation' \(trouvé « sens_circulation »"):
        build_bdtopo_graph(path)


@pytest.mark.parametrize("name", ["empty.sql", "empty.gpkg"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError, match=rf"{name}: fichier vide"):
        build_bdtopo_graph(path)


def test_dump_without_data_block(tmp_path: Path) -> None:
    path = tmp_path / "schema_only.sql"
    path.write_text(DUMP.read_text(encoding="utf-8").split("INSERT INTO", 1)[0],
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"schema_only\.sql: aucune donnée troncon_de_route "
                                         r"\(ni bloc COPY ni instruction INSERT\)"):
        read_troncons(path)


def _edited_dump(tmp_path: Path, line_number: int, old: str, new: str) -> Path:
    lines = DUMP.read_text(encoding="utf-8").split("\n")
    assert old in lines[line_number - 1]
    lines[line_number - 1] = lines[line_number - 1].replace(old, new, 1)
    path = tmp_path / "edited.sql"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_corrupt_geometry_hex_is_located(tmp_path: Path) -> None:
    path = _edited_dump(tmp_path, 110, "(99991, '01020000A06A08", "(99991, 'DEADBEEF0A08")
    with pytest.raises(InputError) as error:
        read_troncons(path)
    assert str(error.value).startswith(f"{path}:110: champ « geom » : géométrie indécodable")
    assert "(attendu : le (E)WKB hexadécimal d'une LineString)" in str(error.value)


def test_row_with_a_missing_value_is_located(tmp_path: Path) -> None:
    path = _edited_dump(tmp_path, 110, "(99991, ", "(")
    with pytest.raises(InputError, match=rf"{path}:110: ligne de 63 valeurs, 64 attendues"):
        read_troncons(path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layer_without_crs(tmp_path: Path, troncons) -> None:
    path = tmp_path / "no_crs.gpkg"
    layer = troncons.iloc[:10].drop(columns=["source_line"]).set_crs(None, allow_override=True)
    layer.to_file(path, layer="troncon_de_route", engine="pyogrio")
    with pytest.raises(InputError, match=r"no_crs\.gpkg: la couche « troncon_de_route » n'a "
                                         r"pas de système de coordonnées"):
        build_bdtopo_graph(path)


def test_no_road_usable_by_car(troncons) -> None:
    footpaths = troncons[troncons["nature"] == "Sentier"]
    with pytest.raises(InputError, match=r"sentiers: aucune route praticable en voiture dans "
                                         r"sentiers"):
        build_bdtopo_graph(footpaths, description="sentiers")
