"""Time the test suite of this checkout against the suite of an older commit (issue 9).

Each suite runs with its own checkout's test command: the pytest command of the ``test``
target of that commit's Makefile (here ``PYTHONDONTWRITEBYTECODE=
scripts/with_postgres.sh .venv/bin/python -m pytest -q -n auto --dist loadfile
--no-loadscope-reorder``; at 333e9c1 ``.venv/bin/python -m pytest -q``), in its own
virtual environment, under the environment the script was started with. The older
commit is checked out in a temporary git worktree and installed there with its own
``make install`` (PyPI and npm, as a developer would), then removed. Both suites run one
after the other on the same machine, so the ratio compares them under the same
conditions; run it on an idle machine (the suites use every core).

Printed: each suite's wall time (the whole command, and pytest's own "in N s"), its
test count, and the ratio now / baseline.

Run: ``.venv/bin/python benchmarks/bench_test_suite.py [--baseline 333e9c1]``
(``--baseline-command`` / ``--command`` override a command; ``--rounds 2`` alternates
the suites twice; ``--keep`` leaves the worktree in place; ``--baseline-checkout DIR``
uses an already installed checkout of the baseline instead; extra arguments after ``--``
go to both pytest commands, e.g. ``-- tests/test_indicators.py`` for a quick check of
the script itself; ``--common`` runs, in both checkouts, only the tests whose node id
both have: the same tests then and now).
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = "333e9c1"  # the commit before issue 9's work
SUMMARY = re.compile(r"(\d+) passed.*? in ([\d.]+)s")


@dataclass
class Timing:
    label: str
    command: str
    wall_s: float
    pytest_s: float | None
    passed: int | None
    returncode: int


def makefile_test_command(makefile: str) -> str:
    """The pytest command of the Makefile's ``test`` recipe (its continuation lines
    joined), ``$(BIN)`` spelled out."""
    lines = makefile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("test:"))
    commands: list[str] = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        if commands and commands[-1].endswith("\\"):
            commands[-1] = commands[-1][:-1].rstrip() + " " + line.strip()
        else:
            commands.append(line.strip())
    for command in commands:
        if "pytest" in command:
            return command.replace("$(BIN)", ".venv/bin")
    raise SystemExit("no pytest line in the Makefile's test target")


def collected_ids(checkout: Path) -> list[str]:
    """The node ids that ``pytest --collect-only`` finds in ``checkout`` (its own venv)."""
    done = subprocess.run([".venv/bin/python", "-m", "pytest", "--collect-only", "-q"],
                          cwd=checkout, capture_output=True, text=True, check=True)
    return [line.strip() for line in done.stdout.splitlines() if "::" in line]


def run_suite(label: str, checkout: Path, command: str, extra: list[str]) -> Timing:
    full = command + "".join(f" {shlex.quote(arg)}" for arg in extra)
    shown = full if len(extra) < 20 else f"{command} + {len(extra)} arguments"
    print(f"[{label}] {checkout}: {shown}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(full, shell=True, cwd=checkout, capture_output=True, text=True)
    wall_s = time.perf_counter() - start
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    found = SUMMARY.search(tail[0])
    print(f"[{label}] {tail[0]}", flush=True)
    return Timing(label, full, wall_s, float(found.group(2)) if found else None,
                  int(found.group(1)) if found else None, done.returncode)


def install_baseline(commit: str, where: Path) -> Path:
    """``commit`` checked out in a detached worktree under ``where``, with its own venv."""
    checkout = where / f"baseline-{commit}"
    subprocess.run(["git", "worktree", "add", "--detach", str(checkout), commit], cwd=ROOT,
                   check=True, capture_output=True)
    print(f"[baseline] make install in {checkout} (its own .venv)", flush=True)
    subprocess.run(["make", "install", f"PYTHON={sys.executable}"], cwd=checkout, check=True)
    return checkout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="older commit")
    parser.add_argument("--command", help="this checkout's test command")
    parser.add_argument("--baseline-command", help="the older commit's test command")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each suite")
    parser.add_argument("--keep", action="store_true", help="keep the baseline worktree")
    parser.add_argument("--baseline-checkout", type=Path,
                        help="an installed checkout of the baseline (no worktree, no install)")
    parser.add_argument("--common", action="store_true",
                        help="run only the tests whose node id both checkouts have")
    parser.add_argument("pytest_args", nargs="*", help="after --: given to both commands")
    args = parser.parse_args()

    command = args.command or makefile_test_command((ROOT / "Makefile").read_text())
    where: Path | None = None  # the temporary worktree's folder, when this run makes one
    if args.baseline_checkout is not None:
        checkout = args.baseline_checkout
    else:
        where = Path(tempfile.mkdtemp(prefix="proximite-bench-suite-"))
        checkout = install_baseline(args.baseline, where)
    try:
        baseline_command = args.baseline_command or makefile_test_command(
            (checkout / "Makefile").read_text())
        extra = list(args.pytest_args)
        if args.common:
            old_ids = set(collected_ids(checkout))
            common = [node for node in collected_ids(ROOT) if node in old_ids]
            print(f"[common] {len(common)} tests of the {len(old_ids)} of the baseline have "
                  "the same node id here", flush=True)
            extra += common
        runs: list[tuple[Timing, Timing]] = []
        for _ in range(args.rounds):
            old = run_suite(f"baseline {args.baseline}", checkout, baseline_command, extra)
            new = run_suite("now", ROOT, command, extra)
            runs.append((old, new))
    finally:
        if not args.keep and where is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT,
                           check=False, capture_output=True)
            shutil.rmtree(where, ignore_errors=True)

    print()
    for old, new in runs:
        for timing in (old, new):
            print(f"{timing.label:<20} wall {timing.wall_s:7.1f} s, pytest "
                  f"{timing.pytest_s if timing.pytest_s is not None else float('nan'):7.1f} s, "
                  f"{timing.passed} passed, exit {timing.returncode}")
        ratio = new.wall_s / old.wall_s
        pytest_ratio = (new.pytest_s / old.pytest_s if new.pytest_s and old.pytest_s
                        else float("nan"))
        print(f"ratio now / baseline: wall {ratio:.3f}, pytest {pytest_ratio:.3f} "
              f"({'faster' if ratio < 1 else 'NOT faster'})")
    if any(t.returncode != 0 for pair in runs for t in pair):
        raise SystemExit("a suite failed: its time is not comparable")


if __name__ == "__main__":
    main()
