"""Partner files already in the Proximité schema: how users (and tests) give services as files.

Required columns: category, name, lon, lat; any other schema column is optional. Rules:
- ``category`` must be a catalogue code (else the row is rejected, listing the known codes);
- ``access_modes`` is '|'-joined values of ACCESS_MODES; empty means ``on_site`` (a point
  with coordinates is a place one can go to);
- ``service_id`` defaults to ``<file stem>:<line>``; a repeated id is rejected (the later
  row), since ids must identify one service;
- ``source`` defaults to the file name, ``source_id`` to the service id;
- ``source_file``/``source_line`` given in the file are kept: a re-exported inventory (the
  embedded demo) keeps pointing at the national file row it came from. Otherwise they are
  this file and line.
"""

from __future__ import annotations

from pathlib import Path

from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import Rejection
from proximite.inventory._read import BBox, insee_code, read_located_rows
from proximite.inventory.schema import ACCESS_MODES, MODES_SEP, SERVICE_COLUMNS, ImportResult

PARTNER_REQUIRED = ["category", "name", "lon", "lat"]


def read_partner_services(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
) -> ImportResult:
    """Read a CSV in the service schema, checking categories and access modes per row."""
    catalogue = catalogue or load_catalogue()
    rows = read_located_rows(path, PARTNER_REQUIRED, optional=SERVICE_COLUMNS,
                             lon="lon", lat="lat")
    frame, lines, ok, rejected = rows.frame, rows.lines, rows.ok, rows.rejected
    for column in SERVICE_COLUMNS:
        if column not in ("lon", "lat"):
            frame[column] = frame[column].str.strip()
    known = ", ".join(sorted(catalogue.categories))
    bad_category = ok & ~frame["category"].isin(list(catalogue.categories))
    for index in frame.index[bad_category]:
        rejected.append(Rejection(str(path), int(lines[index]), "category",
                                  str(frame.at[index, "category"]),
                                  f"catégorie inconnue (codes connus : {known})"))
    ok &= ~bad_category

    modes = frame["access_modes"].where(frame["access_modes"] != "", "on_site")
    bad_modes = ok & ~modes.map(_modes_valid)
    for index in frame.index[bad_modes]:
        rejected.append(Rejection(str(path), int(lines[index]), "access_modes", modes[index],
                                  "mode d'accès inconnu (attendu : des valeurs parmi "
                                  + ", ".join(ACCESS_MODES) + ", jointes par « | »)"))
    ok &= ~bad_modes

    service_id = frame["service_id"].where(frame["service_id"] != "",
                                           Path(path).stem + ":" + lines.astype(str))
    repeated = ok & service_id.where(ok).duplicated(keep="first") & service_id.notna()
    for index in frame.index[repeated]:
        rejected.append(Rejection(str(path), int(lines[index]), "service_id",
                                  service_id[index], "service_id en double dans ce fichier"))
    ok &= ~repeated

    # A column missing from the file was added empty: no provenance given there.
    has_provenance = (frame["source_file"] != "") & (frame["source_line"] != "")
    services = frame[SERVICE_COLUMNS].copy()
    services["service_id"] = service_id
    services["lon"] = rows.lon
    services["lat"] = rows.lat
    services["code_insee"] = insee_code(frame["code_insee"])
    services["access_modes"] = modes
    services["source"] = frame["source"].where(frame["source"] != "", Path(path).name)
    services["source_id"] = frame["source_id"].where(frame["source_id"] != "", service_id)
    services["source_file"] = frame["source_file"].where(has_provenance, str(path))
    services["source_line"] = frame["source_line"].where(has_provenance, lines.astype(str))
    return rows.result(services, bbox, keep=ok)


def _modes_valid(value: str) -> bool:
    parts = [part.strip() for part in value.split(MODES_SEP)]
    return bool(parts) and all(part in ACCESS_MODES for part in parts)
