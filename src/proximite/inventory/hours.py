"""Free-text French opening hours -> OpenStreetMap ``opening_hours`` syntax.

data·inclusion and the LaMednum standard both carry hours in OSM syntax, so the inventory
stores that form; sources give free text ("09:00 - 12:00 / 13:30 - 17:00", "9h-12h",
"Fermé") or, for fuel stations, one daily range plus excluded days. Anything we cannot read
with certainty gives ``None``: the importer keeps the raw text in ``opening_hours_raw``
rather than publishing invented hours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

OSM_DAYS: tuple[str, ...] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
FRENCH_DAYS: tuple[str, ...] = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
                                "dimanche")

TimeRange = tuple[str, str]
"""("HH:MM", "HH:MM"), end may be "24:00"."""

CLOSED_WORDS = {"ferme", "fermee", "fermeture", "closed", "-", "--", "x", "/"}

_TIME = r"(\d{1,2})\s*(?:[h:.]\s*(\d{2})?)?"
_RANGE = re.compile(rf"^(?:de\s+)?{_TIME}\s*(?:-|–|—|à|a|au|jusqu'a)\s*{_TIME}$")

EMPTY_SLOT: TimeRange = ("00:00", "00:00")

# prix-carburants writes 01:00-01:00 for "no hours given" (7,059 of 10,952 stations in the
# 2020 file); it is not a one-minute or 24 h opening.
FUEL_UNKNOWN_RANGE: TimeRange = ("01:00", "01:00")


def _fold(text: str) -> str:
    """Lowercase without accents, so 'Fermé' and 'ferme' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def _clock(hour: str, minute: str | None, *, allow_24: bool) -> str | None:
    h, m = int(hour), int(minute or 0)
    if m > 59 or h > 24 or (h == 24 and (m or not allow_24)):
        return None
    return f"{h:02d}:{m:02d}"


def parse_time_range(text: str) -> TimeRange | None:
    """'09:00 - 12:00', '9h-12h', '9h30 à 12h', 'de 14h à 17h' -> ('09:00', '12:00')."""
    match = _RANGE.match(_fold(text))
    if not match:
        return None
    start = _clock(match.group(1), match.group(2), allow_24=False)
    end = _clock(match.group(3), match.group(4), allow_24=True)
    if start is None or end is None:
        return None
    return start, end


def parse_day_hours(text: str | None) -> list[TimeRange] | None:
    """One day's free text -> sorted ranges; [] when closed or empty; None when unreadable.

    Ranges must run forward within the day (a public office does not close at 12:00 after
    opening at 14:00: that is a typo we will not guess at). "00:00 - 00:00" is the empty
    slot of the ANCT form (e.g. "00:00 - 00:00 / 09:00 - 12:00"): it opens nothing and is
    skipped.
    """
    if text is None:
        return []
    folded = _fold(str(text))
    if folded in ("", "nan", "none") or folded in CLOSED_WORDS:
        return []
    parts = [p.strip() for p in re.split(r"\s*(?:/|,|;|\bet\b|\+|\n)\s*", folded) if p.strip()]
    ranges: list[TimeRange] = []
    for part in parts:
        parsed = parse_time_range(part)
        if parsed == EMPTY_SLOT:
            continue
        if parsed is None or parsed[0] >= parsed[1]:
            return None
        ranges.append(parsed)
    return sorted(ranges)


def format_ranges(ranges: Sequence[TimeRange]) -> str:
    return ",".join(f"{start}-{end}" for start, end in ranges)


def _day_span(first: int, last: int) -> str:
    return OSM_DAYS[first] if first == last else f"{OSM_DAYS[first]}-{OSM_DAYS[last]}"


def week_to_osm(week: Mapping[int, Sequence[TimeRange]]) -> str | None:
    """{0: [("09:00","12:00")], 1: [...]} -> 'Mo-Tu 09:00-12:00; ...'.

    Consecutive days with identical hours are merged into one rule; days absent or with no
    range are closed (OSM's default for days not named). None if no day is open, because
    an all-closed week in a service list means "hours unknown", not "never open".
    """
    rules: list[str] = []
    day = 0
    while day < 7:
        ranges = list(week.get(day) or [])
        if not ranges:
            day += 1
            continue
        last = day
        while last + 1 < 7 and list(week.get(last + 1) or []) == ranges:
            last += 1
        rules.append(f"{_day_span(day, last)} {format_ranges(ranges)}")
        day = last + 1
    return "; ".join(rules) if rules else None


def _day_index(key: int | str) -> int:
    if isinstance(key, int):
        return key
    folded = _fold(key)
    for prefix in ("h_", "horaires_", "horaire_"):
        folded = folded.removeprefix(prefix)
    if folded in FRENCH_DAYS:
        return FRENCH_DAYS.index(folded)
    if key in OSM_DAYS:
        return OSM_DAYS.index(key)
    # programmer error: the importers pass their own column names (English on purpose)
    raise ValueError(f"not a day of the week: {key!r}")


