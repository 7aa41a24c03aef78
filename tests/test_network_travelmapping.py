"""Travel Mapping network: reading, junctions, classes, edge times, oracle, bad input."""

from __future__ import annotations

import io
import math
import re
import tarfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra

from proximite.errors import InputError
from proximite.network.load import load_network
from proximite.network.travelmapping import (
    TravelMappingParams,
    build_network,
    read_travelmapping,
    road_class,
    territory_box,
)

FIXTURE = Path(__file__).parent / "data" / "travelmapping" / "lozere_mini.tar.gz"
COORD = re.compile(r"lat=([-0-9.]+)&lon=([-0-9.]+)")


def _members(path: Path = FIXTURE) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
                for m in archive if m.isfile()}


def _write_archive(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


def _haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_fixture_routes_and_classes() -> None:
    data = read_travelmapping(FIXTURE)
    routes = data.routes.set_index("root")
    assert len(routes) == 7
    assert routes.loc["fraocc.n088men", "road_class"] == "nationale"
    assert routes.loc["fraocc.n088men", "route"] == "N88"
    assert (routes.drop("fraocc.n088men")["road_class"] == "departementale").all()
    # every waypoint line of the fixture is read
    lines = sum(len([x for x in c.splitlines() if x.strip()])
                for n, c in _members().items() if n.endswith(".wpt"))
    assert len(data.lon) == lines
    assert data.warnings == []


@pytest.mark.parametrize(("system", "route", "expected"), [
    ("fraa", "A75", "autoroute"), ("frasf", "Périphérique", "autoroute"),
    ("fran", "N88", "nationale"), ("fracort", "T20", "nationale"),
    ("fraoccd48", "D806-48", "departementale"), ("fracord", "D81", "departementale"),
    ("fraaram42", "M2-42", "autre"), ("xyz", "A7", "autoroute"), ("xyz", "N7", "nationale"),
    ("xyz", "D7", "departementale"), ("xyz", "RouNap", "autre"),
])
def test_road_class(system: str, route: str, expected: str) -> None:
    assert road_class(system, route) == expected


def test_junctions_merge_identical_coordinates() -> None:
    files = _members()
    coords = [COORD.search(line.decode()).groups()  # type: ignore[union-attr]
              for name, content in files.items() if name.endswith(".wpt")
              for line in content.splitlines() if line.strip()]
    network = build_network(read_travelmapping(FIXTURE))
    # one node per distinct published coordinate pair
    assert len(network.lon) == len(set(coords))
    # each D-road shares at least one waypoint with the N88 (the fixture's construction)
    spine = {c for c in (COORD.search(line.decode()).groups()  # type: ignore[union-attr]
                         for line in files["hwy_data/FRA-OCC/fran/fraocc.n088men.wpt"]
                         .splitlines())}
    shared = [name for name, content in files.items()
              if "fraoccd48/" in name and spine & {COORD.search(x.decode()).groups()  # type: ignore[union-attr]
                                                    for x in content.splitlines()}]
    assert len(shared) == 6
    graph = network.graph()
    assert graph.warnings == []  # junctions make one connected graph


def test_edge_time_hand_computed() -> None:
    lines = _members()["hwy_data/FRA-OCC/fran/fraocc.n088men.wpt"].decode().splitlines()
    (lat1, lon1), (lat2, lon2) = (map(float, COORD.search(x).groups())  # type: ignore[union-attr]
                                  for x in lines[:2])
    km = _haversine_km(lon1, lat1, lon2, lat2)
    network = build_network(read_travelmapping(FIXTURE))
    graph = network.graph(TravelMappingParams())
    i = int(np.flatnonzero((graph.lon == lon1) & (graph.lat == lat1))[0])
    j = int(np.flatnonzero((graph.lon == lon2) & (graph.lat == lat2))[0])
    expected = km * 1.3 / 80.0 * 60.0  # nationale: x 1.3 at 80 km/h
    assert graph.matrix[i, j] == pytest.approx(expected, rel=3e-3)  # sphere vs ellipsoid
    assert graph.matrix[j, i] == pytest.approx(graph.matrix[i, j])
    faster = network.graph(TravelMappingParams(nationale_speed_kmh=120.0))
    assert faster.matrix[i, j] == pytest.approx(graph.matrix[i, j] * 80.0 / 120.0)


def test_shortest_paths_match_networkx() -> None:
    network = build_network(read_travelmapping(FIXTURE))
    graph = network.graph()
    minutes = network.minutes(TravelMappingParams())
    oracle = nx.Graph()
    for u, v, w in zip(network.u, network.v, minutes, strict=True):
        if u != v and (not oracle.has_edge(u, v) or oracle[u][v]["weight"] > w):
            oracle.add_edge(int(u), int(v), weight=float(w))
    rng = np.random.default_rng(11)
    pairs = rng.choice(graph.n_nodes, size=(8, 2))
    dist = dijkstra(graph.matrix, indices=pairs[:, 0])
    for k, (a, b) in enumerate(pairs):
        expected = nx.dijkstra_path_length(oracle, int(a), int(b))
        assert dist[k, b] == pytest.approx(expected)


def test_box_cuts_routes_at_the_margin() -> None:
    data = read_travelmapping(FIXTURE)
    mende_lon, mende_lat = np.array([3.4994]), np.array([44.5181])
    box = territory_box(mende_lon, mende_lat, 5000.0)
    west, south, east, north = box
    assert (east - west) / 2 == pytest.approx(5000 / (111_320 * math.cos(math.radians(44.5181))))
    network = build_network(data, box)
    full = build_network(data)
    assert 0 < len(network.u) < len(full.u)
    inside = ((network.lon >= west) & (network.lon <= east) & (network.lat >= south)
              & (network.lat <= north))
    # every kept segment has at least one end in the box
    assert (inside[network.u] | inside[network.v]).all()


def test_folder_reads_like_archive(tmp_path: Path) -> None:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    folder = build_network(read_travelmapping(tmp_path))
    archive_net = build_network(read_travelmapping(FIXTURE))
    assert len(folder.u) == len(archive_net.u)
    assert folder.length_km.sum() == pytest.approx(archive_net.length_km.sum())


def test_load_network_travelmapping_says_network_and_access() -> None:
    points = pd.DataFrame({"node_id": ["48095"], "lon": [3.4994], "lat": [44.5181]})
    graph = load_network(FIXTURE, node_coordinates=points)
    assert "Travel Mapping" in graph.description
    assert "calibré sur la matrice OSRM (OpenStreetMap) des 512 communes de l'Isère" \
        in graph.description
    access = graph.metadata["access"]
    assert access["detour_factor"] == 1.3
    assert graph.metadata["calibration"]["fit"]["median_abs_error_min"] > 0
    assert set(graph.edge_classes()) == {"nationale", "departementale"}
    with pytest.raises(InputError, match="voiture"):
        load_network(FIXTURE, mode="walk")


# ------------------------------------------------------------------------- bad input


def test_corrupt_archive(tmp_path: Path) -> None:
    bad = tmp_path / "reseau.tar.gz"
    bad.write_bytes(FIXTURE.read_bytes()[:300])
    with pytest.raises(InputError, match=r"reseau\.tar\.gz: archive Travel Mapping illisible"):
        read_travelmapping(bad)


def test_empty_archive(tmp_path: Path) -> None:
    empty = tmp_path / "vide.tar.gz"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"vide\.tar\.gz: archive Travel Mapping vide"):
        read_travelmapping(empty)
    no_wpt = _write_archive(tmp_path / "sans.tar.gz", {"README.md": b"# HighwayData\n"})
    with pytest.raises(InputError, match=r"sans\.tar\.gz: aucun fichier de points \(\.wpt\)"):
        read_travelmapping(no_wpt)


