"""A diagnostic saved in its GeoPackage and read back (proximite.saved, serve --diagnostic).

The reloaded result must be the same as the live one: graph arrays bit for bit, frames
with the same columns and dtypes (no normalisation was needed: pyogrio reads text as the
pipeline's pandas string dtype, integers and reals as int32/int64/float64), and a portal
built from it answers exactly like the live portal.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from proximite.access import AccessParams
from proximite.catalogue import DEFAULT_CATALOGUE_DIR
from proximite.errors import InputError
from proximite.indicators import IndicatorParams
from proximite.network.graph import RoadGraph
from proximite.outputs import write_outputs
from proximite.pipeline import DEMO_DIR, DiagnosticOptions, DiagnosticResult, run_diagnostic
from proximite.saved import (
    RECORD_LAYERS,
    RECORD_VERSION,
    load_diagnostic,
    network_layers,
    write_record,
)
from proximite.web.app import create_app
from proximite.web.store import PortalData

DATA = Path(__file__).parent / "data"
GRID = DATA / "origins" / "filosofi_200m_sample_48.csv"
OSM = DATA / "osm"
INVENTORY = DATA / "inventory"
MENDE = "48095"
AT = "2026-03-03T10:00:00"  # a Tuesday morning: "open now" the same for both portals


@pytest.fixture(scope="module")
def live(demo_result: DiagnosticResult) -> DiagnosticResult:
    return demo_result


@pytest.fixture(scope="module")
def saved_dir(live: DiagnosticResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_outputs(live, out)
    return out


@pytest.fixture(scope="module")
def reloaded(saved_dir: Path) -> DiagnosticResult:
    return load_diagnostic(saved_dir)


def assert_same_graph(a: RoadGraph, b: RoadGraph) -> None:
    for name in ("indptr", "indices", "data"):
        left, right = getattr(a.matrix, name), getattr(b.matrix, name)
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name
    assert a.matrix.shape == b.matrix.shape
    assert a.node_ids.dtype == b.node_ids.dtype
    assert np.array_equal(a.node_ids, b.node_ids)
    assert np.array_equal(a.lon, b.lon) and np.array_equal(a.lat, b.lat)
    if a.edge_class is None:
        assert b.edge_class is None
    else:
        assert b.edge_class is not None and b.edge_class.dtype == object
        assert list(a.edge_class) == list(b.edge_class)
    assert (a.mode, a.description, a.is_stand_in, a.warnings) == (
        b.mode, b.description, b.is_stand_in, b.warnings)


def assert_same_frames(a: DiagnosticResult, b: DiagnosticResult) -> None:
    pd.testing.assert_frame_equal(a.origins, b.origins)
    pd.testing.assert_frame_equal(a.services.reset_index(drop=True), b.services)
    for name in ("access_times", "indicators"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=False,
                                      rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(a.duplicates.reset_index(drop=True), b.duplicates)
    communes_a, communes_b = a.territory.communes, b.territory.communes
    assert list(communes_a.columns) == list(communes_b.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(communes_a.drop(columns="geometry")).reset_index(drop=True),
        pd.DataFrame(communes_b.drop(columns="geometry")))
    assert communes_b.crs == communes_a.crs
    assert communes_a.geometry.reset_index(drop=True).geom_equals_exact(
        communes_b.geometry, tolerance=0).all()


# ------------------------------------------------------------------ the demo round trip
def test_geopackage_has_the_record_layers(saved_dir: Path, live: DiagnosticResult) -> None:
    gpkg = saved_dir / "diagnostic.gpkg"
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    # the QGIS layers are unchanged, the record adds four plain-named ones
    assert {"communes", "services", "access_times", "indicators", "rejected_services",
            "duplicates"} <= set(layers)
    assert layers["origins"] == "Point" and layers["network_nodes"] == "Point"
    assert layers["network_edges"] is None and layers["run"] is None
    edges = pyogrio.read_dataframe(gpkg, layer="network_edges")
    assert list(edges.columns) == ["from_index", "to_index", "travel_time_min", "edge_class"]
    assert len(edges) == 796
    assert set(edges["edge_class"]) == {"edge_table"}
    nodes = pyogrio.read_dataframe(gpkg, layer="network_nodes")
    assert len(nodes) == 152 and nodes["node_id"].iloc[0] == "48001"
    origins = pyogrio.read_dataframe(gpkg, layer="origins")
    assert list(origins.columns) == ["origin_id", "code_insee", "population", "geometry"]
    assert origins["population"].sum() == pytest.approx(live.territory.population)
    run = dict(pyogrio.read_dataframe(gpkg, layer="run").to_numpy().tolist())
    assert run["proximite_record"] == str(RECORD_VERSION) == "1"
    assert run["territory.name"] == '"Lozère (48)"'
    assert run["access.access_speed_kmh"] == "30.0" and run["access.max_snap_m"] == "10000.0"
    # no CSV for the record layers
    assert not (saved_dir / "network_edges.csv").exists()
    assert not (saved_dir / "run.csv").exists()


def test_reloaded_graph_is_identical(live: DiagnosticResult,
                                     reloaded: DiagnosticResult) -> None:
    assert reloaded.graph.n_nodes == 152 and reloaded.graph.n_edges == 796
    assert_same_graph(live.graph, reloaded.graph)
    assert reloaded.graph.is_stand_in and reloaded.graph.node_ids[0] == "48001"


def test_reloaded_tables_are_identical(live: DiagnosticResult,
                                       reloaded: DiagnosticResult) -> None:
    assert_same_frames(live, reloaded)
    assert len(reloaded.origins) == 152 and len(reloaded.services) == len(live.services)
    mende = reloaded.access_times.query("origin_id == @MENDE and category == 'la_poste'")
    expected = live.access_times.query("origin_id == @MENDE and category == 'la_poste'")
    assert mende["travel_time_min"].iloc[0] == expected["travel_time_min"].iloc[0]


def test_reloaded_parameters_and_catalogue(live: DiagnosticResult,
                                           reloaded: DiagnosticResult) -> None:
    assert reloaded.options.access == AccessParams(access_speed_kmh=30.0, max_snap_m=10000.0)
    assert reloaded.options == live.options
    # 30 categories before the three INSEE gamme baskets (issue 12) added lycee, hopital...
    assert reloaded.categories == live.categories and len(reloaded.categories) == 37
    assert reloaded.baskets == ["allier_17", "vie_courante", "gamme_proximite",
                                "gamme_intermediaire", "gamme_superieure", "socle_demo"]
    assert reloaded.catalogue.categories == live.catalogue.categories
    assert reloaded.catalogue.baskets == live.catalogue.baskets
    assert reloaded.catalogue.families == live.catalogue.families
    assert list(reloaded.catalogue.categories) == list(live.catalogue.categories)
    assert reloaded.territory.name == "Lozère (48)"
    assert reloaded.territory.source == live.territory.source
    assert reloaded.territory.origin_method == "mairie" and reloaded.territory.extent is None
    assert reloaded.network_note == live.network_note
    assert "PAS un réseau routier" in reloaded.network_note
    assert reloaded.warnings == live.warnings and reloaded.provenance == live.provenance
    assert reloaded.rejected == live.rejected == []


def test_load_accepts_the_gpkg_file_itself(saved_dir: Path,
                                           reloaded: DiagnosticResult) -> None:
    again = load_diagnostic(str(saved_dir / "diagnostic.gpkg"))
    assert_same_graph(reloaded.graph, again.graph)


# ------------------------------------------------------------------ the portal
@pytest.fixture(scope="module")
def portals(live: DiagnosticResult,
            reloaded: DiagnosticResult) -> tuple[PortalData, PortalData]:
    return PortalData.from_result(live), PortalData.from_result(reloaded)


def test_portal_from_reload_answers_like_the_live_one(
        portals: tuple[PortalData, PortalData]) -> None:
    before, after = portals
    assert after.territory_name == "Lozère (48)"
    assert after.categories_with_data == before.categories_with_data
    assert after.profiles == before.profiles
    assert after.access_params == before.access_params
    pd.testing.assert_frame_equal(after.commune_times, before.commune_times)
    assert list(after.communes) == list(before.communes) and len(after.communes) == 152
    assert after.commune_geometries == before.commune_geometries
    answered = 0
    for code in before.communes:
        for category in ("la_poste", "france_services", "station_carburant",
                         "accompagnement_numerique", "medecin_generaliste"):
            assert after.near_commune(code, category) == before.near_commune(code, category)
            answered += len(before.near_commune(code, category))
    assert answered > 1000
    mende = before.services.loc[before.near_commune(MENDE, "la_poste")[0][0]]
    points = [(3.4992, 44.5181), (3.2, 44.8), (mende["lon"] + 0.01, mende["lat"]),
              (1.0, 47.0)]  # the last is far from the network: no time
    for lon, lat in points:
        for category in ("la_poste", "france_services"):
            assert after.near_point(lon, lat, category) == before.near_point(lon, lat,
                                                                             category)
    assert before.near_point(1.0, 47.0, "la_poste")[0] == []
    assert before.near_point(3.4992, 44.5181, "la_poste")[0]


def test_commune_fiche_is_the_same_over_http(
        portals: tuple[PortalData, PortalData]) -> None:
    before, after = portals
    live_client, saved_client = TestClient(create_app(before)), TestClient(create_app(after))
    for code in (MENDE, "48140", "48001"):
        left = live_client.get(f"/api/communes/{code}", params={"at": AT})
        right = saved_client.get(f"/api/communes/{code}", params={"at": AT})
        assert left.status_code == right.status_code == 200
        assert left.json() == right.json()
    near = {"category": "la_poste", "commune": MENDE, "at": AT}
    assert saved_client.get("/api/services/near", params=near).json() == \
        live_client.get("/api/services/near", params=near).json()
    point = {"category": "france_services", "lon": 3.5, "lat": 44.52, "at": AT}
    body = saved_client.get("/api/services/near", params=point).json()
    assert body == live_client.get("/api/services/near", params=point).json()
    assert body["services"]


# ------------------------------------------------------------------ other runs
def _round_trip(result: DiagnosticResult, out: Path) -> DiagnosticResult:
    write_outputs(result, out, report=False)
    return load_diagnostic(out)


def test_population_grid_origins_round_trip(tmp_path: Path,
                                           grid_demo_result: DiagnosticResult) -> None:
    live = grid_demo_result  # run_diagnostic(origins=GRID)
    reloaded = _round_trip(live, tmp_path)
    # 68 squares, and a zero-population origin for each of the 150 communes they miss
    assert (reloaded.origins["population"] > 0).sum() == 68
    assert len(reloaded.origins) == 68 + 150
    assert list(reloaded.origins.columns) == ["origin_id", "lon", "lat", "population",
                                              "code_insee"]
    assert reloaded.origins["origin_id"].iloc[0] == "CRS3035RES200mN2433600E3788400"
    assert_same_frames(live, reloaded)
    assert_same_graph(live.graph, reloaded.graph)
    before, after = PortalData.from_result(live), PortalData.from_result(reloaded)
    assert after.communes["48140"].origin_id == before.communes["48140"].origin_id
    assert after.near_commune("48140", "la_poste") == before.near_commune("48140", "la_poste")


def test_osm_network_without_communes_round_trips(tmp_path: Path) -> None:
    """Real OSM graph: int64 node ids, road classes, a territory with no commune."""
    live = run_diagnostic(network=OSM / "Helsinki.osm.pbf",
                          origins=OSM / "helsinki_origins.csv",
                          services=[OSM / "helsinki_services.csv"])
    reloaded = _round_trip(live, tmp_path)
    assert reloaded.graph.n_nodes == 1701 and reloaded.graph.n_edges == 2696
    assert reloaded.graph.node_ids.dtype == np.int64
    assert "residential" in reloaded.graph.edge_classes()
    assert_same_graph(live.graph, reloaded.graph)
    assert_same_frames(live, reloaded)
    assert len(reloaded.territory.communes) == 0
    assert reloaded.territory.extent is not None
    assert reloaded.territory.extent.equals_exact(live.territory.extent, 0)
    assert reloaded.territory.source == live.territory.source
    # the speed scenario still works on the reloaded road classes
    slower = reloaded.graph.with_speed_factors({"residential": 0.5})
    assert np.array_equal(slower.matrix.data,
                          live.graph.with_speed_factors({"residential": 0.5}).matrix.data)
    PortalData.from_result(reloaded)


def test_custom_catalogue_options_and_rejections_round_trip(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue"
    shutil.copytree(DEFAULT_CATALOGUE_DIR, catalogue)
    baskets = (catalogue / "baskets.yaml").read_text(encoding="utf-8")
    (catalogue / "baskets.yaml").write_text(baskets + (
        "  poste_et_carburant:\n    label: Poste et carburant (panier local)\n"
        "    categories: [la_poste, station_carburant]\n"), encoding="utf-8")
    categories = (catalogue / "categories.yaml").read_text(encoding="utf-8")
    (catalogue / "categories.yaml").write_text(categories.replace(
        "label: Bureau de poste\n", "label: Bureau de poste (libellé local)\n"),
        encoding="utf-8")
    options = DiagnosticOptions(
        access=AccessParams(access_speed_kmh=20.0, max_snap_m=9000.0),
        indicators=IndicatorParams(thresholds_min=(15.0, 45.0)),
        baskets=["poste_et_carburant", "socle_demo"], extra_categories=("pharmacie",))
    live = run_diagnostic(
        communes=DEMO_DIR / "communes_48.geojson",
        network=DEMO_DIR / "proxy_adjacency_graph_48.csv",
        services=[INVENTORY / name for name in (
            "anct_liste-fs-20240801_sample.csv", "laposte_poincont2_sample.csv",
            "bpe_sample_48.csv", "station_service_sample.csv", "services_48_sample.csv")],
        catalogue_dir=catalogue, options=options)
    assert live.catalogue.categories["bureau_de_poste"].label.endswith("(libellé local)")
    reloaded = _round_trip(live, tmp_path / "out")
    assert reloaded.catalogue == live.catalogue
    assert reloaded.catalogue.baskets["poste_et_carburant"].categories == (
        "la_poste", "station_carburant")
    assert reloaded.options == live.options
    assert reloaded.options.indicators.thresholds_min == (15.0, 45.0)
    assert reloaded.baskets == ["poste_et_carburant", "socle_demo"]
    assert "pop_over_45" in reloaded.indicators.columns
    assert_same_frames(live, reloaded)
    assert len(reloaded.duplicates) == len(live.duplicates) == 1
    # rejections come back with their file, line, field, value, reason and row count
    assert len(live.rejected) > 100

    def key(r):  # type: ignore[no-untyped-def]
        return (r.path, r.line, r.field, r.value, r.reason, getattr(r, "rows", 1))

    assert [key(r) for r in reloaded.rejected] == [key(r) for r in live.rejected]
    assert [r.message() for r in reloaded.rejected] == [r.message() for r in live.rejected]


def test_synthetic_graph_edges_round_trip_exactly(tmp_path: Path, live: DiagnosticResult,
                                                  saved_dir: Path) -> None:
    """Many edges, integer ids, missing road classes; then a graph without classes."""
    import dataclasses

    rng = np.random.default_rng(7)
    n, m = 5_000, 60_000
    classes = np.array(["primary", "track", None], dtype=object)[rng.integers(0, 3, m)]
    graph = RoadGraph.from_edges(
        node_ids=np.arange(10**9, 10**9 + n, dtype=np.int64),
        lon=3 + rng.random(n), lat=44 + rng.random(n),
        from_index=rng.integers(0, n, m), to_index=rng.integers(0, n, m),
        travel_time_min=rng.random(m) * 3, edge_class=classes,
        keep_largest_component=False, description="synthetic")
    _, edges = network_layers(graph)
    assert len(edges) == graph.n_edges and edges["edge_class"].isna().any()
    for variant in (graph, dataclasses.replace(graph, edge_class=None)):
        result = dataclasses.replace(live, graph=variant)
        gpkg = _copy_without(saved_dir / "diagnostic.gpkg",
                             tmp_path / f"g{variant.edge_class is None}.gpkg",
                             set(RECORD_LAYERS))
        write_record(result, gpkg)
        assert_same_graph(variant, load_diagnostic(gpkg).graph)


# ------------------------------------------------------------------ errors
def _copy_without(source: Path, target: Path, skip: set[str]) -> Path:
    for name, _ in pyogrio.list_layers(source):
        if name in skip:
            continue
        frame = pyogrio.read_dataframe(source, layer=name)
        pyogrio.write_dataframe(frame, target, layer=name, driver="GPKG")
    return target


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="fichier introuvable") as missing:
        load_diagnostic(tmp_path / "nowhere" / "diagnostic.gpkg")
    assert "nowhere" in str(missing.value)
    with pytest.raises(InputError, match="pas de diagnostic.gpkg dans ce dossier") as empty:
        load_diagnostic(tmp_path)
    assert str(tmp_path) in str(empty.value)


def test_text_file_and_damaged_file(tmp_path: Path, saved_dir: Path) -> None:
    text = tmp_path / "diagnostic.gpkg"
    text.write_text("code_insee,nom\n48095,Mende\n", encoding="utf-8")
    with pytest.raises(InputError, match="ce n'est pas un GeoPackage") as not_gpkg:
        load_diagnostic(text)
    assert str(text) in str(not_gpkg.value)
    damaged = tmp_path / "damaged.gpkg"
    damaged.write_bytes((saved_dir / "diagnostic.gpkg").read_bytes()[:3000])
    with pytest.raises(InputError) as broken:
        load_diagnostic(damaged)
    assert str(damaged) in str(broken.value)


def test_geopackage_without_network_edges(tmp_path: Path, saved_dir: Path) -> None:
    gpkg = _copy_without(saved_dir / "diagnostic.gpkg", tmp_path / "old.gpkg",
                         {"network_edges"})
    with pytest.raises(InputError) as error:
        load_diagnostic(gpkg)
    message = str(error.value)
    assert "old.gpkg" in message and "couche « network_edges » absente" in message
    assert "relancer `proximite diagnostic`" in message


def test_geopackage_of_an_older_version(tmp_path: Path, saved_dir: Path) -> None:
    gpkg = _copy_without(saved_dir / "diagnostic.gpkg", tmp_path / "v0.gpkg",
                         {"origins", "network_nodes", "network_edges", "run"})
    with pytest.raises(InputError, match=r"couche « run » absente : .*version antérieure.*"
                                         r"relancer `proximite diagnostic`"):
        load_diagnostic(gpkg)


def test_unknown_record_version(tmp_path: Path, saved_dir: Path) -> None:
    gpkg = tmp_path / "future.gpkg"
    shutil.copy(saved_dir / "diagnostic.gpkg", gpkg)
    with sqlite3.connect(gpkg) as db:
        db.execute("UPDATE run SET value = '2' WHERE key = 'proximite_record'")
    with pytest.raises(InputError) as error:
        load_diagnostic(gpkg)
    message = str(error.value)
    assert "future.gpkg" in message and "version d'enregistrement 2 inconnue" in message
    assert "lit la version 1" in message


def test_edited_network_is_refused(tmp_path: Path, saved_dir: Path) -> None:
    gpkg = tmp_path / "edited.gpkg"
    shutil.copy(saved_dir / "diagnostic.gpkg", gpkg)
    with sqlite3.connect(gpkg) as db:
        db.execute("DELETE FROM network_edges WHERE fid = 1")
    with pytest.raises(InputError, match="couche « network_edges » : 795 arcs, la couche "
                                         "« run » en annonce 796"):
        load_diagnostic(gpkg)


# ------------------------------------------------------------------ the command
def test_serve_command_loads_the_saved_diagnostic(monkeypatch, saved_dir: Path,  # type: ignore[no-untyped-def]
                                                  reloaded: DiagnosticResult) -> None:
    import proximite.pipeline as pipeline
    import proximite.web.server as web_server
    from proximite.cli import app as cli_app

    calls: list[PortalData] = []
    monkeypatch.setattr(web_server, "serve",
                        lambda host, port, workers, data, **_: calls.append(data))
    monkeypatch.setattr(web_server, "default_workers", lambda: 1)
    monkeypatch.setattr(pipeline, "run_diagnostic",
                        lambda **_: pytest.fail("the diagnostic was run again"))
    result = CliRunner().invoke(cli_app, ["serve", "--diagnostic", str(saved_dir)])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    data = calls[0]
    assert data.territory_name == "Lozère (48)"
    assert len(data.communes) == 152 and len(data.services) == len(reloaded.services)
    assert data.graph.n_edges == 796
    assert "Géoportail Lozère (48)" in result.output


def test_serve_command_refuses_diagnostic_with_inputs(monkeypatch, saved_dir: Path,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    import proximite.web.server as web_server
    from proximite.cli import app as cli_app

    monkeypatch.setattr(web_server, "serve", lambda **_: pytest.fail("server started"))
    runner = CliRunner()
    result = runner.invoke(cli_app, ["serve", "--diagnostic", str(saved_dir),
                                     "--communes", str(DEMO_DIR / "communes_48.geojson")])
    assert result.exit_code == 2
    assert "--diagnostic" in result.output and "--communes" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli_app, ["serve", "--diagnostic", str(saved_dir),
                                     "--mode", "walk", "--max-snap-m", "500"])
    assert result.exit_code == 2
    assert "--mode" in result.output and "--max-snap-m" in result.output
    missing = tmp_path / "nothing"
    result = runner.invoke(cli_app, ["serve", "--diagnostic", str(missing)])
    assert result.exit_code == 2
    assert "fichier introuvable" in result.output and "Traceback" not in result.output
