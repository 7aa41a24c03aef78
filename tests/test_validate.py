"""Location checks on hand-built services around Mende (a square territory in WGS84)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from proximite.inventory.schema import normalise_services
from proximite.inventory.validate import (
    REASON_LAMBERT,
    check_code_insee,
    metric_crs,
    validate_locations,
)

WEST, SOUTH, EAST, NORTH = 3.3, 44.4, 3.7, 44.65
TERRITORY = shapely.box(WEST, SOUTH, EAST, NORTH)
GEOD = pyproj.Geod(ellps="GRS80")
MENDE = (3.5, 44.52)


def east_of_border(metres: float, lat: float = MENDE[1]) -> tuple[float, float]:
    """A point ``metres`` due east of the territory's east edge."""
    lon, lat2, _ = GEOD.fwd(EAST, lat, 90.0, metres)
    return lon, lat2


def distance_to_east_edge_km(lon: float, lat: float) -> float:
    """Independent geodesic distance to the east edge (a meridian), sampled finely."""
    lats = np.linspace(SOUTH, NORTH, 25_001)
    _, _, dist = GEOD.inv(np.full_like(lats, lon), np.full_like(lats, lat),
                          np.full_like(lats, EAST), lats)
    return float(dist.min()) / 1000.0


def services(points: list[tuple[float, float]]) -> pd.DataFrame:
    """One service per point, read from line 2, 3, ... of ``in.csv``."""
    return normalise_services(pd.DataFrame({
        "service_id": [f"s{i}" for i in range(len(points))],
        "category": "pharmacie",
        "lon": [p[0] for p in points],
        "lat": [p[1] for p in points],
        "source": "test",
        "source_id": [f"id{i}" for i in range(len(points))],
        "source_file": "in.csv",
        "source_line": [str(i + 2) for i in range(len(points))],
    }))


def only_rejection(points: list[tuple[float, float]], **kwargs: float):
    kept, rejected, _ = validate_locations(services(points), TERRITORY, **kwargs)
    assert len(kept) == 0
    assert len(rejected) == 1
    return rejected[0]


def test_inside_point_is_kept_without_warning() -> None:
    kept, rejected, warnings = validate_locations(services([MENDE]), TERRITORY)
    assert kept["service_id"].tolist() == ["s0"]
    assert rejected == []
    assert warnings == []


def test_missing_coordinates_rejected_with_path_and_line() -> None:
    kept, rejected, _ = validate_locations(services([MENDE, (float("nan"), 44.5)]), TERRITORY)
    assert kept["service_id"].tolist() == ["s0"]
    assert len(rejected) == 1
    assert (rejected[0].path, rejected[0].line) == ("in.csv", 3)
    assert rejected[0].reason == "coordonnées manquantes"


def test_lambert93_metres_near_the_territory_are_rejected_not_guessed() -> None:
    reject = only_rejection([(770_000.0, 6_380_000.0)])
    assert (reject.path, reject.line) == ("in.csv", 2)
    assert REASON_LAMBERT in reject.reason
    assert "des mètres Lambert-93 (EPSG:2154), semble-t-il, donnés comme des degrés WGS 84 : " \
           "reprojeter ou déclarer le système de coordonnées" in reject.reason
    assert "reprojeté depuis EPSG:2154, le point tombe dans le territoire ou sa marge de 20 km" \
        in reject.reason


def test_lambert93_metres_far_from_the_territory_say_so() -> None:
    reject = only_rejection([(350_000.0, 6_700_000.0)])  # Brittany in Lambert-93
    assert REASON_LAMBERT in reject.reason
    assert "le point resterait hors du territoire" in reject.reason


def test_latitude_and_longitude_range() -> None:
    kept, rejected, _ = validate_locations(services([(3.5, 95.0), (200.0, 44.5)]), TERRITORY)
    assert len(kept) == 0
    assert [(r.line, r.field, r.reason) for r in rejected] == [
        (2, "lat", "la latitude doit être comprise entre -90 et 90"),
        (3, "lon", "la longitude doit être comprise entre -180 et 180"),
    ]


def test_swapped_coordinates_detected() -> None:
    reject = only_rejection([(MENDE[1], MENDE[0])])
    assert reject.reason == "latitude et longitude semblent inversées"
    assert (reject.path, reject.line) == ("in.csv", 2)


