"""The fast CSV writer gives pandas' ``to_csv(index=False)`` bytes, on hand-made edge cases
and on random tables (pandas itself is the oracle)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from proximite.io import csv_writer
from proximite.io.csv_writer import write_csv


def _same_as_pandas(frame: pd.DataFrame, folder: Path) -> str:
    ours, theirs = folder / "ours.csv", folder / "pandas.csv"
    write_csv(frame, ours)
    frame.to_csv(theirs, index=False)
    assert ours.read_bytes() == theirs.read_bytes()
    return ours.read_text(encoding="utf-8")


def test_edge_cases_hand_checked(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "temps (min)": [12.0, 0.5, 1e-05, 123456789012.5, np.nan, -0.0, np.inf, 0.0001],
        "n": np.arange(8, dtype=np.int64),
        "ok": [True, False, True, True, False, False, True, True],
        "texte": ["a,b", 'dit "oui"', "deux\nlignes", "", None, "Île-d'Houat", "é", " x"],
        "objet": pd.Series([1.5, np.nan, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], dtype=object),
    })
    assert csv_writer._text_columns(frame) is not None  # the fast path, not pandas
    text = _same_as_pandas(frame, tmp_path)
    assert text.splitlines()[:3] == ["temps (min),n,ok,texte,objet", '12.0,0,True,"a,b",1.5',
                                     '0.5,1,False,"dit ""oui""",']
    assert "1e-05,2,True," in text and "123456789012.5,3,True,,3.0" in text
    assert "\n,4,False,,4.0\n-0.0,5,False,Île-d'Houat,5.0\ninf,6,True,é,6.0\n" in text


def test_other_tables_are_left_to_pandas(tmp_path: Path) -> None:
    _same_as_pandas(pd.DataFrame({"seul": ["", "a"]}), tmp_path)  # a lone empty field
    carriage_return = pd.DataFrame({"a": ["x\ry", "z"], "b": [1, 2]})
    assert csv_writer._text_columns(carriage_return) is None
    _same_as_pandas(carriage_return, tmp_path)
    _same_as_pandas(pd.DataFrame({"a": pd.Series([1, "x"], dtype=object), "b": [1.0, 2.0]}),
                    tmp_path)
    _same_as_pandas(pd.DataFrame({"d": pd.to_datetime(["2024-01-01", None]), "b": [1, 2]}),
                    tmp_path)
    _same_as_pandas(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}),
                    tmp_path)


floats = hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(allow_nan=True,
                                                                          allow_infinity=True))


@settings(max_examples=60, deadline=None)
@given(values=floats, texts=st.lists(st.text(alphabet=st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\r")), min_size=1, max_size=30))
def test_random_tables_match_pandas(tmp_path_factory: object, values: np.ndarray,
                                    texts: list[str]) -> None:
    n = min(len(values), len(texts))
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = np.round(values[:n], 1)
    frame = pd.DataFrame({"x": values[:n], "t": texts[:n], "r": rounded,
                          "i": np.arange(n) * 7 - 3})
    assert csv_writer._text_columns(frame) is not None
    folder = tmp_path_factory.mktemp("csv")  # type: ignore[attr-defined]
    _same_as_pandas(frame, folder)
