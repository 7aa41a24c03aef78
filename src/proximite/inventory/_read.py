"""Shared reading helpers for the importers: text decoding, CSV with line numbers, coordinates.

Every importer must point a rejected row at its real line in the user's file, read the full
national files quickly, and survive files re-saved in Windows encodings by a spreadsheet.
These helpers do that once so each importer only maps its columns onto the schema: it reads
its file with :func:`read_located_rows` (or :func:`read_csv_table` / :func:`read_json_table`
then :func:`locate_rows`), builds its rows with :meth:`LocatedRows.services` and returns
:meth:`LocatedRows.result`. :func:`reject_by_value` groups the rejections of a value that
fills whole files (the national BPE's unmapped codes) into one per value.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from proximite import messages
from proximite.errors import InputError, Rejection, require_columns
from proximite.inventory.schema import (
    GroupedRejection,
    ImportResult,
    empty_services,
    normalise_services,
)
from proximite.textio import (
    check_text,
    decode_text,
    encoding_warnings,
    first_line,
    physical_lines,
    read_bytes,
    read_text,
)

__all__ = ["check_text", "decode_text", "first_line", "read_bytes", "read_text"]

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in WGS84 degrees."""

FAST_PATH_BYTES = 20_000_000
"""Above this size (in characters) a CSV is parsed by pandas' C parser for speed."""

LINE_COLUMN = "_line"
"""Column added to every table read here: the 1-based line where the row starts."""

EXAMPLE_LINES = 5
"""How many line numbers a grouped rejection quotes as examples."""


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


@dataclass
class Table:
    """A CSV read as strings, each row tagged with its first line number in the file."""

    frame: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    encoding: str = "utf-8"
    separator: str = ","
    warnings: list[str] = field(default_factory=list)
    """Said about the whole file (not UTF-8...), passed on by :class:`LocatedRows`."""


def read_csv_table(
    path: str | Path,
    required: list[str],
    *,
    optional: Iterable[str] = (),
    text: str | None = None,
    separator: str | None = None,
) -> Table:
    """Read a CSV file as strings with exact 1-based line numbers (header = line 1).

    A missing ``optional`` column is added, empty, so the importer can use it unconditionally.
    Files up to FAST_PATH_BYTES go through the csv module: exact line numbers even when a
    quoted field spans several lines (the ANCT list has multi-line comments), and a row
    with the wrong number of fields is rejected. Bigger files (the national BPE, ~300 MB)
    use pandas' C parser, with line = row index + 2 when no field spans lines (checked; else
    the csv module again); there, a short row is padded with empty fields by pandas, so it
    ends as a "missing" value rejection rather than a field-count one.
    """
    encoding = "utf-8"
    if text is None:
        text, encoding = read_text(path)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError("fichier vide", path=path,
                         expected="une ligne d'en-tête puis des lignes de données")
    header_text = first_line(text)
    sep = separator or sniff_separator(header_text)
    header = clean_header(next(csv.reader([header_text], delimiter=sep)))
    require_columns(header, required, path)
    table = _read_rows(path, text, header, sep, encoding)
    table.warnings.extend(encoding_warnings(path, encoding))
    for column in optional:
        if column not in table.frame.columns:
            table.frame[column] = ""
    return table


def _read_rows(path: str | Path, text: str, header: list[str], sep: str,
               encoding: str) -> Table:
    if len(text) <= FAST_PATH_BYTES:
        return _read_with_csv_module(path, text, header, sep, encoding)
    n_lines = physical_lines(text)
    frame: pd.DataFrame | None = None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=False, header=0,
                            names=header, engine="c")
    except (pd.errors.ParserError, ValueError):
        frame = None
    if frame is not None and len(frame) + 1 == n_lines:
        frame[LINE_COLUMN] = np.arange(2, len(frame) + 2)
        frame = frame[~_blank_rows(frame, header)]
        return Table(frame.reset_index(drop=True), [], encoding, sep)
    return _read_with_csv_module(path, text, header, sep, encoding)