def test_waypoint_without_coordinates(tmp_path: Path) -> None:
    files = _members()
    name = "hwy_data/FRA-OCC/fran/fraocc.n088men.wpt"
    lines = files[name].decode().splitlines()
    lines[2] = "D42 http://www.openstreetmap.org/?zoom=12"
    files[name] = ("\n".join(lines) + "\n").encode()
    path = _write_archive(tmp_path / "tm.tar.gz", files)
    with pytest.raises(InputError, match=r"tm\.tar\.gz/hwy_data/FRA-OCC/fran/fraocc\.n088men\."
                                         r"wpt:3: champ « lat/lon » : ligne de point sans "
                                         r"coordonnées"):
        read_travelmapping(path)


def test_listed_route_file_missing(tmp_path: Path) -> None:
    files = _members()
    del files["hwy_data/FRA-OCC/fraoccd48/fraocc.d002648.wpt"]
    path = _write_archive(tmp_path / "tm.tar.gz", files)
    listing = files["hwy_data/_systems/fraoccd48.csv"].decode().splitlines()
    line = next(i for i, x in enumerate(listing, start=1) if "fraocc.d002648" in x)
    with pytest.raises(InputError, match=rf"_systems/fraoccd48\.csv:{line}: champ « root » : 1 "
                                         r"route\(s\) listée\(s\) sans fichier de points"):
        read_travelmapping(path)


