"""Services read from OpenStreetMap extracts: category matching, fields, positions,
provenance and file errors (hand-written .osm files, and the Helsinki extract)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import osmium
import pandas as pd
import pytest

from proximite.catalogue import Catalogue, Category, load_catalogue
from proximite.errors import InputError
from proximite.inventory.osm_pois import import_osm_pois
from proximite.inventory.schema import SERVICE_COLUMNS
from proximite.network.osm import build_osm_graph
from proximite.network.snap import Snapper

OSM_DATA = Path(__file__).parent / "data" / "osm"
HELSINKI = OSM_DATA / "Helsinki.osm.pbf"
HELSINKI_BBOX = (24.9351762, 60.1641550, 24.9534145, 60.1791130)

Tags = dict[str, str]


def _tags(tags: Tags) -> list[str]:
    return [f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]


def write_osm(path: Path, nodes: dict[int, tuple[float, float, Tags]],
              ways: Sequence[tuple[int, list[int], Tags]] = (),
              relations: Sequence[tuple[int, list[tuple[str, int, str]], Tags]] = (),
              ) -> Path:
    """A minimal OSM XML file; relation members are (type, ref, role)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (lon, lat, tags) in nodes.items():
        lines.append(f'<node id="{node_id}" version="1" lat="{lat!r}" lon="{lon!r}">')
        lines += [*_tags(tags), "</node>"]
    for way_id, refs, tags in ways:
        lines.append(f'<way id="{way_id}" version="1">')
        lines += [f'<nd ref="{ref}"/>' for ref in refs]
        lines += [*_tags(tags), "</way>"]
    for relation_id, members, tags in relations:
        lines.append(f'<relation id="{relation_id}" version="1">')
        lines += [f'<member type="{kind}" ref="{ref}" role="{role}"/>'
                  for kind, ref, role in members]
        lines += [*_tags(tags), "</relation>"]
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def square(first_id: int, west: float, south: float,
           size: float) -> dict[int, tuple[float, float, Tags]]:
    corners = [(west, south), (west + size, south), (west + size, south + size),
               (west, south + size)]
    return {first_id + i: (lon, lat, {}) for i, (lon, lat) in enumerate(corners)}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def by_source_id(services: pd.DataFrame) -> pd.DataFrame:
    return services.set_index("source_id")


