"""One registry of network formats: suffixes, content sniffing, the loader and the help."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from proximite.errors import InputError
from proximite.network.formats import FORMATS, detect, formats_help
from proximite.network.load import load_network

DATA = Path(__file__).parent / "data"
PBF = DATA / "osm" / "test.osm.pbf"
SQL = DATA / "bdtopo" / "ign_bdtopo_troncon_route_marseille10.sql"


@pytest.mark.parametrize(("name", "expected"), [
    ("x.osm.pbf", "osm"), ("x.pbf", "osm"), ("x.o5m", "osm"), ("x.osm.bz2", "osm"),
    ("x.sql", "bdtopo"), ("x.gpkg", "bdtopo"), ("x.geojson", "bdtopo"), ("x.fgb", "bdtopo"),
    ("x.shp", "bdtopo"), ("x.csv", "edges"), ("X.TSV", "edges"),
])
def test_every_suffix_the_builders_read_is_recognised(tmp_path: Path, name: str,
                                                      expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert detect(path).name == expected


def test_content_sniffing_without_a_known_suffix(tmp_path: Path) -> None:
    pbf = tmp_path / "reseau.dat"
    shutil.copyfile(PBF, pbf)
    assert detect(pbf).name == "osm"
    dump = tmp_path / "troncons.dump"
    shutil.copyfile(SQL, dump)
    assert detect(dump).name == "bdtopo"
    # and the loader builds the same graph as from the named file
    assert load_network(pbf).n_edges == load_network(PBF).n_edges > 0


def test_unknown_format_names_the_file_and_every_format(tmp_path: Path) -> None:
    path = tmp_path / "reseau.bin"
    path.write_bytes(b"\x00\x01 nothing known")
    with pytest.raises(InputError) as caught:
        load_network(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: format de réseau inconnu")
    for fmt in FORMATS:
        assert fmt.label in message and fmt.label in formats_help()
    with pytest.raises(InputError, match="fichier de réseau introuvable"):
        load_network(tmp_path / "absent.osm.pbf")


def test_the_cli_help_lists_the_registry() -> None:
    from typer.testing import CliRunner

    from proximite.cli import app

    result = CliRunner().invoke(app, ["diagnostic", "--help"], env={"COLUMNS": "400"})
    flat = " ".join(result.output.split())
    assert "extrait OpenStreetMap (.osm.pbf, .pbf" in flat
    assert ".o5m" in flat and ".geojson" in flat
