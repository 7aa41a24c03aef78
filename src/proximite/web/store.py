"""In-memory data of the géoportail, built once at start-up from a diagnostic result.

Why in memory and not a database: the diagnostic of a département is a few thousand
services and communes, and keeping plain Python/pandas structures means no query text is
ever assembled, so nothing a visitor types can be injected anywhere.

"Near a commune" is a lookup: every commune origin -> service road time within
:data:`DEFAULT_CUTOFF_MIN` is computed once with
:func:`proximite.analysis.bounded.bounded_travel_times` (same legs and graph as the
diagnostic, so the first time equals the diagnostic's nearest-service time).

"Near a point": the point itself is the origin of one bounded search (snapped to the
graph by the shared :class:`~proximite.network.snap.Snapper`, with the same off-network
leg at the access speed as the diagnostic's origins); only the services of the asked
category are searched, so one request costs one small batch of Dijkstra runs.

At national scale (more origin x service pairs than ``web.near_max_precomputed_pairs``:
35,000 communes x 40,000 services would be tens of millions of pairs within 90 minutes,
gigabytes and many minutes to build) nothing is precomputed: a commune or a point is
answered on request by one forward Dijkstra from its node stopped at the cutoff
(:func:`~proximite.analysis.bounded.bounded_times_from`, ~3 ms on the France graph), which
answers every category of that commune at once; the answers are memoised like the others.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from proximite.access import AccessParams
from proximite.analysis.bounded import (
    BOUNDED_COLUMNS,
    bounded_times_from,
    bounded_travel_times,
)
from proximite.catalogue import Catalogue
from proximite.inventory.schema import LOCATION_BASE
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper
from proximite.settings import WebSettings
from proximite.web.hours import hours_status
from proximite.web.map_layers import commune_shapes
from proximite.web.text import display_text

DEFAULT_CUTOFF_MIN = 90.0
#: Commune-search answers memoised per server process (then the memo starts again).
SEARCH_MEMO_SIZE = 20_000
#: Text fields of a service that the portal displays (cleaned by :func:`display_text`).
DISPLAYED_FIELDS = ("name", "operator", "address", "opening_hours_raw")
#: An INSEE commune code (Corsica: 2A, 2B).
INSEE_CODE = re.compile(r"(?:\d{2}|2[AB])\d{3}")

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def fold_name(text: str) -> str:
    """Search key: lowercase, no accents, 'st'/'ste' spelled out, punctuation as spaces.

    So that 'Saint-Chély-d'Apcher', 'saint chely d apcher' and 'st chely' meet.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("œ", "oe").replace("æ", "ae")
    words = re.split(r"[^a-z0-9]+", plain)
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word)


def split_modes(value: str | None) -> list[str]:
    """Access modes of a service (the inventory joins them with ';' or ',')."""
    if not value:
        return []
    return [m.strip() for m in value.replace(",", ";").split(";") if m.strip()]


def public_network_note(note: str) -> str:
    """The diagnostic's network note without its advice to the operator (the sentences
    naming a command-line option such as ``--network``): visitors cannot act on it."""
    sentences = re.split(r"(?<=[.!?])\s+", note.strip())
    return " ".join(s for s in sentences if "--" not in s)


def services_in_territory(services: pd.DataFrame, communes: pd.DataFrame) -> frozenset[str]:
    """Ids of the services located inside the territory's commune polygons.

    Why polygons and not ``code_insee``: the inventory also holds the services of the
    margin around the territory (another département's stations), and sources still
    name merged communes by their old code. Without polygons, the commune codes decide.
    """
    geometry = communes.geometry if isinstance(communes, gpd.GeoDataFrame) else None
    if geometry is None or geometry.isna().all() or services.empty:
        return frozenset(services.loc[services["code_insee"].astype(str).isin(
            communes["code_insee"].astype(str)), "service_id"].astype(str))
    points = gpd.GeoDataFrame(
        {"service_id": services["service_id"].astype(str).to_numpy()},
        geometry=gpd.points_from_xy(services["lon"], services["lat"]), crs=4326)
    if communes.crs is not None:
        points = points.to_crs(communes.crs)
    inside = gpd.sjoin(points, gpd.GeoDataFrame(geometry=geometry), predicate="intersects")
    return frozenset(inside["service_id"])


@dataclass(frozen=True)
class CommuneEntry:
    """One commune as the portal shows it (origin_id: the origin its times start from)."""

    code_insee: str
    name: str
    folded: str
    population: float | None
    epci_code: str
    epci_name: str
    origin_id: str | None


