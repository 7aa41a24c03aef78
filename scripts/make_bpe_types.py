"""Write data/bundles/<dep>/bpe2013_types_<dep>.csv: BPE 2013 counts of every equipment type.

The service poles (Cerema method) count how many of a gamme's equipment types a commune
has, which needs every type of the BPE, not only those the catalogue times. The shared
``reference/bpe_communes/bpe2013.xlsx`` (INSEE BPE 2013 per commune, 181 labelled columns,
via JGravier/postdoc_services_publics, Licence Ouverte) is read with the project's own
reader (:func:`proximite.inventory.bpe_communes.read_wide_table`, labels translated to the
2013 TYPEQU codes by ``data/reference/bpe2013_equipements.csv``) and each département's
non-zero cells are written in INSEE's long layout ``DEPCOM;TYPEQU;NB_EQUIP`` (2013 commune
codes, as in the source; the reader translates former communes).

    python scripts/make_bpe_types.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from proximite.inventory.bpe_communes import (
    BPE2013_CODE_COLUMN,
    bpe2013_labels,
    read_wide_table,
)

ROOT = Path(__file__).resolve().parents[1]
DEPARTEMENTS = ("48", "15", "03")


def main(shared: Path) -> None:
    wide = read_wide_table(shared / "reference" / "bpe_communes" / "bpe2013.xlsx")
    labels = bpe2013_labels()
    columns = [c for c in wide.columns if c in labels]
    long = wide.melt(id_vars=[BPE2013_CODE_COLUMN], value_vars=columns, var_name="label",
                     value_name="n")
    long["n"] = pd.to_numeric(long["n"], errors="coerce").fillna(0).astype(int)
    long = long[long["n"] > 0]
    long = pd.DataFrame({"DEPCOM": long[BPE2013_CODE_COLUMN].str.strip().str.zfill(5),
                         "TYPEQU": long["label"].map(labels), "NB_EQUIP": long["n"]})
    for dep in DEPARTEMENTS:
        part = long[long["DEPCOM"].str.startswith(dep)].sort_values(["DEPCOM", "TYPEQU"])
        part = part.groupby(["DEPCOM", "TYPEQU"], as_index=False)["NB_EQUIP"].sum()
        target = ROOT / "src" / "proximite" / "data" / "bundles" / dep / f"bpe2013_types_{dep}.csv"
        part.to_csv(target, sep=";", index=False)
        print(f"{target.relative_to(ROOT)}: {len(part)} rows, {part['DEPCOM'].nunique()} "
              f"communes, {part['NB_EQUIP'].sum()} equipments")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data"))
