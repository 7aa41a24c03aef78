"""How often a place is open, from its OSM ``opening_hours``: days per month, hours per week.

An itinerant stop's frequency ("le 1er et le 3e mardi du mois") and a digital-help place's
weekly opening are both read from the inventory's ``opening_hours`` (OSM syntax), evaluated
by the maintained ``opening-hours-py`` library over one reference year
(:data:`REFERENCE_YEAR`, with the French public holidays, so ``PH off`` counts). A year
averages out the month-dependent rules (``Tu[1,3]``, ``week 1-53/2``). An empty or
unreadable expression gives NaN: unknown, never zero.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache

import opening_hours
from opening_hours import OpeningHours, State

REFERENCE_YEAR = 2026
DAYS_IN_YEAR = 365
WEEKS_IN_YEAR = DAYS_IN_YEAR / 7
_ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]


@lru_cache(maxsize=4096)
def _open_intervals(expression: str) -> tuple[tuple[datetime, datetime], ...] | None:
    """Open intervals over the reference year, None when the expression is not readable."""
    if not expression.strip():
        return None
    try:
        parsed = OpeningHours(expression, country="FR", auto_country=False)
    except (_ParserError, SyntaxError, ValueError):
        return None
    start = datetime(REFERENCE_YEAR, 1, 1)
    end = start + timedelta(days=DAYS_IN_YEAR)
    return tuple((max(a, start), min(b or end, end))
                 for a, b, state, _ in parsed.intervals(start, end) if state == State.OPEN)


def days_per_month(expression: str) -> float:
    """Mean number of days a month with an opening (NaN when unknown)."""
    intervals = _open_intervals(expression or "")
    if intervals is None:
        return math.nan
    days: set[datetime] = set()
    for a, b in intervals:
        day = a.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < b:
            days.add(day)
            day += timedelta(days=1)
    return len(days) / 12.0


def hours_per_week(expression: str) -> float:
    """Mean opening hours a week (NaN when unknown)."""
    intervals = _open_intervals(expression or "")
    if intervals is None:
        return math.nan
    seconds = sum((b - a).total_seconds() for a, b in intervals)
    return seconds / 3600.0 / WEEKS_IN_YEAR
