"""Shared reading helpers for the importers: text decoding, CSV with line numbers, coordinates.

Every importer must point a rejected row at its real line in the user's file, read the full
national files quickly, and survive files re-saved in Windows encodings by a spreadsheet.
These helpers do that once so each importer only maps its columns onto the schema.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from proximite.errors import InputError, Rejection, require_columns
from proximite.inventory.schema import ImportResult, empty_services, normalise_services

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in WGS84 degrees."""

FAST_PATH_BYTES = 20_000_000
"""Above this size (in characters) a CSV is parsed by pandas' C parser for speed."""

LINE_COLUMN = "_line"
"""Column added to every table read here: the 1-based line where the row starts."""


def read_bytes(path: str | Path) -> bytes:
    """Read a whole input file, turning the usual OS failures into located errors."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=path)
    data = path.read_bytes()
    if not data.strip():
        raise InputError("empty file", path=path, expected="a header line and data rows")
    return data


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    French open-data files re-saved by a spreadsheet are often cp1252; guessing wrong would
    either crash or silently garble accents, so try the strict decoders in that order.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def sniff_separator(header_line: str) -> str:
    """The most frequent of ; , tab in the header (official files use ';' or ',')."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def clean_header(names: Iterable[str]) -> list[str]:
    """Strip spaces, BOM and the leading '#' some exports put before the first column."""
    cleaned = []
    for position, name in enumerate(names):
        name = str(name).replace("\ufeff", "").strip()
        if position == 0:
            name = name.lstrip("#").strip()
        cleaned.append(name)
    return cleaned


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


@dataclass
class Table:
    """A CSV read as strings, each row tagged with its first line number in the file."""

    frame: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    encoding: str = "utf-8"
    separator: str = ","


def read_csv_table(
    path: str | Path,
    required: list[str],
    *,
    text: str | None = None,
    separator: str | None = None,
) -> Table:
    """Read a CSV file as strings with exact 1-based line numbers (header = line 1).

    Files up to FAST_PATH_BYTES go through the csv module: exact line numbers even when a
    quoted field spans several lines (the ANCT list has multi-line comments), and a row
    with the wrong number of fields is rejected. Bigger files (the national BPE, ~300 MB)
    use pandas' C parser, with line = row index + 2 when no field spans lines (checked; else
    the csv module again); there, a short row is padded with empty fields by pandas, so it
    ends as a "missing" value rejection rather than a field-count one.
    """
    encoding = "utf-8"
    if text is None:
        text, encoding = decode_text(read_bytes(path))
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError("empty file", path=path, expected="a header line and data rows")
    header_text = first_line(text)
    sep = separator or sniff_separator(header_text)
    header = clean_header(next(csv.reader([header_text], delimiter=sep)))
    require_columns(header, required, path)
    if len(text) <= FAST_PATH_BYTES:
        return _read_with_csv_module(path, text, header, sep, encoding)
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    frame: pd.DataFrame | None = None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, header=0,
                            names=header, engine="c")
    except (pd.errors.ParserError, ValueError):
        frame = None
    if frame is not None and len(frame) + 1 == physical_lines:
        frame[LINE_COLUMN] = np.arange(2, len(frame) + 2)
        frame = frame[~_blank_rows(frame, header)]
        return Table(frame.reset_index(drop=True), [], encoding, sep)
    return _read_with_csv_module(path, text, header, sep, encoding)


def _blank_rows(frame: pd.DataFrame, header: list[str]) -> pd.Series:
    if not len(frame):
        return pd.Series(dtype=bool)
    return (frame[header].apply(lambda col: col.str.strip()) == "").all(axis=1)


