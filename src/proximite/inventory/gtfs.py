"""Railway stations from a GTFS feed (SNCF TER): ``stops.txt`` read inside the zip.

Stations are the ``location_type = 1`` rows (SNCF "StopArea:..." ids). A TER feed also lists
coach stops ("Car TER") as stop areas; with ``rail_only`` (default) a stop area is kept only
when one of its stop points is a train stop (SNCF ids "StopPoint:OCETrain TER-..."), because
the category is "gare ou halte ferroviaire"; the number of coach-only areas left out is given
in a warning. Feeds without these id markers keep all their stations. A feed with no
station rows falls back to grouping stop points by ``parent_station``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from proximite.catalogue import Catalogue
from proximite.errors import InputError
from proximite.inventory._read import (
    BBox,
    Table,
    decode_text,
    locate_rows,
    read_bytes,
    read_csv_table,
)
from proximite.inventory.schema import ImportResult
from proximite.messages import number

STOPS_REQUIRED = ["stop_id", "stop_name", "stop_lat", "stop_lon"]
TER_SOURCE = "SNCF TER GTFS"


def _member(archive: zipfile.ZipFile, name: str) -> str | None:
    for member in archive.namelist():
        if member == name or member.endswith("/" + name):
            return member
    return None


def _feed_dates(archive: zipfile.ZipFile) -> str:
    """'2017-11-06/2018-02-17' from calendar.txt (the validity of the timetables)."""
    member = _member(archive, "calendar.txt")
    if member is None:
        return ""
    try:
        calendar = pd.read_csv(archive.open(member), dtype=str,
                               usecols=["start_date", "end_date"])
        start, end = calendar["start_date"].min(), calendar["end_date"].max()
    except (ValueError, KeyError, pd.errors.ParserError):
        return ""
    if not (isinstance(start, str) and isinstance(end, str) and len(start) == len(end) == 8):
        return ""
    return f"{start[:4]}-{start[4:6]}-{start[6:]}/{end[:4]}-{end[4:6]}-{end[6:]}"


def _operator(archive: zipfile.ZipFile) -> str:
    member = _member(archive, "agency.txt")
    if member is None:
        return "SNCF TER"
    try:
        names = pd.read_csv(archive.open(member), dtype=str)["agency_name"].dropna()
    except (ValueError, KeyError, pd.errors.ParserError):
        return "SNCF TER"
    return "SNCF TER" if names.str.contains("SNCF").any() or names.empty else names.iloc[0]


def read_gtfs_stations(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    prefix: str = "ter",
    rail_only: bool = True,
) -> ImportResult:
    """Read the stations of a GTFS zip into ``gare`` services (ids ``ter:<stop_id>``)."""
    data = read_bytes(path)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError("archive zip invalide", path=path,
                         expected="un flux GTFS (.zip contenant stops.txt)") from exc
    with archive:
        member = _member(archive, "stops.txt")
        if member is None:
            raise InputError("pas de stops.txt dans l'archive", path=path,
                             expected="un flux GTFS (.zip contenant stops.txt)")
        stops_path = f"{path}/{member}"
        stops_bytes = archive.read(member)
        if not stops_bytes.strip():
            raise InputError("fichier vide", path=stops_path, expected="GTFS stops")
        text, _ = decode_text(stops_bytes)
        table = read_csv_table(stops_path, STOPS_REQUIRED, text=text, separator=",",
                               optional=("location_type", "parent_station"))
        dates = _feed_dates(archive)
        operator = _operator(archive)
    stops = table.frame
    stops["location_type"] = stops["location_type"].str.strip()
    warnings: list[str] = []
    stations = stops[stops["location_type"] == "1"]
    points = stops[stops["location_type"].isin(["", "0"])]
    if stations.empty:
        stations = _group_by_parent(points)
        warnings.append(f"{stops_path} : aucune ligne de gare (location_type=1) : gares "
                        "reconstituées en groupant les points d'arrêt par parent_station")
    elif rail_only:
        stations, coach_only = _rail_stations(stations, points)
        if coach_only:
            warnings.append(f"{stops_path} : {number(coach_only)} zone(s) d'arrêt desservie(s) "
                            "par autocar seulement (aucun point d'arrêt de train), non lue(s) "
                            "comme gares")
    rows = locate_rows(Table(stations, table.rejected), stops_path,
                       lon="stop_lon", lat="stop_lat")
    if catalogue is not None:
        catalogue.category("gare")
    stop_id = stations["stop_id"].str.strip()
    services = rows.services(
        service_id=f"{prefix}:" + stop_id,
        category="gare",
        name=stations["stop_name"].str.strip(),
        operator=operator,
        code_insee="",
        address="",
        source=f"{TER_SOURCE} {dates}".strip(),
        source_id=stop_id,
        data_date=dates,
        # the zip is the file the user gave; the line is in its stops.txt
        source_file=str(path),
        source_line=f"{Path(member).name}:" + rows.lines.astype(str),
    )
    return rows.result(services, bbox, warnings)


def _rail_stations(stations: pd.DataFrame, points: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep the stop areas served by a train stop point, when the ids say which is which."""
    kind = points["stop_id"].str.extract(r"OCE(Train|Car|Navette)", expand=False)
    if kind.isna().all():
        return stations, 0
    rail_parents = set(points.loc[kind == "Train", "parent_station"].str.strip())
    is_rail = stations["stop_id"].str.strip().isin(rail_parents)
    return stations[is_rail], int((~is_rail).sum())


def _group_by_parent(points: pd.DataFrame) -> pd.DataFrame:
    """One station per parent_station (or per stop without parent), at the mean position."""
    if points.empty:
        return points
    key = points["parent_station"].str.strip()
    key = key.where(key != "", points["stop_id"].str.strip())
    lon = pd.to_numeric(points["stop_lon"], errors="coerce")
    lat = pd.to_numeric(points["stop_lat"], errors="coerce")
    grouped = pd.DataFrame({"key": key, "lon": lon, "lat": lat, "name": points["stop_name"],
                            "_line": points["_line"]}).groupby("key", sort=False)
    first = grouped.first()
    means = grouped[["lon", "lat"]].mean()
    return pd.DataFrame({
        "stop_id": first.index,
        "stop_name": first["name"].to_numpy(),
        "stop_lon": means["lon"].map(lambda v: "" if np.isnan(v) else repr(v)).to_numpy(),
        "stop_lat": means["lat"].map(lambda v: "" if np.isnan(v) else repr(v)).to_numpy(),
        "_line": first["_line"].to_numpy(),
    })
