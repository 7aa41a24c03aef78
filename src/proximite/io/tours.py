"""Writers of an itinerant tour (:class:`proximite.planning.tours.ToursResult`): the
timetable as CSV and as an RFC 5545 calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from proximite.planning.tours import WEEKDAYS_FR, ToursResult

_PARIS_VTIMEZONE = [
    "BEGIN:VTIMEZONE", "TZID:Europe/Paris",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
]


def write_timetable_csv(tours: ToursResult, path: str | Path) -> Path:
    """The timetable, one row per stop (UTF-8, comma-separated)."""
    path = Path(path)
    tours.timetable.to_csv(path, index=False, encoding="utf-8")
    return path


def icalendar_text(tours: ToursResult, week_start_date: dt.date,
                   stamp: dt.datetime | None = None) -> str:
    """RFC 5545 calendar: one VEVENT per stop, repeated with the plan's period.

    ``week_start_date`` is the date of the plan's first day (a Monday for a
    Monday-to-Friday plan). Times are Europe/Paris local times (VTIMEZONE included).
    """
    plan = tours.plan
    stamp = stamp or dt.datetime.now(dt.UTC)
    stamp_text = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    start = plan.start_minutes()
    period = plan.weeks()
    rule = "RRULE:FREQ=WEEKLY" + (f";INTERVAL={period}" if period > 1 else "")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Proximite//Tournees//FR",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", *_PARIS_VTIMEZONE]
    row: Any
    for row in tours.timetable.itertuples(index=False):
        date = week_start_date + dt.timedelta(days=7 * (row.week - 1)
                                              + WEEKDAYS_FR.index(row.weekday))
        begin = dt.datetime.combine(date, dt.time()) + dt.timedelta(
            minutes=start + int(row.arrival_min))
        end = dt.datetime.combine(date, dt.time()) + dt.timedelta(
            minutes=start + int(row.departure_min))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{date:%Y%m%d}-v{row.vehicle}-{row.order}-{row.stop_id}@proximite",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;TZID=Europe/Paris:{begin:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Paris:{end:%Y%m%dT%H%M%S}",
            rule,
            "SUMMARY:" + _ics_escape(f"{plan.label} — {row.name}"),
            "LOCATION:" + _ics_escape(f"{row.name} ({row.code_insee})"
                                      if row.code_insee else str(row.name)),
            "DESCRIPTION:" + _ics_escape(
                f"Véhicule {row.vehicle} (dépôt {row.depot}), arrêt n° {row.order} "
                f"du {row.weekday}"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_ics_fold(line) + "\r\n" for line in lines)


def write_icalendar(tours: ToursResult, path: str | Path, week_start_date: dt.date,
                    stamp: dt.datetime | None = None) -> Path:
    """Write :func:`icalendar_text` (CRLF line ends, as RFC 5545 requires)."""
    path = Path(path)
    path.write_bytes(icalendar_text(tours, week_start_date, stamp).encode("utf-8"))
    return path


def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _ics_fold(line: str) -> str:
    """Fold at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)
