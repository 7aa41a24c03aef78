"""Write ``data/reference/chefs_lieux.csv``: the préfecture and sous-préfectures of every
département, for the place names of the report's maps.

Read from the npm package ``@etalab/decoupage-administratif`` (``make install`` puts it in
``node_modules``): ``departements.json`` (``chefLieu``: the préfecture) and
``arrondissements.json`` (``chefLieu`` of each arrondissement: a sous-préfecture, or the
préfecture for the arrondissement that holds it).

    python scripts/make_chefs_lieux.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
TARGET = ROOT / "src" / "proximite" / "data" / "reference" / "chefs_lieux.csv"


def main() -> None:
    departements = json.loads((SOURCE / "departements.json").read_text(encoding="utf-8"))
    arrondissements = json.loads((SOURCE / "arrondissements.json").read_text(encoding="utf-8"))
    prefectures = {d["chefLieu"] for d in departements if d.get("chefLieu")}
    rows = [(d["chefLieu"], "prefecture", d["code"]) for d in departements if d.get("chefLieu")]
    rows += [(a["chefLieu"], "sous_prefecture", a["departement"]) for a in arrondissements
             if a.get("chefLieu") and a["chefLieu"] not in prefectures]
    with TARGET.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code_insee", "role", "departement"])
        writer.writerows(sorted(set(rows)))
    print(f"{TARGET}: {len(rows)} rows")


if __name__ == "__main__":
    main()
