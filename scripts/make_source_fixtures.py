"""Cut the test fixtures of the issue-11 sources from the shared data, in each source's layout.

The tests run from a clone without the shared data, so each importer reads a small cut of
the real file: same format, same fields, records copied verbatim where the format allows
(JSON lines and CSV lines are copied byte for byte; JSON documents are re-serialised with
the same keys; the shapefile is rewritten with its fields and CRS). Each cut keeps the
rows a test names (a merged commune, a record without coordinates, a freight-only
station, a wrongly placed hospital...). Provenance and licences: tests/data/SOURCES.md.

    python scripts/make_source_fixtures.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pyogrio

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data"
LOZERE_BOX = (2.97, 44.10, 4.00, 44.98)  # west, south, east, north (département 48)


SOURCES = ("annuaire_bdl_2016", "education_2026", "carburants_2026", "mediation_numerique_2022",
           "sante_etablissements_2020", "gares_sncf_2026", "msap_2018", "covoiturage_bnlc",
           "bpe_communes", "arcep_ftth_2018", "mobile_sites_2018")
"""One folder per source under tests/data, named as in the shared data."""


def target(source: str, name: str) -> Path:
    folder = OUT / source
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def in_box(lon: object, lat: object, box: tuple[float, float, float, float] = LOZERE_BOX
           ) -> bool:
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    west, south, east, north = box
    return west <= x <= east and south <= y <= north


def copy_lines(source: Path, target: Path, keep, header: int = 1) -> int:
    """Copy the first ``header`` lines and the lines for which keep(number, text) is true."""
    lines = source.read_bytes().splitlines(keepends=True)
    chosen = [line for number, line in enumerate(lines[header:], start=header + 1)
              if keep(number, line.decode("utf-8", errors="replace"))]
    target.write_bytes(b"".join(lines[:header] + chosen))
    return len(chosen)


def annuaire(shared: Path) -> None:
    """Mende's offices of the mapped types, the one record without coordinates, an adil."""
    wanted = {"gendarmerie", "tresorerie", "caf", "cpam", "msa", "pole_emploi", "sous_pref",
              "prefecture", "mission_locale", "pmi", "tgi", "adil"}

    def keep(_: int, text: str) -> bool:
        record = json.loads(text)
        if not record.get("latitude"):
            return True
        return record.get("codeinsee") in ("48095", "48061", "48022") and (
            record["type"] in wanted or record["type"] == "mairie")

    copy_lines(shared / "services/annuaire_bdl_2016/annuaire-48.sjson",
               target("annuaire_bdl_2016", "annuaire-48_sample.sjson"), keep, header=0)


