"""Where to open sites: set covering (LSCP), maximal covering (MCLP) and p-median.

The question of a SDAASP action plan is "where should the next France Services go so
that everyone is within 30 minutes?". Candidates are town halls (or a user's list), the
existing sites of the inventory can be kept as fixed, and the costs are road times from
each demand point (commune town hall) to each candidate, computed with
:func:`proximite.analysis.bounded.bounded_travel_times` (origin -> candidate, bounded at
the cutoff, so the matrix stays sparse on a large territory).

Models are written directly in PuLP on the *sparse* covering pairs and solved with CBC.
spopt 0.7's ``from_cost_matrix`` builders were read and not used: they write one term per
(demand, candidate) pair including the zeros (5,000 × 500 = 2.5 M terms per model), the
MCLP builder has no capacity, and its capacitated p-median can only keep predefined
sites by filling them exactly (``fulfill_predefined_fac``). The formulations are the
textbook ones (Toregas 1971, Church & ReVelle 1974, Hakimi 1964); the tests check them
against spopt's builders on small instances. Rows that cannot change the optimum are
left out before CBC sees them: duplicate covering sets (MCLP: merged, weights summed),
rows met by a fixed existing site and, in the LSCP, rows whose set contains another's.

Conventions (documented because they change the figures):

* pairs beyond ``cutoff_min`` do not cover. In the p-median they are not enumerated:
  each demand point may instead be left "unserved" at ``unreachable_penalty_min``
  (default 10 × cutoff) per inhabitant, i.e. every pair beyond the cutoff costs the same
  large finite value. Points so left are listed in the result's warnings;
* capacities (``capacity`` column, inhabitants; empty = unlimited) are honoured by every
  model through continuous (splittable) assignment variables ``z_ij <= y_j`` and
  ``sum_i w_i z_ij <= C_j y_j``; single sourcing is not enforced. The reported
  ``assignment`` is the nearest selected site, not the capacity allocation;
* ``gap_rel`` is the relative optimality gap |objective - best bound| / |objective|.
  The bound is read from CBC's final report when the solver keeps its log
  (``solver=``:func:`proximite.io.solver.cbc_with_log`, what ``proximite plan`` uses;
  ``gap_source="cbc"``); a proven optimum without a printed gap is 0; otherwise the
  bound of the LP relaxation of the same model is used (``gap_source="relaxation_lp"``),
  which is an upper bound on the true gap. The models never touch a file: the solver is
  passed in (default :func:`cbc`, PuLP's CBC without its log).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd
import pulp
import scipy.sparse as sp

from proximite.access import AccessParams
from proximite.analysis.bounded import bounded_travel_times
from proximite.errors import ProximiteError
from proximite.inventory.schema import permanent_mask
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

CANDIDATE_COLUMNS = ["candidate_id", "lon", "lat", "name", "capacity", "existing"]
DEMAND_COLUMNS = ["demand_id", "label", "lon", "lat", "population"]


class SitingError(ProximiteError):
    """A siting problem that cannot be solved as asked (message for the user)."""


class InfeasibleCoverageError(SitingError):
    """Some demand points have no candidate within the cutoff (LSCP cannot cover all)."""

    def __init__(self, message: str, uncovered: pd.DataFrame) -> None:
        super().__init__(message)
        self.uncovered = uncovered


def _fmt_pop(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


# ---------------------------------------------------------------------------------------
# Candidates


@dataclass
class Candidates:
    """Candidate sites: ``candidate_id, lon, lat, name, capacity (NaN = unlimited),
    existing`` (existing sites are kept open by every model)."""

    table: pd.DataFrame

    def __post_init__(self) -> None:
        table = self.table.copy()
        for column, default in (("name", ""), ("capacity", np.nan), ("existing", False)):
            if column not in table:
                table[column] = default
        table["candidate_id"] = table["candidate_id"].astype(str)
        table["capacity"] = pd.to_numeric(table["capacity"], errors="coerce").astype(float)
        table["existing"] = table["existing"].astype(bool)
        duplicated = table["candidate_id"].duplicated()
        if duplicated.any():
            raise SitingError("identifiant de site candidat en double : "
                              + ", ".join(table.loc[duplicated, "candidate_id"][:10]))
        self.table = table[CANDIDATE_COLUMNS].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def ids(self) -> list[str]:
        return list(self.table["candidate_id"])

    @classmethod
    def from_town_halls(cls, result_or_communes: Any) -> Candidates:
        """One candidate per commune at its town hall, id ``mairie:<code_insee>``."""
        communes = getattr(getattr(result_or_communes, "territory", None), "communes",
                           result_or_communes)
        return cls(pd.DataFrame({
            "candidate_id": "mairie:" + communes["code_insee"].astype(str),
            "lon": communes["origin_lon"].to_numpy(dtype=float),
            "lat": communes["origin_lat"].to_numpy(dtype=float),
            "name": "Mairie de " + communes["nom"].astype(str),
        }))

    @classmethod
    def from_services(cls, services: pd.DataFrame, categories: Sequence[str] | str,
                      *, capacity: float | None = None) -> Candidates:
        """Existing sites of the inventory (e.g. ``france_services``), fixed as open."""
        wanted = [categories] if isinstance(categories, str) else list(categories)
        # permanent sites only: a bus (or its base address) is not an existing site
        sub = services[services["category"].isin(wanted) & permanent_mask(services)]
        name = sub["name"].astype(str) if "name" in sub else pd.Series("", index=sub.index)
        return cls(pd.DataFrame({
            "candidate_id": sub["service_id"].astype(str).to_numpy(),
            "lon": sub["lon"].to_numpy(dtype=float), "lat": sub["lat"].to_numpy(dtype=float),
            "name": name.to_numpy(), "capacity": np.nan if capacity is None else capacity,
            "existing": True}))

    def combined(self, other: Candidates) -> Candidates:
        """Both sets (ids must stay unique)."""
        return Candidates(pd.concat([self.table, other.table], ignore_index=True))


# ---------------------------------------------------------------------------------------
# Cost matrix


@dataclass
class CoverageMatrix:
    """Sparse demand × candidate road times within ``cutoff_min`` (origin -> candidate)."""

    demand: pd.DataFrame  # DEMAND_COLUMNS, row order = demand index
    candidates: Candidates
    cutoff_min: float
    demand_index: np.ndarray  # one entry per covering pair
    candidate_index: np.ndarray
    time_min: np.ndarray
    warnings: list[str] = field(default_factory=list)
    # Candidates left out as off the network (named in the warnings).
    dropped_candidate_ids: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.demand), len(self.candidates)

    def dense(self, fill: float = np.inf) -> np.ndarray:
        """Full matrix, ``fill`` beyond the cutoff (for small instances and checks)."""
        matrix = np.full(self.shape, fill, dtype=float)
        matrix[self.demand_index, self.candidate_index] = self.time_min
        return matrix

    def candidates_of_demand(self) -> list[np.ndarray]:
        """Covering candidate indices of each demand point."""
        order = np.argsort(self.demand_index, kind="stable")
        splits = np.searchsorted(self.demand_index[order], np.arange(1, self.shape[0]))
        return np.split(self.candidate_index[order], splits)


def _demand_table(origins: pd.DataFrame, communes: pd.DataFrame | None) -> pd.DataFrame:
    names: dict[str, str] = {}
    if communes is not None and len(communes) and "nom" in communes:
        names = dict(zip(communes["code_insee"].astype(str), communes["nom"].astype(str),
                         strict=False))
    codes = (origins["code_insee"].astype(str) if "code_insee" in origins
             else pd.Series("", index=origins.index))
    ids = origins["origin_id"].astype(str)
    labels = [f"{names[c]} ({c})" if c in names else (i if not c or c == i else f"{i} ({c})")
              for i, c in zip(ids, codes, strict=True)]
    population = (origins["population"].to_numpy(dtype=float) if "population" in origins
                  else np.ones(len(origins)))
    return pd.DataFrame({"demand_id": ids.to_numpy(), "label": labels,
                         "lon": origins["lon"].to_numpy(dtype=float),
                         "lat": origins["lat"].to_numpy(dtype=float),
                         "population": population})


def _named_sites(table: pd.DataFrame, distances: np.ndarray) -> str:
    return ", ".join(f"{cid} « {name} » ({d / 1000:.1f} km)" for cid, name, d in zip(
        table["candidate_id"][:10], table["name"][:10], distances[:10], strict=False))


def coverage_matrix_on_graph(graph: RoadGraph, demand: pd.DataFrame, candidates: Candidates,
                             cutoff_min: float, params: AccessParams | None = None,
                             *, communes: pd.DataFrame | None = None,
                             drop_off_network: bool = False) -> CoverageMatrix:
    """Demand (``origin_id, lon, lat, population[, code_insee]``) × candidates on a graph.

    A new candidate farther than ``max_snap_m`` from the network raises (named): a site
    that cannot be reached would silently never be chosen (``drop_off_network=True``
    drops it with a warning instead). Existing sites off the network are dropped with a
    named warning, as the diagnostic does for services (the inventory keeps sites of the
    neighbouring départements, beyond the network's extent). Off-network demand points
    only warn: nothing can cover them and the models say so.
    """
    params = params or AccessParams()
    if len(candidates) == 0:
        raise SitingError("aucun site candidat")
    snapper = Snapper.for_graph(graph)
    _, snap_m = snapper.snap(candidates.table["lon"], candidates.table["lat"])
    far = snap_m > params.max_snap_m
    is_existing = candidates.table["existing"].to_numpy(dtype=bool)
    warnings: list[str] = []
    dropped: list[str] = []
    far_new = far & ~is_existing
    if far_new.any() and not drop_off_network:
        raise SitingError(
            f"{int(far_new.sum())} site(s) candidat(s) hors réseau (à plus de "
            f"{params.max_snap_m:.0f} m du nœud routier le plus proche) : "
            f"{_named_sites(candidates.table[far_new], snap_m[far_new])}. "
            "Corriger leurs coordonnées ou les retirer de la liste.")
    if far.any():
        kind = "site(s) existant(s)" if not far_new.any() else "site(s)"
        warnings.append(
            f"{int(far.sum())} {kind} hors réseau (à plus de {params.max_snap_m:.0f} m) "
            f"écarté(s) : {_named_sites(candidates.table[far], snap_m[far])}")
        dropped = [str(x) for x in candidates.table.loc[far, "candidate_id"]]
        candidates = Candidates(candidates.table[~far])
        if len(candidates) == 0:
            raise SitingError("aucun site candidat sur le réseau")
    table = _demand_table(demand, communes)
    pairs = bounded_travel_times(
        graph, table.rename(columns={"demand_id": "origin_id"}),
        candidates.table.rename(columns={"candidate_id": "service_id"}),
        cutoff_min, params, snapper=snapper)
    demand_pos = pd.Index(table["demand_id"]).get_indexer(pairs["origin_id"].astype(str))
    cand_pos = pd.Index(candidates.table["candidate_id"]).get_indexer(
        pairs["service_id"].astype(str))
    excluded = [str(x) for x in pairs.attrs.get("excluded_origin_ids", [])]
    if excluded:
        warnings.append(f"{len(excluded)} point(s) de demande hors réseau (à plus de "
                        f"{params.max_snap_m:.0f} m) : aucun site ne peut les desservir : "
                        + ", ".join(excluded[:10]))
    return CoverageMatrix(table, candidates, float(cutoff_min), demand_pos.astype(np.int64),
                          cand_pos.astype(np.int64),
                          pairs["travel_time_min"].to_numpy(dtype=float), warnings, dropped)


def coverage_matrix(result: Any, candidates: Candidates, cutoff_min: float,
                    demand: pd.DataFrame | None = None, *,
                    params: AccessParams | None = None) -> CoverageMatrix:
    """Demand × candidate times of a :class:`~proximite.pipeline.DiagnosticResult`.

    ``demand`` defaults to the diagnostic's origins (one per commune); the access legs
    follow the diagnostic's own :class:`AccessParams` unless ``params`` is given.
    """
    params = params or getattr(getattr(result, "options", None), "access", None)
    communes = getattr(getattr(result, "territory", None), "communes", None)
    return coverage_matrix_on_graph(result.graph, result.origins if demand is None else demand,
                                    candidates, cutoff_min, params, communes=communes)


# ---------------------------------------------------------------------------------------
# Results and solver


@dataclass
class SitingResult:
    """One solved siting model, with what a steering committee needs to read it."""

    model: str
    selected_new: list[str]
    selected_existing: list[str]
    objective: float
    population_total: float
    population_covered: float  # within the cutoff of a selected site
    covered_share: float
    assignment: pd.DataFrame  # demand_id, label, population, site_id, travel_time_min, covered
    solve_time_s: float
    status: str
    gap_rel: float | None
    gap_source: str
    uncovered: pd.DataFrame = field(default_factory=pd.DataFrame)  # left out, with reason
    warnings: list[str] = field(default_factory=list)

    @property
    def selected(self) -> list[str]:
        return self.selected_existing + self.selected_new


@dataclass
class _Solved:
    status: str
    objective: float
    values: dict[str, float]
    gap_rel: float | None
    gap_source: str
    seconds: float


@dataclass(frozen=True)
class SolverReport:
    """What the solver's own final report says (all None when it keeps no log)."""

    result: str | None = None  # e.g. CBC's "Optimal solution found", "Stopped on time limit"
    objective: float | None = None
    gap_rel: float | None = None  # |objective - best bound| / |objective|


#: Solves a PuLP problem in place, given a time limit (s) and a relative gap (both
#: optional), and returns what its report says. :func:`cbc` keeps no log; the CLI passes
#: :func:`proximite.io.solver.cbc_with_log`, which reads CBC's log for the gap.
Solver = Callable[[pulp.LpProblem, float | None, float | None], SolverReport]


def cbc(problem: pulp.LpProblem, time_limit_s: float | None,
        gap_rel: float | None) -> SolverReport:
    """PuLP's bundled CBC, quiet, its log not kept."""
    with catch_warnings():  # PuLP 3.3 deprecates the bundled-CBC class name
        simplefilter("ignore", DeprecationWarning)
        problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=gap_rel))
    return SolverReport()


