"""What a report page is made of, as plain data: sections of paragraphs, tables, maps.

The section modules compute these blocks from the diagnostic; the Jinja2 templates
(``templates/blocks.html.j2``) alone turn them into HTML, with autoescaping, so no
markup is written in Python and every text coming from data is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Link:
    """A table cell or text that links to an address (a provenance URL, an anchor)."""

    href: str
    text: str


@dataclass(frozen=True)
class Column:
    """A table column: header text and whether it holds numbers (right aligned)."""

    header: str
    numeric: bool = False


Cell = str | int | float | Link | None


@dataclass
class Block:
    """Base of the blocks; ``kind`` names the template macro that draws it."""

    kind: ClassVar[str] = ""


@dataclass
class Para(Block):
    kind: ClassVar[str] = "para"
    text: str


@dataclass
class Heading(Block):
    """A sub-heading (``h3``) inside a section."""

    kind: ClassVar[str] = "heading"
    text: str


@dataclass
class Bullets(Block):
    kind: ClassVar[str] = "bullets"
    items: list[str]


@dataclass
class Table(Block):
    """An accessible table: caption, column headers, one cell per row as row header."""

    kind: ClassVar[str] = "table"
    caption: str
    columns: Sequence[Column]
    rows: list[list[Cell]]
    header_column: int | None = 0
    table_id: str | None = None

    def __post_init__(self) -> None:
        widths = {len(row) for row in self.rows}
        if widths and widths != {len(self.columns)}:
            # programmer error: a section module built a ragged table (English on purpose)
            raise ValueError(f"table {self.caption!r}: rows of {sorted(widths)} cells for "
                             f"{len(self.columns)} columns")


@dataclass
class Figure(Block):
    """A map embedded as a PNG data URI, with its text alternative and a link to the
    table holding the same values (the map is never the only way to read them)."""

    kind: ClassVar[str] = "figure"
    png: bytes
    alt: str
    caption: str
    link: Link

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Notice(Block):
    """A framed warning: an optional title line, an optional bold lead, the text."""

    kind: ClassVar[str] = "notice"
    text: str
    title: str = ""
    lead: str = ""
    label: str = ""


@dataclass
class Details(Block):
    """Folded content (opened before printing by the page's script)."""

    kind: ClassVar[str] = "details"
    summary: str
    blocks: list[Block]


@dataclass
class Section(Block):
    kind: ClassVar[str] = "section"
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


def section(section_id: str, title: str, *blocks: Block | None) -> Section:
    """A section of the page; ``None`` blocks (optional parts) are left out."""
    return Section(section_id, title, [b for b in blocks if b is not None])


def bullets(items: Iterable[object]) -> Bullets:
    return Bullets([str(item) for item in items])