def education(shared: Path) -> None:
    data = json.loads((shared / "services/education_2026/dep_48.min.json").read_text("utf-8"))
    communes = {"Mende", "Florac Trois Rivières", "Marvejols"}
    cut = {"dep": data["dep"], "etab": [e for e in data["etab"] if e["commune"] in communes]}
    (target("education_2026", "dep_48_sample.min.json")).write_text(
        json.dumps(cut, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def carburants(shared: Path) -> None:
    data = json.loads((shared / "services/carburants_2026/dep_48.json").read_text("utf-8"))
    towns = {"Mende", "Villefort", "Langogne", "Florac Trois Rivières", "Marvejols"}
    cut = {key: data[key] for key in ("code", "nom", "slug")}
    cut["stations"] = [s for s in data["stations"] if s["ville"] in towns]
    (target("carburants_2026", "dep_48_sample.json")).write_text(
        json.dumps(cut, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def mednum(shared: Path) -> None:
    path = shared / "services/mediation_numerique_2022/lieux-de-mediation-numerique.cnfs.json"
    records = json.loads(path.read_text("utf-8"))
    cut = [r for r in records if in_box(r.get("longitude"), r.get("latitude"))]
    (target("mediation_numerique_2022",
                "lieux-de-mediation-numerique_sample.json")).write_text(
        json.dumps(cut, ensure_ascii=False, indent=2), encoding="utf-8")


def healthcare(shared: Path) -> None:
    """Lozère's establishments (postcode 48, one placed in the Dordogne) and Cantal's."""
    path = shared / "services/sante_etablissements_2020/eurostat_gisco_healthcare_FR.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    postcodes = set(table.loc[table["postcode"].str[:2].isin(["48", "15"]), "postcode"])

    def keep(_: int, text: str) -> bool:
        fields = text.split(",")
        return any(f in postcodes for f in fields[8:9])

    copy_lines(path, target("sante_etablissements_2020",
                            "eurostat_gisco_healthcare_sample.csv"), keep)


def gares(shared: Path) -> None:
    data = json.loads((shared / "services/gares_sncf_2026/sncf_gares.geojson").read_text("utf-8"))
    features = [f for f in data["features"]
                if in_box(f["properties"]["x_wgs84"], f["properties"]["y_wgs84"])]
    cut = {"type": data["type"], "features": features}
    (target("gares_sncf_2026", "sncf_gares_sample.geojson")).write_text(
        json.dumps(cut, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def msap(shared: Path) -> None:
    path = shared / "services/msap_2018/MSAP-20180627_geolocalisation_pole_emploi.shp"
    frame = pyogrio.read_dataframe(path, columns=["locatin", "postcod"])
    cut = frame[frame["postcod"].fillna("").str[:2] == "48"]
    pyogrio.write_dataframe(cut, target("msap_2018", "MSAP-20180627_sample.shp"), encoding="utf-8")


def covoiturage(shared: Path) -> None:
    def keep(_: int, text: str) -> bool:
        return '"48' in text.split(",")[5] if text.count(",") > 5 else False

    copy_lines(shared / "services/covoiturage_bnlc/bnlc.csv",
               target("covoiturage_bnlc", "bnlc_sample.csv"), keep)


def bpe(shared: Path) -> None:
    """BPE 2018 education rows of Lozère; the 2013 wide table's Lozère communes."""
    path = shared / "reference/bpe_communes/bpe18_enseignement.csv"
    copy_lines(path, target("bpe_communes", "bpe18_enseignement_sample.csv"),
               lambda _, text: text.split(";")[2].startswith("48"))
    wide = pd.read_excel(shared / "reference/bpe_communes/bpe2013.xlsx", dtype=str)
    cut = wide[wide["depcom"].str.startswith("48")]
    cut = cut.loc[:, cut.notna().any() | cut.columns.isin(["depcom"])]
    counts = cut.drop(columns="depcom").apply(pd.to_numeric)  # numbers, as in the source
    counts.insert(0, "depcom", cut["depcom"])
    counts.to_excel(target("bpe_communes", "bpe2013_sample.xlsx"), index=False, engine="openpyxl")


def digital(shared: Path) -> None:
    path = shared / "digital/arcep_ftth_2018/ftthCommunes.csv"
    copy_lines(path, target("arcep_ftth_2018", "ftthCommunes_sample.csv"),
               lambda _, text: text.startswith(("48095", "48061", "48001", "48099")), header=5)
    sites = next((shared / "digital/mobile_sites_2018").glob("*_L93.csv"))
    west, south = 720_000, 6_365_000  # Lambert-93 metres around Mende
    copy_lines(sites, target("mobile_sites_2018", "sites_mobiles_2018_sample_L93.csv"),
               lambda _, text: in_box(text.split(";")[1], text.split(";")[2],
                                      (west, south, west + 20_000, south + 25_000)))


def main(shared: Path) -> None:
    for cut in (annuaire, education, carburants, mednum, healthcare, gares, msap, covoiturage,
                bpe, digital):
        cut(shared)
    for source in SOURCES:
        for path in sorted((OUT / source).iterdir()):
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data"))
