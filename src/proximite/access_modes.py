"""Itinerant and remote access per commune, apart from the permanent sites.

The schemes count a France Services bus or a bibliobus as *a presence*, not as a site: it
is in a village one day a week or a month. Nearest-service times use permanent sites only
(:func:`proximite.access.nearest_service_times`); this module gives the itinerant
services their own indicator, "accès à une permanence itinérante": the time to the nearest
stop and the days per month that stop is served (read from its ``opening_hours``). An
itinerant service known only by its base address (``location_precision = base``: the ANCT
list gives the carrying structure's address, not the stops) has no stop to time: it is
listed, never timed.

Remote access (phone, video, online) is not a trip: per commune and category, the nearest
service reachable that way is listed with its modes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from proximite.access import STATUS_OK, nearest_service_times
from proximite.inventory.schedule import days_per_month
from proximite.inventory.schema import (
    LOCATION_BASE,
    REMOTE_MODES,
    itinerant_mask,
    modes_of,
    remote_mask,
)
from proximite.model import AccessParams, Catalogue
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

ITINERANT_COLUMNS = [
    "code_insee", "nom", "category", "category_label", "stop_time_min", "nearest_stop_id",
    "nearest_stop_name", "itinerant_service_id", "days_per_month", "stop_opening_hours",
    "status",
]
REMOTE_COLUMNS = [
    "code_insee", "nom", "category", "category_label", "service_id", "service_name",
    "modes", "distance_km",
]
MODE_LABELS = {"phone": "téléphone", "video": "visioconférence", "online": "en ligne"}
EARTH_RADIUS_KM = 6371.0


def itinerant_stops(services: pd.DataFrame) -> pd.DataFrame:
    """The itinerant rows that are stops (not a base address)."""
    rows = services[itinerant_mask(services)]
    if "location_precision" in rows.columns:
        rows = rows[rows["location_precision"] != LOCATION_BASE]
    return rows


def itinerant_without_stops(services: pd.DataFrame) -> pd.DataFrame:
    """Itinerant services known only by their base address (listed, never timed)."""
    rows = services[itinerant_mask(services)]
    if "location_precision" not in rows.columns:
        return rows.iloc[0:0]
    return rows[rows["location_precision"] == LOCATION_BASE]


def itinerant_access(graph: RoadGraph, origins: pd.DataFrame, communes: pd.DataFrame,
                     services: pd.DataFrame, catalogue: Catalogue, categories: list[str],
                     params: AccessParams, *, snapper: Snapper | None = None) -> pd.DataFrame:
    """Per commune and category with itinerant stops: the nearest stop and its frequency.

    ``origins`` has ``origin_id, code_insee, lon, lat, population``; a commune with several
    origins (a population grid) takes the population-weighted mean time and the stop of
    its most populated origin. ``status`` is the access status of that origin.
    """
    stops = itinerant_stops(services)
    wanted = {code: sorted(catalogue.members(code)) for code in categories
              if stops["category"].isin(catalogue.members(code)).any()}
    if not wanted or not len(origins):
        return pd.DataFrame(columns=ITINERANT_COLUMNS)
    times = nearest_service_times(graph, origins, stops, wanted, params, snapper=snapper,
                                  itinerant=True)
    times = times.merge(origins[["origin_id", "code_insee", "population"]], on="origin_id",
                        how="left")
    by_id = stops.drop_duplicates("service_id").set_index("service_id")
    rows = []
    for (code, category), group in times.groupby(["code_insee", "category"], sort=False):
        main = group.iloc[int(np.argmax(group["population"].fillna(0).to_numpy()))]
        ok = group[group["status"] == STATUS_OK]
        weights = ok["population"].fillna(0).to_numpy(dtype=float)
        if len(ok) and weights.sum() > 0:
            time_min = float(np.average(ok["travel_time_min"], weights=weights))
        else:
            time_min = float(main["travel_time_min"])
        stop_id = str(main["nearest_service_id"])
        stop = by_id.loc[stop_id] if stop_id in by_id.index else None
        hours = str(stop["opening_hours"]) if stop is not None else ""
        rows.append({
            "code_insee": code, "category": category,
            "category_label": catalogue.categories[str(category)].label,
            "stop_time_min": round(time_min, 2) if np.isfinite(time_min) else np.nan,
            "nearest_stop_id": stop_id,
            "nearest_stop_name": str(stop["name"]) if stop is not None else "",
            "itinerant_service_id": str(stop["source_id"]) if stop is not None else "",
            "days_per_month": round(days_per_month(hours), 2) if stop is not None else np.nan,
            "stop_opening_hours": hours, "status": str(main["status"]),
        })
    table = pd.DataFrame(rows)
    names = communes.set_index("code_insee")["nom"] if len(communes) else pd.Series(dtype=str)
    table["nom"] = table["code_insee"].map(names).fillna("")
    return table[ITINERANT_COLUMNS]


def remote_access(communes: pd.DataFrame, services: pd.DataFrame,
                  catalogue: Catalogue) -> pd.DataFrame:
    """Per commune and category: the nearest service reachable by phone, video or online.

    ``communes`` has ``code_insee, nom, origin_lon, origin_lat`` (the town hall); the
    distance is the great-circle distance from the town hall, said as such: a remote
    service is not reached by road, the nearest one is the likeliest to be competent.
    """
    remote = services[remote_mask(services)]
    if not len(remote) or not len(communes):
        return pd.DataFrame(columns=REMOTE_COLUMNS)
    lon0 = np.radians(communes["origin_lon"].to_numpy(dtype=float))[:, None]
    lat0 = np.radians(communes["origin_lat"].to_numpy(dtype=float))[:, None]
    rows = []
    for category, group in remote.groupby("category", sort=False):
        lon1 = np.radians(group["lon"].to_numpy(dtype=float))[None, :]
        lat1 = np.radians(group["lat"].to_numpy(dtype=float))[None, :]
        haversine = (np.sin((lat1 - lat0) / 2) ** 2
                     + np.cos(lat0) * np.cos(lat1) * np.sin((lon1 - lon0) / 2) ** 2)
        distance_km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(haversine, 0, 1)))
        nearest = np.nanargmin(np.where(np.isnan(distance_km), np.inf, distance_km), axis=1)
        for i, j in enumerate(nearest):
            service = group.iloc[int(j)]
            modes = [MODE_LABELS[m] for m in REMOTE_MODES if m in modes_of(
                service["access_modes"])]
            rows.append({
                "code_insee": communes["code_insee"].iloc[i], "nom": communes["nom"].iloc[i],
                "category": category,
                "category_label": catalogue.categories[str(category)].label,
                "service_id": service["service_id"], "service_name": service["name"],
                "modes": ", ".join(modes),
                "distance_km": round(float(distance_km[i, j]), 1),
            })
    return pd.DataFrame(rows, columns=REMOTE_COLUMNS)
