"""Car-pooling areas of the Base nationale des lieux de covoiturage (BNLC, CSV).

Columns ``id_lieu``, ``nom_lieu``, ``ad_lieu``, ``com_lieu``, ``insee``, ``type``,
``date_maj`` (each row's date), ``ouvert``, ``Xlong``/``Ylat`` (WGS84). An area marked
closed (``ouvert`` = false) is rejected, not counted.
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.errors import Rejection
from proximite.inventory._read import BBox, insee_code, join_text, read_located_rows
from proximite.inventory.schema import ImportResult

BNLC_REQUIRED = ["id_lieu", "nom_lieu", "insee", "Xlong", "Ylat", "date_maj"]
BNLC_OPTIONAL = ["ad_lieu", "com_lieu", "type", "ouvert", "horaires", "nbre_pl"]
BNLC_SOURCE = "Base nationale des lieux de covoiturage (transport.data.gouv.fr)"


def read_covoiturage(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    if catalogue is not None:
        catalogue.category("aire_covoiturage")
    rows = read_located_rows(path, BNLC_REQUIRED, optional=BNLC_OPTIONAL, lon="Xlong",
                             lat="Ylat")
    frame = rows.frame
    closed = frame["ouvert"].str.strip().str.lower() == "false"
    for index in frame.index[closed & rows.ok]:
        rows.rejected.append(Rejection(str(path), int(rows.lines[index]), "ouvert", "false",
                                       "car-pooling area marked closed"))
    services = rows.services(
        service_id="bnlc:" + frame["id_lieu"].str.strip(),
        category="aire_covoiturage",
        name=frame["nom_lieu"].str.strip(),
        operator="",
        code_insee=insee_code(frame["insee"]),
        address=join_text(frame["ad_lieu"], frame["com_lieu"]),
        opening_hours="",
        opening_hours_raw=frame["horaires"],
        access_modes="on_site",
        source=BNLC_SOURCE,
        source_id=frame["id_lieu"].str.strip(),
        data_date=frame["date_maj"],
    )
    return rows.result(services, bbox, keep=rows.ok & ~closed)
