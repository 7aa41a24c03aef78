"""Issue 10: bad service files end in a located rejection or one-line error, never in silent
loss or a traceback (unbalanced quotes, CR-only line ends, binary files, Windows encodings,
a service_id given by two files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from proximite.catalogue import load_catalogue
from proximite.errors import InputError
from proximite.inventory._read import read_csv_table
from proximite.inventory.partner import read_partner_services
from proximite.inventory.sources import detect_layout, load_services

HEADER = "category,name,lon,lat,address\n"


def _rows(n: int) -> list[str]:
    return [f"la_poste,Bureau {i},3.5,44.{i:02d},rue {i}\n" for i in range(1, n + 1)]


def test_unbalanced_quote_rejects_its_line_and_reads_the_rest(tmp_path: Path) -> None:
    rows = _rows(33)
    rows[4] = rows[4].replace("Bureau", '"Bureau')  # line 6 opens a quote, never closed
    path = tmp_path / "partner.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    result = read_partner_services(path, load_catalogue())
    assert len(result.services) == 32
    assert [(r.line, r.reason.split(" (")[0]) for r in result.rejected] == [
        (6, "guillemet ouvert sur cette ligne et jamais refermé")]
    assert "avalait les 28 ligne(s) suivante(s)" in result.rejected[0].reason
    assert "Bureau 6" in set(result.services["name"])
    # every physical line is accounted for: header + used + rejected
    n_lines = (HEADER + "".join(rows)).count("\n")
    assert 1 + len(result.services) + len(result.rejected) == n_lines == 34


def test_quote_open_in_last_field_is_caught_by_the_swallowed_rows(tmp_path: Path) -> None:
    rows = _rows(5)
    rows[1] = rows[1].replace("rue 2", '"rue 2')  # right field count, but holds 3 rows
    path = tmp_path / "partner.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    table = read_csv_table(path, ["category", "name", "lon", "lat"])
    assert list(table.frame["_line"]) == [2, 4, 5, 6]
    assert [r.line for r in table.rejected] == [3]


def test_legitimate_multiline_field_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "partner.csv"
    path.write_text(HEADER + 'la_poste,A,3.5,44.5,"rue 1\nbâtiment B"\nla_poste,B,3.5,44.6,x\n',
                    encoding="utf-8")
    table = read_csv_table(path, ["category", "name", "lon", "lat"])
    assert list(table.frame["address"]) == ["rue 1\nbâtiment B", "x"]
    assert list(table.frame["_line"]) == [2, 4]
    assert table.rejected == []


def test_cr_only_line_ends_are_read(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"category,name,lon,lat\rla_poste,A,3.5,44.5\rla_poste,B,3.6,44.6\r")
    assert detect_layout(path).name == "partner"
    result = read_partner_services(path, load_catalogue())
    assert list(result.services["name"]) == ["A", "B"]
    assert list(result.services["source_line"]) == ["2", "3"]


@pytest.mark.parametrize(("data", "message"), [
    (b"\x00\x01\x02garbage\x00" * 50, r"bin\.csv:1: contenu binaire, pas du texte"),
    (bytes(range(1, 32)) * 40, r"bin\.csv: contenu binaire, pas du texte"),
    ("category,name\n".encode("utf-16"), r"bin\.csv: texte en UTF-16"),
])
def test_binary_service_file_is_one_line_error(tmp_path: Path, data: bytes,
                                               message: str) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        load_services([path], load_catalogue())


def test_windows_1252_is_decoded_with_a_warning_for_every_file_kind(tmp_path: Path) -> None:
    services = tmp_path / "s.csv"
    services.write_bytes("category,name,lon,lat\nla_poste,Mairie de Chélé œ,3.5,44.5\n"
                         .encode("cp1252"))
    result = load_services([services], load_catalogue())
    assert list(result.services["name"]) == ["Mairie de Chélé œ"]
    assert result.warnings == [f"{services} : pas en UTF-8, lu comme du Windows-1252 "
                               "(vérifier les accents ; réenregistrer en UTF-8 pour faire "
                               "taire cet avertissement)"]

    from proximite.origins import load_origins

    origins = tmp_path / "o.csv"
    origins.write_bytes("origin_id,lon,lat,population\nbourg é,3.5,44.5,10\n".encode("cp1252"))
    table, warnings = load_origins(origins, None)
    assert list(table["origin_id"]) == ["bourg é"]
    assert warnings == [f"{origins} : pas en UTF-8, lu comme du Windows-1252 (vérifier les "
                        "accents ; réenregistrer en UTF-8 pour faire taire cet avertissement)"]

    from proximite.network.edges import read_edge_table

    edges = tmp_path / "e.csv"
    edges.write_bytes("from,to,km\nné,b,1\n".encode("cp1252"))
    nodes = tmp_path / "n.csv"
    nodes.write_bytes("node_id,lon,lat\nné,3.5,44.5\nb,3.6,44.5\n".encode("cp1252"))
    graph = read_edge_table(edges, nodes_path=nodes)
    assert "né" in list(graph.node_ids)
    assert [w.split(" : ")[0] for w in graph.warnings] == [str(edges), str(nodes)]


def test_same_service_id_in_two_files_names_both(tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    first.write_text("service_id,category,name,lon,lat\nx1,la_poste,A,3.5,44.5\n"
                     "x2,la_poste,B,3.6,44.5\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("service_id,category,name,lon,lat\nx3,la_poste,C,3.7,44.5\n"
                      "x1,la_poste,D,3.8,44.5\n", encoding="utf-8")
    result = load_services([first, second], load_catalogue())
    assert list(result.services["service_id"]) == ["x1", "x2", "x3"]
    assert [(r.path, r.line, r.field, r.value, r.reason) for r in result.rejected] == [
        (str(second), 3, "service_id", "x1",
         f"service_id déjà lu dans {first} : cette ligne est écartée")]
    assert result.warnings == [f"{second} : 1 service_id déjà présents dans {first} (lignes "
                               "écartées, voir rejected_services) : x1"]
    with pytest.raises(InputError, match=r"a\.csv: fichier donné deux fois à --services"):
        load_services([first, first], load_catalogue())


def test_same_service_id_twice_in_one_file_keeps_the_first(tmp_path: Path) -> None:
    """The shared check of load_services, for readers that do not check ids themselves."""
    import pandas as pd

    from proximite.inventory.schema import ImportResult, empty_services
    from proximite.inventory.sources import _drop_repeated_ids

    path = tmp_path / "a.json"
    rows = pd.DataFrame({"service_id": ["x1", "x2", "x1"], "name": ["A", "B", "A bis"],
                         "source_file": str(path), "source_line": ["2", "3", "4"]})
    services = rows.reindex(columns=empty_services().columns, fill_value="")
    seen: dict[str, str] = {}
    result = _drop_repeated_ids(ImportResult(services), path, seen)
    assert list(result.services["service_id"]) == ["x1", "x2"]
    assert list(result.services["name"]) == ["A", "B"]
    assert [(r.path, r.line, r.field, r.value, r.reason) for r in result.rejected] == [
        (str(path), 4, "service_id", "x1",
         "service_id déjà lu à la ligne 2 du même fichier : seule la première ligne est "
         "gardée")]
    assert result.warnings == [f"{path} : 1 ligne(s) reprennent un service_id déjà lu "
                               "plus haut dans le même fichier (seule la première est gardée, "
                               "voir rejected_services) : x1"]
    assert seen == {"x1": str(path), "x2": str(path)}


def test_scenario_and_candidate_files_are_decoded_like_the_others(tmp_path: Path) -> None:
    from proximite.io.tables import read_candidates, read_open_services
    from proximite.planning.siting import Candidates

    opened = tmp_path / "open.csv"
    opened.write_bytes("category,lon,lat,name\nla_poste,3.5,44.5,Agence de Chély\n"
                       .encode("cp1252"))
    assert list(read_open_services(opened)["name"]) == ["Agence de Chély"]
    candidates = tmp_path / "candidates.csv"
    candidates.write_bytes("candidate_id,lon,lat,name\nc1,3.5,44.5,Salle des fêtes\n"
                           .encode("cp1252"))
    assert list(Candidates(read_candidates(candidates)).table["name"]) == ["Salle des fêtes"]