def _blank_rows(frame: pd.DataFrame, header: list[str]) -> pd.Series:
    if not len(frame):
        return pd.Series(dtype=bool)
    return (frame[header].apply(lambda col: col.str.strip()) == "").all(axis=1)


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _read_with_csv_module(path: str | Path, text: str, header: list[str], sep: str,
                          encoding: str) -> Table:
    """Parse with the csv module, rejecting a quote that opens and never closes.

    Such a quote would swallow every later line into one field: the line where it opens
    is rejected and reading resumes on the next line, so every physical line ends up in a
    row, a rejection or a blank line.
    """
    lines = io.StringIO(text, newline="").readlines()  # split on LF, CRLF and CR alone
    rows: list[list[str]] = []
    row_lines: list[int] = []
    rejected: list[Rejection] = []
    position = 1  # index in ``lines`` of the next line to read (0 is the header)
    while position < len(lines):
        resume = _read_from(path, lines, position, header, sep, rows, row_lines, rejected)
        if resume is None:
            break
        position = resume
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame[LINE_COLUMN] = np.asarray(row_lines, dtype=int)
    return Table(frame, rejected, encoding, sep)


def _read_from(path: str | Path, lines: list[str], position: int, header: list[str],
               sep: str, rows: list[list[str]], row_lines: list[int],
               rejected: list[Rejection]) -> int | None:
    """Read rows from ``lines[position:]``; the index to resume from after a runaway quote."""
    reader = csv.reader(iter(lines[position:]), delimiter=sep)
    consumed = 0
    try:
        for row in reader:
            start = position + consumed + 1  # 1-based line of the row's first line
            span = reader.line_num - consumed
            consumed = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if span > 1 and _runaway_quote(row, len(header), sep):
                rejected.append(Rejection(
                    str(path), start, None, lines[start - 1].rstrip("\r\n")[:80],
                    f"guillemet ouvert sur cette ligne et jamais refermé (il avalait les "
                    f"{span - 1} ligne(s) suivante(s)) : ligne écartée, lecture reprise à la "
                    f"ligne {start + 1}"))
                return start
            if len(row) != len(header):
                rejected.append(Rejection(str(path), start, None, sep.join(row)[:80],
                                          f"{len(header)} champs attendus, {len(row)} trouvés"))
            else:
                rows.append(row)
                row_lines.append(start)
    except csv.Error as exc:
        raise InputError(f"CSV illisible (« {exc} »)", path=path,
                         line=position + consumed + 1) from exc
    return None


def _runaway_quote(row: list[str], n_fields: int, sep: str) -> bool:
    """A row spanning lines that is really a quote left open: wrong field count, or a
    field holding a line that has as many separators as a whole row."""
    if len(row) != n_fields:
        return True
    for cell in row:
        if "\n" in cell or "\r" in cell:
            inner = _LINES.findall(cell)
            if any(line.count(sep) >= n_fields - 1 for line in inner[1:]):
                return True
    return False


def read_json_table(
    path: str | Path,
    required: list[str],
    *,
    optional: Iterable[str] = (),
    record: str = "record",
    key: str | None = None,
) -> Table:
    """Read a JSON array of objects (named ``record`` in errors) like :func:`read_csv_table`.

    The columns are the required and optional keys (a missing optional key, or null, reads
    as ""); a dotted key ("geo.latitude", "properties.libelle") reads a nested object's
    field. Values are text as a CSV cell would hold them (44.5 -> '44.5', 48095.0 ->
    '48095'), and the line of a record is its 1-based position in the array (its line in
    a JSON-lines file), so a rejection reads like a line number for the user. ``key`` names
    the array inside a top-level object when the object holds several.
    """
    records, encoding = _json_records(path, record, key)
    if not records:
        raise InputError("tableau JSON vide", path=path, expected=f"un objet par {record}")
    keys = list(dict.fromkeys(k for item in records for k in _flat_keys(item)))
    require_columns(keys, required, path)
    frame = pd.DataFrame(
        {name: [json_text(nested_value(item, name)) for item in records]
         for name in [*required, *optional]})
    frame[LINE_COLUMN] = range(1, len(records) + 1)
    return Table(frame, encoding=encoding, warnings=encoding_warnings(path, encoding))


