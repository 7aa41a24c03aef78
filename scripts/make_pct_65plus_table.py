"""Write the share of people aged 65+ per commune (INSEE RP 2020) as a compact package table.

The source is INSEE's statistiques-locales export ``urbasante_mixite_generationelle.xlsx``
(shared data, ``reference/``), 1.4 MB with three indicators per commune, département and
région. Proximité needs one: ``pct_65plus`` per commune, for every territory (the
vulnerability score of the deficit zones, the report). This keeps the commune rows and that
column, verbatim, as ``code_insee,pct_65plus`` (gzip, ~150 kB). INSEE's "N/A" texts
(division by zero in the depopulated villages of the Meuse, Mayotte not available) become
empty values, so a reader can tell "no figure" from a figure.

    python scripts/make_pct_65plus_table.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "proximite" / "data" / "reference" / "insee_rp2020_pct_65plus.csv.gz"
SOURCE = Path("reference") / "urbasante_mixite_generationelle.xlsx"
COLUMN = "Part des pers. âgées de 65 ans ou + 2020"


def main(shared: Path) -> None:
    source = shared / SOURCE
    table = pd.read_excel(source, sheet_name="Data", dtype={"code_insee": str})
    communes = table[table["scale"] == "Commune"]
    values = pd.to_numeric(communes[COLUMN], errors="coerce")  # "N/A - ..." -> empty
    out = pd.DataFrame({"code_insee": communes["code_insee"].str.strip(),
                        "pct_65plus": values})
    if out["code_insee"].duplicated().any():
        raise SystemExit(f"{source}: duplicate commune codes")
    text = out.sort_values("code_insee").to_csv(index=False, float_format="%g")
    # mtime=0: the same source gives the same bytes (reproducible package data)
    TARGET.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    print(f"{TARGET.relative_to(ROOT)}: {len(out)} communes, {int(values.isna().sum())} "
          f"without a figure; source sha256 "
          f"{hashlib.sha256(source.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent.parent / "shared" / "data")