def _solve(problem: pulp.LpProblem, integer_vars: list[pulp.LpVariable],
           time_limit_s: float | None, gap_rel: float | None,
           solver: Solver | None) -> _Solved:
    """Solve; take the gap from the solver's report, else from the LP relaxation."""
    start = time.perf_counter()
    report = (solver or cbc)(problem, time_limit_s, gap_rel)
    seconds = time.perf_counter() - start
    status = pulp.LpStatus[problem.status]
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "Réalisable (arrêt avant preuve d'optimalité)"
    elif problem.status == pulp.LpStatusOptimal:
        status = "Optimal"
    if problem.status != pulp.LpStatusOptimal and problem.sol_status not in (
            pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise SitingError(f"le solveur CBC n'a pas trouvé de solution : {status}")
    values = {v.name: (v.varValue or 0.0) for v in problem.variables()}
    objective = float(pulp.value(problem.objective) or 0.0)
    gap = report.gap_rel
    source = "cbc"
    # Proven optimal: by the report, or by the status when no log was kept and no gap
    # tolerance was asked (with one, "optimal" only means "within the tolerance").
    proven = (report.result == "Optimal solution found" if report.result is not None
              else problem.status == pulp.LpStatusOptimal and gap_rel is None)
    if gap is None and proven:
        gap = 0.0
    if gap is None:
        for var in integer_vars:
            var.cat = pulp.LpContinuous
        cbc(problem, None, None)
        bound = float(pulp.value(problem.objective) or 0.0)
        for var in integer_vars:
            var.cat = pulp.LpInteger
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
        source = "relaxation_lp"
    return _Solved(status, objective, values, gap, source, seconds)


def _existing_mask(matrix: CoverageMatrix, existing: Sequence[str] | None) -> np.ndarray:
    table = matrix.candidates.table
    if existing is None:
        return table["existing"].to_numpy(dtype=bool)
    known = set(table["candidate_id"])
    # Sites dropped as off the network are already named in the matrix's warnings.
    unknown = [e for e in existing
               if str(e) not in known and str(e) not in matrix.dropped_candidate_ids]
    if unknown:
        raise SitingError("site(s) existant(s) absent(s) de la liste des candidats : "
                          + ", ".join(map(str, unknown[:10])))
    return table["candidate_id"].isin([str(e) for e in existing]).to_numpy()


def _assignment(matrix: CoverageMatrix, open_mask: np.ndarray) -> pd.DataFrame:
    """Nearest open site of each demand point within the cutoff (None beyond)."""
    keep = open_mask[matrix.candidate_index]
    d, c, t = matrix.demand_index[keep], matrix.candidate_index[keep], matrix.time_min[keep]
    order = np.lexsort((t, d))
    d, c, t = d[order], c[order], t[order]
    first = np.ones(len(d), dtype=bool)
    first[1:] = d[1:] != d[:-1]
    site = np.full(matrix.shape[0], None, dtype=object)
    minutes = np.full(matrix.shape[0], np.nan)
    site[d[first]] = matrix.candidates.table["candidate_id"].to_numpy()[c[first]]
    minutes[d[first]] = t[first]
    out = matrix.demand[["demand_id", "label", "population"]].copy()
    out["site_id"] = site
    out["travel_time_min"] = minutes
    out["covered"] = ~np.isnan(minutes)
    return out


def _capacities(matrix: CoverageMatrix) -> np.ndarray:
    return matrix.candidates.table["capacity"].to_numpy(dtype=float)


def _add_capacity(problem: pulp.LpProblem, matrix: CoverageMatrix, rows: np.ndarray,
                  y: list[pulp.LpVariable], weights: np.ndarray,
                  ) -> dict[int, pulp.LpVariable]:
    """Splittable assignment ``z_ij`` with ``z_ij <= y_j`` and ``sum w_i z_ij <= C_j y_j``."""
    z: dict[int, pulp.LpVariable] = {}
    capacity = _capacities(matrix)
    load: dict[int, list[Any]] = {}
    for k in rows:
        i, j = int(matrix.demand_index[k]), int(matrix.candidate_index[k])
        z[k] = problem.add_variable(f"z_{k}", lowBound=0, upBound=1)
        problem += z[k] <= y[j]
        load.setdefault(j, []).append(weights[i] * z[k])
    for j, terms in load.items():
        if np.isfinite(capacity[j]):
            problem += pulp.lpSum(terms) <= capacity[j] * y[j]
    return z


def _finish(model: str, matrix: CoverageMatrix, solved: _Solved, y_open: np.ndarray,
            existing: np.ndarray, objective: float, warnings: list[str],
            uncovered: pd.DataFrame | None = None) -> SitingResult:
    ids = matrix.candidates.table["candidate_id"].to_numpy()
    assignment = _assignment(matrix, y_open)
    total = float(assignment["population"].sum())
    covered = float(assignment.loc[assignment["covered"], "population"].sum())
    return SitingResult(
        model=model, selected_new=[str(x) for x in ids[y_open & ~existing]],
        selected_existing=[str(x) for x in ids[y_open & existing]], objective=objective,
        population_total=total, population_covered=covered,
        covered_share=covered / total if total > 0 else float("nan"),
        assignment=assignment, solve_time_s=solved.seconds, status=solved.status,
        gap_rel=solved.gap_rel, gap_source=solved.gap_source,
        uncovered=uncovered if uncovered is not None else pd.DataFrame(),
        warnings=list(matrix.warnings) + warnings)


def _open_mask(y: list[pulp.LpVariable], values: dict[str, float],
               existing: np.ndarray) -> np.ndarray:
    """Open sites; fixed ones count even when presolve left them out of the model."""
    return existing | np.array([values.get(v.name, 0.0) > 0.5 for v in y], dtype=bool)


def _site_vars(problem: pulp.LpProblem, matrix: CoverageMatrix,
               existing: np.ndarray) -> list[pulp.LpVariable]:
    return [problem.add_variable(f"y_{j}", lowBound=1 if existing[j] else 0, upBound=1,
                            cat=pulp.LpInteger) for j in range(matrix.shape[1])]


# ---------------------------------------------------------------------------------------
# Models


def _essential_rows(cover_sets: list[np.ndarray], existing_mask: np.ndarray
                    ) -> list[tuple[int, ...]]:
    """Covering rows that matter: drop empty ones, duplicates, those already met by a
    fixed site, and dominated ones (a row whose set contains another row's set is met
    whenever that one is). Same optimum, far smaller model: CBC's presolve does not
    find these on its own in time.
    """
    keys = {tuple(sorted(int(j) for j in members)) for members in cover_sets}
    rows = [k for k in keys if k and not existing_mask[list(k)].any()]
    if len(rows) < 2:
        return rows
    indptr = np.cumsum([0] + [len(k) for k in rows])
    indices = np.concatenate([np.asarray(k, dtype=np.int64) for k in rows])
    incidence = sp.csr_matrix((np.ones(len(indices), dtype=np.int32), indices, indptr),
                              shape=(len(rows), len(existing_mask)))
    sizes = np.diff(indptr)
    overlap = (incidence @ incidence.T).tocoo()
    # Row a is dominated by row b when b's whole set lies in a's, and b is smaller.
    contained = (overlap.data == sizes[overlap.col]) & (sizes[overlap.col] < sizes[overlap.row])
    dominated = np.zeros(len(rows), dtype=bool)
    dominated[overlap.row[contained]] = True
    return [k for k, drop in zip(rows, dominated, strict=True) if not drop]


def solve_lscp(matrix: CoverageMatrix, *, existing: Sequence[str] | None = None,
               uncoverable: str = "error", time_limit_s: float | None = 60.0,
               gap_rel: float | None = None, solver: Solver | None = None) -> SitingResult:
    """Fewest new sites so that every demand point is within the cutoff of an open site.

    A demand point with no candidate within the cutoff makes the problem infeasible:
    ``uncoverable="error"`` (default) raises :class:`InfeasibleCoverageError` naming the
    points; ``"report"`` solves on the coverable demand and lists the rest in
    ``result.uncovered`` and the warnings.
    """
    if uncoverable not in ("error", "report"):
        raise SitingError("uncoverable doit valoir 'error' ou 'report'")
    existing_mask = _existing_mask(matrix, existing)
    cover_sets = matrix.candidates_of_demand()
    cutoff = f"{matrix.cutoff_min:g} min"
    none_within = np.array([len(s) == 0 for s in cover_sets], dtype=bool)
    uncovered = matrix.demand.loc[none_within, ["demand_id", "label", "population"]].copy()
    uncovered["raison"] = f"aucun site candidat à moins de {cutoff}"
    warnings: list[str] = []
    if none_within.any():
        listed = "; ".join(f"{row.label} ({_fmt_pop(cast(float, row.population))} hab.)"
                           for row in uncovered.head(15).itertuples())
        more = f" (et {len(uncovered) - 15} autres)" if len(uncovered) > 15 else ""
        text = (f"couverture complète impossible en {cutoff} : {len(uncovered)} point(s) "
                f"de demande ({_fmt_pop(uncovered['population'].sum())} hab.) n'ont aucun "
                f"site candidat à moins de {cutoff} : {listed}{more}")
        if uncoverable == "error":
            raise InfeasibleCoverageError(
                text + ". Ajouter des candidats plus proches, allonger le seuil, ou "
                "résoudre sur la demande couvrable avec uncoverable='report'.", uncovered)
        warnings.append(text + " ; résolu sur la demande couvrable.")
    capacity = _capacities(matrix)
    capacitated = bool(np.isfinite(capacity).any())
    problem = pulp.LpProblem("lscp", pulp.LpMinimize)
    y = _site_vars(problem, matrix, existing_mask)
    problem += pulp.lpSum(y[j] for j in np.flatnonzero(~existing_mask))
    weights = matrix.demand["population"].to_numpy(dtype=float)
    if capacitated:
        z = _add_capacity(problem, matrix, np.arange(len(matrix.demand_index)), y, weights)
        per_demand: dict[int, list[pulp.LpVariable]] = {}
        for k, var in z.items():
            per_demand.setdefault(int(matrix.demand_index[k]), []).append(var)
        for terms in per_demand.values():
            problem += pulp.lpSum(terms) == 1
    else:
        # Dominated columns are not removed: on the benchmark it made CBC slower
        # (60 s without proof against 40 s to the optimum).
        for key in _essential_rows(cover_sets, existing_mask):
            problem += pulp.lpSum(y[j] for j in key) >= 1
    solved = _solve(problem, y, time_limit_s, gap_rel, solver)
    open_mask = _open_mask(y, solved.values, existing_mask)
    return _finish("LSCP", matrix, solved, open_mask, existing_mask,
                   float(open_mask[~existing_mask].sum()), warnings, uncovered)


def _check_count(name: str, count: int, existing_mask: np.ndarray) -> None:
    available = int((~existing_mask).sum())
    if count < 0:
        raise SitingError(f"{name} doit être >= 0 (reçu {count})")
    if count > available:
        raise SitingError(f"{name} = {count} nouveaux sites demandés, mais seulement "
                          f"{available} site(s) candidat(s) non encore ouverts")


def solve_mclp(matrix: CoverageMatrix, k_new: int, *, existing: Sequence[str] | None = None,
               time_limit_s: float | None = 60.0,
               gap_rel: float | None = None, solver: Solver | None = None) -> SitingResult:
    """``k_new`` new sites (existing ones kept) covering the most population within cutoff."""
    existing_mask = _existing_mask(matrix, existing)
    _check_count("k", k_new, existing_mask)
    weights = matrix.demand["population"].to_numpy(dtype=float)
    problem = pulp.LpProblem("mclp", pulp.LpMaximize)
    y = _site_vars(problem, matrix, existing_mask)
    problem += pulp.lpSum(y[j] for j in np.flatnonzero(~existing_mask)) == k_new
    if np.isfinite(_capacities(matrix)).any():
        z = _add_capacity(problem, matrix, np.arange(len(matrix.demand_index)), y, weights)
        per_demand: dict[int, list[pulp.LpVariable]] = {}
        for k, var in z.items():
            per_demand.setdefault(int(matrix.demand_index[k]), []).append(var)
        for terms in per_demand.values():
            problem += pulp.lpSum(terms) <= 1
        problem += pulp.lpSum(weights[int(matrix.demand_index[k])] * var
                              for k, var in z.items())
    else:
        # Demand points with the same covering set share one variable (weights summed).
        groups: dict[tuple[int, ...], float] = {}
        fixed_covered = 0.0
        for i, members in enumerate(matrix.candidates_of_demand()):
            key = tuple(sorted(int(j) for j in members))
            if not key:
                continue
            if existing_mask[list(key)].any():
                fixed_covered += weights[i]
                continue
            groups[key] = groups.get(key, 0.0) + weights[i]
        covered_terms = []
        for g, (key, weight) in enumerate(groups.items()):
            if weight <= 0:
                continue
            c = problem.add_variable(f"c_{g}", lowBound=0, upBound=1)
            problem += c <= pulp.lpSum(y[j] for j in key)
            covered_terms.append(weight * c)
        problem += pulp.lpSum(covered_terms) + fixed_covered
    solved = _solve(problem, y, time_limit_s, gap_rel, solver)
    open_mask = _open_mask(y, solved.values, existing_mask)
    result = _finish("MCLP", matrix, solved, open_mask, existing_mask, 0.0, [])
    result.objective = result.population_covered if not np.isfinite(
        _capacities(matrix)).any() else solved.objective
    return result


def solve_pmedian(matrix: CoverageMatrix, p: int, *, existing: Sequence[str] | None = None,
                  unreachable_penalty_min: float | None = None,
                  time_limit_s: float | None = 60.0,
                  gap_rel: float | None = None, solver: Solver | None = None) -> SitingResult:
    """``p`` new sites (existing kept) minimising population-weighted time to the nearest.

    Pairs beyond the cutoff are not enumerated; a demand point may be left unserved at
    ``unreachable_penalty_min`` per inhabitant (default 10 × cutoff), which is the same as
    giving every pair beyond the cutoff that large finite time. Objective: inhabitant-minutes.
    """
    existing_mask = _existing_mask(matrix, existing)
    _check_count("p", p, existing_mask)
    if p == 0 and not existing_mask.any():
        raise SitingError("p = 0 et aucun site existant : rien à évaluer")
    penalty = (10.0 * matrix.cutoff_min if unreachable_penalty_min is None
               else float(unreachable_penalty_min))
    if not penalty > matrix.cutoff_min:
        raise SitingError("la pénalité d'inaccessibilité doit dépasser le seuil de temps")
    weights = matrix.demand["population"].to_numpy(dtype=float)
    problem = pulp.LpProblem("p_median", pulp.LpMinimize)
    y = _site_vars(problem, matrix, existing_mask)
    problem += pulp.lpSum(y[j] for j in np.flatnonzero(~existing_mask)) == p
    z = _add_capacity(problem, matrix, np.arange(len(matrix.demand_index)), y, weights)
    per_demand: dict[int, list[pulp.LpVariable]] = {}
    for k, var in z.items():
        per_demand.setdefault(int(matrix.demand_index[k]), []).append(var)
    unserved = [problem.add_variable(f"u_{i}", lowBound=0, upBound=1)
                for i in range(matrix.shape[0])]
    for i in range(matrix.shape[0]):
        problem += pulp.lpSum(per_demand.get(i, [])) + unserved[i] == 1
    problem += (pulp.lpSum(weights[int(matrix.demand_index[k])] * matrix.time_min[k] * var
                           for k, var in z.items())
                + pulp.lpSum(weights[i] * penalty * unserved[i]
                             for i in range(matrix.shape[0])))
    solved = _solve(problem, y, time_limit_s, gap_rel, solver)
    open_mask = _open_mask(y, solved.values, existing_mask)
    left = [i for i in range(matrix.shape[0]) if solved.values.get(unserved[i].name, 0) > 1e-6]
    warnings = []
    if left:
        labels = ", ".join(matrix.demand["label"].iloc[left[:10]])
        warnings.append(f"{len(left)} point(s) de demande sans site ouvert à moins de "
                        f"{matrix.cutoff_min:g} min, comptés à {penalty:g} min par habitant "
                        f"dans l'objectif : {labels}")
    return _finish("p-médiane", matrix, solved, open_mask, existing_mask,
                   solved.objective, warnings)
