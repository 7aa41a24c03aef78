"""Local public offices of the annuaire de l'administration (DILA), JSON lines (``.sjson``).

One JSON object per line (cquest/annuaire-services-publics conversion of the DILA base de
données locales): ``type`` is the office type (``pivotlocal``: gendarmerie, tresorerie,
caf, cpam, mairie...), mapped to categories by the catalogue's ``annuaire`` codes; an
unmapped type is one grouped rejection with its row count. Coordinates are DILA's own
``latitude``/``longitude``, else the BAN geocode (``geo``); ``update`` is each record's date.
Commune codes are those of 2016: former communes are translated to the current commune.
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue, load_catalogue
from proximite.inventory._read import (
    BBox,
    insee_code,
    join_text,
    locate_rows,
    read_json_table,
    reject_by_value,
)
from proximite.inventory.communes import commune_table
from proximite.inventory.schema import ImportResult

ANNUAIRE_REQUIRED = ["id", "nom", "type", "codeinsee"]
ANNUAIRE_OPTIONAL = ["latitude", "longitude", "geo.latitude", "geo.longitude", "update",
                     "writeAddress.streetAddress", "writeAddress.postalCode",
                     "writeAddress.addressLocality"]
ANNUAIRE_SOURCE = "Annuaire de l'administration (DILA)"
UNKNOWN_TYPE = "type de guichet absent du catalogue (annuaire)"


def read_annuaire(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """Read one département file of the annuaire into services of the mapped categories."""
    catalogue = catalogue or load_catalogue()
    table = read_json_table(path, ANNUAIRE_REQUIRED, optional=ANNUAIRE_OPTIONAL,
                            record="guichet")
    frame = table.frame
    lon = frame["longitude"].where(frame["longitude"] != "", frame["geo.longitude"])
    lat = frame["latitude"].where(frame["latitude"] != "", frame["geo.latitude"])
    rows = locate_rows(table, path, lon="longitude", lat="latitude", lon_text=lon,
                       lat_text=lat)
    office_type = frame["type"].str.strip()
    category = office_type.map(catalogue.code_index("annuaire"))
    unknown = category.isna()
    rows.rejected += reject_by_value(path, "type", office_type[unknown], rows.lines[unknown],
                                     UNKNOWN_TYPE)
    street = frame["writeAddress.streetAddress"]
    code = commune_table().translate(insee_code(frame["codeinsee"]))
    services = rows.services(
        service_id="annuaire:" + frame["id"],
        category=category.fillna(""),
        name=frame["nom"],
        operator="",
        code_insee=code,
        address=join_text(street, frame["writeAddress.postalCode"] + " "
                          + frame["writeAddress.addressLocality"]),
        source=ANNUAIRE_SOURCE,
        source_id=frame["id"],
        data_date=frame["update"],
    )
    return rows.result(services, bbox, keep=rows.ok & ~unknown)


__all__ = ["ANNUAIRE_REQUIRED", "read_annuaire"]
