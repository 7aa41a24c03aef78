"""Tests of :mod:`proximite.planning.siting` (LSCP, MCLP, p-median).

Why: a siting answer is only useful if it is the optimum of the stated model, respects
the sites already open, and says clearly why it cannot be produced. A line graph small
enough to solve by hand fixes the optima; spopt's own builders on the dense matrix are
a second, independent oracle; the Lozère demo checks the whole chain on real data.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pulp
import pytest

from proximite.access import AccessParams
from proximite.errors import ProximiteError
from proximite.io.solver import cbc_with_log, read_cbc_report
from proximite.io.tables import read_candidates
from proximite.network.graph import RoadGraph
from proximite.planning.siting import (
    Candidates,
    CoverageMatrix,
    InfeasibleCoverageError,
    SitingError,
    SolverReport,
    cbc,
    coverage_matrix,
    coverage_matrix_on_graph,
    solve_lscp,
    solve_mclp,
    solve_pmedian,
)

# spopt (the oracle) builds its variables with the PuLP API that 3.3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PARAMS = AccessParams(access_speed_kmh=60.0, max_snap_m=500.0)
# A road along a line; positions are minutes from its western end.
NODE_MIN = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 42.0])
DEMAND_MIN = [0.0, 10.0, 20.0, 30.0, 40.0]
DEMAND_POP = [100.0, 50.0, 30.0, 200.0, 400.0]
CANDIDATE_MIN = {"A": 15.0, "B": 5.0, "C": 30.0, "D": 42.0}
# With a 10-min cutoff: d0 <- B; d1 <- A, B; d2 <- A, C; d3 <- C; d4 <- C, D.


def lon_of(minutes: float) -> float:
    return 3.5 + minutes * 0.002


def line_graph() -> RoadGraph:
    n = len(NODE_MIN)
    start = np.concatenate([np.arange(n - 1), np.arange(1, n)])
    end = np.concatenate([np.arange(1, n), np.arange(n - 1)])
    minutes = np.abs(NODE_MIN[end] - NODE_MIN[start])
    return RoadGraph.from_edges(np.arange(n), lon_of(NODE_MIN), np.full(n, 44.5),
                                start, end, minutes)


def demand() -> pd.DataFrame:
    return pd.DataFrame({"origin_id": [f"d{i}" for i in range(5)],
                         "code_insee": [f"4800{i}" for i in range(5)],
                         "lon": [lon_of(m) for m in DEMAND_MIN], "lat": 44.5,
                         "population": DEMAND_POP})


def candidates(names: str = "ABCD", existing: str = "", capacity: float | None = None
               ) -> Candidates:
    return Candidates(pd.DataFrame({
        "candidate_id": list(names), "lon": [lon_of(CANDIDATE_MIN[c]) for c in names],
        "lat": 44.5, "name": [f"site {c}" for c in names],
        "capacity": np.nan if capacity is None else capacity,
        "existing": [c in existing for c in names]}))


def matrix(cutoff: float = 10.0, **kwargs: object) -> CoverageMatrix:
    return coverage_matrix_on_graph(line_graph(), demand(), candidates(**kwargs), cutoff, PARAMS)


def test_matrix_holds_the_hand_pairs() -> None:
    dense = matrix().dense()
    covers = {f"d{i}": "".join(c for j, c in enumerate("ABCD") if dense[i, j] <= 10)
              for i in range(5)}
    assert covers == {"d0": "B", "d1": "AB", "d2": "AC", "d3": "C", "d4": "CD"}
    assert dense[1, 0] == pytest.approx(5.0)


def test_lscp_minimum_is_b_and_c() -> None:
    from spopt.locate import LSCP  # here: a 2 s import in every xdist worker

    result = solve_lscp(matrix())
    assert sorted(result.selected_new) == ["B", "C"] and result.objective == 2
    assert result.covered_share == 1.0 and result.gap_rel == pytest.approx(0.0)
    assert result.assignment.set_index("demand_id")["site_id"].to_dict() == {
        "d0": "B", "d1": "B", "d2": "C", "d3": "C", "d4": "C"}
    lscp = LSCP.from_cost_matrix(matrix().dense(1e6), service_radius=10.0)
    lscp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.value(lscp.problem.objective) == 2


def test_mclp_one_site_covers_most_population() -> None:
    from spopt.locate import MCLP  # here: a 2 s import in every xdist worker

    result = solve_mclp(matrix(), 1)
    assert result.selected_new == ["C"]
    assert result.population_covered == pytest.approx(630.0)
    mclp = MCLP.from_cost_matrix(matrix().dense(1e6), np.array(DEMAND_POP), 10.0, 1)
    mclp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.value(mclp.problem.objective) == pytest.approx(630.0)


def test_existing_site_is_kept_and_new_one_completes_it() -> None:
    # D open already: the best single addition is C (d2, d3) over B (d0, d1).
    result = solve_mclp(matrix(existing="D"), 1)
    assert result.selected_existing == ["D"] and result.selected_new == ["C"]
    assert result.population_covered == pytest.approx(630.0)
    # Forced through ``existing=``: A is open, LSCP still needs B and C.
    lscp = solve_lscp(matrix(), existing=["A"])
    assert lscp.selected_existing == ["A"] and sorted(lscp.selected_new) == ["B", "C"]


def test_pmedian_one_site_is_the_weighted_median() -> None:
    from spopt.locate import PMedian  # here: a 2 s import in every xdist worker

    wide = matrix(cutoff=100.0)
    result = solve_pmedian(wide, 1)
    costs = {c: sum(w * abs(x - CANDIDATE_MIN[c]) for w, x in zip(DEMAND_POP, DEMAND_MIN,
                                                                  strict=True))
             for c in "ABCD"}
    assert result.selected_new == [min(costs, key=costs.get)] == ["C"]
    assert result.objective == pytest.approx(costs["C"]) == pytest.approx(8300.0)
    spopt = PMedian.from_cost_matrix(wide.dense(1e6), np.array(DEMAND_POP), 1)
    spopt.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.value(spopt.problem.objective) == pytest.approx(8300.0)


def test_pmedian_two_sites_match_brute_force() -> None:
    wide = matrix(cutoff=100.0)
    dense = wide.dense()
    best = min(itertools.combinations(range(4), 2),
               key=lambda s: float(np.dot(DEMAND_POP, dense[:, list(s)].min(axis=1))))
    result = solve_pmedian(wide, 2)
    assert sorted(result.selected_new) == sorted("ABCD"[j] for j in best)


def test_pmedian_cutoff_counts_unreachable_at_penalty() -> None:
    result = solve_pmedian(matrix(cutoff=10.0), 1)  # C: d0, d1 beyond 10 min
    assert result.selected_new == ["C"]
    assert result.objective == pytest.approx(30 * 10 + 0 + 400 * 10 + 150 * 100.0)
    assert any("d0" in w for w in result.warnings)


def test_capacity_forces_a_third_site() -> None:
    result = solve_lscp(matrix(capacity=400.0))
    assert result.objective == 3 and sorted(result.selected_new) == ["B", "C", "D"]


def test_infeasible_lscp_names_the_uncovered_demand() -> None:
    no_b = coverage_matrix_on_graph(line_graph(), demand(), candidates("ACD"), 10.0, PARAMS)
    with pytest.raises(InfeasibleCoverageError) as caught:
        solve_lscp(no_b)
    message = str(caught.value)
    assert "d0 (48000)" in message and "100 hab." in message
    assert "aucun site candidat à moins de 10 min" in message
    assert list(caught.value.uncovered["demand_id"]) == ["d0"]
    partial = solve_lscp(no_b, uncoverable="report")
    assert sorted(partial.selected_new) == ["A", "C"] or sorted(partial.selected_new) == ["C"]
    assert list(partial.uncovered["demand_id"]) == ["d0"]
    assert partial.population_covered == pytest.approx(680.0)


def test_k_larger_than_candidates_is_refused() -> None:
    with pytest.raises(SitingError, match="seulement 3 site"):
        solve_mclp(matrix(existing="A"), 4)
    with pytest.raises(SitingError, match="p = 5"):
        solve_pmedian(matrix(), 5)


def test_candidate_off_network_is_named() -> None:
    far = candidates().table
    far.loc[2, "lat"] = 44.6  # about 11 km north of the road
    with pytest.raises(SitingError, match=r"hors réseau.*C « site C » \(11\.\d km\)"):
        coverage_matrix_on_graph(line_graph(), demand(), Candidates(far), 10.0, PARAMS)


def test_candidates_csv(tmp_path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("candidate_id,lon,lat,name,capacity\nx,3.5,44.5,Salle,\n"
                    "y,3.6,44.5,Ecole,1200\n", encoding="utf-8")
    table = Candidates(read_candidates(path)).table
    assert list(table["candidate_id"]) == ["x", "y"]
    assert np.isnan(table["capacity"][0]) and table["capacity"][1] == 1200
    path.write_text("candidate_id,lon,lat,name\nx,abc,44.5,Salle\n", encoding="utf-8")
    with pytest.raises(ProximiteError, match=r"c.csv:2: champ « lon »"):
        read_candidates(path)


@pytest.fixture(scope="module")
def lozere(demo_result):  # type: ignore[no-untyped-def]
    return demo_result


def test_lozere_france_services(lozere) -> None:
    town_halls = Candidates.from_town_halls(lozere)
    lscp = solve_lscp(coverage_matrix(lozere, town_halls, 30.0))
    assert lscp.covered_share == 1.0
    assert lscp.assignment["covered"].all() and lscp.objective >= 1
    existing = Candidates.from_services(lozere.services, "france_services")
    both = coverage_matrix(lozere, town_halls.combined(existing), 30.0)
    only_existing = solve_mclp(both, 0)
    with_new = solve_mclp(both, 2)
    kept = both.candidates.table.loc[both.candidates.table["existing"], "candidate_id"]
    # Sites of neighbouring départements beyond the stand-in network are dropped, named.
    assert 0 < len(kept) <= len(existing)
    if len(kept) < len(existing):
        assert any("site(s) existant(s) hors réseau" in w for w in with_new.warnings)
    assert set(with_new.selected_existing) == set(kept)
    # Naming every inventory site, off-network ones included, is accepted.
    named = solve_mclp(both, 2, existing=existing.ids)
    assert named.population_covered == pytest.approx(with_new.population_covered)
    with pytest.raises(SitingError, match="absent"):
        solve_mclp(both, 2, existing=["fs:inconnu"])
    assert len(with_new.selected_new) == 2
    assert with_new.population_covered >= only_existing.population_covered
    # At 30 min the demo's France Services already reach everyone; at 15 min they do not,
    # and two well-placed town halls must then add population.
    tighter = coverage_matrix(lozere, town_halls.combined(existing), 15.0)
    assert (solve_mclp(tighter, 2).population_covered
            > solve_mclp(tighter, 0).population_covered)


@pytest.mark.parametrize("seed", range(6))
def test_lscp_and_mclp_agree_with_spopt_on_random_instances(seed: int) -> None:
    from spopt.locate import LSCP, MCLP  # here: a 2 s import in every xdist worker

    # The LSCP drops duplicate, dominated and fixed-covered rows and dominated columns:
    # the optimum must not move. spopt solves the full dense model.
    rng = np.random.default_rng(seed)
    n_demand, n_cand = 30, 12
    dense = rng.uniform(0, 40, (n_demand, n_cand))
    dense[np.arange(n_demand), rng.integers(0, n_cand, n_demand)] = 5.0  # all coverable
    existing = rng.uniform(size=n_cand) < 0.15
    d, c = np.nonzero(dense <= 20.0)
    population = rng.integers(1, 100, n_demand).astype(float)
    sites = Candidates(pd.DataFrame({"candidate_id": [f"c{j}" for j in range(n_cand)],
                                     "lon": 0.0, "lat": 0.0, "existing": existing}))
    cost = CoverageMatrix(
        pd.DataFrame({"demand_id": [f"d{i}" for i in range(n_demand)], "label": "",
                      "lon": 0.0, "lat": 0.0, "population": population}),
        sites, 20.0, d, c, dense[d, c])
    ours = solve_lscp(cost)
    spopt = LSCP.from_cost_matrix(dense, 20.0, predefined_facilities_arr=existing.astype(int))
    spopt.solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.objective + existing.sum() == pulp.value(spopt.problem.objective)
    assert ours.covered_share == 1.0
    k = min(2, int((~existing).sum()))
    mclp = MCLP.from_cost_matrix(dense, population, 20.0, k + int(existing.sum()),
                                 predefined_facilities_arr=existing.astype(int))
    mclp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert solve_mclp(cost, k).population_covered == pytest.approx(
        pulp.value(mclp.problem.objective))


def test_gap_read_from_cbc_report_or_lp_relaxation() -> None:
    stopped = ("Result - Stopped on time limit\n\nObjective value:                19.00000000\n"
               "Lower bound:                    17.000\nGap:                            0.11\n")
    assert read_cbc_report(stopped) == SolverReport("Stopped on time limit", 19.0,
                                                    pytest.approx(2 / 19))
    maximised = stopped.replace("19.0000", "-19.0000").replace("17.000", "-21.000")
    assert read_cbc_report(maximised).gap_rel == pytest.approx(2 / 19)
    assert read_cbc_report("Result - Optimal solution found\n\nObjective value: 2\n"
                           ).gap_rel is None
    # The log the CLI keeps: a proven optimum, gap 0 from CBC's own report.
    logged = solve_pmedian(matrix(cutoff=100.0), 2, solver=cbc_with_log)
    assert logged.gap_source == "cbc" and logged.gap_rel == 0.0

    def stopped_without_bound(problem: Any, time_limit_s: float | None,
                              gap_rel: float | None) -> SolverReport:
        cbc(problem, time_limit_s, gap_rel)
        return SolverReport("Stopped on time limit")

    result = solve_pmedian(matrix(cutoff=100.0), 2, solver=stopped_without_bound)
    assert result.gap_source == "relaxation_lp" and 0.0 <= result.gap_rel < 1.0
    assert result.objective == logged.objective
