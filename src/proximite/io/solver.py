"""CBC with its log kept: the log is written to a temporary folder and read back, so the
siting models (:mod:`proximite.planning.siting`, which never touch a file) can report the
optimality gap CBC proved rather than a looser one from the LP relaxation."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from warnings import catch_warnings, simplefilter

import pulp

from proximite.planning.siting import SolverReport

_CBC_FLOAT = r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"


def read_cbc_report(text: str) -> SolverReport:
    """Result line, objective and gap (from the best bound, else as printed) of CBC's log."""
    result = re.search(r"Result - (.+)", text)
    objective = re.search(r"Objective value:\s+" + _CBC_FLOAT, text)
    bound = re.search(r"Lower bound:\s+" + _CBC_FLOAT, text)
    gap = re.search(r"Gap:\s+" + _CBC_FLOAT, text)
    # Recomputed from objective and bound when both are printed: CBC rounds its "Gap"
    # to 2 decimals and prints it negative for maximisation (PuLP negates the objective).
    gap_value = abs(float(gap.group(1))) if gap else None
    if bound and objective:
        obj, low = float(objective.group(1)), float(bound.group(1))
        gap_value = abs(obj - low) / max(abs(obj), 1e-9)
    return SolverReport(result.group(1).strip() if result else None,
                        float(objective.group(1)) if objective else None, gap_value)


def cbc_with_log(problem: pulp.LpProblem, time_limit_s: float | None,
                 gap_rel: float | None) -> SolverReport:
    """PuLP's bundled CBC (a :data:`~proximite.planning.siting.Solver`), its log read."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "cbc.log"
        with catch_warnings():  # PuLP 3.3 deprecates the bundled-CBC class name
            simplefilter("ignore", DeprecationWarning)
            problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s,
                                            gapRel=gap_rel, logPath=str(log_path)))
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
    return read_cbc_report(log)
