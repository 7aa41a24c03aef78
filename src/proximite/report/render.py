"""The Jinja2 environment of the reports: templates shipped in the package, autoescaped."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from proximite.report.blocks import Block


@cache
def environment() -> Environment:
    """One environment per process (templates are compiled once, then cached)."""
    return Environment(
        loader=PackageLoader("proximite.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,  # a misspelt variable fails instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(template: str, **context: Any) -> str:
    """Render a page template (``report.html.j2``, ``plan_report.html.j2``)."""
    return environment().get_template(template).render(**context)


def render_block(block: Block) -> str:
    """The HTML of one block alone (a section, a table), as the page would show it."""
    return str(environment().get_template("blocks.html.j2").module.render(block))  # type: ignore[attr-defined]
