"""'Ouvert maintenant / ouvre à' from OSM ``opening_hours``, computed on the server.

The maintained ``opening-hours-py`` library (Rust ``opening-hours`` crate) evaluates the
expressions. It loads a country's public-holiday calendar itself when given
``country="FR"``, so ``PH off`` closes on 1 January, Easter Monday, 1 and 8 May,
Ascension, Whit Monday, 14 July, 15 August, 1 and 11 November and 25 December (checked
against the ``holidays`` package in the tests). ``holidays.France`` is only used here to
*flag* a public holiday in the answer (``public_holiday``), never to evaluate hours.
Alsace-Moselle's extra days (Good Friday, 26 December) are not in the national calendar.

Every instant is evaluated in Europe/Paris: a naive datetime is read as Paris local time,
an aware one is converted. Services whose hours are only raw text (not a valid OSM
expression) get the state ``unknown`` with the raw text returned as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import opening_hours
from opening_hours import OpeningHours, State

ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]  # not in its stubs

PARIS = ZoneInfo("Europe/Paris")
COUNTRY = "FR"

STATE_OPEN = "open"
STATE_CLOSED = "closed"
STATE_UNKNOWN = "unknown"


@dataclass(frozen=True)
class HoursStatus:
    """State of a service's hours at one instant."""

    state: str  # open / closed / unknown
    open_now: bool | None  # None when unknown
    next_change: datetime | None  # Europe/Paris; None if never or unknown
    comment: str
    opening_hours: str  # the OSM expression ('' if none)
    raw: str  # the source's raw text when there is no usable expression
    public_holiday: bool


@lru_cache(maxsize=4096)
def parse_hours(expression: str) -> OpeningHours | None:
    """Parsed expression (cached: the same strings recur across services), None if invalid."""
    if not expression.strip():
        return None
    try:
        return OpeningHours(expression, timezone=PARIS, country=COUNTRY,
                            auto_country=False, auto_timezone=False)
    except (ParserError, SyntaxError, ValueError):
        return None


def paris_time(at: datetime | None = None) -> datetime:
    """The instant in Europe/Paris (naive = already Paris local time; None = now).

    A naive time that does not exist (the spring-forward gap, 02:00-03:00 on the last
    Sunday of March) is read with the offset in force before the change, as
    :mod:`zoneinfo` does (02:30 -> 03:30 summer time); an ambiguous one (the autumn hour
    repeated) is its first occurrence. The round trip through UTC gives a real instant,
    which the hours library requires.
    """
    if at is None:
        return datetime.now(PARIS)
    if at.tzinfo is None:
        at = at.replace(tzinfo=PARIS)
    return at.astimezone(UTC).astimezone(PARIS)


@lru_cache(maxsize=16)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.France(years=year)


def is_public_holiday(day: date) -> bool:
    """True on a French national public holiday (``holidays.France``)."""
    return day in _french_holidays(day.year)


def hours_status(expression: str, raw: str = "", at: datetime | None = None) -> HoursStatus:
    """Open / closed / unknown at ``at`` (default: now) and the next change of state."""
    when = paris_time(at)
    holiday = is_public_holiday(when.date())
    parsed = parse_hours(expression or "")
    if parsed is None:
        return HoursStatus(state=STATE_UNKNOWN, open_now=None, next_change=None, comment="",
                           opening_hours=expression or "", raw=raw or expression or "",
                           public_holiday=holiday)
    state, comment = parsed.state(when)
    change = parsed.next_change(when)
    if change is not None and change.tzinfo is None:
        change = change.replace(tzinfo=PARIS)
    if state == State.OPEN:
        label, open_now = STATE_OPEN, True
    elif state == State.CLOSED:
        label, open_now = STATE_CLOSED, False
    else:
        label, open_now = STATE_UNKNOWN, None
    return HoursStatus(state=label, open_now=open_now, next_change=change, comment=comment,
                       opening_hours=expression, raw=raw, public_holiday=holiday)
