"""Write a table as CSV fast, byte for byte as ``DataFrame.to_csv(path, index=False)``.

Why: pandas formats each float with numpy's ``astype(str)`` and writes each field through
the ``csv`` module: 90 s (under load) for the 230 MB of a national run's CSV tables, more
than all its computation. Here every column becomes one Arrow string array (pyarrow's vectorised
casts, the shortest round-trip digits as Python's ``repr``), the columns are joined row
by row in Arrow and the whole text is written at once. Floats pyarrow would spell in
another notation (below 1e-4 or from 1e10 on) are formatted by numpy as pandas does;
a table this module cannot reproduce exactly (other dtypes, objects that are not text, a
carriage return in a text, a single column) is written by pandas itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: pyarrow writes floats in fixed notation, as Python does, in this range of magnitudes
_FIXED_MIN, _FIXED_MAX = 1e-4, 1e10
_NEEDS_QUOTES = '[,"\n]'
_TEXT = pa.large_string()


def _scalar(text: str) -> pa.Scalar:
    return pa.scalar(text, _TEXT)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """``frame.to_csv(path, index=False)``, fast for large tables."""
    columns = _text_columns(frame) if len(frame.columns) > 1 else None
    if columns is None:
        frame.to_csv(path, index=False)
        return
    header = ",".join(_quote_text(str(name)) for name in frame.columns) + "\n"
    with open(path, "wb") as handle:
        handle.write(header.encode("utf-8"))
        if len(frame):
            rows = pc.binary_join_element_wise(*columns, _scalar(","))
            lines = pc.binary_join_element_wise(rows, _scalar(""), _scalar("\n"))
            handle.write(_text_bytes(lines))


def _text_columns(frame: pd.DataFrame) -> list[pa.Array] | None:
    out = []
    for _, series in frame.items():
        text = _column_text(series)
        if text is None:
            return None
        out.append(text)
    return out


def _column_text(series: pd.Series) -> pa.Array | None:
    """The column as pandas writes it (None: a dtype this module does not reproduce)."""
    dtype = series.dtype
    values = series.to_numpy()
    if dtype == np.float64:
        return _float_text(values)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(values), _TEXT)
    if dtype == np.bool_:
        return pa.array(np.where(values, "True", "False"), _TEXT)
    if dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype):
        try:
            text = pa.array(values, type=_TEXT, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            if pd.api.types.infer_dtype(values, skipna=False) == "floating":
                return _float_text(values.astype(np.float64))  # str() of each is repr
            return None  # other objects among the texts: pandas' str() of each
        if pc.any(pc.match_substring(text, "\r")).as_py():
            return None
        return _quoted(pc.fill_null(text, _scalar("")))
    return None


def _float_text(values: np.ndarray) -> pa.Array:
    text = pc.cast(pa.array(values), _TEXT)
    magnitude = np.abs(values)
    finite = np.isfinite(values)
    other = finite & (magnitude != 0) & ((magnitude < _FIXED_MIN) | (magnitude >= _FIXED_MAX))
    # pyarrow spells an integral float "12" where Python writes "12.0"
    with np.errstate(invalid="ignore"):
        integral = finite & ~other & (np.floor(values) == values)
    if integral.any():
        text = pc.if_else(pa.array(integral),
                          pc.binary_join_element_wise(text, _scalar(".0"), _scalar("")), text)
    if other.any():
        text = pc.replace_with_mask(text, pa.array(other),
                                    pa.array(values[other].astype(str), _TEXT))
    return pc.if_else(pa.array(np.isnan(values)), _scalar(""), text)


def _quoted(text: pa.Array) -> pa.Array:
    """Quote the texts holding a comma, a quote or a newline, as the csv module does."""
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    escaped = pc.binary_join_element_wise(
        _scalar('"'), pc.replace_substring(text, '"', '""'), _scalar('"'), _scalar(""))
    return pc.if_else(needs, escaped, text)


def _quote_text(text: str) -> str:
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _text_bytes(lines: pa.Array) -> memoryview:
    """The UTF-8 bytes of the concatenated strings, without copying them to Python."""
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
        lines.offset:lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]
