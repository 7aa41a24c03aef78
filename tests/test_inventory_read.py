"""The reading helpers shared by the importers (inventory/_read.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from proximite.inventory._read import read_located_rows, reject_by_value


def test_read_located_rows_is_the_whole_importer_preamble(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("id;lon;lat\n"
                    "a;3.5;44.5\n"
                    "b;3.6\n"  # line 3: one field short
                    "c;3,7;95\n"  # line 4: latitude out of range
                    "d;3,8;44.8\n", encoding="utf-8")
    rows = read_located_rows(path, ["id", "lon", "lat"], optional=["phone"], lon="lon", lat="lat")
    assert list(rows.frame["phone"]) == ["", "", ""]  # added, empty
    assert list(rows.lines) == [2, 4, 5]
    assert list(rows.ok) == [True, False, True]
    # the reader's rejections first, then the coordinates', each at its line and field
    assert [(r.line, r.field, r.value, r.reason) for r in rows.rejected] == [
        (3, None, "b;3.6", "3 champs attendus, 2 trouvés"),
        (4, "lat", "95", "latitude hors de [-90 ; 90]"),
    ]
    services = rows.services(service_id="p:" + rows.frame["id"], category="pharmacie")
    assert list(services["source_file"]) == [str(path)] * 3
    assert list(services["source_line"]) == ["2", "4", "5"]
    result = rows.result(services, bbox=(3.0, 44.0, 3.7, 45.0))
    assert list(result.services["service_id"]) == ["p:a"]  # c: bad latitude, d: off the box
    assert result.rejected == rows.rejected


def test_reject_by_value_groups_in_order_of_first_line() -> None:
    values = pd.Series(["B", "A", "B", "B", "A", "B", "B", "B"])
    lines = pd.Series([9, 3, 2, 20, 4, 11, 12, 30])
    grouped = reject_by_value("f.csv", "code", values, lines, "code inconnu", examples=3)
    assert [(r.line, r.value, r.rows, r.example_lines, r.reason) for r in grouped] == [
        (2, "B", 6, (2, 9, 11), "code inconnu : 6 lignes (premières lignes 2, 9, 11)"),
        (3, "A", 2, (3, 4), "code inconnu : 2 lignes (lignes 3, 4)"),
    ]
    assert reject_by_value("f.csv", "code", values[:0], lines[:0], "code inconnu") == []