def _clean(value: Any) -> Any:
    """NaN / NA -> None, numpy scalars -> Python (for JSON)."""
    if value is None:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _record(row: dict[Any, Any]) -> dict[str, Any]:
    """A service's row as the API gives it: plain values, displayed texts cleaned."""
    record = {str(k): _clean(v) for k, v in row.items()}
    for name in DISPLAYED_FIELDS:
        if name in record:
            record[name] = display_text(record[name])
    return record


def _by_commune(table: pd.DataFrame | None) -> dict[str, list[dict[str, Any]]]:
    """code_insee -> the table's rows (plain values, NaN as None)."""
    out: dict[str, list[dict[str, Any]]] = {}
    if table is None or not len(table) or "code_insee" not in table.columns:
        return out
    for rec in table.to_dict("records"):
        out.setdefault(str(rec["code_insee"]), []).append(
            {str(k): _clean(v) for k, v in rec.items()})
    return out


@dataclass
class OnRequest:
    """What answering "near" on request needs, snapped once at start-up."""

    service_ids: np.ndarray  # the timed services on the network
    categories: np.ndarray
    nodes: np.ndarray
    legs_min: np.ndarray
    origins: dict[str, tuple[int, float]]  # origin_id -> (node, leg) of origins on it

    @classmethod
    def snap(cls, snapper: Snapper, params: AccessParams, origins: pd.DataFrame,
             services: pd.DataFrame) -> OnRequest:
        o_node, o_dist = snapper.snap(origins["lon"].to_numpy(), origins["lat"].to_numpy())
        s_node, s_dist = snapper.snap(services["lon"].to_numpy(), services["lat"].to_numpy())
        o_on, s_on = o_dist <= params.max_snap_m, s_dist <= params.max_snap_m
        o_leg = params.leg_minutes(o_dist)
        return cls(
            service_ids=services["service_id"].astype(str).to_numpy()[s_on],
            categories=services["category"].astype(str).to_numpy()[s_on],
            nodes=s_node[s_on], legs_min=params.leg_minutes(s_dist[s_on]),
            origins={str(o): (int(n), float(leg)) for o, n, leg, on in zip(
                origins["origin_id"], o_node, o_leg, o_on, strict=True) if on})


