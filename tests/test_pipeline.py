"""The main job end to end: the embedded Lozère demo, outputs and CLI errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from proximite.cli import app
from proximite.outputs import write_outputs
from proximite.pipeline import DiagnosticResult

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(demo_result: DiagnosticResult) -> DiagnosticResult:
    return demo_result


def test_demo_covers_every_commune_and_category(demo: DiagnosticResult) -> None:
    assert len(demo.territory.communes) == 152
    assert demo.graph.is_stand_in
    access = demo.access_times
    categories = access[access.target_kind == "category"]
    # one row per commune and computed category, none dropped
    assert len(categories) == 152 * len(demo.categories)
    assert categories.groupby("category")["origin_id"].nunique().eq(152).all()
    ok = categories.status == "ok"
    assert categories.loc[ok, "travel_time_min"].notna().all()
    assert categories.loc[~ok, "travel_time_min"].isna().all()
    assert (categories.loc[~ok, "status_detail"] != "").all()
    assert set(categories.status) <= {"ok", "unreachable", "no_service"}
    for code in ("france_services", "la_poste", "station_carburant", "mediation_numerique"):
        sub = categories[categories.category == code]
        assert (sub.status == "ok").all(), code


def test_demo_figures_are_plausible(demo: DiagnosticResult) -> None:
    territory = demo.indicators[demo.indicators.level == "territory"].set_index("category")
    # every commune of Lozère has a La Poste contact point within a few communes
    assert 0 < territory.loc["la_poste", "median_min"] < 15
    assert territory.loc["la_poste", "population"] == pytest.approx(demo.territory.population)
    # France Services are fewer: longer times than La Poste
    assert territory.loc["france_services", "median_min"] >= territory.loc["la_poste",
                                                                           "median_min"]
    assert np.isnan(territory.loc["medecin_generaliste", "median_min"])  # no data in demo
    basket = demo.access_times[(demo.access_times.category == "allier_17")]
    assert (basket.status == "incomplete").all()
    assert "Médecin généraliste" in basket.status_detail.iloc[0]  # by label, not code
    socle = demo.access_times[demo.access_times.category == "socle_demo"]
    assert (socle.status == "ok").all()


def test_demo_basket_is_mean_of_its_categories(demo: DiagnosticResult) -> None:
    access = demo.access_times
    wide = access.pivot(index="origin_id", columns="category", values="travel_time_min")
    members = list(demo.catalogue.baskets["socle_demo"].categories)
    assert np.allclose(wide["socle_demo"], wide[members].mean(axis=1))


def test_outputs_written(demo: DiagnosticResult, tmp_path: Path) -> None:
    written = write_outputs(demo, tmp_path)
    gpkg = tmp_path / "diagnostic.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"communes", "services", "access_times", "indicators"} <= layers
    access = pyogrio.read_dataframe(gpkg, layer="access_times")
    for column in ("code_insee", "category", "travel_time_min", "status", "snap_distance_m"):
        assert column in access.columns
    communes = pyogrio.read_dataframe(gpkg, layer="communes")
    assert len(communes) == 152
    assert "t_la_poste_min" in communes.columns
    for name in ("communes", "services", "access_times", "indicators"):
        assert (tmp_path / f"{name}.csv").exists()
    csv = pd.read_csv(tmp_path / "access_times.csv", dtype={"code_insee": str})
    assert len(csv) == len(demo.access_times)
    html = written["report"].read_text(encoding="utf-8")
    assert "PAS un réseau routier" in html


def test_cli_demo_says_stand_in(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diagnostic", "--demo-network", "stand-in",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "PAS un réseau routier" in result.output
    assert (tmp_path / "out" / "diagnostic.gpkg").exists()
    assert (tmp_path / "out" / "report.html").exists()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "network.osm.pbf"
    bad.write_bytes(b"")
    services = tmp_path / "services.csv"
    services.write_text("category,name,lon,lat\npharmacie,P,3.5,44.5\n", encoding="utf-8")
    result = runner.invoke(app, ["diagnostic", "--departement", "48", "--network", str(bad),
                                 "--services", str(services), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "Erreur" in result.output
    assert "network.osm.pbf" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["diagnostic", "--departement", "999"])
    assert result.exit_code == 2
    assert "code de département « 999 » inconnu" in result.output


def test_network_with_no_edge_in_territory(tmp_path: Path) -> None:
    edges = tmp_path / "far.csv"
    edges.write_text("from,to,km\nx,y,1\n", encoding="utf-8")
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("node_id,lon,lat\nx,2.35,48.85\ny,2.36,48.86\n", encoding="utf-8")
    services = tmp_path / "services.csv"
    services.write_text("category,name,lon,lat\npharmacie,P,3.5,44.5\n", encoding="utf-8")
    from proximite.network.edges import read_edge_table

    graph = read_edge_table(edges, nodes_path=nodes)
    assert graph.n_nodes == 2
    result = runner.invoke(app, ["diagnostic", "--departement", "48", "--network",
                                 str(edges), "--services", str(services)])
    assert result.exit_code == 2
    # without a node table, node ids must be INSEE codes of the territory
    assert "2 nœud(s) sans coordonnées : x, y" in result.output
    result = runner.invoke(app, ["diagnostic", "--departement", "48", "--network",
                                 str(edges), "--network-nodes", str(nodes),
                                 "--services", str(services), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "le réseau n'a aucun arc dans le territoire" in result.output
    assert "far.csv" in result.output


OSM_DIR = Path(__file__).parent / "data" / "osm"


def test_cli_on_real_osm_network_matches_networkx(tmp_path: Path) -> None:
    """The acceptance run: real OSM network, services and origins given as files."""
    import networkx as nx
    from scipy.spatial import cKDTree

    from proximite.network.snap import metric_crs_for, project

    out = tmp_path / "hel"
    result = runner.invoke(app, [
        "diagnostic", "--network", str(OSM_DIR / "Helsinki.osm.pbf"),
        "--services", str(OSM_DIR / "helsinki_services.csv"),
        "--origins", str(OSM_DIR / "helsinki_origins.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "PAS un réseau routier" not in result.output
    access = pd.read_csv(out / "access_times.csv")
    services = pd.read_csv(out / "services.csv")
    pharmacies = access[access.category == "pharmacie"].set_index("origin_id")
    assert len(pharmacies) == 30 and (pharmacies.status == "ok").all()

    # Independent recomputation: networkx on the same OSM graph, snapping by cKDTree.
    from proximite.network.osm import build_osm_graph

    graph = build_osm_graph(OSM_DIR / "Helsinki.osm.pbf")
    crs = metric_crs_for(graph.lon, graph.lat)
    tree = cKDTree(np.column_stack(project(graph.lon, graph.lat, crs)))
    speed_m_per_min = 5.0 * 1000 / 60  # default access speed, 5 km/h

    def snap(lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        distance, node = tree.query(np.column_stack(project(lon, lat, crs)))
        return node, distance

    coo = graph.matrix.tocoo()
    reverse = nx.DiGraph()
    reverse.add_weighted_edges_from(zip(coo.col.tolist(), coo.row.tolist(), coo.data.tolist(),
                                        strict=True))
    shops = services[services.category == "pharmacie"]
    s_node, s_dist = snap(shops.lon, shops.lat)
    for node, distance in zip(s_node, s_dist, strict=True):
        weight = distance / speed_m_per_min
        if reverse.has_edge("src", int(node)):
            weight = min(weight, reverse["src"][int(node)]["weight"])
        reverse.add_edge("src", int(node), weight=weight)
    lengths = nx.single_source_dijkstra_path_length(reverse, "src")
    origins = pd.read_csv(OSM_DIR / "helsinki_origins.csv")
    o_node, o_dist = snap(origins.lon, origins.lat)
    for origin_id, node, distance in zip(origins.origin_id, o_node, o_dist, strict=True):
        expected = distance / speed_m_per_min + lengths[int(node)]
        assert pharmacies.loc[origin_id, "travel_time_min"] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("text", "message"), [
    ("origin_id,lon,lat,population\na,3.5,44.5,-4\n",
     r"origins.csv:2: champ « population » : valeur invalide « -4 » \(attendu : un nombre ≥ 0\)"),
    ("origin_id,lon,lat,population\na,3.5,95,10\n",
     r"origins.csv:2: champ « lat » : valeur invalide « 95 » \(attendu : des degrés WGS84"),
    ("origin_id,lon,lat,pop\na,3.5,44.5,10\n", r"colonne\(s\) manquante\(s\) 'population'"),
    ("origin_id,lon,lat,population\na,3.5,44.5,1\na,3.6,44.5,2\n", "origin_id « a » en double"),
])
def test_bad_origins_files(tmp_path: Path, text: str, message: str) -> None:
    from proximite.errors import InputError
    from proximite.origins import read_origins

    path = tmp_path / "origins.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_origins(path, None)
