"""Itinerant tours: a hand-checked instance, the iCalendar export, bad input, Lozère."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from proximite.access import AccessParams
from proximite.errors import ProximiteError
from proximite.io.tours import icalendar_text, write_icalendar, write_timetable_csv
from proximite.network.graph import RoadGraph
from proximite.planning.tours import (
    TourDepot,
    TourPlan,
    ToursResult,
    depot_at_commune,
    plan_tours,
    whole_minutes,
)
from proximite.report.tour_map import tour_map_png

# A road along a line, west to east: A - B - D (depot) - C - E, nodes ~800 m apart.
# Two-way roads A-B 10, B-D 20, D-C 15, C-E 25 min, plus two one-way shortcuts back to
# the depot (A -> D 25, E -> D 35), so each half-day loop has exactly one best direction.
NAMES = ["A", "B", "D", "C", "E"]
LON = 3.5 + 0.01 * np.arange(5)
LAT = np.full(5, 44.5)
TWO_WAY = [(0, 1, 10.0), (1, 2, 20.0), (2, 3, 15.0), (3, 4, 25.0)]
ONE_WAY = [(0, 2, 25.0), (4, 2, 35.0)]
FIXED_SITE_MIN = {"A": 30.0, "B": 20.0, "C": 15.0, "E": 40.0}
POPULATION = {"A": 100.0, "B": 200.0, "C": 300.0, "E": 400.0}


def _line_result() -> SimpleNamespace:
    edges = TWO_WAY + [(b, a, t) for a, b, t in TWO_WAY] + ONE_WAY
    frm, to, minutes = (np.array(x) for x in zip(*edges, strict=True))
    graph = RoadGraph.from_edges(np.array(NAMES), LON, LAT, frm, to, minutes)
    stops = [0, 1, 3, 4]
    origins = pd.DataFrame({
        "origin_id": [NAMES[i] for i in stops],
        "code_insee": [f"4800{i}" for i in stops],
        "lon": LON[stops], "lat": LAT[stops],
        "population": [POPULATION[NAMES[i]] for i in stops],
    })
    access = pd.DataFrame({
        "origin_id": origins["origin_id"], "category": "france_services",
        "travel_time_min": [FIXED_SITE_MIN[o] for o in origins["origin_id"]],
        "status": "ok", "target_kind": "category",
    })
    communes = gpd.GeoDataFrame(
        {"code_insee": origins["code_insee"], "nom": [f"Commune {n}" for n in
                                                      origins["origin_id"]],
         "origin_lon": origins["lon"], "origin_lat": origins["lat"],
         "population": origins["population"]},
        geometry=gpd.points_from_xy(origins["lon"], origins["lat"]).buffer(0.004),
        crs="EPSG:4326")
    return SimpleNamespace(graph=graph, origins=origins, access_times=access,
                           territory=SimpleNamespace(communes=communes),
                           options=SimpleNamespace(access=AccessParams()))


def _line_plan(**changes: object) -> TourPlan:
    values: dict[str, object] = {
        "depots": [TourDepot("Dépôt D", float(LON[2]), float(LAT[2]))],
        "n_vehicles": 1, "days_per_week": 2, "day_length_min": 240,
        "service_time_min": 60, "day_start": "09:00", "coverage_min": 5.0}
    values.update(changes)
    return TourPlan(**values)  # type: ignore[arg-type]


def _lettered(table: pd.DataFrame) -> pd.DataFrame:
    """The stop's letter on the line (stop ids are the communes' INSEE codes)."""
    return table.assign(letter=table["name"].str[-1])


@pytest.fixture(scope="module")
def line_tours() -> ToursResult:
    return plan_tours(_line_result(), _line_plan(), seed=1, max_iterations=2000)


def test_whole_minutes_round_seconds_then_up() -> None:
    assert list(whole_minutes(np.array([20.0, 20.004, 20.02, 0.0]))) == [20, 20, 21, 0]
    assert whole_minutes(np.array([np.inf]))[0] == -1


def test_line_instance_optimal_tours(line_tours: ToursResult) -> None:
    # By hand: at most 2 stops a day (3 stops need >= 265 min > 240); pairing {A, B} and
    # {C, E} drives 55 + 75 = 130 min, every other pairing 200 min.
    table = _lettered(line_tours.timetable)
    assert sorted(table["letter"]) == ["A", "B", "C", "E"]
    tours = {tuple(g["letter"]) for _, g in table.groupby("day")}
    assert tours == {("B", "A"), ("C", "E")}
    assert line_tours.days["within_day"].all()
    assert (line_tours.days["end_min"] <= 240).all()
    assert sorted(line_tours.days["travel_min"]) == [55, 75]
    assert line_tours.population_served == 1000.0
    # prize = pop * t / X with X = 5 min: 100*6 + 200*4 + 300*3 + 400*8
    assert line_tours.total_prize == pytest.approx(600 + 800 + 900 + 3200)


def test_line_instance_clock_times(line_tours: ToursResult) -> None:
    table = _lettered(line_tours.timetable).set_index("letter")
    assert table.loc["B", ["arrival", "departure"]].tolist() == ["09:20", "10:20"]
    assert table.loc["A", ["arrival", "departure"]].tolist() == ["10:30", "11:30"]
    assert table.loc["C", ["arrival", "departure"]].tolist() == ["09:15", "10:15"]
    assert table.loc["E", ["arrival", "departure"]].tolist() == ["10:40", "11:40"]
    backs = dict(zip(line_tours.days["n_stops"].astype(str) + line_tours.days["back"],
                     line_tours.days["weekday"], strict=True))
    assert set(backs) == {"211:55", "212:15"}
    # richest tour (C, E: prize 4100 > 1400) is on Monday
    assert table.loc["E", "weekday"] == "lundi" and table.loc["A", "weekday"] == "mardi"


def test_prizes_shared_between_overlapping_stops() -> None:
    # X = 12 min: A and B (10 min apart) each reach both stops, C and E only their own.
    # weights t/X: A 30/12, B 20/12; shared prize of A = B = (100*2.5 + 200*20/12) / 2.
    shared = plan_tours(_line_result(), _line_plan(coverage_min=12.0), max_iterations=500)
    prizes = shared.stops.set_index("name")["prize"]
    assert prizes["Commune A"] == pytest.approx((250 + 200 * 20 / 12) / 2)
    assert prizes["Commune B"] == pytest.approx((250 + 200 * 20 / 12) / 2)
    assert prizes["Commune E"] == pytest.approx(400 * 40 / 12)
    summed = plan_tours(_line_result(), _line_plan(coverage_min=12.0, shared_catchments=False),
                        max_iterations=500)
    assert summed.stops.set_index("name")["prize"]["Commune A"] == pytest.approx(
        250 + 200 * 20 / 12)


def test_icalendar_events(line_tours: ToursResult, tmp_path: object) -> None:
    monday = dt.date(2026, 11, 30)
    stamp = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    text = icalendar_text(line_tours, monday, stamp)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    events = text.split("BEGIN:VEVENT")[1:]
    assert len(events) == 4
    by_summary = {}
    for event in events:
        fields = dict(line.split(":", 1) for line in event.strip().split("\r\n")[:-1])
        by_summary[fields["SUMMARY"]] = fields
        assert fields["RRULE"] == "FREQ=WEEKLY"
        assert fields["DTSTAMP"] == "20261123T120000Z"
    c_event = by_summary["Bus France Services — Commune C"]
    assert c_event["DTSTART;TZID=Europe/Paris"] == "20261130T091500"
    assert c_event["DTEND;TZID=Europe/Paris"] == "20261130T101500"
    a_event = by_summary["Bus France Services — Commune A"]
    assert a_event["DTSTART;TZID=Europe/Paris"] == "20261201T103000"
    assert a_event["DTEND;TZID=Europe/Paris"] == "20261201T113000"
    assert len({e["UID"] for e in by_summary.values()}) == 4
    path = write_icalendar(line_tours, tmp_path / "bus.ics", monday, stamp)  # type: ignore
    assert path.read_bytes().count(b"\r\n") == text.count("\r\n")


def test_monthly_plan_repeats_every_four_weeks() -> None:
    tours = plan_tours(_line_result(), _line_plan(days_per_week=1, frequency="monthly"),
                       max_iterations=2000)
    assert set(tours.timetable["week"]) <= {1, 2, 3, 4}
    assert sorted(_lettered(tours.timetable)["letter"]) == ["A", "B", "C", "E"]
    text = icalendar_text(tours, dt.date(2026, 11, 30))
    assert text.count("RRULE:FREQ=WEEKLY;INTERVAL=4") == 4


def test_outputs_written(line_tours: ToursResult, tmp_path: object) -> None:
    csv = write_timetable_csv(line_tours, tmp_path / "tournees.csv")  # type: ignore
    back = pd.read_csv(csv, dtype={"code_insee": str})
    assert len(back) == 4 and back.loc[0, "arrival"] in {"09:15", "09:20"}
    assert tour_map_png(line_tours)[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_inputs() -> None:
    result = _line_result()
    with pytest.raises(ProximiteError, match="hors réseau"):
        plan_tours(result, _line_plan(depots=[TourDepot("Loin", 4.5, 44.5)]),
                   max_iterations=10)
    # nearest stop C: 15 + 60 + 15 = 90 min, 10 min more than an 80-min day
    with pytest.raises(ProximiteError, match="journée trop courte.*Commune C.*10 min de trop"):
        plan_tours(result, _line_plan(day_length_min=80), max_iterations=10)
    empty = pd.DataFrame(columns=["stop_id", "name", "lon", "lat"])
    with pytest.raises(ProximiteError, match="aucun arrêt candidat"):
        plan_tours(result, _line_plan(candidates=empty), max_iterations=10)
    with pytest.raises(ProximiteError, match="au moins un véhicule"):
        plan_tours(result, _line_plan(n_vehicles=0), max_iterations=10)
    with pytest.raises(ProximiteError, match="catégorie 'ecole' absente"):
        plan_tours(result, _line_plan(category="ecole"), max_iterations=10)


def test_lozere_france_services_bus(demo_result) -> None:  # type: ignore[no-untyped-def]
    result = demo_result
    plan = TourPlan(depots=[depot_at_commune(result, "48095")], n_vehicles=1,
                    days_per_week=5, day_length_min=480, service_time_min=120,
                    coverage_min=15.0, category="france_services")
    tours = plan_tours(result, plan, seed=1, runtime_s=1.0)
    table = tours.timetable
    assert len(table) > 0
    assert table["stop_id"].is_unique
    assert set(table["day"]) <= set(range(1, 6))
    assert tours.days["within_day"].all() and (tours.days["end_min"] <= 480).all()
    for _, day in table.groupby("day"):
        assert (day["departure_min"] - day["arrival_min"] == 120).all()
        assert (day["arrival_min"].diff().dropna() > 0).all()
    assert tours.population_served > 0
    assert tours.population_served <= tours.population_total
    assert tour_map_png(tours, note=result.network_note)[:4] == b"\x89PNG"
