"""Write the former-commune translation table shipped with Proximité.

Reads the npm package @etalab/decoupage-administratif (package.json devDependency,
installed by `npm ci`) and writes `src/proximite/data/reference/communes_anciens_codes.csv`:
one row per former commune code (``ancien_code``) with the current commune that absorbed it
(``code``): the ``anciensCodes`` of current communes, and the chef-lieu of communes
déléguées / associées and of municipal arrondissements. Codes that are current communes
themselves are left out (they need no translation).

    python scripts/make_commune_codes.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "node_modules" / "@etalab" / "decoupage-administratif"
OUT = ROOT / "src" / "proximite" / "data" / "reference" / "communes_anciens_codes.csv"


def main() -> None:
    version = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    communes = json.loads((PACKAGE / "data" / "communes.json").read_text(encoding="utf-8"))
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    pairs: dict[str, str] = {}
    for commune in communes:
        if commune["type"] == "commune-actuelle":
            for old in commune.get("anciensCodes", []):
                pairs.setdefault(old, commune["code"])
        else:
            parent = commune.get("chefLieu") or commune.get("commune")
            if parent in current:
                pairs.setdefault(commune["code"], parent)
    rows = sorted((old, new) for old, new in pairs.items() if old not in current)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["ancien_code", "code"])
        writer.writerows(rows)
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} former codes "
          f"(@etalab/decoupage-administratif {version})")


if __name__ == "__main__":
    main()