def test_point_in_margin_kept_with_warning() -> None:
    kept, rejected, warnings = validate_locations(
        services([MENDE, east_of_border(10_000)]), TERRITORY, margin_m=20_000)
    assert kept["service_id"].tolist() == ["s0", "s1"]
    assert rejected == []
    assert len(warnings) == 1
    assert warnings[0].startswith("1 services hors du territoire conservés dans la marge")
    assert list(kept.columns) == list(services([MENDE]).columns)  # schema unchanged


def test_point_beyond_margin_rejected_with_its_distance() -> None:
    far = east_of_border(30_000)
    reject = only_rejection([far], margin_m=20_000)
    match = re.fullmatch(r"hors du territoire et de sa marge de 20 km \(à (\d+,\d) km\)",
                         reject.reason)
    assert match, reject.reason
    away_km = float(match.group(1).replace(",", "."))
    assert away_km == pytest.approx(distance_to_east_edge_km(*far), abs=0.5)
    assert reject.line == 2


def test_margin_is_configurable() -> None:
    point = east_of_border(10_000)
    reject = only_rejection([point], margin_m=5_000)
    assert reject.reason.startswith("hors du territoire et de sa marge de 5 km (à 10,0 km)")


def test_each_row_gets_its_own_reason_in_input_order() -> None:
    points = [MENDE, (float("nan"), float("nan")), (MENDE[1], MENDE[0]),
              east_of_border(50_000), east_of_border(1_000)]
    kept, rejected, warnings = validate_locations(services(points), TERRITORY)
    assert kept["service_id"].tolist() == ["s0", "s4"]
    assert [r.line for r in rejected] == [3, 4, 5]
    assert [r.reason.split(" (")[0] for r in rejected] == [
        "coordonnées manquantes", "latitude et longitude semblent inversées",
        "hors du territoire et de sa marge de 20 km"]
    assert len(warnings) == 1


def test_metric_crs_is_lambert93_in_mainland_and_utm_overseas() -> None:
    assert metric_crs(*TERRITORY.bounds).to_epsg() == 2154
    assert metric_crs(55.2, -21.4, 55.9, -20.8).to_epsg() == 32740  # La Réunion
    assert metric_crs(-61.8, 15.8, -61.0, 16.5).to_epsg() == 32620  # Guadeloupe


def test_territory_outside_mainland_uses_utm() -> None:
    reunion = shapely.box(55.2, -21.4, 55.9, -20.8)
    lon, lat, _ = GEOD.fwd(55.9, -21.1, 90.0, 30_000)
    kept, rejected, _ = validate_locations(services([(55.5, -21.1), (lon, lat)]), reunion)
    assert kept["service_id"].tolist() == ["s0"]
    assert "(à 30,0 km)" in rejected[0].reason


def test_code_insee_unknown_inside_the_territory_is_a_warning() -> None:
    frame = services([MENDE, MENDE, east_of_border(5_000), MENDE])
    frame["code_insee"] = ["48095", "48999", "12345", "1053"]
    warnings = check_code_insee(frame, {"48095", "01053"}, territory=TERRITORY)
    assert len(warnings) == 1
    text = warnings[0]
    assert text.startswith("2 service(s) situé(s) dans le territoire ont un code_insee")
    assert "48999 en in.csv:3" in text
    assert "1053 (zéro initial perdu ?) en in.csv:5" in text
    assert "12345" not in text  # in the margin: a neighbouring commune is expected
    assert check_code_insee(frame.iloc[[0]], {"48095"}) == []


@settings(max_examples=40, deadline=None)
@given(st.floats(WEST + 0.001, EAST - 0.001), st.floats(SOUTH + 0.001, NORTH - 0.001),
       st.floats(21_000, 200_000))
def test_inside_always_kept_and_far_always_rejected(lon: float, lat: float,
                                                    beyond: float) -> None:
    far = east_of_border(beyond, lat=45.0)  # north-east, beyond the margin
    kept, rejected, _ = validate_locations(services([(lon, lat), far]), TERRITORY)
    assert kept["service_id"].tolist() == ["s0"]
    assert [r.line for r in rejected] == [3]
