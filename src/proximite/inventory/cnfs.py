"""Structures hosting conseillers numériques (ANCT anct-carto/conseillers-numeriques cnfs.json).

A JSON array of objects. ``source_line`` is the record's 1-based position in the array
(record 1 = first object), so a rejection reads like a line number for the user.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from proximite.catalogue import Catalogue
from proximite.errors import InputError, require_columns
from proximite.inventory._read import (
    BBox,
    decode_text,
    finish,
    insee_code,
    parse_coordinates,
    read_bytes,
)
from proximite.inventory.schema import ImportResult

CNFS_REQUIRED = ["id", "raison_sociale", "latitude", "longitude"]
CNFS_OPTIONAL = ["adresse", "insee_com", "result_citycode", "code_postal_bis"]
CNFS_SOURCE = "ANCT conseillers numériques France Services (structures)"
CNFS_DATE = "2022"


def read_json_records(path: str | Path) -> list[dict[str, object]]:
    """A JSON array of objects, or a located error saying what is wrong with the file."""
    text, _ = decode_text(read_bytes(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno,
                         expected="a JSON array of objects") from exc
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError("not a JSON array of objects", path=path,
                         expected="[{...}, {...}] with one object per structure")
    return data


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_cnfs(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = CNFS_DATE,
) -> ImportResult:
    """Read the national CNFS structure list into ``mediation_numerique`` services."""
    records = read_json_records(path)
    if not records:
        raise InputError("empty JSON array", path=path, expected="one object per structure")
    keys = list(dict.fromkeys(k for record in records for k in record))
    require_columns(keys, CNFS_REQUIRED, path)
    frame = pd.DataFrame(
        {key: [_text(r.get(key)) for r in records] for key in CNFS_REQUIRED + CNFS_OPTIONAL})
    frame["_line"] = range(1, len(records) + 1)
    lon, lat, ok, rejected = parse_coordinates(
        frame["longitude"], frame["latitude"], frame["_line"], path,
        lon_field="longitude", lat_field="latitude")
    if catalogue is not None:
        catalogue.category("mediation_numerique")
    # insee_com is missing on a few records; the geocoder's citycode is the fallback.
    insee = insee_code(frame["insee_com"].where(frame["insee_com"] != "",
                                                frame["result_citycode"]))
    services = pd.DataFrame({
        "service_id": "cnfs:" + frame["id"],
        "category": "mediation_numerique",
        "name": frame["raison_sociale"],
        "operator": frame["raison_sociale"],
        "lon": lon,
        "lat": lat,
        "code_insee": insee,
        "address": frame["adresse"].str.replace(r"\s*\n\s*", ", ", regex=True),
        "opening_hours": "",
        "opening_hours_raw": "",
        "access_modes": "on_site",
        "source": CNFS_SOURCE,
        "source_id": frame["id"],
        "data_date": data_date,
        "source_file": str(path),
        "source_line": frame["_line"].astype(str),
    })
    return finish(services[ok.to_numpy()], bbox, rejected, [])