def french_week_to_osm(per_day: Mapping[int | str, str | None]) -> str | None:
    """Per-day free text (keys: 'lundi', 'h_mardi', 0..6, 'Mo'...) -> OSM string or None.

    One unreadable day makes the whole week None: a partial week would read as "closed"
    on that day, which is worse than no hours at all.
    """
    week: dict[int, list[TimeRange]] = {}
    for key, text in per_day.items():
        ranges = parse_day_hours(text)
        if ranges is None:
            return None
        week[_day_index(key)] = ranges
    return week_to_osm(week)


def raw_week_text(per_day: Mapping[int | str, str | None]) -> str:
    """'lundi: 13:30 - 17:00; mardi: ...' from the non-empty days, kept as provenance."""
    parts = []
    for key, text in sorted(per_day.items(), key=lambda item: _day_index(item[0])):
        value = "" if text is None else str(text).strip()
        if value and value.lower() != "nan":
            parts.append(f"{FRENCH_DAYS[_day_index(key)]}: {value}")
    return "; ".join(parts)


def _days_from_french_list(text: str | None) -> set[int] | None:
    """'Samedi|Dimanche' -> {5, 6}; None when a name is not a weekday."""
    days: set[int] = set()
    for name in re.split(r"[|,;/]", text or ""):
        folded = _fold(name)
        if not folded:
            continue
        if folded not in FRENCH_DAYS:
            return None
        days.add(FRENCH_DAYS.index(folded))
    return days


def fuel_hours_to_osm(start: str | None, end: str | None, except_days: str | None) -> str | None:
    """prix-carburants hdebut/hfin/saufjour -> OSM, e.g. ('07:30','19:00','Samedi|Dimanche')
    -> 'Mo-Fr 07:30-19:00'.

    00:00-00:00 means round the clock ('24/7' when no day is excluded); 01:00-01:00 is the
    feed's "not given" placeholder and other equal bounds are ambiguous: both give None.
    An end before the start is a night opening, valid in OSM (22:00-06:00).
    """
    begin = parse_time_range(f"{start or ''}-{end or ''}") if start and end else None
    excluded = _days_from_french_list(except_days)
    if begin is None or excluded is None:
        return None
    if begin == FUEL_UNKNOWN_RANGE:
        return None
    if begin[0] == begin[1]:
        if begin[0] != "00:00":
            return None
        begin = ("00:00", "24:00")
    open_days = [d for d in range(7) if d not in excluded]
    if not open_days:
        return None
    if begin == ("00:00", "24:00") and len(open_days) == 7:
        return "24/7"
    spans: list[str] = []
    run_start = open_days[0]
    previous = open_days[0]
    for day in [*open_days[1:], None]:
        if day is not None and day == previous + 1:
            previous = day
            continue
        spans.append(_day_span(run_start, previous))
        if day is not None:
            run_start = previous = day
    return f"{','.join(spans)} {format_ranges([begin])}"


def fuel_raw_text(start: str | None, end: str | None, except_days: str | None) -> str:
    """'07:30-19:00 sauf Samedi|Dimanche': the source's own words, kept as provenance."""
    start, end = (start or "").strip(), (end or "").strip()
    if not start and not end:
        return ""
    text = f"{start}-{end}"
    if except_days and except_days.strip():
        text += f" sauf {except_days.strip()}"
    return text


AUTOMAT_24 = "automate-24-24"
_DAY_TEXT = re.compile(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s*(.*)$")


def fuel_text_hours_to_osm(text: str | None) -> str | None:
    """prix-carburants 2026 free text -> OSM, e.g. 'Lundi08.00-19.00, ..., Samedi, Dimanche'.

    'Automate-24-24' is a card pump open round the clock: fuel can be bought at any hour,
    so the station is '24/7' whatever the shop's hours. Otherwise each 'JourHH.MM-HH.MM
    [et HH.MM-HH.MM]' gives that day's ranges and a day named without hours is closed.
    The feed's placeholders (01.00-01.00, 00.00-00.00) or any unreadable part give None:
    the raw text is kept instead of invented hours.
    """
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if any(_fold(part) == AUTOMAT_24 for part in parts):
        return "24/7"
    week: dict[int, list[TimeRange]] = {}
    for part in parts:
        match = _DAY_TEXT.match(_fold(part))
        if match is None:
            return None
        day, hours = FRENCH_DAYS.index(match.group(1)), match.group(2).strip()
        ranges: list[TimeRange] = []
        for piece in filter(None, (p.strip() for p in hours.split(" et "))):
            parsed = parse_time_range(piece)
            if parsed is None or parsed[0] == parsed[1]:
                return None
            ranges.append(parsed)
        week[day] = ranges
    return week_to_osm(week)