@dataclass
class PortalData:
    """Everything the API serves, indexed for lookups (see the module docstring)."""

    services: pd.DataFrame  # sorted by service_id, index = service_id
    communes: dict[str, CommuneEntry]
    epcis: dict[str, str]
    catalogue: Catalogue
    categories_with_data: list[str]
    commune_times: pd.DataFrame  # origin_id, service_id, travel_time_min (bounded)
    access_times: pd.DataFrame  # the diagnostic's nearest times (category + basket rows)
    indicators: pd.DataFrame  # commune-level indicators
    profiles: dict[str, dict[str, Any]]
    graph: RoadGraph
    snapper: Snapper
    access_params: AccessParams
    cutoff_min: float
    network_note: str  # the diagnostic's, for visitors (see public_network_note)
    territory_name: str
    # What the times are measured on, for the pages: the diagnostic's network
    network_is_stand_in: bool = False
    travel_mode: str = "car"
    service_ids: list[str] = field(default_factory=list)
    territory_ids: frozenset[str] = frozenset()  # services inside the territory
    commune_geometries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # commune_times split by origin once, so that a request reads one small frame
    times_by_origin: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Answers memoised per server: the data never change while it runs, and per-request
    # work must stay well under a millisecond.
    near_cache: dict[tuple[str, str], list[tuple[str, float]]] = field(default_factory=dict)
    record_cache: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Per commune: remote access, itinerant stops, the digital axis (the diagnostic's
    # tables, records ready for the fiche)
    remote: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    itinerant: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    digital: dict[str, dict[str, Any]] = field(default_factory=dict)
    layer_cache: dict[str, Any] = field(default_factory=dict)
    export_cache: dict[str, bytes] = field(default_factory=dict)
    list_cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Answers on request instead of commune_times (module docstring): the timed services
    # snapped once (ids, categories, nodes, legs) and each origin's (node, leg).
    on_request: OnRequest | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def from_result(cls, result: Any, *, profiles: pd.DataFrame | None = None,
                    cutoff_min: float = DEFAULT_CUTOFF_MIN,
                    max_precomputed_pairs: int | None = None) -> PortalData:
        """Index a :class:`~proximite.pipeline.DiagnosticResult` for the API.

        ``profiles``: the diagnosis' profile table; computed here (it is quick) if None.
        ``max_precomputed_pairs``: above this many origin x service pairs, "near" is
        answered on request (default: the setting ``web.near_max_precomputed_pairs``).
        """
        services = result.services.copy()
        services["service_id"] = services["service_id"].astype(str)
        services = services.sort_values("service_id", kind="stable")
        services = services.set_index("service_id", drop=False)
        origins = result.origins.copy()
        origins["origin_id"] = origins["origin_id"].astype(str)
        params = result.options.access or AccessParams()
        snapper = Snapper.for_graph(result.graph)

        communes_frame = result.territory.communes
        origin_of: dict[str, str] = {}
        if "code_insee" in origins:
            ranked = origins.sort_values("population", ascending=False, kind="stable")
            for code, origin_id in zip(ranked["code_insee"], ranked["origin_id"], strict=True):
                origin_of.setdefault(str(code), origin_id)
        communes: dict[str, CommuneEntry] = {}
        epcis: dict[str, str] = {}
        for row in communes_frame.drop(columns="geometry", errors="ignore").itertuples():
            code = str(row.code_insee)
            epci_code = str(getattr(row, "epci_code", "") or "")
            epci_name = display_text(getattr(row, "epci_nom", "") or "")
            if epci_code:
                epcis[epci_code] = epci_name
            communes[code] = CommuneEntry(
                code_insee=code, name=display_text(row.nom), folded=fold_name(str(row.nom)),
                population=_clean(getattr(row, "population", None)),
                epci_code=epci_code, epci_name=epci_name, origin_id=origin_of.get(code))

        # An itinerant service known by its base address only is listed in the directory,
        # never timed: the base is not where it serves (see proximite.access_modes).
        timed = services.reset_index(drop=True)
        if "location_precision" in timed.columns:
            timed = timed[timed["location_precision"] != LOCATION_BASE]
        if max_precomputed_pairs is None:
            max_precomputed_pairs = WebSettings().near_max_precomputed_pairs
        on_request = None
        if len(origins) * len(timed) > max_precomputed_pairs:
            on_request = OnRequest.snap(snapper, params, origins, timed)
            commune_times = pd.DataFrame({c: pd.Series(dtype=object if c != "travel_time_min"
                                                       else float) for c in BOUNDED_COLUMNS})
        else:
            commune_times = bounded_travel_times(
                result.graph, origins, timed, cutoff_min, params, snapper=snapper)
        commune_times["origin_id"] = commune_times["origin_id"].astype(str)
        # attrs (ids left out of the search) are deep-copied by every pandas operation:
        # keep them out of the per-request path.
        commune_times.attrs = {}

        access = result.access_times.copy()
        access["origin_id"] = access["origin_id"].astype(str)
        indicators = result.indicators[result.indicators["level"] == "commune"].copy()

        if profiles is None:
            from proximite.analysis.diagnosis import basket_profiles
            from proximite.model import ProfileParams

            profiles = basket_profiles(result, ProfileParams())
        profile_map = {
            str(rec["code_insee"]): {str(k): _clean(v) for k, v in rec.items()}
            for rec in profiles.to_dict("records")
        } if len(profiles) else {}

        with_data = sorted({c for code in services["category"].unique()
                            for c in result.catalogue.ancestors(code)},
                           key=list(result.catalogue.categories).index)
        return cls(
            services=services, communes=communes, epcis=epcis, catalogue=result.catalogue,
            categories_with_data=with_data, commune_times=commune_times, access_times=access,
            indicators=indicators, profiles=profile_map, graph=result.graph, snapper=snapper,
            access_params=params, cutoff_min=float(cutoff_min),
            network_note=public_network_note(result.network_note),
            territory_name=display_text(result.territory.name),
            network_is_stand_in=bool(result.graph.is_stand_in), travel_mode=result.graph.mode,
            service_ids=services["service_id"].tolist(),
            territory_ids=services_in_territory(services, communes_frame),
            commune_geometries=commune_shapes(communes_frame),
            times_by_origin={str(k): v for k, v in commune_times.groupby("origin_id")},
            remote=_by_commune(getattr(result, "remote", None)),
            itinerant=_by_commune(getattr(result, "itinerant", None)),
            digital={code: rows[0] for code, rows in
                     _by_commune(getattr(result, "digital", None)).items()},
            on_request=on_request)

    @classmethod
    def demo(cls) -> PortalData:
        """The embedded Lozère demo (what ``proximite serve`` shows by default)."""
        from proximite.pipeline import run_diagnostic

        return cls.from_result(run_diagnostic())

    def warm(self) -> int:
        """Fill the memoised answers (every commune x category with data, every service
        record) so that the first visitors do not pay for them; returns the answers built.

        Why: a cold near-commune answer costs ~1 ms against ~0.05 ms warm; on a served
        instance, a cold start under load otherwise shows as a burst of slow requests.
        """
        self._warm_records()
        self._name_candidates("")  # builds the commune-name index (3.5 s for France)
        if self.on_request is not None:  # 35,000 x 14 searches: answered when asked
            return 0
        self._warm_near()
        return len(self.communes) * len(self.categories_with_data)

    def _warm_records(self) -> None:
        """Every service record in one pass over the table: the dicts :meth:`service`
        builds one at a time (0.8 ms each through ``.loc``: 30 s for France's 40,000)."""
        for row in self.services.to_dict("records"):
            self.record_cache.setdefault(str(row["service_id"]), _record(row))

    def _warm_near(self) -> None:
        """Every commune x category answer of :meth:`near_commune` at once.

        One sort of the whole commune-to-service table, then one slice per origin and
        category: the same lists as the per-request path (nearest first, ties by service
        id), without its per-call pandas overhead (~1,400 answers on the demo).
        """
        times = self.commune_times
        ids = times["service_id"].astype(str).to_numpy()
        table = pd.DataFrame({
            "origin_id": times["origin_id"].astype(str).to_numpy(), "service_id": ids,
            "travel_time_min": times["travel_time_min"].to_numpy(dtype=float),
            "category": self.services["category"].reindex(ids).to_numpy()})
        table = table.sort_values(["origin_id", "travel_time_min", "service_id"],
                                  kind="stable")
        origins = {entry.origin_id for entry in self.communes.values()
                   if entry.origin_id is not None}
        for category in self.categories_with_data:
            picked = table[table["category"].isin(list(self.members(category)))]
            origin_ids = picked["origin_id"].to_numpy()
            service_ids = picked["service_id"].tolist()
            minutes = picked["travel_time_min"].tolist()
            starts = np.flatnonzero(np.r_[True, origin_ids[1:] != origin_ids[:-1]])
            ends = np.r_[starts[1:], len(origin_ids)]
            found = {str(origin_ids[a]): list(zip(service_ids[a:b], minutes[a:b], strict=True))
                     for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}
            for origin_id in origins:
                self.near_cache.setdefault((origin_id, category), found.get(origin_id, []))

    # ------------------------------------------------------------------ lookups
    def service(self, service_id: str) -> dict[str, Any] | None:
        """One service as a plain dict, or None if unknown."""
        if service_id in self.record_cache:
            return dict(self.record_cache[service_id])
        if service_id not in self.services.index:
            return None
        record = _record(self.services.loc[service_id].to_dict())
        self.record_cache[service_id] = record
        return dict(record)

    def category_list(self) -> list[dict[str, Any]]:
        """Every category of the catalogue with its number of services (memoised)."""
        if "categories" not in self.list_cache:
            counts = self.services["category"].value_counts()
            out = []
            for code, cat in self.catalogue.categories.items():
                n = int(sum(counts.get(m, 0) for m in self.catalogue.members(code)))
                out.append({"code": code, "label": cat.label, "family": cat.family,
                            "parent": cat.parent, "n_services": n, "has_data": n > 0})
            self.list_cache["categories"] = out
        return self.list_cache["categories"]

    def epci_list(self) -> list[dict[str, Any]]:
        """The EPCI of the territory by name, with their number of communes (memoised)."""
        if "epcis" not in self.list_cache:
            self.list_cache["epcis"] = sorted(
                ({"code": code, "name": name,
                  "n_communes": sum(1 for e in self.communes.values() if e.epci_code == code)}
                 for code, name in self.epcis.items()), key=lambda e: e["name"])
        return self.list_cache["epcis"]

    def has_access_mode(self, frame: pd.DataFrame, mode: str) -> np.ndarray:
        """Boolean mask of the rows of ``frame`` offering ``mode`` (empty frame: empty
        mask, so that filtering keeps the columns)."""
        return np.fromiter((mode in split_modes(m) for m in frame["access_modes"]),
                           dtype=bool, count=len(frame))

    def count_open(self, ids: list[str], at: datetime, open_now: bool) -> int:
        """How many of ``ids`` are open (``open_now``) or closed (not) at ``at``; services
        with unknown hours are neither."""
        count = 0
        for service_id in ids:
            record = self.record_cache.get(service_id) or self.service(service_id) or {}
            status = hours_status(record.get("opening_hours") or "",
                                  record.get("opening_hours_raw") or "", at)
            count += status.open_now is open_now
        return count

    def members(self, category: str) -> set[str]:
        """The category and its sub-categories (asking for La Poste includes bureaux)."""
        return self.catalogue.members(category)

    def search_communes(self, query: str, limit: int) -> list[tuple[CommuneEntry, int]]:
        """Communes whose folded name matches, best first.

        Ranking: exact name (0), name starts with the query (1), a word starts with it
        (2), contains it (3); then larger population first, then name. An INSEE code
        finds its commune alone. Answers are memoised (at most ``SEARCH_MEMO_SIZE``):
        over France a short prefix ("la", "saint") ranks thousands of names (10–60 ms),
        and the same prefixes come back with every visitor typing.
        """
        memo = self.layer_cache.setdefault("_search_memo", {})
        found = memo.get((query, limit))
        if found is None:
            if len(memo) >= SEARCH_MEMO_SIZE:  # bounded: visitors type anything
                memo.clear()
            found = memo[(query, limit)] = self._search_communes(query, limit)
        return list(found)

    def _search_communes(self, query: str, limit: int) -> list[tuple[CommuneEntry, int]]:
        """The search itself (see :meth:`search_communes`)."""
        code = query.strip().upper()
        if INSEE_CODE.fullmatch(code):
            return [(self.communes[code], 0)] if code in self.communes else []
        key = fold_name(query)
        if not key:
            return []
        hits: list[tuple[int, float, str, CommuneEntry]] = []
        for entry in self._name_candidates(key):
            name = entry.folded
            if name == key:
                rank = 0
            elif name.startswith(key):
                rank = 1
            elif f" {key}" in f" {name}":
                rank = 2
            elif key in name or key.replace(" ", "") in name.replace(" ", ""):
                rank = 3
            else:
                continue
            hits.append((rank, -(entry.population or 0.0), entry.name, entry))
        best = heapq.nsmallest(limit, hits, key=lambda hit: hit[:3])
        return [(hit[3], hit[0]) for hit in best]

    def _name_candidates(self, key: str) -> list[CommuneEntry]:
        """Communes whose folded name contains ``key`` (with or without its spaces): the
        only ones the search can rank. Found by bisection in sorted name suffixes built
        once (a numpy byte-string sort), not by a scan: a national portal has 35,000
        names."""
        index = self.layer_cache.get("_name_suffixes")
        if index is None:
            entries = list(self.communes.values())
            index = {"entries": entries}
            for label, names in (("plain", [e.folded for e in entries]),
                                 ("joined", [e.folded.replace(" ", "") for e in entries])):
                raw = [n.encode("utf-8") for n in names]  # folded names are ASCII: 1 B/char
                suffixes = np.array([b[i:] for b in raw for i in range(len(b))], dtype=bytes)
                owners = np.repeat(np.arange(len(raw)), [len(b) for b in raw])
                order = np.argsort(suffixes, kind="stable")
                index[label] = (suffixes[order], owners[order])
            self.layer_cache["_name_suffixes"] = index
        found: set[int] = set()
        for label, text in (("plain", key), ("joined", key.replace(" ", ""))):
            suffixes, owners = index[label]
            if not len(suffixes) or not text:
                continue
            low = text.encode("utf-8")
            start = int(np.searchsorted(suffixes, low, side="left"))
            end = int(np.searchsorted(suffixes, low + b"\xff", side="left"))
            found.update(owners[start:end].tolist())
        return [index["entries"][n] for n in sorted(found)]

    def near_commune(self, code_insee: str, category: str) -> list[tuple[str, float]]:
        """(service_id, road minutes) of the category from the commune, nearest first."""
        origin_id = self.communes[code_insee].origin_id
        if origin_id is None:
            return []
        key = (origin_id, category)
        if key not in self.near_cache:
            if self.on_request is not None:
                # one search gives every category: answer them all for this commune
                node, leg = self.on_request.origins.get(origin_id, (-1, np.inf))
                times = self._times_from(node, leg)
                for code in {category, *self.categories_with_data}:
                    self.near_cache[(origin_id, code)] = self._listed(times, code)
            else:
                rows = self.times_by_origin.get(origin_id, self.commune_times.iloc[:0])
                self.near_cache[key] = self._of_category(rows, category)
        return self.near_cache[key]

    def _times_from(self, node: int, leg_min: float) -> np.ndarray:
        """Minutes from a snapped point to every timed service within the cutoff (inf
        beyond, or everywhere when ``node`` is -1: off the network): one forward search
        (national portal)."""
        assert self.on_request is not None
        if node < 0:
            return np.full(len(self.on_request.nodes), np.inf)
        return bounded_times_from(self.graph, node, leg_min, self.on_request.nodes,
                                  self.on_request.legs_min, self.cutoff_min)

    def _listed(self, times: np.ndarray, category: str) -> list[tuple[str, float]]:
        """(service_id, minutes) of the category among ``times``, nearest first (ties by
        service id), as :meth:`_of_category` lists the precomputed times."""
        assert self.on_request is not None
        found = self.layer_cache.get(f"_on_request:{category}")
        if found is None:
            found = np.flatnonzero(np.isin(self.on_request.categories,
                                           list(self.members(category))))
            self.layer_cache[f"_on_request:{category}"] = found
        within = found[np.isfinite(times[found])]
        ids, minutes = self.on_request.service_ids[within], times[within]
        order = np.lexsort((ids, minutes))
        return [(str(i), float(t)) for i, t in zip(ids[order], minutes[order], strict=True)]

    def near_point(self, lon: float, lat: float,
                   category: str) -> tuple[list[tuple[str, float]], float]:
        """(service_id, road minutes) from a point, nearest first, and its snap distance (m).

        Empty list when the point is farther than ``max_snap_m`` from the network.
        """
        members = self.members(category)
        candidates = self.services[self.services["category"].isin(members)]
        node, snap_m = self.snapper.snap(np.array([lon]), np.array([lat]))
        if self.on_request is not None:
            on = snap_m[0] <= self.access_params.max_snap_m
            leg = float(self.access_params.leg_minutes(snap_m)[0])
            times = self._times_from(int(node[0]) if on else -1, leg)
            return self._listed(times, category), float(snap_m[0])
        if candidates.empty:
            return [], float(snap_m[0])
        origin = pd.DataFrame({"origin_id": ["point"], "lon": [lon], "lat": [lat]})
        rows = bounded_travel_times(self.graph, origin, candidates.reset_index(drop=True),
                                    self.cutoff_min, self.access_params, snapper=self.snapper)
        return self._of_category(rows, category), float(snap_m[0])

    def _of_category(self, rows: pd.DataFrame, category: str) -> list[tuple[str, float]]:
        """The category's rows, nearest first, ties by service id: in numpy (the pandas
        filter and sort cost 5 ms an answer, most of a cold portal's warm-up)."""
        members = self.members(category)
        ids = rows["service_id"].astype(str).to_numpy()
        known = self.layer_cache.get("_service_categories")
        if known is None:
            known = (pd.Index(self.services.index.astype(str)),
                     np.append(self.services["category"].astype(str).to_numpy(), ""))
            self.layer_cache["_service_categories"] = known
        index, categories = known
        cats = categories[index.get_indexer(ids)]  # -1 (unknown id) picks the ""
        keep = np.isin(cats, list(members))
        ids = ids[keep]
        minutes = rows["travel_time_min"].to_numpy(dtype=float)[keep]
        order = np.lexsort((ids, minutes))
        return [(str(s), float(t)) for s, t in zip(ids[order], minutes[order], strict=True)]

    def commune_access(self, code_insee: str) -> pd.DataFrame:
        """The diagnostic's nearest-service rows of the commune's origin."""
        origin_id = self.communes[code_insee].origin_id
        return self._rows_of("access", self.access_times, "origin_id", str(origin_id))

    def commune_indicators(self, code_insee: str) -> pd.DataFrame:
        """Commune-level indicator rows (one per category and basket)."""
        return self._rows_of("indicators", self.indicators, "zone_code", code_insee)

    def _rows_of(self, name: str, table: pd.DataFrame, column: str, key: str) -> pd.DataFrame:
        """Rows of ``table`` whose ``column`` is ``key``, through row positions grouped
        once: a national run has 500,000 access rows, a scan per request would not do."""
        positions = self.layer_cache.get(f"_rows_of:{name}")
        if positions is None:
            positions = table.groupby(table[column].astype(str), sort=False).indices
            self.layer_cache[f"_rows_of:{name}"] = positions
        found = positions.get(key)
        return table.iloc[found] if found is not None else table.iloc[:0]
