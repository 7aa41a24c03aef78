"""Text input files as users give them: one decoding rule for every file kind.

Services, origins, population grids, edge and node tables all go through :func:`read_text`,
so a file re-saved in Windows-1252 by a spreadsheet is read the same way whatever it holds
(decoded, with a warning naming the file), and a binary file or a UTF-16 export is refused
with one line instead of a parser traceback. Old Mac line endings (CR only) are read as
line ends, like the csv module does.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pandas as pd

from proximite.errors import InputError

NUL = b"\x00"
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
"""Bytes no text table holds (tab, LF, FF and CR excepted)."""

BINARY_SHARE = 0.01
"""Above this share of control bytes in the first 64 KiB, a file is binary, not text."""

GZIP_MAGIC = b"\x1f\x8b"
"""First bytes of a gzip file: such a table is read decompressed."""

_LINE_END = re.compile(r"\r\n|\r|\n")


def read_bytes(path: str | Path) -> bytes:
    """Read a whole input file, turning the usual OS failures into located errors."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    if path.is_dir():
        raise InputError("c'est un dossier, pas un fichier", path=path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"lecture impossible ({exc.strerror})", path=path) from exc
    if data.startswith(GZIP_MAGIC):  # a table shipped gzip-compressed (e.g. CSV.gz)
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"fichier gzip illisible ({exc})", path=path,
                             expected="un fichier .gz complet") from exc
    if not data.strip():
        raise InputError("fichier vide", path=path,
                         expected="une ligne d'en-tête puis des lignes de données")
    return data


def check_text(data: bytes, path: str | Path) -> None:
    """Refuse binary content (a zip, a spreadsheet, random bytes) and UTF-16 text."""
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("texte en UTF-16, non lu", path=path,
                         expected="un fichier texte en UTF-8 (réenregistrer en « CSV UTF-8 »)")
    if head.startswith(b"PK\x03\x04"):
        raise InputError("archive zip ou tableur (xlsx/ods), pas un fichier texte", path=path,
                         expected="un fichier CSV en texte (exporter la feuille en CSV)")
    control = sum(head.count(bytes([b])) for b in CONTROL_BYTES)
    if NUL in head or control > BINARY_SHARE * len(head):
        line = head[:head.find(NUL)].count(b"\n") + 1 if NUL in head else None
        raise InputError("contenu binaire, pas du texte", path=path, line=line,
                         expected="un fichier texte (CSV ou JSON)")


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


def encoding_warnings(path: str | Path, encoding: str) -> list[str]:
    """The warning telling the user a file was not UTF-8 (empty for UTF-8)."""
    if encoding.startswith("utf-8"):
        return []
    name = {"cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO-8859-1)"}.get(encoding, encoding)
    return [f"{path} : pas en UTF-8, lu comme du {name} (vérifier les accents ; "
            "réenregistrer en UTF-8 pour faire taire cet avertissement)"]


def read_text(path: str | Path) -> tuple[str, str]:
    """The text of an input file and its encoding, after :func:`check_text`."""
    data = read_bytes(path)
    check_text(data, path)
    text, encoding = decode_text(data)
    return text.lstrip("\ufeff"), encoding


def first_line(text: str) -> str:
    """The first line, whatever the line ends (LF, CRLF or CR alone)."""
    return _LINE_END.split(text, maxsplit=1)[0]


def physical_lines(text: str) -> int:
    """How many lines a text holds (a last line without line end counts)."""
    ends = len(_LINE_END.findall(text))
    return ends + (0 if not text or text.endswith(("\n", "\r")) else 1)


def read_text_frame(path: str | Path,
                    separator: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """A CSV as text columns, decoded by :func:`read_text`, and its encoding warnings.

    ``separator`` None lets pandas' sniffer pick it (origins, edge tables, candidates).
    """
    text, encoding = read_text(path)
    try:
        if separator is None:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None,
                                engine="python")
        else:
            frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str,
                                keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise InputError(f"illisible comme CSV (« {exc} »)", path=path,
                         expected="un tableau CSV avec une ligne d'en-tête") from exc
    return frame, encoding_warnings(path, encoding)
