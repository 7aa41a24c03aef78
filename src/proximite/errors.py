"""User-facing errors and row-level rejections.

Bad input must end in one clear line naming the file, line and field and what was
expected, never in a traceback and never in silent loss. Structural problems (missing
column, empty or corrupt file) raise :class:`InputError`; row-level problems (one bad
coordinate among thousands of rows) become :class:`Rejection` records that are kept,
counted, written out and shown in the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


class ProximiteError(Exception):
    """An error whose message is meant for the user, shown without a traceback."""


class SettingError(ProximiteError, ValueError):
    """A setting with a value out of its domain, named by its key in the settings tree.

    :mod:`proximite.settings` re-raises it naming where the value came from (the CLI
    option, the ``proximite.toml`` key or the environment variable).
    """

    def __init__(self, key: str, value: object, expected: str) -> None:
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(f"{key} {value} : attendu {expected}")


class InputError(ProximiteError, ValueError):
    """A problem in an input file, located as precisely as possible."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        self.reason = message
        super().__init__(format_location(self.path, line, field, message, expected))


def format_location(
    path: str | None,
    line: int | None,
    field: str | None,
    message: str,
    expected: str | None = None,
) -> str:
    """Format ``file:line: field 'x': message (expected ...)``."""
    where = ""
    if path is not None:
        where = path if line is None else f"{path}:{line}"
        where += ": "
    if field is not None:
        where += f"field '{field}': "
    text = where + message
    if expected:
        text += f" (expected {expected})"
    return text


@dataclass(frozen=True)
class Rejection:
    """One input row that was not used, and why."""

    path: str
    line: int | None
    field: str | None
    value: str
    reason: str

    def message(self) -> str:
        return format_location(self.path, self.line, self.field, f"{self.reason} [{self.value}]")


def require_columns(
    columns: list[str] | tuple[str, ...], required: list[str], path: str | Path
) -> None:
    """Raise if a table lacks required columns, suggesting near misspellings."""
    import difflib

    present = list(columns)
    missing = [name for name in required if name not in present]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, present, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (found '{close[0]}': misspelt?)" if close else ""))
    raise InputError(
        "missing column(s) " + ", ".join(hints),
        path=path,
        line=1,
        expected="columns " + ", ".join(required),
    )


def numeric_column(frame: pd.DataFrame, column: str, path: str | Path, *,
                   minimum: float | None = None, max_abs: float | None = None,
                   positive: bool = False, allow_empty: bool = False) -> np.ndarray:
    """Parse a text column of a CSV table as floats, or raise at the first bad cell.

    Accepts a decimal comma. ``minimum`` / ``max_abs`` bound the values (coordinates use
    ``max_abs`` 180 / 90); ``positive`` requires > 0 (speeds). Empty cells become NaN
    when ``allow_empty``. The line number counts the header as line 1, like a spreadsheet.
    """
    raw = frame[column].astype(str).str.replace(",", ".", regex=False).str.strip()
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna()
    if allow_empty:
        bad &= raw != ""
    if minimum is not None:
        bad |= values < minimum
    if max_abs is not None:
        bad |= values.abs() > max_abs
    if positive:
        bad |= values <= 0
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        expected = (f"WGS84 degrees within [-{max_abs:g}, {max_abs:g}]" if max_abs is not None
                    else "a number > 0" if positive
                    else f"a number >= {minimum:g}" if minimum is not None else "a number")
        if allow_empty:
            expected += " or empty"
        raise InputError(f"invalid value '{frame[column].iloc[row]}'", path=path,
                         line=row + 2, field=column, expected=expected)
    return values.to_numpy(dtype=float)
