"""Cost of the runaway-quote guard in the CSV reader, as a ratio to the bare csv module.

Why this exists: the shared reader (``inventory/_read.py``) now splits the text into
physical lines and feeds them to the csv module so that a quote left open rejects its
line and reading resumes on the next one (issue 10). Files up to FAST_PATH_BYTES (20 MB)
go through it, so it must stay close to the plain ``csv.reader(StringIO(text))`` it
replaced (kept here as the baseline). Both read the same synthetic partner file (one
multi-line quoted address per 50 rows, as the ANCT list has) in the same process; the
target is a ratio <= 1.5.

    .venv/bin/python benchmarks/bench_read_csv.py --rows 200000
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from proximite.inventory._read import read_csv_table

HEADER = "service_id,category,name,lon,lat,address,opening_hours\n"
TARGET_RATIO = 1.5


def synthetic_text(rows: int) -> str:
    lines = [HEADER]
    for i in range(rows):
        address = f'"{i} rue du Lot\nbâtiment B"' if i % 50 == 0 else f"{i} rue du Lot"
        lines.append(f"s{i},la_poste,Bureau {i},3.{i % 1000:03d},44.{i % 997:03d},{address},"
                     "Mo-Fr 09:00-12:00\n")
    return "".join(lines)


def previous_reader(path: Path) -> pd.DataFrame:
    """The reader before the guard (333e9c1): one csv pass over the text, rows to a frame."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows, lines = [], []
    start = reader.line_num + 1
    for row in reader:
        if not any(cell.strip() for cell in row):
            start = reader.line_num + 1
            continue
        if len(row) == len(header):
            rows.append(row)
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame["_line"] = np.asarray(lines, dtype=int)
    return frame


def best_of(repeat: int, function, *args) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    text = synthetic_text(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "partner.csv"
        path.write_text(text, encoding="utf-8")
        table = read_csv_table(path, ["category", "name", "lon", "lat"])
        assert len(table.frame) == args.rows and not table.rejected
        assert previous_reader(path)["_line"].tolist() == table.frame["_line"].tolist()
        ours = best_of(args.repeat, read_csv_table, path, ["category", "name", "lon", "lat"])
        baseline = best_of(args.repeat, previous_reader, path)
    ratio = ours / baseline
    print(f"{args.rows} rows ({len(text) / 1e6:.1f} MB): read_csv_table {ours:.3f} s, "
          f"previous reader {baseline:.3f} s, ratio {ratio:.2f} (target <= {TARGET_RATIO})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
