"""Hospitals and clinics of Eurostat GISCO's healthcare services (FINESS-based CSV).

``facility_type`` is the FINESS establishment type in words, mapped by the catalogue's
``healthcare`` codes (an unmapped type is one grouped rejection); ``ref_date`` (dd/mm/yyyy)
is the vintage. The file has a few wrong coordinates (a hospital placed in another
département): they are not corrected here but rejected by the location check of the run
(:mod:`proximite.inventory.validate`), which names the file and line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from proximite.catalogue import Catalogue, load_catalogue
from proximite.inventory._read import BBox, join_text, read_located_rows, reject_by_value
from proximite.inventory.schema import ImportResult

HEALTHCARE_REQUIRED = ["id", "hospital_name", "lat", "lon", "facility_type", "geo_qual"]
HEALTHCARE_OPTIONAL = ["site_name", "street", "house_number", "postcode", "city",
                       "public_private", "ref_date"]
HEALTHCARE_SOURCE = "Eurostat GISCO healthcare services (FINESS)"
UNKNOWN_TYPE = "type d'établissement de santé absent du catalogue (healthcare)"


def read_healthcare(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    catalogue = catalogue or load_catalogue()
    rows = read_located_rows(path, HEALTHCARE_REQUIRED, optional=HEALTHCARE_OPTIONAL,
                             lon="lon", lat="lat")
    frame = rows.frame
    facility = frame["facility_type"].str.strip()
    category = facility.map(catalogue.code_index("healthcare"))
    unknown = category.isna()
    rows.rejected += reject_by_value(path, "facility_type", facility[unknown],
                                     rows.lines[unknown], UNKNOWN_TYPE)
    site = frame["site_name"].str.strip()
    date = pd.to_datetime(frame["ref_date"], format="%d/%m/%Y", errors="coerce")
    services = rows.services(
        service_id="finess:" + frame["id"].str.strip(),
        category=category.fillna(""),
        name=frame["hospital_name"].str.strip().where(site == "", site),
        operator=frame["public_private"],
        code_insee="",
        address=join_text((frame["house_number"] + " " + frame["street"]).str.strip(),
                          frame["postcode"] + " " + frame["city"]),
        source=HEALTHCARE_SOURCE,
        source_id=frame["id"].str.strip(),
        data_date=date.dt.strftime("%Y-%m-%d").fillna(frame["ref_date"]),
    )
    return rows.result(services, bbox, keep=rows.ok & ~unknown)
