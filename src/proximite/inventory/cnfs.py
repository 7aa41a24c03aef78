"""Structures hosting conseillers numériques (ANCT anct-carto/conseillers-numeriques cnfs.json).

A JSON array of objects. ``source_line`` is the record's 1-based position in the array
(record 1 = first object), so a rejection reads like a line number for the user.
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.inventory._read import BBox, insee_code, locate_rows, read_json_table
from proximite.inventory.schema import ImportResult

CNFS_REQUIRED = ["id", "raison_sociale", "latitude", "longitude"]
CNFS_OPTIONAL = ["adresse", "insee_com", "result_citycode", "code_postal_bis"]
CNFS_SOURCE = "ANCT conseillers numériques France Services (structures)"
CNFS_DATE = "2022"


def read_cnfs(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = CNFS_DATE,
) -> ImportResult:
    """Read the national CNFS structure list into ``mediation_numerique`` services."""
    table = read_json_table(path, CNFS_REQUIRED, optional=CNFS_OPTIONAL, record="structure")
    rows = locate_rows(table, path, lon="longitude", lat="latitude")
    frame = rows.frame
    if catalogue is not None:
        catalogue.category("mediation_numerique")
    # insee_com is missing on a few records; the geocoder's citycode is the fallback.
    insee = insee_code(frame["insee_com"].where(frame["insee_com"] != "",
                                                frame["result_citycode"]))
    services = rows.services(
        service_id="cnfs:" + frame["id"],
        category="mediation_numerique",
        name=frame["raison_sociale"],
        operator=frame["raison_sociale"],
        code_insee=insee,
        address=frame["adresse"].str.replace(r"\s*\n\s*", ", ", regex=True),
        source=CNFS_SOURCE,
        source_id=frame["id"],
        data_date=data_date,
    )
    return rows.result(services, bbox)
