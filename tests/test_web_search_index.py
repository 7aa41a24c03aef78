"""The commune search through the sorted name suffixes finds and ranks exactly what a
scan of every name does (the former implementation, here as the oracle)."""

from __future__ import annotations

from types import MethodType, SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from proximite.web.store import CommuneEntry, PortalData, fold_name

NAMES = ["Saint-Chély-d'Apcher", "Mende", "Saint-Chély-du-Tarn", "La Canourgue",
         "Mont Lozère et Goulet", "Montbrun", "Le Monastier", "Florac Trois Rivières",
         "Chastel-Nouvel", "Bourg-Saint-Andéol", "Saint-Étienne-du-Valdonnez", "Marvejols"]


def _portal(names: list[str]) -> Any:
    communes = {f"48{i:03d}": CommuneEntry(f"48{i:03d}", n, fold_name(n), float(100 * i),
                                           "", "", f"48{i:03d}")
                for i, n in enumerate(names)}
    portal = SimpleNamespace(communes=communes, layer_cache={})
    portal._name_candidates = MethodType(PortalData._name_candidates, portal)
    portal._search_communes = MethodType(PortalData._search_communes, portal)
    return portal


def _scan(portal: Any, query: str, limit: int) -> list[tuple[str, int]]:
    key = fold_name(query)
    hits = []
    for entry in portal.communes.values():
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
    hits.sort(key=lambda hit: hit[:3])
    return [(hit[3].code_insee, hit[0]) for hit in hits[:limit]]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES).flatmap(
    lambda name: st.tuples(st.integers(0, len(name)), st.integers(1, 8)).map(
        lambda ij: name[ij[0]:ij[0] + ij[1]])) | st.text("aeimnostu -", min_size=1,
                                                         max_size=6),
       st.integers(1, 12))
def test_indexed_search_equals_the_scan(query: str, limit: int) -> None:
    portal = _portal(NAMES)
    if not fold_name(query):
        return
    found = [(e.code_insee, rank) for e, rank in PortalData.search_communes(portal, query,
                                                                            limit)]
    assert found == _scan(portal, query, limit)


def test_indexed_search_hand_picked() -> None:
    portal = _portal(NAMES)
    found = [e.name for e, _ in PortalData.search_communes(portal, "st chely", 5)]
    assert found == _names_of(_scan(portal, "st chely", 5), portal)
    # both start with "mont": the larger population first (500 before 400)
    assert [e.name for e, _ in PortalData.search_communes(portal, "mont", 3)] == [
        "Montbrun", "Mont Lozère et Goulet"]
    assert PortalData.search_communes(portal, "zzz", 5) == []


def _names_of(hits: list[tuple[str, int]], portal: Any) -> list[str]:
    return [portal.communes[code].name for code, _ in hits]