def test_node_fields_fill_the_schema(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write_osm(tmp_path / "pois.osm", {
        1: (3.5, 44.5, {"amenity": "pharmacy", "name": "Pharmacie du Centre",
                        "operator": "SELARL Dupont", "addr:housenumber": "3",
                        "addr:street": "Rue de l'Ange", "addr:postcode": "48000",
                        "addr:city": "Mende", "opening_hours": "Mo-Sa 09:00-19:00"}),
        2: (3.6, 44.6, {"amenity": "bench"}),
    })
    result = import_osm_pois(path, catalogue, data_date="2024-05-01")
    assert list(result.services.columns) == SERVICE_COLUMNS
    assert len(result.services) == 1 and not result.rejected and not result.warnings
    assert result.services.iloc[0].to_dict() == {
        "service_id": "osm:n1",
        "category": "pharmacie",
        "name": "Pharmacie du Centre",
        "operator": "SELARL Dupont",
        "lon": 3.5,
        "lat": 44.5,
        "code_insee": "",
        "address": "3 Rue de l'Ange, 48000 Mende",
        "opening_hours": "Mo-Sa 09:00-19:00",
        "opening_hours_raw": "Mo-Sa 09:00-19:00",
        "access_modes": "on_site",
        "source": "OpenStreetMap",
        "source_id": "node/1",
        "data_date": "2024-05-01",
        "source_file": str(path),
        "source_line": "",
        "location_precision": "exact",
    }


def test_most_specific_filter_wins(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write_osm(tmp_path / "pois.osm", {
        1: (3.5, 44.5, {"amenity": "police"}),
        2: (3.5, 44.5, {"amenity": "police", "police:FR": "gendarmerie"}),
        3: (3.5, 44.5, {"amenity": "hospital", "emergency": "yes"}),
        4: (3.5, 44.5, {"amenity": "hospital"}),  # a hospital without emergency department
        5: (3.5, 44.5, {"healthcare": "pharmacy"}),
        6: (3.5, 44.5, {"amenity": "school", "school:FR": "collège"}),
    })
    services = by_source_id(import_osm_pois(path, catalogue).services)
    assert services["category"].to_dict() == {
        "node/1": "police", "node/2": "gendarmerie", "node/3": "urgences",
        "node/4": "hopital", "node/5": "pharmacie", "node/6": "college"}


def test_wildcard_and_ties(tmp_path: Path) -> None:
    def category(code: str, *filters: Tags) -> Category:
        return Category(code=code, label=code, family="", osm_filters=filters)

    own = Catalogue(categories={
        "any_shop": category("any_shop", {"shop": "*"}),
        "bakery": category("bakery", {"shop": "bakery"}),
        "organic_bakery": category("organic_bakery", {"shop": "bakery", "organic": "only"}),
        "library": category("library", {"amenity": "library"}),
        "bank": category("bank", {"amenity": "bank"}, {"office": "bank"}),
    }, baskets={})
    path = write_osm(tmp_path / "shops.osm", {
        1: (3.5, 44.5, {"shop": "books"}),
        2: (3.5, 44.5, {"shop": "bakery"}),
        3: (3.5, 44.5, {"shop": "bakery", "organic": "only"}),
        4: (3.5, 44.5, {"office": "bank", "amenity": "library"}),  # tie: catalogue order
        5: (3.5, 44.5, {"shop": ""}),
    })
    services = by_source_id(import_osm_pois(path, own).services)
    assert services["category"].to_dict() == {
        "node/1": "any_shop", "node/2": "bakery", "node/3": "organic_bakery",
        "node/4": "library", "node/5": "any_shop"}


def test_ways_and_relations_at_their_centroid(tmp_path: Path, catalogue: Catalogue) -> None:
    nodes = {**square(10, 3.50, 44.50, 0.002), **square(20, 3.60, 44.60, 0.004),
             30: (3.70, 44.70, {}), 31: (3.72, 44.70, {})}
    path = write_osm(
        tmp_path / "areas.osm", nodes,
        ways=[(100, [10, 11, 12, 13, 10], {"amenity": "library", "name": "Médiathèque"}),
              (101, [20, 21, 22, 23, 20], {"building": "school"}),
              (102, [30, 31], {"amenity": "fuel"}),  # an open way: centre of the line
              (103, [30, 98, 99], {"amenity": "bank"}),  # partly outside the extract
              (104, [98, 99], {"amenity": "atm"})],  # wholly outside: rejected
        relations=[(500, [("way", 101, "outer")],
                    {"type": "multipolygon", "amenity": "school", "school:FR": "primaire"})],
    )
    result = import_osm_pois(path, catalogue)
    services = by_source_id(result.services)
    assert services["service_id"].to_dict() == {
        "way/100": "osm:w100", "relation/500": "osm:r500", "way/102": "osm:w102",
        "way/103": "osm:w103"}
    assert services.loc["way/100", ["lon", "lat"]].tolist() == pytest.approx([3.501, 44.501])
    assert services.loc["relation/500", ["lon", "lat"]].tolist() == pytest.approx(
        [3.602, 44.602])
    assert services.loc["relation/500", "category"] == "ecole"
    assert services.loc["way/102", ["lon", "lat"]].tolist() == pytest.approx([3.71, 44.70])
    assert services.loc["way/103", ["lon", "lat"]].tolist() == pytest.approx([3.70, 44.70])
    assert len(result.rejected) == 1
    rejection = result.rejected[0]
    assert (rejection.path, rejection.field, rejection.value) == (str(path), "location",
                                                                  "way/104")
    assert "distributeur_billets" in rejection.reason


def test_no_match_is_a_warning_not_an_error(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write_osm(tmp_path / "bench.osm", {1: (3.5, 44.5, {"amenity": "bench"})})
    result = import_osm_pois(path, catalogue)
    assert result.services.empty and list(result.services.columns) == SERVICE_COLUMNS
    assert result.warnings == [f"{path} : aucun objet OpenStreetMap ne correspond aux "
                               "filtres du catalogue"]


def test_data_date_from_the_file_header(tmp_path: Path, catalogue: Catalogue) -> None:
    path = tmp_path / "dated.osm.pbf"
    header = osmium.io.Header()
    header.set("osmosis_replication_timestamp", "2024-03-05T10:00:00Z")
    writer = osmium.SimpleWriter(str(path), header=header)
    writer.add_node(osmium.osm.mutable.Node(id=7, location=(3.5, 44.5),
                                            tags={"amenity": "library"}))
    writer.close()
    assert import_osm_pois(path, catalogue).services["data_date"].tolist() == ["2024-03-05"]
    given = import_osm_pois(path, catalogue, data_date="2024-06")
    assert given.services["data_date"].tolist() == ["2024-06"]


def test_missing_empty_and_corrupt_files(tmp_path: Path, catalogue: Catalogue) -> None:
    with pytest.raises(InputError, match=r"absent\.osm\.pbf: fichier introuvable"):
        import_osm_pois(tmp_path / "absent.osm.pbf", catalogue)
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.osm: fichier vide \(attendu : un "
                                         r"extrait OpenStreetMap"):
        import_osm_pois(empty, catalogue)
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(np.random.default_rng(3).bytes(2048))
    with pytest.raises(InputError, match=r"corrupt\.osm\.pbf: illisible comme données "
                                         r"OpenStreetMap \(PBF error"):
        import_osm_pois(corrupt, catalogue)


# --- Helsinki ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def helsinki(catalogue: Catalogue) -> pd.DataFrame:
    result = import_osm_pois(HELSINKI, catalogue)
    assert not result.rejected and not result.warnings
    return result.services


def test_helsinki_services(helsinki: pd.DataFrame) -> None:
    assert helsinki.groupby("category").size().to_dict() == {
        "banque": 17, "bibliotheque": 7, "boucherie": 1, "boulangerie": 3,
        "chirurgien_dentiste": 5, "distributeur_billets": 18, "epicerie": 9,
        "finances_publiques": 1, "gare": 3, "la_poste": 2, "mairie": 1,
        "medecin_generaliste": 3, "pharmacie": 6, "supermarche": 6, "tribunal": 1}
    assert helsinki["service_id"].is_unique
    assert (helsinki["data_date"] == "").all()  # the extract's header has no timestamp
    west, south, east, north = HELSINKI_BBOX
    assert helsinki["lon"].between(west, east).all()
    assert helsinki["lat"].between(south, north).all()
    oodi = helsinki.set_index("service_id").loc["osm:w596937289"]
    assert (oodi["category"], oodi["name"]) == ("bibliotheque", "Helsingin keskustakirjasto Oodi")
    assert oodi["address"] == "4 Töölönlahdenkatu, 00100 Helsinki"


def test_helsinki_csv_fixtures_are_reproducible(helsinki: pd.DataFrame) -> None:
    """The CLI acceptance files come from this importer (see tests/data/osm/PROVENANCE.md)."""
    shipped = pd.read_csv(OSM_DATA / "helsinki_services.csv", dtype=str, keep_default_na=False)
    assert list(shipped.columns) == SERVICE_COLUMNS
    assert (shipped["data_date"] == "2019-04-21").all()
    assert (shipped["source_file"] == "tests/data/osm/Helsinki.osm.pbf").all()
    fresh = helsinki[helsinki["category"].isin(["pharmacie", "la_poste", "bibliotheque"])]
    compared = [c for c in SERVICE_COLUMNS if c not in ("lon", "lat", "data_date",
                                                        "source_file")]
    assert shipped[compared].values.tolist() == fresh[compared].values.tolist()
    assert shipped[["lon", "lat"]].astype(float).to_numpy() == pytest.approx(
        fresh[["lon", "lat"]].to_numpy(), abs=1e-9)

    origins = pd.read_csv(OSM_DATA / "helsinki_origins.csv")
    assert list(origins.columns) == ["origin_id", "lon", "lat", "population"]
    assert len(origins) == 30 and origins["origin_id"].is_unique
    west, south, east, north = HELSINKI_BBOX
    assert origins["lon"].between(west, east).all() and origins["lat"].between(south, north).all()
    assert (origins["population"] > 0).all()
    _, snap_m = Snapper(build_osm_graph(HELSINKI)).snap(origins["lon"], origins["lat"])
    assert snap_m.max() < 300.0  # every origin is near a car road
