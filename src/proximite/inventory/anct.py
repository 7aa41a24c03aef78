"""ANCT list of France Services (anct-carto/france_services, e.g. liste-fs-20240801.csv).

Access modes: ``format_fs`` "Bus_équivalent" or "Itinérante" -> ``itinerant``; "Fixe",
"Multisites", "Fixe_antenne(s)" -> ``on_site``. The list gives an itinerant France Services
by its carrying structure's address and the bus's working hours, not by its stops: such a
row is ``location_precision = base`` (never a site, never a stop; see
:mod:`proximite.access_modes`). We do NOT add ``phone`` because the row has a
telephone number: the number books an appointment at the desk, it is not a service
delivered by phone; claiming it would overstate access in the diagnostic.
"""

from __future__ import annotations

import re
from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.inventory._read import BBox, hours_warning, insee_code, join_text, read_located_rows
from proximite.inventory.hours import FRENCH_DAYS, french_week_to_osm, raw_week_text
from proximite.inventory.schema import LOCATION_BASE, LOCATION_EXACT, ImportResult

FS_HOUR_COLUMNS = [f"h_{day}" for day in FRENCH_DAYS[:6]]
FS_REQUIRED = ["id_fs", "lib_fs", "adresse", "insee_com", "code_postal", "lib_com",
               "latitude", "longitude", *FS_HOUR_COLUMNS, "format_fs"]
FS_OPTIONAL = ["complement_adresse", "h_dimanche", "telephone", "prise_rdv", "type_fs"]
ITINERANT_FORMATS = {"bus_equivalent", "bus", "itinerante", "itinerant"}
ON_SITE_FORMATS = {"fixe", "multisites", "fixe_antenne(s)", "antenne"}


def _fold_format(value: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", value)
    return "".join(c for c in text if not unicodedata.combining(c)).strip().lower()


def date_from_file_name(path: str | Path) -> str:
    """'liste-fs-20240801.csv' -> '2024-08-01' (ANCT names each release by its date)."""
    match = re.search(r"(20\d{2})(\d{2})(\d{2})", Path(path).name)
    return f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else ""


def read_france_services(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str | None = None,
) -> ImportResult:
    """Read the ANCT France Services CSV (all of France) into the service schema."""
    rows = read_located_rows(path, FS_REQUIRED, optional=FS_OPTIONAL,
                             lon="longitude", lat="latitude")
    frame = rows.frame
    date = data_date if data_date is not None else date_from_file_name(path)
    warnings: list[str] = []

    hour_columns = [c for c in (*FS_HOUR_COLUMNS, "h_dimanche") if c in frame.columns]
    day_texts: list[dict[int | str, str | None]] = frame[hour_columns].to_dict("records")  # type: ignore[assignment]
    formats = frame["format_fs"].map(_fold_format)
    unknown_formats = sorted(set(frame["format_fs"][~formats.isin(ITINERANT_FORMATS
                                                                  | ON_SITE_FORMATS)]))
    if unknown_formats:
        warnings.append(f"{path}: unknown format_fs value(s) {unknown_formats}, "
                        "read as on_site")
    names = frame["lib_fs"].str.strip()
    services = rows.services(
        service_id="fs:" + frame["id_fs"].str.strip(),
        category="france_services",
        name=names,
        # Some France Services are run by La Poste in a post office: their name says so.
        operator=names.str.contains("la poste", case=False).map({True: "La Poste", False: ""}),
        code_insee=insee_code(frame["insee_com"]),
        address=join_text(frame["adresse"], frame["complement_adresse"],
                          frame["code_postal"].str.strip() + " " + frame["lib_com"]),
        opening_hours=[french_week_to_osm(days) or "" for days in day_texts],
        opening_hours_raw=[raw_week_text(days) for days in day_texts],
        access_modes=formats.map(lambda f: "itinerant" if f in ITINERANT_FORMATS
                                 else "on_site"),
        location_precision=formats.map(lambda f: LOCATION_BASE if f in ITINERANT_FORMATS
                                       else LOCATION_EXACT),
        source=f"ANCT liste France Services {date}".strip(),
        source_id=frame["id_fs"].str.strip(),
        data_date=date,
    )
    if catalogue is not None:
        catalogue.category("france_services")
    warnings += hours_warning(services[rows.ok.to_numpy()], path)
    return rows.result(services, bbox, warnings)
