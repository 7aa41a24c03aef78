"""Merge the same place reported by several sources into one service.

OSM, the BPE and La Poste's own file all list the Mende post office; counting it three
times would not change the nearest-service times but would inflate counts and densities.
Two rows are the same place when:

* they come from **different sources**: two rows of one source are two real services
  (two pharmacies in one building, a bureau de poste and its parcel relay), since a
  source does not list a place twice;
* their categories are of the **same family**: the same category, or one an ancestor of
  the other in the catalogue (``la_poste`` from OSM and ``bureau_de_poste`` from La
  Poste); the merged row keeps the more specific one;
* they are within ``distance_m`` of each other (geodesic, see below);
* optionally, their names are similar (``name_similarity``, a difflib ratio).

Clusters are the connected components of these pairs, so they **chain**: A–B at 40 m
and B–C at 40 m merge A, B and C even if A and C are 80 m apart. The chain is bounded
because a cluster never holds two rows of one source nor two sibling categories: a
component that would break either rule is split by joining its pairs closest first and
skipping any join that would break them. A cluster thus spans at most
``(number of sources - 1) * distance_m``.

Distances are chord lengths between geocentric (EPSG:4978, metres) positions: a metric
CRS valid everywhere (mainland, overseas, foreign test data), equal to the geodesic
distance to well under a millimetre at these ranges.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyproj
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from proximite.catalogue import Catalogue
from proximite.errors import SettingError
from proximite.inventory.schema import (
    ACCESS_MODES,
    MODES_SEP,
    PROVENANCE_SEP,
    normalise_services,
)
from proximite.messages import short_number

PROVENANCE_COLUMNS = ("source", "source_id", "data_date", "source_file", "source_line")
# Filled from the first member (in priority order) that has them.
FILLED_COLUMNS = ("name", "operator", "code_insee", "address")
# Structured and raw opening hours travel together, from the same member.
HOURS_COLUMNS = ("opening_hours", "opening_hours_raw")
REPORT_COLUMNS = ["kept_service_id", "merged_service_ids", "categories", "sources",
                  "distance_m"]

_TO_ECEF = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4978", always_xy=True)


def _tokens(value: str) -> list[str]:
    """The parts of a (possibly already merged) provenance field."""
    return [part.strip() for part in str(value).split(PROVENANCE_SEP.strip())]


def _normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("-", " ").replace("'", " ").split())


def names_match(a: str, b: str, threshold: float) -> bool:
    """Similar names, or a missing name (no evidence that the places differ)."""
    a, b = _normalise_name(a), _normalise_name(b)
    if not a or not b:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= threshold


class _Lineage:
    """Category ancestry lookups; codes unknown to the catalogue are their own family."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._cache: dict[str, list[str]] = {}

    def of(self, code: str) -> list[str]:
        if code not in self._cache:
            self._cache[code] = (self.catalogue.ancestors(code)
                                 if code in self.catalogue.categories else [code])
        return self._cache[code]

    def finer(self, a: str, b: str) -> str | None:
        """The more specific of two related categories, or None if they are unrelated."""
        if a in self.of(b):
            return b
        if b in self.of(a):
            return a
        return None


