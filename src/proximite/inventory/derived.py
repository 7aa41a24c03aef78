"""The derived convenience files ``territories/<dep>/services_<dep>.csv``.

Columns: service_type, name, lon, lat, insee_com, in_departement, source, data_date, detail.
Rows carry their own ``source`` and ``data_date`` (several national files were cut into
one). Original ids are lost except for TER stations (``detail`` holds the StopArea id), so
other rows get ``<file stem>:<line>`` ids: stable for a given file, but not matchable with
the national files (import those instead when both are at hand).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.errors import Rejection
from proximite.inventory._read import BBox, insee_code, read_located_rows
from proximite.inventory.schema import ImportResult

DERIVED_REQUIRED = ["service_type", "name", "lon", "lat", "insee_com", "source", "data_date",
                    "detail"]
SERVICE_TYPES = {
    "france_services": "france_services",
    "bureau_de_poste": "bureau_de_poste",
    "agence_postale": "agence_postale",
    "relais_poste": "relais_poste",
    "la_poste": "la_poste",
    "station_carburant": "station_carburant",
    "conseiller_numerique": "mediation_numerique",
    "mediation_numerique": "mediation_numerique",
    "gare_ter": "gare",
    "gare": "gare",
}
ITINERANT_DETAILS = {"Itinérante", "Bus_équivalent", "Bus"}


def read_derived_services(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """Read a derived ``services_<dep>.csv`` file into the service schema."""
    rows = read_located_rows(path, DERIVED_REQUIRED, lon="lon", lat="lat")
    frame, ok, rejected = rows.frame, rows.ok, rows.rejected
    service_type = frame["service_type"].str.strip()
    category = service_type.map(SERVICE_TYPES)
    if catalogue is not None:
        category = category.where(category.isin(list(catalogue.categories)))
    unknown = category.isna() & ok
    for index in frame.index[unknown]:
        rejected.append(Rejection(str(path), int(str(frame.at[index, "_line"])), "service_type",
                                  service_type[index], "service_type inconnu, attendu parmi : "
                                  + ", ".join(sorted(SERVICE_TYPES))))
    warnings = []
    if unknown.any():
        counts = Counter(service_type[unknown])
        warnings.append(f"{path}: unknown service_type(s) "
                        + ", ".join(f"'{k}' ({n})" for k, n in sorted(counts.items())))
    stem = Path(path).stem
    detail = frame["detail"].str.strip()
    is_station = category == "gare"
    has_stop_id = is_station & (detail != "")
    service_id = (stem + ":" + frame["_line"].astype(str)).where(~has_stop_id, "ter:" + detail)
    services = rows.services(
        service_id=service_id,
        category=category,
        name=frame["name"].str.strip(),
        operator=is_station.map({True: "SNCF TER", False: ""}),
        code_insee=insee_code(frame["insee_com"]),
        address="",
        opening_hours="",
        opening_hours_raw="",
        access_modes=detail.isin(ITINERANT_DETAILS).map({True: "itinerant",
                                                         False: "on_site"}),
        source=frame["source"].str.strip(),
        source_id=detail.where(has_stop_id, ""),
        data_date=frame["data_date"].str.strip(),
    )
    return rows.result(services, bbox, warnings, keep=ok & ~unknown)
