"""Fuel stations from the prix-carburants open data (CSV export with ``latlng``).

The file has no station name and no INSEE code (only the postcode, which is not a commune
code): ``code_insee`` stays empty rather than guessed, and the name is built from the
commune and street so a user can recognise the station in a list.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.inventory._read import BBox, hours_warning, join_text, locate_rows, read_csv_table
from proximite.inventory.hours import fuel_hours_to_osm, fuel_raw_text
from proximite.inventory.schema import ImportResult

FUEL_REQUIRED = ["id", "latlng", "adresse", "commune", "codepostal", "hdebut", "hfin",
                 "saufjour"]
FUEL_SOURCE = "prix-carburants, stations-service"
FUEL_DATE = "2020-12"  # approximate date of the copy in shared/data (see its README)


def read_fuel_stations(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = FUEL_DATE,
) -> ImportResult:
    """Read the national fuel-station file ("lat,lon" in one ``latlng`` field)."""
    table = read_csv_table(path, FUEL_REQUIRED)
    parts = table.frame["latlng"].str.split(",", n=1, expand=True).reindex(columns=[0, 1])
    parts = parts.fillna("")
    rows = locate_rows(table, path, lon="latlng", lat="latlng",
                       lon_text=parts[1], lat_text=parts[0])
    frame = rows.frame
    # Show the whole "lat,lon" text in a rejection: half of it would not help the user.
    raw_by_line = dict(zip(rows.lines, frame["latlng"], strict=True))
    rows.rejected = [replace(r, value=raw_by_line.get(r.line, r.value)) for r in rows.rejected]
    if catalogue is not None:
        catalogue.category("station_carburant")
    commune = frame["commune"].str.strip()
    street = frame["adresse"].str.strip()
    hours = list(zip(frame["hdebut"], frame["hfin"], frame["saufjour"], strict=True))
    station_id = frame["id"].str.strip()
    in_street = street.map(lambda s: f" ({s})" if s else "")
    services = rows.services(
        service_id="carbu:" + station_id,
        category="station_carburant",
        name=("Station-service " + commune + in_street).str.strip(),
        operator="",
        code_insee="",
        address=join_text(street, frame["codepostal"].str.strip() + " " + commune),
        opening_hours=[fuel_hours_to_osm(*h) or "" for h in hours],
        opening_hours_raw=[fuel_raw_text(*h) for h in hours],
        access_modes="on_site",
        source=FUEL_SOURCE,
        source_id=station_id,
        data_date=data_date,
    )
    return rows.result(services, bbox, hours_warning(services[rows.ok.to_numpy()], path))