def _geocentric(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y, z = _TO_ECEF.transform(lon, lat, np.zeros_like(lon))
    return np.column_stack([x, y, z])


def _candidate_pairs(frame: pd.DataFrame, lineage: _Lineage, distance_m: float,
                     name_similarity: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows that may be the same place, and their distances (vectorised)."""
    lon = frame["lon"].to_numpy(dtype="float64")
    lat = frame["lat"].to_numpy(dtype="float64")
    located = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat)
                             & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    empty = (np.zeros((0, 2), dtype=np.intp), np.zeros(0))
    if len(located) < 2:
        return empty
    xyz = _geocentric(lon[located], lat[located])
    local = cKDTree(xyz).query_pairs(r=distance_m, output_type="ndarray")
    if len(local) == 0:
        return empty
    pairs = located[local]
    a, b = pairs[:, 0], pairs[:, 1]

    sources = frame["source"].to_numpy(dtype=object)
    source_codes, _ = pd.factorize(frame["source"])
    keep = source_codes[a] != source_codes[b]
    merged_source = frame["source"].str.contains(PROVENANCE_SEP.strip(), regex=False).to_numpy()
    for k in np.flatnonzero(keep & (merged_source[a] | merged_source[b])):
        keep[k] = not set(_tokens(sources[a[k]])) & set(_tokens(sources[b[k]]))

    cat_codes, cat_values = pd.factorize(frame["category"])
    related = np.array([[lineage.finer(p, q) is not None for q in cat_values]
                        for p in cat_values], dtype=bool)
    keep &= related[cat_codes[a], cat_codes[b]]

    if name_similarity is not None:
        names = frame["name"].to_numpy(dtype=object)
        for k in np.flatnonzero(keep):
            keep[k] = names_match(names[a[k]], names[b[k]], name_similarity)

    pairs = pairs[keep]
    position = np.full(len(frame), -1)
    position[located] = np.arange(len(located))
    gaps = xyz[position[pairs[:, 0]]] - xyz[position[pairs[:, 1]]]
    return pairs, np.sqrt((gaps**2).sum(axis=1))


def _clusters(frame: pd.DataFrame, lineage: _Lineage, pairs: np.ndarray,
              distances: np.ndarray) -> list[list[int]]:
    """Connected components of the pairs, split where they would break the merge rules."""
    n = len(frame)
    if len(pairs) == 0:
        return []
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    source_sets = [frozenset(_tokens(s)) for s in frame["source"]]
    categories = frame["category"].tolist()

    members_by_label: dict[int, list[int]] = {}
    for row in np.unique(pairs):
        members_by_label.setdefault(int(labels[row]), []).append(int(row))
    edge_order = np.lexsort((pairs[:, 1], pairs[:, 0], distances))
    edges_by_label: dict[int, list[tuple[int, int]]] = {}
    for k in edge_order:
        a, b = int(pairs[k, 0]), int(pairs[k, 1])
        edges_by_label.setdefault(int(labels[a]), []).append((a, b))

    clusters: list[list[int]] = []
    for label, members in members_by_label.items():
        if _valid_cluster(members, source_sets, categories, lineage):
            clusters.append(sorted(members))
        else:
            clusters.extend(_split(edges_by_label[label], source_sets, categories, lineage))
    return clusters


def _valid_cluster(members: list[int], source_sets: list[frozenset[str]],
                   categories: list[str], lineage: _Lineage) -> bool:
    seen: set[str] = set()
    for row in members:
        if seen & source_sets[row]:
            return False
        seen |= source_sets[row]
    finest = max((categories[row] for row in members), key=lambda c: len(lineage.of(c)))
    return all(categories[row] in lineage.of(finest) for row in members)


def _split(edges: list[tuple[int, int]], source_sets: list[frozenset[str]],
           categories: list[str], lineage: _Lineage) -> list[list[int]]:
    """Join pairs closest first, skipping joins that repeat a source or mix siblings."""
    parent: dict[int, int] = {}
    sources: dict[int, frozenset[str]] = {}
    finest: dict[int, str] = {}

    def find(row: int) -> int:
        if row not in parent:
            parent[row], sources[row], finest[row] = row, source_sets[row], categories[row]
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra == rb or sources[ra] & sources[rb]:
            continue
        category = lineage.finer(finest[ra], finest[rb])
        if category is None:
            continue
        root, other = min(ra, rb), max(ra, rb)
        parent[other] = root
        sources[root] = sources[ra] | sources[rb]
        finest[root] = category
    groups: dict[int, list[int]] = {}
    for row in parent:
        groups.setdefault(find(row), []).append(row)
    return [sorted(g) for g in groups.values() if len(g) > 1]


Columns = dict[str, np.ndarray]


def _priority_order(columns: Columns, members: list[int],
                    source_priority: Sequence[str] | None) -> list[int]:
    """Members best first: listed sources first, then most recent data_date, then input order.

    Dates are compared as text, which orders ISO dates (``2022``, ``2020-12``,
    ``2024-01-15``) correctly; a merged row counts with its most recent date.
    """
    ranks = {source: i for i, source in enumerate(source_priority or ())}

    def rank(row: int) -> int:
        return min(ranks.get(s, len(ranks)) for s in _tokens(columns["source"][row]))

    def date(row: int) -> str:
        return max(_tokens(columns["data_date"][row]))

    by_date = sorted(sorted(members), key=date, reverse=True)  # stable: ties keep input order
    return sorted(by_date, key=rank)


def _union_modes(values: list[str]) -> str:
    modes = {m.strip() for v in values for m in str(v).split(MODES_SEP) if m.strip()}
    known = [m for m in ACCESS_MODES if m in modes]
    return MODES_SEP.join(known + sorted(modes - set(ACCESS_MODES)))


def _merge(columns: Columns, ordered: list[int], lineage: _Lineage) -> dict[str, object]:
    """One row from a cluster: the best member's fields, gaps filled, all provenances."""
    rows = [{name: values[i] for name, values in columns.items()} for i in ordered]
    merged = dict(rows[0])
    finest = str(rows[0]["category"])
    for row in rows[1:]:
        finest = lineage.finer(finest, str(row["category"])) or finest
    merged["category"] = finest
    for column in FILLED_COLUMNS:
        merged[column] = next((r[column] for r in rows if str(r[column]).strip()), "")
    hours = next((r for r in rows if any(str(r[c]).strip() for c in HOURS_COLUMNS)), rows[0])
    for column in HOURS_COLUMNS:
        merged[column] = hours[column]
    merged["access_modes"] = _union_modes([str(r["access_modes"]) for r in rows])
    for column in PROVENANCE_COLUMNS:
        merged[column] = PROVENANCE_SEP.join(str(r[column]) for r in rows)
    return merged


def deduplicate(
    services: pd.DataFrame,
    catalogue: Catalogue,
    *,
    distance_m: float = 50.0,
    name_similarity: float | None = None,
    source_priority: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge rows of different sources that describe the same place (see module doc).

    The merged row takes the position, identifier and fields of its best member (sources
    in ``source_priority`` first, then the most recent ``data_date``), fills empty fields
    from the others, keeps the most specific category, the union of access modes and every
    provenance joined with :data:`PROVENANCE_SEP` in member order. Rows keep their input
    order; a merged row stands where its first input row stood.

    Returns ``(services, report)``; the report has one row per merge: ``kept_service_id``,
    ``merged_service_ids`` (joined with :data:`PROVENANCE_SEP`), ``categories`` and
    ``sources`` of all members in member order, and ``distance_m``, the largest distance
    from the kept position to a merged member.
    """
    if not distance_m >= 0:  # also rejects NaN
        raise SettingError("distance_m", short_number(distance_m),
                           "une distance de fusion des doublons ≥ 0 m")
    if name_similarity is not None and not 0.0 <= name_similarity <= 1.0:
        raise SettingError("name_similarity", short_number(name_similarity),
                           "une similarité des noms entre 0 et 1")
    frame = normalise_services(services)
    lineage = _Lineage(catalogue)
    pairs, distances = (_candidate_pairs(frame, lineage, distance_m, name_similarity)
                        if distance_m > 0 else (np.zeros((0, 2), dtype=np.intp), np.zeros(0)))
    clusters = sorted(_clusters(frame, lineage, pairs, distances))

    # Plain arrays: per-row pandas access would make large inventories quadratic.
    columns: Columns = {name: frame[name].to_numpy(
        dtype="float64" if name in ("lon", "lat") else object).copy() for name in frame.columns}
    absorbed = np.zeros(len(frame), dtype=bool)
    report_rows = []
    for members in clusters:
        ordered = _priority_order(columns, members, source_priority)
        merged = _merge(columns, ordered, lineage)
        absorbed[members] = True
        absorbed[members[0]] = False  # the merged row stands at its first member's place
        for name, value in merged.items():
            columns[name][members[0]] = value
        xyz = _geocentric(frame["lon"].to_numpy()[ordered], frame["lat"].to_numpy()[ordered])
        spread = float(np.sqrt(((xyz[1:] - xyz[0]) ** 2).sum(axis=1)).max())
        report_rows.append({
            "kept_service_id": frame.at[ordered[0], "service_id"],
            "merged_service_ids": PROVENANCE_SEP.join(frame["service_id"].to_numpy()[ordered[1:]]),
            "categories": PROVENANCE_SEP.join(frame["category"].to_numpy()[ordered]),
            "sources": PROVENANCE_SEP.join(frame["source"].to_numpy()[ordered]),
            "distance_m": round(spread, 1),
        })

    report = pd.DataFrame(report_rows, columns=REPORT_COLUMNS).astype({"distance_m": "float64"})
    if not clusters:
        return frame, report
    result = pd.DataFrame({name: values[~absorbed] for name, values in columns.items()})
    return normalise_services(result), report
