"""Services from an OpenStreetMap extract, matched to categories by their ``osm`` filters.

Nodes, ways (placed at their centroid) and multipolygon relations (centroid of the
assembled area) are read with pyosmium. An object gets the category of the most specific
filter it matches (more keys beat fewer: ``amenity=police`` + ``police:FR=gendarmerie`` is
a gendarmerie, not just a police station; at equal keys an exact value beats ``*``);
equally specific filters are decided by the catalogue's order, so a run is reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pandas as pd
import shapely
from osmium.filter import KeyFilter

from proximite.catalogue import Catalogue
from proximite.errors import Rejection
from proximite.inventory.schema import ImportResult, empty_services, normalise_services
from proximite.network.osm import open_osm_file, osm_header_date, osm_read_error

SOURCE_NAME = "OpenStreetMap"
_TYPE_NAMES = {"n": "node", "w": "way", "r": "relation"}


@dataclass(frozen=True)
class _Filter:
    category: str
    tags: tuple[tuple[str, str], ...]  # (key, value); value "*" = any value

    def matches(self, tags: Mapping[str, str]) -> bool:
        return all(key in tags and (value == "*" or tags[key] == value)
                   for key, value in self.tags)


def category_filters(catalogue: Catalogue) -> list[_Filter]:
    """All filters, most specific first: more keys, then more exact values (``shop=bakery``
    before ``shop=*``); catalogue order breaks the remaining ties (stable sort)."""
    filters = [
        _Filter(code, tuple((str(k), str(v)) for k, v in spec.items()))
        for code, category in catalogue.categories.items()
        for spec in category.osm_filters
        if spec
    ]
    return sorted(filters, key=lambda f: (-len(f.tags),
                                          -sum(value != "*" for _, value in f.tags)))


def match_category(tags: Mapping[str, str], filters: list[_Filter]) -> str | None:
    """The category of the most specific matching filter, None if none matches."""
    for candidate in filters:
        if candidate.matches(tags):
            return candidate.category
    return None


def format_address(tags: Mapping[str, str]) -> str:
    """French postal order: "12 Rue de la Paix, 48000 Mende" from the ``addr:*`` tags."""
    if tags.get("addr:full"):
        return tags["addr:full"].strip()
    street = tags.get("addr:street") or tags.get("addr:place") or ""
    first = " ".join(p for p in (tags.get("addr:housenumber", ""), street) if p).strip()
    second = " ".join(p for p in (tags.get("addr:postcode", ""), tags.get("addr:city", ""))
                      if p).strip()
    return ", ".join(p for p in (first, second) if p)


def way_centroid(way: osmium.osm.Way) -> tuple[float, float] | None:
    """Centroid of a way's located nodes: of its surface when closed, else of its line."""
    points = [(node.location.lon, node.location.lat) for node in way.nodes
              if node.location.valid()]
    if not points:
        return None
    complete = len(points) == len(way.nodes)
    closed = len(way.nodes) >= 4 and way.nodes[0].ref == way.nodes[-1].ref
    if complete and closed:
        polygon = shapely.Polygon(points)
        if polygon.is_valid and polygon.area > 0:
            centre = polygon.centroid
            return float(centre.x), float(centre.y)
    if len(points) >= 2:
        line = shapely.LineString(points)
        if line.length > 0:
            centre = line.centroid
            return float(centre.x), float(centre.y)
    lon, lat = np.mean(np.asarray(points), axis=0)
    return float(lon), float(lat)


def area_centroid(area: osmium.osm.Area, factory: osmium.geom.WKBFactory
                  ) -> tuple[float, float] | None:
    try:
        geometry = shapely.from_wkb(factory.create_multipolygon(area))
    except (RuntimeError, ValueError, shapely.errors.GEOSException):
        return None
    if geometry.is_empty:
        return None
    centre = geometry.centroid
    return float(centre.x), float(centre.y)


def import_osm_pois(path: str | Path, catalogue: Catalogue, *,
                    data_date: str = "") -> ImportResult:
    """Read the services of ``catalogue``'s categories from an OSM extract.

    ``data_date`` defaults to the extract's header timestamp when it has one. Objects
    that match a category but have no location in the extract (a way whose nodes were
    clipped away) are returned as rejections, not dropped silently.
    """
    path = Path(path)
    file = open_osm_file(path)
    filters = category_filters(catalogue)
    date = data_date or osm_header_date(path)
    if not filters:
        return ImportResult(services=empty_services(),
                            warnings=[f"{path} : le catalogue n'a aucun filtre OpenStreetMap"])
    keys = sorted({key for f in filters for key, _ in f.tags})
    rows: list[dict[str, object]] = []
    rejected: list[Rejection] = []
    factory = osmium.geom.WKBFactory()
    for obj in _iter_with_areas(path, file, keys):
        if obj.is_area():
            if obj.from_way():
                continue  # the way itself is read as a way
            type_letter, osm_id = "r", obj.orig_id()
        elif obj.is_node() or obj.is_way():
            type_letter, osm_id = obj.type_str(), obj.id
        else:
            continue  # relations come back as areas once assembled
        tags = dict(obj.tags)
        category = match_category(tags, filters)
        if category is None:
            continue
        source_id = f"{_TYPE_NAMES[type_letter]}/{osm_id}"
        if type_letter == "n":
            location = obj.location
            position = (location.lon, location.lat) if location.valid() else None
        elif type_letter == "w":
            position = way_centroid(obj)
        else:
            position = area_centroid(obj, factory)
        if position is None:
            rejected.append(Rejection(path=str(path), line=None, field="location",
                                      value=source_id,
                                      reason=f"{category} : aucun nœud localisé dans l'extrait"))
            continue
        opening_hours = tags.get("opening_hours", "")
        rows.append({
            "service_id": f"osm:{type_letter}{osm_id}",
            "category": category,
            "name": tags.get("name", ""),
            "operator": tags.get("operator", ""),
            "lon": position[0],
            "lat": position[1],
            "code_insee": "",
            "address": format_address(tags),
            "opening_hours": opening_hours,
            "opening_hours_raw": opening_hours,
            "access_modes": "on_site",
            "source": SOURCE_NAME,
            "source_id": source_id,
            "data_date": date,
            "source_file": str(path),
            "source_line": "",
        })
    warnings: list[str] = []
    if not rows:
        warnings.append(f"{path} : aucun objet OpenStreetMap ne correspond aux filtres du "
                        "catalogue")
    services = normalise_services(pd.DataFrame(rows)) if rows else empty_services()
    return ImportResult(services=services, rejected=rejected, warnings=warnings)


def _iter_with_areas(path: Path, file: osmium.io.File,
                     keys: list[str]) -> Iterator[Any]:
    """Nodes, ways and multipolygon areas carrying one of ``keys``; errors made one-line."""
    try:
        processor = (osmium.FileProcessor(file).with_locations()
                     .with_areas(KeyFilter(*keys)).with_filter(KeyFilter(*keys)))
        yield from processor
    except (RuntimeError, ValueError, OSError) as exc:
        raise osm_read_error(path, exc) from exc


__all__ = ["category_filters", "format_address", "import_osm_pois", "match_category"]