def _flat_keys(item: dict[str, object], prefix: str = "") -> Iterator[str]:
    for name, value in item.items():
        yield prefix + name
        if isinstance(value, dict):
            yield from _flat_keys(value, prefix + name + ".")


def nested_value(item: dict[str, object], dotted: str) -> object:
    """``item["geo"]["latitude"]`` for "geo.latitude"; None when any level is missing."""
    value: object = item
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def read_json_records(path: str | Path, record: str = "enregistrement", *,
                      key: str | None = None) -> list[dict[str, object]]:
    """A JSON array of objects, or a located error saying what is wrong with the file.

    An object holding a single array (``{"features": [...]}``-like wrappers), or the array
    ``key``, is unwrapped. A JSON-lines file (one object per line, as the annuaire de
    l'administration's ``.sjson``) is read line by line, an unreadable line named.
    """
    return _json_records(path, record, key)[0]


def _json_records(path: str | Path, record: str,
                  key: str | None) -> tuple[list[dict[str, object]], str]:
    text, encoding = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InputError(f"JSON invalide (« {exc.msg} »)", path=path, line=exc.lineno,
                             expected="un tableau JSON d'objets") from exc
        data = _json_lines(path, text, record)
    if isinstance(data, dict):
        if key is not None:
            if not isinstance(data.get(key), list):
                raise InputError(f"pas de tableau « {key} » dans l'objet JSON", path=path,
                                 field=key, expected=f"{{\"{key}\": [...]}}")
            data = data[key]
        else:
            lists = [v for v in data.values() if isinstance(v, list)]
            data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError("pas un tableau JSON d'objets", path=path,
                         expected=f"[{{...}}, {{...}}], un objet par {record}")
    return data, encoding


def _json_lines(path: str | Path, text: str, record: str) -> list[object]:
    records: list[object] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"ligne JSON invalide (« {exc.msg} »)", path=path, line=number,
                             expected=f"un objet JSON par ligne (un par {record})") from exc
    return records


def json_text(value: object) -> str:
    """A JSON value as CSV text: null -> '', a whole float -> no '.0', a list -> its items
    joined by ', ' (the annuaire's address lines), others stripped."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(filter(None, (json_text(item) for item in value)))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


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
        for mask, reason in ((missing, MISSING_COORDINATE),
                             (not_number, "la coordonnée n'est pas un nombre"),
                             (outside, f"{word} hors de [{messages.short_number(low)} ; "
                                       f"{messages.short_number(high)}]")):
            reasons[mask] = reason
            fields[mask] = name
            values[mask] = raw[mask]
            ok &= ~mask
    for index in ok.index[~ok]:
        rejected.append(Rejection(str(path), int(lines[index]), fields[index],
                                  values[index], reasons[index]))
    return lon, lat, ok, rejected


@dataclass
class LocatedRows:
    """The rows of one input file with their coordinates parsed: what an importer maps.

    Every importer used to repeat the same preamble (read the table, check the required
    columns, add the optional ones, parse the coordinates, keep the reader's rejections
    before the coordinate ones) and the same ending (coordinates and file/line provenance
    in each service row, only the rows with valid coordinates kept, then the box filter).
    Doing it once here keeps every rejection located the same way whatever the source;
    an importer only adds its own checks (``ok`` and ``rejected`` are its to extend).
    """

    path: str | Path
    frame: pd.DataFrame
    lon: pd.Series
    lat: pd.Series
    ok: pd.Series
    """Rows whose coordinates are valid (index of ``frame``)."""
    rejected: list[Rejection]
    warnings: list[str] = field(default_factory=list)
    """About the whole file (its encoding): added to :meth:`result`'s warnings."""

    @property
    def lines(self) -> pd.Series:
        return self.frame[LINE_COLUMN]

    def services(self, **columns: object) -> pd.DataFrame:
        """One service per row: the given schema columns, plus lon/lat and this file and line.

        The provenance columns, and no opening hours with on-site access (what most open
        lists give), are only the defaults: an importer gives its own where it has them.
        """
        return pd.DataFrame({"lon": self.lon, "lat": self.lat, "source_file": str(self.path),
                             "source_line": self.lines.astype(str), "opening_hours": "",
                             "opening_hours_raw": "", "access_modes": "on_site", **columns})

    def result(self, services: pd.DataFrame, bbox: BBox | None,
               warnings: Iterable[str] = (), *, keep: pd.Series | None = None) -> ImportResult:
        """Keep the rows with valid coordinates (or ``keep``), then :func:`finish` (box filter)."""
        mask = self.ok if keep is None else keep
        return finish(services[mask.to_numpy()], bbox, self.rejected,
                      [*self.warnings, *warnings])


