"""French (fr_FR) formatting of the figures the reports print, through Babel (CLDR data).

One place for every number, share, duration and date a reader sees, so the reports
agree with each other and follow French typography (decimal comma, narrow no-break
space between thousands) whatever the system locale. Missing values print as an em
dash and an infinite time as "inaccessible": a gap is never shown as a number.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal, format_percent, parse_pattern

LOCALE = "fr_FR"
MISSING = "—"
UNREACHABLE_TEXT = "inaccessible"
#: The locale and the patterns parsed once: Babel parses a locale name and a pattern
#: string on every call otherwise (three quarters of a call's time; a report formats
#: thousands of figures).
_LOCALE = Locale.parse(LOCALE)
#: The locale's percent pattern (``#,##0 %`` with its own space) with one decimal.
_PERCENT_PATTERN = parse_pattern(_LOCALE.percent_formats[None].pattern
                                 .replace("#,##0", "#,##0.0", 1))
_THRESHOLD_PATTERN = parse_pattern("#,##0.###")


@lru_cache(maxsize=16)
def _decimal_pattern(decimals: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else ""))


def is_finite(value: object) -> bool:
    """True for a number that is neither missing, NaN nor infinite."""
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _exact(value: object) -> Decimal:
    # the float's exact binary value: rounding then matches Python's own formatting
    return Decimal(float(value))  # type: ignore[arg-type]


def fmt_number(value: object, decimals: int = 0) -> str:
    """French number: ``fmt_number(1234.5, 1) == "1\u202f234,5"``; missing gives "—"."""
    if not is_finite(value):
        return MISSING
    return format_decimal(_exact(value), format=_decimal_pattern(decimals), locale=_LOCALE)


def fmt_minutes(value: object) -> str:
    """Minutes with one decimal, e.g. ``12,5 min``; ``inf`` is "inaccessible"."""
    if isinstance(value, (int, float)) and math.isinf(value):
        return UNREACHABLE_TEXT
    if not is_finite(value):
        return MISSING
    return f"{fmt_number(value, 1)} min"


def fmt_percent(value: object) -> str:
    """A share given in percent (``8.33``), with one decimal: ``8,3 %``."""
    if not is_finite(value):
        return MISSING
    return format_percent(_exact(value) / 100, format=_PERCENT_PATTERN, locale=_LOCALE)


def fmt_share(fraction: object) -> str:
    """A share given as a fraction of one (``0.0833``): ``8,3 %``."""
    return fmt_percent(float(fraction) * 100) if is_finite(fraction) else MISSING  # type: ignore[arg-type]


def fmt_threshold(value: float) -> str:
    """A threshold as written by a user, without forced decimals: ``10``, ``2,5``."""
    return format_decimal(value, format=_THRESHOLD_PATTERN, locale=_LOCALE)


def fmt_date(day: dt.date) -> str:
    """``3 mars 2026``, without depending on the system locale."""
    return format_date(day, format="long", locale=_LOCALE)


def fmt_count(n: int, noun: str) -> str:
    """``1 commune``, ``12 communes``: French plural (0 and 1 take the singular)."""
    return f"{fmt_number(n)} {noun}{'s' if abs(n) >= 2 else ''}"
