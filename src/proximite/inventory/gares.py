"""SNCF stations (``sncf_gares.geojson``, the SNCF "gares de voyageurs" open data).

A GeoJSON FeatureCollection; ``properties`` hold the UIC code, name (``libelle``), commune
name, ``voyageurs`` (O/N) and WGS84 coordinates. A station is listed once per line it
serves: the repeats of a UIC code are merged into its first row (counted in a warning);
a freight-only station (``voyageurs`` = N) is not a service to the public and is rejected.
No INSEE code: the commune comes from the spatial join.
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.inventory._read import BBox, locate_rows, read_json_table, reject_by_value
from proximite.inventory.schema import ImportResult

GARES_REQUIRED = ["properties.code_uic", "properties.libelle", "properties.voyageurs",
                  "properties.x_wgs84", "properties.y_wgs84"]
GARES_OPTIONAL = ["properties.commune"]
GARES_SOURCE = "SNCF, gares de voyageurs"
GARES_DATE = "2026-08"
FREIGHT_ONLY = "freight-only station (voyageurs = N)"


def station_name(libelle: str) -> str:
    """'Mende' -> 'Gare de Mende', 'Le Monastier' -> 'Gare du Monastier' (French articles)."""
    for article, contracted in (("Le ", "du "), ("Les ", "des "), ("La ", "de la "),
                                ("L'", "de l'")):
        if libelle.startswith(article):
            return "Gare " + contracted + libelle[len(article):]
    return "Gare de " + libelle


def read_gares(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = GARES_DATE,
) -> ImportResult:
    if catalogue is not None:
        catalogue.category("gare")
    table = read_json_table(path, GARES_REQUIRED, optional=GARES_OPTIONAL, record="gare",
                            key="features")
    rows = locate_rows(table, path, lon="properties.x_wgs84", lat="properties.y_wgs84")
    frame = rows.frame
    uic = frame["properties.code_uic"].str.strip()
    freight = frame["properties.voyageurs"].str.strip().str.upper() == "N"
    rows.rejected += reject_by_value(path, "voyageurs", uic[freight], rows.lines[freight],
                                     FREIGHT_ONLY)
    repeat = uic.duplicated() & ~freight
    keep = rows.ok & ~freight & ~repeat
    services = rows.services(
        service_id="uic:" + uic,
        category="gare",
        name=frame["properties.libelle"].str.strip().map(station_name),
        operator="SNCF",
        code_insee="",
        address=frame["properties.commune"].str.strip(),
        source=GARES_SOURCE,
        source_id=uic,
        data_date=data_date,
    )
    warnings = ([f"{path} : {int(repeat.sum())} ligne(s) répètent une gare déjà listée pour "
                 "une autre ligne (même code_uic), fusionnée(s) avec sa première ligne"]
                if repeat.any() else [])
    return rows.result(services, bbox, warnings, keep=keep)