def _read_with_csv_module(path: str | Path, text: str, header: list[str], sep: str,
                          encoding: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    next(reader)
    rows: list[list[str]] = []
    lines: list[int] = []
    rejected: list[Rejection] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                start = reader.line_num + 1
                continue
            if len(row) != len(header):
                rejected.append(Rejection(str(path), start, None, sep.join(row)[:80],
                                          f"expected {len(header)} fields, found {len(row)}"))
            else:
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", path=path, line=start) from exc
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame[LINE_COLUMN] = np.asarray(lines, dtype=int)
    return Table(frame, rejected, encoding, sep)


def parse_coordinates(
    lon_text: pd.Series,
    lat_text: pd.Series,
    lines: pd.Series,
    path: str | Path,
    *,
    lon_field: str,
    lat_field: str,
) -> tuple[pd.Series, pd.Series, pd.Series, list[Rejection]]:
    """Parse WGS84 coordinates; return lon, lat, a validity mask and the rejections.

    A decimal comma is accepted (a lone coordinate cannot hold any other comma). Missing,
    non-numeric or out-of-range values are reported, never dropped silently.
    """
    lon_s = lon_text.fillna("").astype(str).str.strip()
    lat_s = lat_text.fillna("").astype(str).str.strip()
    lon = pd.to_numeric(lon_s.str.replace(",", ".", regex=False), errors="coerce")
    lat = pd.to_numeric(lat_s.str.replace(",", ".", regex=False), errors="coerce")
    ok = pd.Series(True, index=lon_s.index)
    rejected: list[Rejection] = []
    checks = [
        (lat_field, lat_s, lat, (-90.0, 90.0), "latitude"),
        (lon_field, lon_s, lon, (-180.0, 180.0), "longitude"),
    ]
    reasons = pd.Series("", index=lon_s.index)
    fields = pd.Series("", index=lon_s.index)
    values = pd.Series("", index=lon_s.index)
    for name, raw, number, (low, high), word in reversed(checks):
        missing = raw == ""
        not_number = ~missing & number.isna()
        outside = number.notna() & ~number.between(low, high)
        for mask, reason in ((missing, "missing coordinate"),
                             (not_number, "coordinate is not a number"),
                             (outside, f"{word} outside [{low:g}, {high:g}]")):
            reasons[mask] = reason
            fields[mask] = name
            values[mask] = raw[mask]
            ok &= ~mask
    for index in ok.index[~ok]:
        rejected.append(Rejection(str(path), int(lines[index]), fields[index],
                                  values[index], reasons[index]))
    return lon, lat, ok, rejected


def in_bbox(lon: pd.Series, lat: pd.Series, bbox: BBox | None) -> pd.Series:
    """Rows inside the (west, south, east, north) box; all rows when no box is given."""
    if bbox is None:
        return pd.Series(True, index=lon.index)
    west, south, east, north = bbox
    if west > east or south > north:
        raise InputError(f"invalid bbox {bbox}", expected="(west, south, east, north)")
    return lon.between(west, east) & lat.between(south, north)


def finish(services: pd.DataFrame, bbox: BBox | None, rejected: list[Rejection],
           warnings: list[str]) -> ImportResult:
    """Apply the box filter (after parsing, so bad rows are still reported) and normalise."""
    if not len(services):
        return ImportResult(empty_services(), rejected, warnings)
    keep = in_bbox(services["lon"], services["lat"], bbox)
    return ImportResult(normalise_services(services[keep]), rejected, warnings)


def insee_code(values: pd.Series) -> pd.Series:
    """Five-character INSEE codes: restore the leading zero a spreadsheet drops (1283 -> 01283).

    Corsican codes (2A/2B) and already-correct codes pass through unchanged.
    """
    text = values.fillna("").astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    short = text.str.fullmatch(r"\d{4}")
    return text.where(~short, text.str.zfill(5))


def join_text(*parts: pd.Series, sep: str = ", ") -> pd.Series:
    """Join address parts, skipping empty ones (no ', ,' in addresses)."""
    cleaned = [p.fillna("").astype(str).str.strip() for p in parts]
    joined = cleaned[0]
    for part in cleaned[1:]:
        joined = joined.where(part == "", part.where(joined == "", joined + sep + part))
    return joined


def hours_warning(services: pd.DataFrame, path: str | Path) -> list[str]:
    """Say how many rows keep their hours as raw text only (unreadable by the parser)."""
    raw_only = (services["opening_hours_raw"] != "") & (services["opening_hours"] == "")
    if not raw_only.any():
        return []
    return [f"{path}: {int(raw_only.sum())} row(s) with opening hours kept as raw text only "
            "(not convertible to OSM opening_hours)"]
