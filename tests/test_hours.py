"""Free-text French hours -> OSM opening_hours, on real values from the ANCT and fuel files."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proximite.inventory.hours import (
    OSM_DAYS,
    french_week_to_osm,
    fuel_hours_to_osm,
    fuel_raw_text,
    parse_day_hours,
    parse_time_range,
    raw_week_text,
    week_to_osm,
)

# France services de Valserhône (id_fs 1, liste-fs-20240801.csv line 2)
VALSERHONE = {
    "h_lundi": "13:30 - 17:00",
    "h_mardi": "09:00 - 12:00 / 13:30 - 17:00",
    "h_mercredi": "09:00 - 12:00 / 13:30 - 17:00",
    "h_jeudi": "09:00 - 12:00 / 13:30 - 17:00",
    "h_vendredi": "09:00 - 12:00 / 13:30 - 16:00",
    "h_samedi": None,
}


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00 - 12:00", ("09:00", "12:00")),
    ("9h-12h", ("09:00", "12:00")),
    ("9h30 - 12h", ("09:30", "12:00")),
    ("de 14h à 17h30", ("14:00", "17:30")),
    ("08h45-12h00", ("08:45", "12:00")),
    ("14:00 - 24:00", ("14:00", "24:00")),
    ("25:00 - 26:00", None),
    ("09:75 - 12:00", None),
    ("sur rendez-vous", None),
])
def test_parse_time_range(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_time_range(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00 - 12:00 / 13:30 - 17:00", [("09:00", "12:00"), ("13:30", "17:00")]),
    ("13:30 - 17:00 / 09:00 - 12:00", [("09:00", "12:00"), ("13:30", "17:00")]),
    ("9h-12h et 14h-17h", [("09:00", "12:00"), ("14:00", "17:00")]),
    ("Fermé", []),
    ("FERME", []),
    ("", []),
    (None, []),
    # ANCT form's empty slot (France services Saint-Agrève, id_fs 29, mercredi)
    ("00:00 - 00:00 / 09:00 - 12:00", [("09:00", "12:00")]),
    ("00:00 - 00:00", []),
    ("14:00 - 12:00", None),  # runs backwards: a typo, not guessed
    ("le matin", None),
])
def test_parse_day_hours(text: str | None, expected: list[tuple[str, str]] | None) -> None:
    assert parse_day_hours(text) == expected


def test_real_anct_week_merges_consecutive_identical_days() -> None:
    assert french_week_to_osm(VALSERHONE) == (
        "Mo 13:30-17:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00")


def test_anct_week_with_saturday_and_closed_monday() -> None:
    # France services La Poste de Saint-Trivier-de-Courtes (id_fs 2): closed Monday.
    week = {"lundi": None, **{d: "09:00 - 12:00 / 14:00 - 16:30"
                              for d in ("mardi", "mercredi", "jeudi", "vendredi")},
            "samedi": "09:00 - 12:00"}
    assert french_week_to_osm(week) == "Tu-Fr 09:00-12:00,14:00-16:30; Sa 09:00-12:00"


def test_same_hours_all_weekdays_is_one_rule() -> None:
    week = {d: "08:30 - 12:00 / 13:30 - 17:30"
            for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi")}
    assert french_week_to_osm(week) == "Mo-Fr 08:30-12:00,13:30-17:30"


def test_unreadable_day_gives_none_not_a_partial_week() -> None:
    week = dict(VALSERHONE, h_mardi="sur rendez-vous uniquement")
    assert french_week_to_osm(week) is None


def test_empty_week_is_unknown_not_closed() -> None:
    assert french_week_to_osm({"lundi": "", "mardi": None}) is None


def test_raw_week_text_keeps_source_words_of_open_days() -> None:
    assert raw_week_text(VALSERHONE).startswith(
        "lundi: 13:30 - 17:00; mardi: 09:00 - 12:00 / 13:30 - 17:00; ")
    assert "samedi" not in raw_week_text(VALSERHONE)


@pytest.mark.parametrize(("start", "end", "except_days", "expected"), [
    ("07:30", "19:00", "Samedi|Dimanche", "Mo-Fr 07:30-19:00"),  # PLEAUX, id 15700001
    ("06:00", "22:00", "", "Mo-Su 06:00-22:00"),  # HONFLEUR, id 14600006
    ("07:00", "20:00", "Dimanche", "Mo-Sa 07:00-20:00"),  # VERSON, id 14790001
    ("07:00", "20:00", "Mercredi", "Mo-Tu,Th-Su 07:00-20:00"),
    ("08:00", "19:00", "Lundi|Dimanche", "Tu-Sa 08:00-19:00"),
    ("00:00", "00:00", "", "24/7"),
    ("00:00", "00:00", "Dimanche", "Mo-Sa 00:00-24:00"),
    ("00:00", "23:59", "", "Mo-Su 00:00-23:59"),
    ("22:00", "06:00", "", "Mo-Su 22:00-06:00"),  # night opening wraps, valid OSM
    ("01:00", "01:00", "", None),  # feed placeholder for "not given"
    ("01:00", "01:00", "Dimanche", None),
    ("14:44", "14:44", "", None),  # equal bounds: ambiguous
    ("07:00", "20:00", "Lundi|Mardi|Mercredi|Jeudi|Vendredi|Samedi|Dimanche", None),
    ("07:00", "20:00", "Someday", None),
    ("", "", "", None),
])
def test_fuel_hours(start: str, end: str, except_days: str, expected: str | None) -> None:
    assert fuel_hours_to_osm(start, end, except_days) == expected


def test_fuel_raw_text() -> None:
    assert fuel_raw_text("07:30", "19:00", "Samedi|Dimanche") == "07:30-19:00 sauf Samedi|Dimanche"
    assert fuel_raw_text("06:00", "22:00", "") == "06:00-22:00"
    assert fuel_raw_text("", "", None) == ""


def _parse_osm(text: str) -> dict[int, list[tuple[str, str]]]:
    """Minimal reader of the subset we write ('Mo-Fr 09:00-12:00,14:00-17:00; Sa ...')."""
    week: dict[int, list[tuple[str, str]]] = {}
    for rule in text.split("; "):
        days, ranges = rule.split(" ")
        first, _, last = days.partition("-")
        span = range(OSM_DAYS.index(first), OSM_DAYS.index(last or first) + 1)
        parsed = [tuple(r.split("-")) for r in ranges.split(",")]
        for day in span:
            assert day not in week, "a day appears in two rules"
            week[day] = parsed  # type: ignore[assignment]
    return week


_slot = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]), st.integers(1, 180))
_ranges = st.lists(_slot, max_size=3).map(
    lambda slots: sorted({(f"{h:02d}:{m:02d}",
                           f"{min(24 * 60, h * 60 + m + d) // 60:02d}:"
                           f"{min(24 * 60, h * 60 + m + d) % 60:02d}")
                          for h, m, d in slots}))


@given(st.dictionaries(st.integers(0, 6), _ranges))
def test_week_to_osm_round_trips(week: dict[int, list[tuple[str, str]]]) -> None:
    text = week_to_osm(week)
    open_days = {d: r for d, r in week.items() if r}
    if not open_days:
        assert text is None
        return
    assert _parse_osm(text) == open_days
    # merged: no two consecutive rules have the same hours on adjacent days
    rules = text.split("; ")
    assert len(rules) <= len(open_days)
