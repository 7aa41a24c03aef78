"""The géoportail's "near" answers searched on request (national scale) equal the
precomputed ones (a département).

Why: above ``web.near_max_precomputed_pairs`` origin x service pairs the portal stops
precomputing every commune -> service time within the cutoff and runs one forward search
per request; visitors must get the same services in the same order with the same times.
"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from proximite.web.app import create_app
from proximite.web.store import PortalData

SAINT_CHELY = "48140"


@pytest.fixture(scope="module")
def portals(demo_result):  # type: ignore[no-untyped-def]
    return (PortalData.from_result(demo_result),
            PortalData.from_result(demo_result, max_precomputed_pairs=0))


def _same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> None:
    assert [s for s, _ in a] == [s for s, _ in b]
    assert np.allclose([t for _, t in a], [t for _, t in b], rtol=0, atol=1e-9)


def test_on_request_answers_equal_the_precomputed_ones(portals) -> None:  # type: ignore[no-untyped-def]
    precomputed, on_request = portals
    assert precomputed.on_request is None and len(precomputed.commune_times) > 1000
    assert on_request.on_request is not None and on_request.commune_times.empty
    assert on_request.warm() == 0  # nothing precomputed: answers come when asked
    answered = 0
    for code in on_request.communes:
        for category in on_request.categories_with_data:
            expected = precomputed.near_commune(code, category)
            _same(on_request.near_commune(code, category), expected)
            answered += bool(expected)
    assert answered > 500
    # points: next to services, between two communes, and far off the network. The
    # search on request leaves out, as near_commune does, the services known by their
    # base address only (never timed: the base is not where they serve), which the
    # precomputed portal's near_point times.
    base = set(precomputed.services.loc[
        precomputed.services["location_precision"] == "base", "service_id"])
    assert base
    for lon, lat in [(3.4956, 44.5194), (3.4997, 44.5181), (3.29, 44.8), (1.0, 47.0)]:
        for category in ("la_poste", "france_services"):
            got, snap = on_request.near_point(lon, lat, category)
            want, want_snap = precomputed.near_point(lon, lat, category)
            assert snap == want_snap
            _same(got, [(s, t) for s, t in want if s not in base])


def test_the_api_serves_the_same_answer_on_request(portals) -> None:  # type: ignore[no-untyped-def]
    params = {"commune": SAINT_CHELY, "category": "la_poste", "limit": 50}
    answers = [TestClient(create_app(p)).get("/api/services/near", params=params).json()
               for p in portals]
    assert len(answers[0]["services"]) > 10
    assert [s["service_id"] for s in answers[0]["services"]] == [
        s["service_id"] for s in answers[1]["services"]]
    assert np.allclose([s["travel_time_min"] for s in answers[0]["services"]],
                       [s["travel_time_min"] for s in answers[1]["services"]], atol=1e-9)


def test_warm_builds_the_same_records_in_one_pass(demo_result) -> None:  # type: ignore[no-untyped-def]
    warmed = PortalData.from_result(demo_result, max_precomputed_pairs=0)
    cold = PortalData.from_result(demo_result, max_precomputed_pairs=0)
    warmed.warm()
    assert "_name_suffixes" in warmed.layer_cache  # the name index is built before requests
    assert len(warmed.record_cache) == len(warmed.service_ids) > 400
    for service_id in warmed.service_ids:
        assert warmed.record_cache[service_id] == cold.service(service_id)


def test_commune_search_is_memoised_and_bounded(portals, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import proximite.web.store as store

    portal = portals[1]
    first = portal.search_communes("st", 5)
    assert first[0][0].code_insee == SAINT_CHELY  # the largest "Saint-" of Lozère
    assert portal.search_communes("st", 5) == first
    assert portal.layer_cache["_search_memo"][("st", 5)] == first
    monkeypatch.setattr(store, "SEARCH_MEMO_SIZE", 3)
    for query in ("mende", "florac", "langogne", "marvejols"):
        portal.search_communes(query, 5)
    assert len(portal.layer_cache["_search_memo"]) <= 3
    assert next(e.code_insee for e, _ in portal.search_communes("mende", 5)) == "48095"