def locate_rows(
    table: Table,
    path: str | Path,
    *,
    lon: str,
    lat: str,
    lon_text: pd.Series | None = None,
    lat_text: pd.Series | None = None,
) -> LocatedRows:
    """Parse the coordinates of a table read from ``path``: the columns (and fields) lon, lat.

    ``lon_text``/``lat_text`` give the coordinate text when it is not a column of its own
    (the fuel file's single ``latlng`` field); rejections still name the fields lon, lat.
    """
    frame = table.frame
    lon_values, lat_values, ok, rejected = parse_coordinates(
        frame[lon] if lon_text is None else lon_text,
        frame[lat] if lat_text is None else lat_text,
        frame[LINE_COLUMN], path, lon_field=lon, lat_field=lat)
    return LocatedRows(path, frame, lon_values, lat_values, ok, table.rejected + rejected,
                       list(table.warnings))


def read_located_rows(
    path: str | Path,
    required: list[str],
    *,
    optional: Iterable[str] = (),
    lon: str,
    lat: str,
) -> LocatedRows:
    """:func:`read_csv_table` then :func:`locate_rows`: the whole preamble of a CSV importer."""
    return locate_rows(read_csv_table(path, required, optional=optional), path, lon=lon, lat=lat)


#: Reason of a row without a coordinate (the BPE importer renames it "non géolocalisé").
MISSING_COORDINATE = "coordonnée manquante"


def reject_by_value(path: str | Path, field: str, values: pd.Series, lines: pd.Series,
                    reason: str, *, examples: int = EXAMPLE_LINES) -> list[GroupedRejection]:
    """One :class:`GroupedRejection` per distinct value, in the order of their first line.

    ``values`` and ``lines`` hold the rejected rows only. The reason gets the row count and
    the first ``examples`` lines: "<reason> : 3 lignes (lignes 7, 9, 12)", or "12 000
    lignes (premières lignes 2, 5, 6, 9, 10)". Grouped by pandas: millions of rows take
    about a second.
    """
    rows = pd.DataFrame({"value": values.to_numpy(), "line": lines.to_numpy(dtype=int)})
    rows = rows.sort_values("line", kind="stable")
    rejected: list[GroupedRejection] = []
    for value, group in rows.groupby("value", sort=False, dropna=False)["line"]:
        count = len(group)
        first = tuple(int(line) for line in group.iloc[:examples])
        quoted = ", ".join(map(str, first))
        where = (f"ligne {quoted}" if count == 1 else f"lignes {quoted}" if count <= examples
                 else f"premières lignes {quoted}")
        rejected.append(GroupedRejection(
            str(path), first[0], field, str(value),
            f"{reason} : {messages.number(count)} ligne{'s' if count > 1 else ''} ({where})",
            rows=count, example_lines=first))
    return rejected


def in_bbox(lon: pd.Series, lat: pd.Series, bbox: BBox | None) -> pd.Series:
    """Rows inside the (west, south, east, north) box; all rows when no box is given."""
    if bbox is None:
        return pd.Series(True, index=lon.index)
    west, south, east, north = bbox
    if west > east or south > north:
        raise InputError(f"emprise invalide {bbox}",
                         expected="(ouest, sud, est, nord), ouest ≤ est et sud ≤ nord")
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
    count = messages.number(int(raw_only.sum()))
    return [f"{path} : {count} ligne(s) dont les horaires restent en texte brut "
            "(non convertibles au format opening_hours d'OSM)"]
