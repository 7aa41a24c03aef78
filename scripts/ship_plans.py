"""Copy the four action plans of ``shared/data/plans/`` into the package, unchanged.

They are the plans a clone of the repository can follow with no ``shared/`` folder
(``proximite copil --plan allier-sdaasp-2018-2023``). Each copy is checked with the
project's own reader (:func:`proximite.io.plans.read_plan`) before it is kept, and
``src/proximite/data/plans/PROVENANCE.md`` lists the files with their SHA-256.

    python scripts/ship_plans.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

from proximite.io.plans import read_plan

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "proximite" / "data" / "plans"
PLANS = ("allier_sdaasp_2018_2023.yaml", "allier_plan_numerique_2019_2021.yaml",
         "cantal_sdaasp_2018_2023.yaml", "lozere_sdaasp_2016_2022.yaml")
HEADER = """# Action plans shipped with Proximité

Copied unchanged from the project's shared data folder (`shared/data/plans/`, whose README
describes the schema, the extraction and what it could not recover: 27 of the 29 Allier
review levels of 10 July 2019 were colours lost in the PDF conversion and are absent) by
`scripts/ship_plans.py`, which loads each copy with `proximite.io.plans.read_plan`.

Sources (plain-text conversions of published documents): Préfecture et Département de
l'Allier, instance de pilotage du SDAASP du 10 juillet 2019 and compte rendu du comité de
pilotage du 22 juin 2018; Conseil départemental de l'Allier, Plan numérique Allier
2019-2021; État et Conseil départemental du Cantal, SDAASP 2018-2023 (17 avril 2018); État
et Conseil départemental de la Lozère, SDAASP 2016-2022 (synthèse). Public administrative
documents (Code des relations entre le public et l'administration, art. L300-1 and L321-1:
re-use free, citing the source); the YAML structuring is the project's, AGPL-3.0-or-later
like the code.

| file | plan id | items | SHA-256 |
|---|---|---|---|
"""


def main(shared: Path) -> None:
    rows = []
    for name in PLANS:
        target = TARGET / name
        shutil.copyfile(shared / "plans" / name, target)
        plan = read_plan(target)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        rows.append(f"| `{name}` | `{plan.id}` | {len(plan.items)} | `{digest}` |")
    (TARGET / "PROVENANCE.md").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    default = next((p for p in (ROOT.parent / "shared" / "data",
                                ROOT.parent.parent / "shared" / "data") if p.is_dir()),
                   ROOT.parent / "shared" / "data")
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
