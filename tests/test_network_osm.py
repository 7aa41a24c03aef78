"""OpenStreetMap road graphs: tag rules on hand-written extracts, routing checked by hand
and against networkx on the Helsinki extract (tests/data/osm, see PROVENANCE.md)."""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer
from scipy.spatial import cKDTree

from proximite.access import STATUS_OK, STATUS_UNREACHABLE, AccessParams, nearest_service_times
from proximite.catalogue import load_catalogue
from proximite.errors import InputError
from proximite.inventory.osm_pois import import_osm_pois
from proximite.network.graph import RoadGraph
from proximite.network.load import load_network
from proximite.network.osm import CAR_SPEEDS_KMH, build_osm_graph, car_speeds, parse_maxspeed
from proximite.network.snap import Snapper

OSM_DATA = Path(__file__).parent / "data" / "osm"
HELSINKI = OSM_DATA / "Helsinki.osm.pbf"
HELSINKI_BBOX = (24.9351762, 60.1641550, 24.9534145, 60.1791130)
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius, as documented in proximite.network.osm

# Three nodes in Lozère (so snapping uses Lambert-93): 1 -> 2 east, 2 -> 3 north.
NODES = {1: (3.5000, 44.5000), 2: (3.5100, 44.5000), 3: (3.5100, 44.5080)}

Way = tuple[int, list[int], dict[str, str]]


