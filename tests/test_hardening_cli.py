"""Issue 10 through the command line: a service_id given by two files is reported with both
files, with and without --no-analysis; opening hours that do not parse are kept raw,
warned about and counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from proximite.catalogue import load_catalogue
from proximite.cli import app
from proximite.inventory.sources import load_services
from proximite.pipeline import DemoBundle

runner = CliRunner()


@pytest.mark.parametrize("extra", [["--no-analysis"], []])
def test_same_service_id_in_two_files_through_the_cli(tmp_path: Path, extra: list[str]) -> None:
    bundle = DemoBundle.load()
    first = tmp_path / "a.csv"
    first.write_text("service_id,category,name,lon,lat\nfs1,france_services,A,3.50,44.52\n"
                     "fs2,france_services,B,3.65,44.40\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("service_id,category,name,lon,lat\nfs2,france_services,C,3.30,44.60\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "diagnostic", "--communes", str(bundle.path("communes")),
        "--network", str(bundle.directory / bundle.networks()["stand-in"]["file"]),
        "--max-snap-m", "10000", "--services", str(first), "--services", str(second),
        "--no-report", "--out", str(out), *extra], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert (f"{second} : 1 service_id déjà présents dans {first} (lignes écartées, voir "
            "rejected_services) : fs2") in " ".join(result.output.split())
    services = pd.read_csv(out / "services.csv", dtype=str)
    assert sorted(services["service_id"]) == ["fs1", "fs2"]
    assert services.set_index("service_id").loc["fs2", "name"] == "B"
    rejected = pd.read_csv(out / "rejected_services.csv", dtype=str)
    assert rejected[["file", "line", "field", "value"]].values.tolist() == [
        [str(second), "2", "service_id", "fs2"]]


def test_unparsable_opening_hours_are_kept_raw_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("category,name,lon,lat,opening_hours\n"
                    "la_poste,A,3.5,44.5,Mo-Fr 09:00-12:00\n"
                    "la_poste,B,3.5,44.6,lundi 9h-12h\n"
                    "la_poste,C,3.5,44.7,Mo-Fr 25:00-26:00\n"
                    "la_poste,D,3.5,44.8,\n", encoding="utf-8")
    result = load_services([path], load_catalogue())
    services = result.services.set_index("name")
    assert services["opening_hours"].to_dict() == {"A": "Mo-Fr 09:00-12:00", "B": "", "C": "",
                                                   "D": ""}
    assert services.loc[["B", "C"], "opening_hours_raw"].tolist() == ["lundi 9h-12h",
                                                                      "Mo-Fr 25:00-26:00"]
    assert result.warnings == [
        f"{path} : 2 ligne(s) aux horaires illisibles en syntaxe OSM opening_hours, gardés "
        "en texte brut (opening_hours_raw) : lignes 3, 4"]
