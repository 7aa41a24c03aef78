"""Fuel stations of prix-carburants 2026, per-département JSON (``dep_XX.json``).

``{"code": ..., "stations": [...]}``: each station has an id, address, town, lat/lon,
free-text hours (``horaires``) and a list of ``services``. A station whose services
include the cash machine ("DAB (Distributeur automatique de billets)") also gives a
``distributeur_billets`` service at the same place: in rural communes the fuel station's
ATM is often the only one. No INSEE code in the file (only the postcode): the commune
comes from the spatial join.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from proximite.catalogue import Catalogue
from proximite.inventory._read import (
    BBox,
    finish,
    hours_warning,
    join_text,
    locate_rows,
    read_json_table,
)
from proximite.inventory.hours import fuel_text_hours_to_osm
from proximite.inventory.schema import ImportResult

CARBURANTS_REQUIRED = ["id", "adresse", "ville", "lat", "lon"]
CARBURANTS_OPTIONAL = ["cp", "horaires", "services"]
CARBURANTS_SOURCE = "prix-carburants, stations-service (2026)"
CARBURANTS_DATE = "2026-04"
ATM_SERVICE = "DAB (Distributeur automatique de billets)"


def read_carburants(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = CARBURANTS_DATE,
) -> ImportResult:
    if catalogue is not None:
        catalogue.category("station_carburant")
        catalogue.category("distributeur_billets")
    table = read_json_table(path, CARBURANTS_REQUIRED, optional=CARBURANTS_OPTIONAL,
                            record="station", key="stations")
    rows = locate_rows(table, path, lon="lon", lat="lat")
    frame = rows.frame
    town = frame["ville"].str.strip()
    street = frame["adresse"].str.strip()
    raw_hours = frame["horaires"].str.strip()
    station_id = frame["id"].str.strip()
    stations = rows.services(
        service_id="carbu:" + station_id,
        category="station_carburant",
        name=("Station-service " + town + street.map(lambda s: f" ({s})" if s else "")),
        operator="",
        code_insee="",
        address=join_text(street, frame["cp"].str.strip() + " " + town),
        opening_hours=raw_hours.map(lambda text: fuel_text_hours_to_osm(text) or ""),
        opening_hours_raw=raw_hours,
        access_modes="on_site",
        source=CARBURANTS_SOURCE,
        source_id=station_id,
        data_date=data_date,
    )
    located = stations[rows.ok.to_numpy()]
    has_atm = frame["services"].str.contains(ATM_SERVICE, regex=False)[rows.ok]
    atms = located[has_atm.to_numpy()].assign(
        service_id=lambda f: f["service_id"] + ":dab",
        category="distributeur_billets",
        name=lambda f: "Distributeur de billets, " + f["name"].str.lower(),
        opening_hours="24/7", opening_hours_raw=ATM_SERVICE)
    return finish(pd.concat([located, atms], ignore_index=True), bbox, rows.rejected,
                  hours_warning(located, path))
