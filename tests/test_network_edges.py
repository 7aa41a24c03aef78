"""Edge-table networks (the demo's stand-in comes in this way)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from proximite.errors import InputError
from proximite.network.edges import read_edge_table

NODES = pd.DataFrame({"node_id": ["a", "b", "c", "d"],
                      "lon": [3.0, 3.1, 3.2, 3.3], "lat": [44.5, 44.5, 44.5, 44.5]})


def _write(tmp_path: Path, text: str, name: str = "edges.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _time(graph, a: str, b: str) -> float:  # type: ignore[no-untyped-def]
    ids = list(graph.node_ids)
    return float(graph.matrix[ids.index(a), ids.index(b)])


def test_km_with_default_speed_both_ways(tmp_path: Path) -> None:
    path = _write(tmp_path, "from,to,km\na,b,10\nb,c,30\nc,d,5\n")
    graph = read_edge_table(path, node_coordinates=NODES, speed_kmh=60.0)
    assert graph.n_nodes == 4
    assert graph.n_edges == 6
    assert _time(graph, "a", "b") == pytest.approx(10.0)
    assert _time(graph, "c", "b") == pytest.approx(30.0)
    assert _time(graph, "d", "c") == pytest.approx(5.0)
    assert not graph.is_stand_in


def test_minutes_oneway_and_parallel_edges(tmp_path: Path) -> None:
    path = _write(tmp_path, "from,to,travel_time_min,oneway\n"
                  "a,b,4,yes\nb,a,6,yes\na,b,3,yes\nb,c,2,no\nc,a,1,yes\n")
    graph = read_edge_table(path, node_coordinates=NODES)
    assert _time(graph, "a", "b") == pytest.approx(3.0)  # fastest parallel edge kept
    assert _time(graph, "b", "a") == pytest.approx(6.0)
    assert _time(graph, "c", "b") == pytest.approx(2.0)
    assert _time(graph, "a", "c") == 0.0  # no direct edge (sparse zero)
    assert "d" not in list(graph.node_ids)


def test_proxy_layout_is_a_stand_in(tmp_path: Path) -> None:
    path = _write(tmp_path, "from_insee,to_insee,km_mairie_to_mairie_x1.3\n48001,48002,12\n",
                  name="proxy_adjacency_graph_48.csv")
    nodes = pd.DataFrame({"node_id": ["48001", "48002"], "lon": [3.1, 3.2],
                          "lat": [44.8, 44.9]})
    graph = read_edge_table(path, node_coordinates=nodes, speed_kmh=48.0)
    assert graph.is_stand_in
    assert graph.matrix.toarray()[0, 1] == pytest.approx(15.0)


def test_largest_strong_component_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, "from,to,travel_time_min,oneway\na,b,1,no\nb,c,1,no\nc,d,1,yes\n")
    graph = read_edge_table(path, node_coordinates=NODES)
    assert sorted(graph.node_ids) == ["a", "b", "c"]
    assert any("1 nœud(s) du réseau sur 4 sont hors" in w for w in graph.warnings)
    assert np.isfinite(graph.lon).all()


@pytest.mark.parametrize(("text", "message"), [
    ("", "fichier vide"),
    ("x,y,km\na,b,1\n", "pas de colonnes de nœuds de départ et d'arrivée"),
    ("from,to,colour\na,b,red\n", "pas de colonne de temps de trajet ni de longueur"),
    ("from,to,km\na,b,abc\n", r"edges.csv:2: champ « km » : valeur invalide « abc »"),
    ("from,to,km\na,b,-3\n", r"edges.csv:2: champ « km » : valeur invalide « -3 »"),
    ("from,to,km\na,zz,3\n", "1 nœud\\(s\\) sans coordonnées : zz"),
])
def test_bad_edge_tables(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=message):
        read_edge_table(path, node_coordinates=NODES)


def test_missing_file_and_no_coordinates(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="fichier introuvable"):
        read_edge_table(tmp_path / "nope.csv", node_coordinates=NODES)
    path = _write(tmp_path, "from,to,km\na,b,1\n")
    with pytest.raises(InputError, match="pas de coordonnées pour les nœuds du réseau"):
        read_edge_table(path)


def test_node_table_west_of_greenwich_and_bad_latitude(tmp_path: Path) -> None:
    edges = _write(tmp_path, "from,to,km\na,b,6\n")
    nodes = _write(tmp_path, "node_id,lon,lat\na,-4.48,48.39\nb,-4.40,48.39\n", "nodes.csv")
    graph = read_edge_table(edges, nodes_path=nodes)  # Brest: negative longitudes
    assert list(graph.lon) == [-4.48, -4.40]
    assert graph.matrix.toarray()[0, 1] == pytest.approx(6.0)
    _write(tmp_path, "node_id,lon,lat\na,-4.48,48.39\nb,-4.40,98\n", "nodes.csv")
    with pytest.raises(InputError, match=r"nodes.csv:3: champ « lat » : valeur invalide « 98 »"):
        read_edge_table(edges, nodes_path=nodes)
    _write(tmp_path, "from,to,km,speed_kmh\na,b,6,0\n")
    with pytest.raises(InputError, match=r"champ « speed_kmh » : valeur invalide « 0 » "
                                         r"\(attendu : un nombre > 0\)"):
        read_edge_table(edges, nodes_path=tmp_path / "nodes.csv")
