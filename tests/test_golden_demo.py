"""The stand-in demo's figures are those of commit 333e9c1 (before the issue 9 refactor).

``tests/data/golden_demo_standin`` holds the four CSV tables written then by
``proximite diagnostic``; the demo rerun on the same stand-in network must write
byte-identical files. A refactor that changes one figure, one row order or one column
fails here.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from proximite.model import AnalysisResult, DiagnosticResult
from proximite.outputs import write_outputs

GOLDEN = Path(__file__).parent / "data" / "golden_demo_standin"
TABLES = ("access_times", "indicators", "profiles", "deficits")


@pytest.fixture(scope="module")
def written(demo_result: DiagnosticResult, demo_analysis: AnalysisResult,
            tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden")
    write_outputs(demo_result, out, report=False, analysis=demo_analysis)
    return out


@pytest.mark.parametrize("table", TABLES)
def test_demo_table_is_identical_to_the_golden_one(written: Path, table: str) -> None:
    expected = gzip.decompress((GOLDEN / f"{table}.csv.gz").read_bytes())
    actual = (written / f"{table}.csv").read_bytes()
    assert actual.count(b"\n") == expected.count(b"\n"), "row count differs"
    if actual != expected:
        first = next(i for i, (a, b) in enumerate(zip(actual.splitlines(),
                                                      expected.splitlines(), strict=False))
                     if a != b)
        pytest.fail(f"{table}.csv differs from the golden file at line {first + 1}:\n"
                    f"  now:    {actual.splitlines()[first][:200]!r}\n"
                    f"  golden: {expected.splitlines()[first][:200]!r}")


def test_golden_check_catches_one_changed_figure(written: Path, tmp_path: Path) -> None:
    """The comparison is not vacuous: one travel time moved by 0.01 min is seen."""
    expected = gzip.decompress((GOLDEN / "access_times.csv.gz").read_bytes())
    lines = expected.splitlines()
    header = lines[0].split(b",")
    column = header.index(b"travel_time_min")
    row = next(i for i, line in enumerate(lines[1:], 1) if line.split(b",")[column])
    cells = lines[row].split(b",")
    cells[column] = str(float(cells[column]) + 0.01).encode()
    lines[row] = b",".join(cells)
    assert b"\n".join(lines) + b"\n" != expected
    assert (written / "access_times.csv").read_bytes() == expected
