"""Schools of the annuaire de l'Éducation nationale (``dep_XX.min.json`` of ips-map).

``{"dep": ..., "etab": [...]}``: one object per school with its UAI, ``type`` (ecole,
college, lycee: mapped by the catalogue's ``education`` codes), ``secteur`` (Public/Privé),
lat/lon and commune name (no INSEE code: the commune comes from the spatial join).
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue, load_catalogue
from proximite.inventory._read import BBox, locate_rows, read_json_table, reject_by_value
from proximite.inventory.schema import ImportResult

EDUCATION_REQUIRED = ["uai", "type", "name", "lat", "lon"]
EDUCATION_OPTIONAL = ["secteur", "cp", "commune"]
EDUCATION_SOURCE = "Annuaire de l'éducation (Éducation nationale)"
EDUCATION_DATE = "2026-08"  # date of the copy in shared/data (see its README)
UNKNOWN_TYPE = "type d'établissement scolaire absent du catalogue (education)"


def read_education(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = EDUCATION_DATE,
) -> ImportResult:
    catalogue = catalogue or load_catalogue()
    table = read_json_table(path, EDUCATION_REQUIRED, optional=EDUCATION_OPTIONAL,
                            record="établissement", key="etab")
    rows = locate_rows(table, path, lon="lon", lat="lat")
    frame = rows.frame
    school_type = frame["type"].str.strip()
    category = school_type.map(catalogue.code_index("education"))
    unknown = category.isna()
    rows.rejected += reject_by_value(path, "type", school_type[unknown], rows.lines[unknown],
                                     UNKNOWN_TYPE)
    services = rows.services(
        service_id="uai:" + frame["uai"],
        category=category.fillna(""),
        name=frame["name"],
        operator=frame["secteur"],
        code_insee="",
        address=(frame["cp"] + " " + frame["commune"]).str.strip(),
        source=EDUCATION_SOURCE,
        source_id=frame["uai"],
        data_date=data_date,
    )
    return rows.result(services, bbox, keep=rows.ok & ~unknown)
