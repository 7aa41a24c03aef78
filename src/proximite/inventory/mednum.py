"""Lieux de médiation numérique of the ANCT national map (LaMednum-like JSON array).

Fields ``id``, ``nom``, ``latitude``/``longitude``, ``adresse``, ``commune``,
``code_postal``, ``horaires`` (already OSM ``opening_hours``), ``date_maj`` (each record's
date). Unlike the CNFS structure list (:mod:`proximite.inventory.cnfs`) the file has no
INSEE code: the commune comes from the spatial join. A record without coordinates is a
rejection naming its position in the array.
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.inventory._read import BBox, join_text, locate_rows, read_json_table
from proximite.inventory.schema import ImportResult

MEDNUM_REQUIRED = ["id", "nom", "latitude", "longitude", "date_maj"]
MEDNUM_OPTIONAL = ["adresse", "commune", "code_postal", "horaires", "source"]
MEDNUM_SOURCE = "ANCT cartographie nationale des lieux de médiation numérique"


def read_mednum(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    if catalogue is not None:
        catalogue.category("mediation_numerique")
    table = read_json_table(path, MEDNUM_REQUIRED, optional=MEDNUM_OPTIONAL, record="lieu")
    rows = locate_rows(table, path, lon="longitude", lat="latitude")
    frame = rows.frame
    services = rows.services(
        service_id="mednum:" + frame["id"],
        category="mediation_numerique",
        name=frame["nom"],
        operator="",
        code_insee="",
        address=join_text(frame["adresse"], frame["code_postal"] + " " + frame["commune"]),
        opening_hours=frame["horaires"],
        opening_hours_raw=frame["horaires"],
        access_modes="on_site",
        source=MEDNUM_SOURCE,
        source_id=frame["id"],
        data_date=frame["date_maj"],
    )
    return rows.result(services, bbox)