def test_shipped_archive_reads_whole_france() -> None:
    from proximite.network.calibration_io import SHIPPED_ARCHIVE

    data = read_travelmapping(SHIPPED_ARCHIVE)
    counts = data.routes["road_class"].value_counts()
    assert counts["autoroute"] > 150 and counts["nationale"] > 150
    assert counts["departementale"] > 30_000
    assert {"fraoccd48", "fraarad15", "fraarad03", "fraarad38"} <= set(data.routes["system"])
    assert not data.routes["system"].isin(["eure", "fratr"]).any()


def test_diagnostic_on_travelmapping_uses_its_access_leg_and_says_so() -> None:
    from proximite.pipeline import run_diagnostic

    services = Path(__file__).parents[1] / "src/proximite/data/demo/48/services_48.csv"
    result = run_diagnostic(departement="48", services=[services], network=FIXTURE)
    assert result.options.access is not None
    assert result.options.access.detour_factor == 1.3
    assert result.options.access.max_snap_m == 5000.0
    assert result.options.access.access_speed_kmh == pytest.approx(36.37)
    assert "Travel Mapping" in result.network_note
    assert "écart médian 4,1 min" in result.network_note
    assert not result.graph.is_stand_in
    # Mende's town hall is on the fixture's N88: a time, with the access leg paid
    mende = result.access_times[(result.access_times["origin_id"] == "48095")
                                & (result.access_times["status"] == "ok")]
    assert len(mende) > 0


def test_ustar_reader_matches_tarfile_and_falls_back_on_pax(tmp_path: Path) -> None:
    import gzip

    from proximite.network.travelmapping import _ustar_members

    raw = gzip.decompress(FIXTURE.read_bytes())
    fast = dict(_ustar_members(raw) or [])
    assert fast == _members()  # the standard library's reading, member for member
    files = _members()
    pax = tmp_path / "pax.tar.gz"
    with tarfile.open(pax, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.pax_headers = {"comment": "é"}  # forces a pax header
            archive.addfile(info, io.BytesIO(content))
    assert _ustar_members(gzip.decompress(pax.read_bytes())) is None
    assert len(read_travelmapping(pax).lon) == len(read_travelmapping(FIXTURE).lon)


def _same_data(a: object, b: object) -> bool:
    return (all(np.array_equal(getattr(a, f), getattr(b, f))
                for f in ("route_of", "lon", "lat", "label"))
            and a.routes.equals(b.routes)  # type: ignore[attr-defined]
            and a.warnings == b.warnings)  # type: ignore[attr-defined]


def test_index_gives_the_parsed_archive_and_is_ignored_when_stale(tmp_path: Path) -> None:
    from proximite.network.travelmapping import index_path, write_index

    archive = tmp_path / FIXTURE.name
    archive.write_bytes(FIXTURE.read_bytes())
    parsed = read_travelmapping(archive)
    index = write_index(parsed, archive)
    assert index == index_path(archive) and index.is_file()
    indexed = read_travelmapping(archive)
    assert _same_data(indexed, parsed)
    # the index only stands for these excluded systems and these bytes
    assert len(read_travelmapping(archive, excluded_systems=("fran",)).lon) < len(parsed.lon)
    files = _members()
    name = "hwy_data/FRA-OCC/fran/fraocc.n088men.wpt"
    lines = files[name].splitlines(keepends=True)
    files[name] = b"".join(lines[:-1])  # one waypoint fewer
    _write_archive(archive, files)
    assert len(read_travelmapping(archive).lon) == len(parsed.lon) - 1
    index.write_bytes(b"not an npz")  # a damaged index is only a lost shortcut
    assert len(read_travelmapping(archive).lon) == len(parsed.lon) - 1


def test_shipped_index_is_up_to_date() -> None:
    import hashlib

    from proximite.network.calibration_io import SHIPPED_ARCHIVE
    from proximite.network.travelmapping import index_path

    with np.load(index_path(SHIPPED_ARCHIVE)) as index:
        assert str(index["sha256"]) == hashlib.sha256(SHIPPED_ARCHIVE.read_bytes()).hexdigest()
        assert int(index["counts"].sum()) > 250_000