def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[Way]) -> Path:
    """A minimal OSM XML file (pyosmium reads .osm XML like .osm.pbf)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (lon, lat) in nodes.items():
        lines.append(f'<node id="{node_id}" version="1" lat="{lat!r}" lon="{lon!r}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'<way id="{way_id}" version="1">')
        lines += [f'<nd ref="{ref}"/>' for ref in refs]
        lines += [f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance written out independently of the package."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def minutes(length_m: float, speed_kmh: float) -> float:
    return length_m / 1000.0 / speed_kmh * 60.0


def edge_min(graph: RoadGraph, a: int, b: int) -> float:
    """Stored time of edge a -> b (OSM node ids); 0.0 means no edge."""
    ids = list(graph.node_ids)
    return float(graph.matrix[ids.index(a), ids.index(b)])


def one_way_graph(tmp_path: Path, tags: dict[str, str], mode: str = "car",
                  **kwargs: object) -> RoadGraph:
    """Way 10 (1 -> 2) with ``tags``, closed by two-way residential ways 2-3 and 3-1."""
    path = write_osm(tmp_path / "map.osm", NODES, [
        (10, [1, 2], tags),
        (11, [2, 3, 1], {"highway": "residential"}),
    ])
    return build_osm_graph(path, mode, **kwargs)  # type: ignore[arg-type]


# --- direction ---------------------------------------------------------------------------

def test_oneway_yes_allows_only_the_way_direction(tmp_path: Path) -> None:
    graph = one_way_graph(tmp_path, {"highway": "primary", "oneway": "yes"})
    assert edge_min(graph, 1, 2) > 0
    assert edge_min(graph, 2, 1) == 0.0
    assert edge_min(graph, 2, 3) > 0 and edge_min(graph, 3, 2) > 0


@pytest.mark.parametrize("value", ["-1", "reverse"])
def test_oneway_minus_one_is_reversed(tmp_path: Path, value: str) -> None:
    graph = one_way_graph(tmp_path, {"highway": "primary", "oneway": value})
    assert edge_min(graph, 1, 2) == 0.0
    assert edge_min(graph, 2, 1) > 0


def test_roundabout_and_motorway_imply_oneway_unless_oneway_no(tmp_path: Path) -> None:
    ring = write_osm(tmp_path / "ring.osm", NODES,
                     [(10, [1, 2, 3, 1], {"highway": "tertiary", "junction": "roundabout"})])
    graph = build_osm_graph(ring)
    assert edge_min(graph, 1, 2) > 0 and edge_min(graph, 2, 3) > 0 and edge_min(graph, 3, 1) > 0
    assert edge_min(graph, 2, 1) == 0.0 and edge_min(graph, 3, 2) == 0.0
    assert edge_min(graph, 1, 3) == 0.0
    motorway = one_way_graph(tmp_path, {"highway": "motorway"})
    assert edge_min(motorway, 1, 2) > 0 and edge_min(motorway, 2, 1) == 0.0
    two_way = one_way_graph(tmp_path, {"highway": "motorway", "oneway": "no"})
    assert edge_min(two_way, 2, 1) > 0


def test_reversible_way_is_not_routed(tmp_path: Path) -> None:
    graph = one_way_graph(tmp_path, {"highway": "primary", "oneway": "reversible"})
    assert edge_min(graph, 1, 2) == 0.0 and edge_min(graph, 2, 1) == 0.0


def test_walk_ignores_oneway(tmp_path: Path) -> None:
    graph = one_way_graph(tmp_path, {"highway": "residential", "oneway": "yes"}, mode="walk")
    assert edge_min(graph, 1, 2) == edge_min(graph, 2, 1) > 0


# --- speeds and exact times --------------------------------------------------------------

def test_edge_times_are_haversine_length_at_class_speed(tmp_path: Path) -> None:
    graph = one_way_graph(tmp_path, {"highway": "secondary"})
    assert graph.description == "OpenStreetMap map.osm (en voiture)"
    assert sorted(graph.node_ids.tolist()) == [1, 2, 3]
    for node_id, (lon, lat) in NODES.items():
        index = list(graph.node_ids).index(node_id)
        assert (graph.lon[index], graph.lat[index]) == (lon, lat)
    length_12 = haversine_m(NODES[1], NODES[2])
    assert length_12 == pytest.approx(793.1, abs=0.05)  # 0.01 degree of longitude at 44.5 N
    assert edge_min(graph, 1, 2) == pytest.approx(minutes(length_12, 70.0), rel=1e-12)
    assert edge_min(graph, 2, 1) == pytest.approx(minutes(length_12, 70.0), rel=1e-12)
    length_23 = haversine_m(NODES[2], NODES[3])
    assert edge_min(graph, 3, 2) == pytest.approx(minutes(length_23, 30.0), rel=1e-12)


@pytest.mark.parametrize(("tags", "forward_kmh", "backward_kmh"), [
    # primary: class average 80 km/h, capped by a lower tagged limit
    ({"maxspeed": "FR:urban"}, 50.0, 50.0),
    ({"maxspeed": "FR:rural"}, 80.0, 80.0),
    ({"maxspeed": "30 mph"}, 30 * 1.609344, 30 * 1.609344),
    ({"maxspeed": "70;50"}, 50.0, 50.0),
    ({"maxspeed": "signals"}, 80.0, 80.0),  # no number: the class average
    ({"maxspeed": "90", "maxspeed:backward": "70"}, 80.0, 70.0),  # a limit above the
    ({"maxspeed": "110"}, 80.0, 80.0),                            # average is no faster
    ({"maxspeed": "50", "maxspeed:forward": "70"}, 70.0, 50.0),
    ({"maxspeed:type": "FR:zone30"}, 30.0, 30.0),
])
def test_maxspeed_sets_edge_speed(tmp_path: Path, tags: dict[str, str], forward_kmh: float,
                                  backward_kmh: float) -> None:
    graph = one_way_graph(tmp_path, {"highway": "primary", **tags})
    length_m = haversine_m(NODES[1], NODES[2])
    assert edge_min(graph, 1, 2) == pytest.approx(minutes(length_m, forward_kmh), rel=1e-12)
    assert edge_min(graph, 2, 1) == pytest.approx(minutes(length_m, backward_kmh), rel=1e-12)


def test_speeds_parameter_overrides_class_defaults(tmp_path: Path) -> None:
    graph = one_way_graph(tmp_path, {"highway": "primary"}, speeds={"primary": 40.0})
    length_m = haversine_m(NODES[1], NODES[2])
    assert edge_min(graph, 1, 2) == pytest.approx(minutes(length_m, 40.0), rel=1e-12)


def test_walk_speed_parameter(tmp_path: Path) -> None:
    graph = one_way_graph(tmp_path, {"highway": "footway"}, mode="walk", walk_speed_kmh=4.0)
    length_m = haversine_m(NODES[1], NODES[2])
    assert edge_min(graph, 1, 2) == pytest.approx(minutes(length_m, 4.0), rel=1e-12)
    assert graph.description == "OpenStreetMap map.osm (à pied)"


# --- who may use a way -------------------------------------------------------------------

@pytest.mark.parametrize(("tags", "routed"), [
    ({"access": "private"}, False),
    ({"access": "no"}, False),
    ({"motor_vehicle": "no"}, False),
    ({"motorcar": "private"}, False),
    ({"access": "no", "motorcar": "yes"}, True),
    ({"access": "private", "motor_vehicle": "destination"}, True),
    ({"access": "yes", "vehicle": "no"}, False),
    ({"access": "destination"}, True),
    ({"access": "permissive"}, True),
    ({"access": "delivery"}, True),
    ({"foot": "no"}, True),
])
def test_car_access_tags(tmp_path: Path, tags: dict[str, str], routed: bool) -> None:
    graph = one_way_graph(tmp_path, {"highway": "service", **tags},
                          keep_largest_component=False)
    assert (edge_min(graph, 1, 2) > 0) is routed


@pytest.mark.parametrize(("tags", "routed"), [
    ({"highway": "footway"}, True),
    ({"highway": "steps"}, True),
    ({"highway": "path"}, True),
    ({"highway": "pedestrian"}, True),
    ({"highway": "footway", "foot": "no"}, False),
    ({"highway": "residential", "foot": "no"}, False),
    ({"highway": "residential", "access": "private"}, False),
    ({"highway": "residential", "access": "no", "foot": "yes"}, True),
    ({"highway": "motorway"}, False),
    ({"highway": "trunk"}, False),
    ({"highway": "primary", "motorroad": "yes"}, False),
    ({"highway": "cycleway"}, False),
    ({"highway": "cycleway", "foot": "designated"}, True),
])
def test_walk_access_tags(tmp_path: Path, tags: dict[str, str], routed: bool) -> None:
    graph = one_way_graph(tmp_path, tags, mode="walk", keep_largest_component=False)
    assert (edge_min(graph, 1, 2) > 0) is routed


def test_footway_and_track_not_routed_by_car_unless_asked(tmp_path: Path) -> None:
    footway = one_way_graph(tmp_path, {"highway": "footway"}, keep_largest_component=False)
    assert edge_min(footway, 1, 2) == 0.0
    track = one_way_graph(tmp_path, {"highway": "track"}, keep_largest_component=False)
    assert edge_min(track, 1, 2) == 0.0
    with_tracks = one_way_graph(tmp_path, {"highway": "track"},
                                highways={"track", "residential"})
    length_m = haversine_m(NODES[1], NODES[2])
    assert edge_min(with_tracks, 1, 2) == pytest.approx(minutes(length_m, 15.0), rel=1e-12)


def test_way_leaving_the_extract_keeps_its_located_part(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "clipped.osm", NODES, [
        (10, [1, 2, 99, 3], {"highway": "residential"}),  # node 99 is not in the file
        (11, [3, 1], {"highway": "residential"}),
    ])
    graph = build_osm_graph(path, keep_largest_component=False)
    assert edge_min(graph, 1, 2) > 0
    assert edge_min(graph, 2, 3) == 0.0
    assert any("sortent de l'extrait" in w for w in graph.warnings)


# --- maxspeed parsing --------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("50", 50.0),
    (" 90 ", 90.0),
    ("50 km/h", 50.0),
    ("30 mph", 30 * 1.609344),
    ("30mph", 30 * 1.609344),
    ("none", None),
    ("walk", 6.0),
    ("FR:urban", 50.0),
    ("FR:rural", 80.0),
    ("FR:motorway", 130.0),
    ("FR:zone30", 30.0),
    ("FR:walk", 6.0),
    ("FI:urban", 50.0),
    ("FI:rural", 80.0),
    ("DE:urban", 50.0),
    ("IT:rural", 80.0),
    ("DE:zone:30", 30.0),
    ("signals", None),
    ("variable", None),
    ("fast", None),
    ("", None),
    (None, None),
    ("0", None),
    ("50;30", 30.0),
    ("FR:rural;70", 70.0),
    ("signals;50", 50.0),
])
def test_parse_maxspeed(value: str | None, expected: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(expected) if expected is not None else None)


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=300))
def test_parse_maxspeed_numbers_and_lists(first: int, second: int) -> None:
    assert parse_maxspeed(str(first)) == first
    assert parse_maxspeed(f"{first} mph") == pytest.approx(first * 1.609344)
    assert parse_maxspeed(f"{first};{second}") == min(first, second)


# --- snap legs by hand -------------------------------------------------------------------

def test_times_are_origin_leg_plus_path_plus_service_leg(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "line.osm", NODES, [(10, [1, 2, 3], {"highway": "primary"})])
    graph = build_osm_graph(path)
    origins = pd.DataFrame({"origin_id": ["near", "far"],
                            "lon": [3.4990, 3.6000], "lat": [44.5003, 44.5000]})
    services = pd.DataFrame({"service_id": ["s1"], "category": ["x"],
                             "lon": [3.5102], "lat": [44.5090]})
    params = AccessParams(access_speed_kmh=4.0, max_snap_m=500.0)
    result = nearest_service_times(graph, origins, services, {"x": ["x"]}, params)

    to_lambert93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)

    def planar_m(a: tuple[float, float], b: tuple[float, float]) -> float:
        (xa, xb), (ya, yb) = to_lambert93.transform([a[0], b[0]], [a[1], b[1]])
        return math.hypot(xb - xa, yb - ya)

    origin_leg_m = planar_m((3.4990, 44.5003), NODES[1])
    service_leg_m = planar_m((3.5102, 44.5090), NODES[3])
    path_min = (minutes(haversine_m(NODES[1], NODES[2]), 80.0)
                + minutes(haversine_m(NODES[2], NODES[3]), 80.0))
    expected = minutes(origin_leg_m, 4.0) + path_min + minutes(service_leg_m, 4.0)

    near = result.set_index("origin_id").loc["near"]
    assert near["status"] == STATUS_OK
    assert near["nearest_service_id"] == "s1"
    assert near["snap_distance_m"] == pytest.approx(origin_leg_m, abs=1e-6)
    assert near["service_snap_distance_m"] == pytest.approx(service_leg_m, abs=1e-6)
    assert near["travel_time_min"] == pytest.approx(expected, abs=1e-9)

    far = result.set_index("origin_id").loc["far"]
    far_m = planar_m((3.6000, 44.5000), NODES[2])
    assert far_m > 500.0
    assert far["status"] == STATUS_UNREACHABLE
    assert np.isnan(far["travel_time_min"])
    assert far["nearest_service_id"] == ""
    km = f"{far_m / 1000:.1f}".replace(".", ",")
    assert far["status_detail"] == f"origine à {km} km du réseau routier (plus de 0,5 km)"


# --- bad input ---------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.osm\.pbf: fichier introuvable \(attendu : un "
                                         r"extrait OpenStreetMap"):
        build_osm_graph(tmp_path / "nope.osm.pbf")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.osm\.pbf: fichier vide \(attendu : un "
                                         r"extrait OpenStreetMap"):
        build_osm_graph(path)


@pytest.mark.parametrize("name", ["random.osm.pbf", "random.dat"])
def test_corrupt_pbf(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(7).bytes(4096))
    with pytest.raises(InputError) as info:
        build_osm_graph(path)
    message = str(info.value)
    assert message.startswith(f"{path}: illisible comme données OpenStreetMap (PBF error")
    assert "\n" not in message


def test_corrupt_xml(tmp_path: Path) -> None:
    path = tmp_path / "broken.osm"
    path.write_text('<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat=', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.osm: illisible comme données OpenStreetMap "
                                         r"\(XML"):
        build_osm_graph(path)


def test_file_without_roads(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "noroad.osm", NODES, [(10, [1, 2, 3], {"building": "yes"})])
    with pytest.raises(InputError, match=r"noroad\.osm: aucune route praticable en voiture "
                                         r"\(aucune voie highway=\*\) \(attendu : un extrait"):
        build_osm_graph(path)


def test_file_without_car_roads(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "paths.osm", NODES, [(10, [1, 2, 3], {"highway": "footway"})])
    with pytest.raises(InputError, match=r"aucune route praticable en voiture \(1 voie\(s\) "
                                         r"highway, aucune praticable en voiture\)"):
        build_osm_graph(path)
    assert build_osm_graph(path, "walk").n_edges == 4


def test_second_fixture_builds() -> None:
    """The Kouvola extract reads too (sizes recorded when the builder was written)."""
    graph = build_osm_graph(OSM_DATA / "test.osm.pbf")
    assert (graph.n_nodes, graph.n_edges) == (767, 1488)


# --- Helsinki ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def helsinki_car() -> RoadGraph:
    return build_osm_graph(HELSINKI)


def test_helsinki_graph_sizes(helsinki_car: RoadGraph) -> None:
    graph = helsinki_car
    assert (graph.n_nodes, graph.n_edges) == (1701, 2696)
    assert graph.mode == "car"
    assert graph.description == "OpenStreetMap Helsinki.osm.pbf (en voiture)"
    assert graph.node_ids.dtype == np.int64
    west, south, east, north = HELSINKI_BBOX
    assert graph.lon.min() >= west and graph.lon.max() <= east
    assert graph.lat.min() >= south and graph.lat.max() <= north
    assert graph.warnings == [
        "236 nœud(s) du réseau sur 1\u202f937 sont hors de sa plus grande composante fortement "
        "connexe et ont été écartés",
        "34 tronçon(s) de route sortent de l'extrait (nœud absent du fichier) : écartés",
    ]
    times = graph.matrix.data
    assert times.min() > 0 and times.max() < 2.0  # city-centre edges: seconds, not hours
    walk = build_osm_graph(HELSINKI, "walk")
    assert (walk.n_nodes, walk.n_edges) == (5976, 14346)
    loaded = load_network(HELSINKI)
    assert (loaded.n_nodes, loaded.n_edges) == (1701, 2696)


def test_helsinki_times_match_networkx(helsinki_car: RoadGraph) -> None:
    graph = helsinki_car
    services = import_osm_pois(HELSINKI, load_catalogue()).services
    categories = {"pharmacie": ["pharmacie"], "bibliotheque": ["bibliotheque"],
                  "la_poste": ["la_poste"]}
    services = services[services["category"].isin(list(categories))].reset_index(drop=True)
    assert len(services) == 15
    rng = np.random.default_rng(42)
    west, south, east, north = HELSINKI_BBOX
    origins = pd.DataFrame({"origin_id": [f"o{i}" for i in range(200)],
                            "lon": rng.uniform(west, east, 200),
                            "lat": rng.uniform(south, north, 200)})
    params = AccessParams(access_speed_kmh=5.0, max_snap_m=2000.0)
    result = nearest_service_times(graph, origins, services, categories, params)
    assert len(result) == 600 and (result["status"] == STATUS_OK).all()

    # Independent snapping: KD-tree on UTM 35N (the zone of Helsinki) coordinates.
    assert Snapper(graph).crs == "EPSG:32635"
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32635", always_xy=True)
    tree = cKDTree(np.column_stack(to_utm.transform(graph.lon, graph.lat)))
    origin_m, origin_node = tree.query(np.column_stack(to_utm.transform(origins.lon,
                                                                        origins.lat)))
    service_m, service_node = tree.query(np.column_stack(to_utm.transform(services.lon,
                                                                          services.lat)))

    def leg_min(distance_m: np.ndarray) -> np.ndarray:
        return distance_m / 1000.0 / 5.0 * 60.0

    coo = graph.matrix.tocoo()
    reversed_graph = nx.DiGraph()
    reversed_graph.add_weighted_edges_from(zip(coo.col.tolist(), coo.row.tolist(),
                                               coo.data.tolist(), strict=True))
    # Time from every node to each single service (reverse search from its node).
    to_service = {
        s: nx.single_source_dijkstra_path_length(reversed_graph, int(service_node[s]))
        for s in range(len(services))
    }
    by_origin = result.set_index(["origin_id", "category"])
    for code, members in categories.items():
        in_cat = np.flatnonzero(services["category"].isin(members).to_numpy())
        search = reversed_graph.copy()
        for s in in_cat:  # super-source -> service node, the shortest service leg per node
            node, weight = int(service_node[s]), float(leg_min(service_m[s]))
            if not search.has_edge("super", node) or search["super", node]["weight"] > weight:
                search.add_edge("super", node, weight=weight)
        from_services = nx.single_source_dijkstra_path_length(search, "super")
        for i, origin_id in enumerate(origins["origin_id"]):
            row = by_origin.loc[(origin_id, code)]
            expected = leg_min(origin_m[i]) + from_services[int(origin_node[i])]
            assert row["travel_time_min"] == pytest.approx(expected, abs=1e-6)
            assert row["snap_distance_m"] == pytest.approx(origin_m[i], abs=1e-6)
            chosen = int(np.flatnonzero(services["service_id"] == row["nearest_service_id"])[0])
            assert chosen in in_cat
            via_chosen = (leg_min(origin_m[i]) + to_service[chosen][int(origin_node[i])]
                          + leg_min(service_m[chosen]))
            assert via_chosen == pytest.approx(row["travel_time_min"], abs=1e-6)
            assert row["service_snap_distance_m"] == pytest.approx(service_m[chosen], abs=1e-6)


@given(limit=st.integers(min_value=5, max_value=150),
       highway=st.sampled_from(sorted(CAR_SPEEDS_KMH)))
def test_a_tagged_limit_never_makes_a_road_faster(limit: int, highway: str) -> None:
    """Speed = min(class average, limit): never above either, equal to one of them."""
    forward, backward = car_speeds({"highway": highway, "maxspeed": str(limit)},
                                   CAR_SPEEDS_KMH)
    assert forward == backward == min(CAR_SPEEDS_KMH[highway], float(limit))
