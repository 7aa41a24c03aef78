"""The one service schema every importer produces.

A service is a place (or a modality) where the public gets a service. Every fact keeps its
``source``, ``source_id`` and ``data_date``, plus the file and line it was read from
(``source_file``, ``source_line``) so any later check can point at the input row; merged
duplicates keep all their provenances joined with :data:`PROVENANCE_SEP`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from proximite.errors import Rejection

SERVICE_COLUMNS: list[str] = [
    "service_id",
    "category",
    "name",
    "operator",
    "lon",
    "lat",
    "code_insee",
    "address",
    "opening_hours",
    "opening_hours_raw",
    "access_modes",
    "source",
    "source_id",
    "data_date",
    "source_file",
    "source_line",
    "location_precision",
]

LOCATION_EXACT = "exact"
LOCATION_COMMUNE = "commune"
"""``location_precision``: the service's own address (``exact``), or only its commune, placed
at the town hall (``commune``: the BPE counts per commune); the report says which."""

LOCATION_BASE = "base"
"""``location_precision`` of an itinerant service located at its base (the carrying
structure's address, as the ANCT list gives a France Services bus): not a stop."""

ACCESS_MODES: tuple[str, ...] = ("on_site", "itinerant", "phone", "video", "online")
PERMANENT_MODE = "on_site"
ITINERANT_MODE = "itinerant"
REMOTE_MODES: tuple[str, ...] = ("phone", "video", "online")
"""Access modes, ``MODES_SEP``-joined in ``access_modes``. A permanent site (``on_site``, or
no mode given) counts in nearest-service times. An itinerant service (bus, bibliobus, mobile
stop) has one row per stop, the rows of one service sharing its ``source_id``, and the
stop's frequency in ``opening_hours`` (OSM syntax: ``Tu[1,3] 09:30-12:00`` is the first and
third Tuesday of the month); it never counts as a permanent site. Remote modes (phone,
video, online) are listed per commune, never timed."""
PROVENANCE_SEP = " | "
MODES_SEP = "|"


def modes_of(value: object) -> set[str]:
    """The access modes of one ``access_modes`` cell."""
    return {m.strip() for m in str(value or "").split(MODES_SEP) if m.strip()}


def permanent_mask(services: pd.DataFrame) -> np.ndarray:
    """Rows that are permanent sites: ``on_site`` among their modes, or no mode at all
    (a table without the column is all permanent)."""
    if "access_modes" not in services.columns:
        return np.ones(len(services), dtype=bool)
    return np.fromiter((not modes or PERMANENT_MODE in modes
                        for modes in map(modes_of, services["access_modes"])),
                       dtype=bool, count=len(services))


def itinerant_mask(services: pd.DataFrame) -> np.ndarray:
    """Rows of an itinerant service that is not also a permanent site."""
    if "access_modes" not in services.columns:
        return np.zeros(len(services), dtype=bool)
    return np.fromiter((ITINERANT_MODE in modes and PERMANENT_MODE not in modes
                        for modes in map(modes_of, services["access_modes"])),
                       dtype=bool, count=len(services))


def remote_mask(services: pd.DataFrame) -> np.ndarray:
    """Rows reachable by phone, video or online (whatever their other modes)."""
    if "access_modes" not in services.columns:
        return np.zeros(len(services), dtype=bool)
    return np.fromiter((bool(modes & set(REMOTE_MODES))
                        for modes in map(modes_of, services["access_modes"])),
                       dtype=bool, count=len(services))


@dataclass(frozen=True)
class GroupedRejection(Rejection):
    """Many rows rejected for the same value of a field, reported once.

    A national BPE has millions of rows whose equipment code the catalogue does not map:
    one rejection each would bury the real problems under millions of identical lines. One
    record per value carries what the user can act on: the value, how many rows, and the
    first lines as examples (``line`` is the first of them). ``reason`` says it all in words
    too, so every writer of plain rejections (rejected_services.csv, the report, warnings)
    shows it correctly; ``rows`` is there for those that count rejected rows.
    """

    rows: int = 1
    example_lines: tuple[int, ...] = ()


def rejected_rows(rejections: Iterable[Rejection]) -> int:
    """Input rows behind the rejections (a grouped rejection stands for many rows)."""
    return sum(getattr(rejection, "rows", 1) for rejection in rejections)


@dataclass
class ImportResult:
    """Services read from one source, plus the rows that were not used and why."""

    services: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: ImportResult) -> ImportResult:
        return ImportResult(
            services=concat_services([self.services, other.services]),
            rejected=self.rejected + other.rejected,
            warnings=self.warnings + other.warnings,
        )


def empty_services() -> pd.DataFrame:
    return pd.DataFrame({col: pd.Series(dtype="float64" if col in ("lon", "lat") else "object")
                         for col in SERVICE_COLUMNS})


def normalise_services(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the schema's columns, in order, with proper dtypes."""
    out = frame.copy()
    for col in SERVICE_COLUMNS:
        if col not in out.columns:
            out[col] = "" if col not in ("lon", "lat") else float("nan")
    out = out[SERVICE_COLUMNS]
    out["lon"] = pd.to_numeric(out["lon"], errors="coerce").astype("float64")
    out["lat"] = pd.to_numeric(out["lat"], errors="coerce").astype("float64")
    for col in SERVICE_COLUMNS:
        if col not in ("lon", "lat"):
            out[col] = out[col].fillna("").astype(str)
    out["location_precision"] = out["location_precision"].where(
        out["location_precision"] != "", LOCATION_EXACT)
    return out.reset_index(drop=True)


def concat_services(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [normalise_services(f) for f in frames if len(f)]
    if not frames:
        return empty_services()
    return pd.concat(frames, ignore_index=True)
