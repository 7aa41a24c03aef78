"""Computation modules never touch a file: their readers and writers live in
:mod:`proximite.io` (and the importers). import-linter keeps them off ``proximite.io``;
this scan keeps them from opening files themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "proximite"
COMPUTATION = sorted([*(SRC / "analysis").glob("*.py"), *(SRC / "planning").glob("*.py"),
                      SRC / "access.py", SRC / "indicators.py"])
# Left, with its reason: the published figures are package data read once
# (importlib.resources), not user files. (The poles' tables are read in io.reference.)
EXEMPT = {"analysis/comparison.py"}

FILE_CALLS = frozenset({
    "open", "read_csv", "read_excel", "read_parquet", "read_file", "read_text",
    "read_bytes", "to_csv", "to_excel", "to_parquet", "to_file", "write_text",
    "write_bytes", "savefig", "mkdir", "unlink", "rmtree", "TemporaryDirectory",
    "NamedTemporaryFile", "mkdtemp", "read_text_frame",
})
FILE_MODULES = frozenset({"tempfile", "shutil", "pyogrio", "openpyxl", "proximite.textio"})


def file_io(source: str) -> list[str]:
    """Lines of ``source`` that open, read or write a file (calls and imports)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in FILE_CALLS:
                found.append((node.lineno, f"{name}()"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names])
            found += [(node.lineno, f"import {n}") for n in names if n in FILE_MODULES]
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_the_scan_finds_file_io() -> None:
    assert file_io("import tempfile\nframe.to_csv(path)\nwith open(p) as f:\n    pass\n"
                   "from proximite.textio import read_text_frame\n") == [
        "1: import tempfile", "2: to_csv()", "3: open()", "5: import proximite.textio"]
    assert file_io("table.to_dict('records')\nlen(frame)\n") == []


@pytest.mark.parametrize("path", COMPUTATION, ids=lambda p: str(p.relative_to(SRC)))
def test_computation_module_does_no_file_io(path: Path) -> None:
    name = str(path.relative_to(SRC))
    if name in EXEMPT:
        pytest.skip("exempt: " + name)
    assert file_io(path.read_text(encoding="utf-8")) == [], name
