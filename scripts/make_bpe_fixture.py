"""Write tests/data/inventory/bpe_sample_48.csv: a SYNTHETIC BPE extract in the official layout.

The real INSEE BPE is not in the shared data, so the importer is tested on rows built here:
each row sits at a real Lozère town hall (communes_48.geojson, ``mairie_lon/mairie_lat``)
converted to Lambert-93 with pyproj, plus a small fixed pseudo-random offset (< 300 m), with
TYPEQU codes the catalogue maps, 2 unknown codes (Z998, Z999) and 1 non-geolocated row.

    python scripts/make_bpe_fixture.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from pyproj import Transformer

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "tests" / "data" / "inventory" / "bpe_sample_48.csv"
COLUMNS = ["AN", "REG", "DEP", "DEPCOM", "DCIRIS", "TYPEQU", "LAMBERT_X", "LAMBERT_Y",
           "QUALITE_XY", "EPSG"]
# commune code -> equipment codes placed near its town hall
PLAN: dict[str, list[str]] = {
    "48095": ["D201", "D201", "D307", "D307", "B203", "C104", "A206", "B316", "D106", "C201",
              "A122", "D302", "E107"],  # Mende
    "48092": ["D201", "D307", "B203", "A206", "B316", "C104", "D221"],  # Marvejols
    "48080": ["D201", "D307", "A206", "B316", "C104"],  # Langogne
    "48140": ["D201", "B203", "A208", "D232"],  # Saint-Chély-d'Apcher
    "48061": ["A208", "C104", "B204"],  # Florac Trois Rivières
    "48088": ["A207", "D233"],  # La Malène
    "48030": ["A208", "B201"],  # Brenoux
    "48001": ["C104"],  # Albaret-le-Comtal
}
UNKNOWN = [("48095", "Z999"), ("48092", "Z999"), ("48080", "Z998")]
NOT_GEOLOCATED = ("48140", "D307")


def main(shared: Path) -> None:
    communes = json.loads((shared / "territories" / "48" / "communes_48.geojson")
                          .read_text(encoding="utf-8"))
    halls = {f["properties"]["code_insee"]: (f["properties"]["mairie_lon"],
                                             f["properties"]["mairie_lat"])
             for f in communes["features"]}
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    rng = random.Random(48)
    rows: list[list[str]] = []

    def row(depcom: str, typequ: str, geolocated: bool = True) -> list[str]:
        if not geolocated:
            return ["2021", "76", "48", depcom, depcom + "0000", typequ, "", "",
                    "Non géolocalisé", ""]
        x, y = to_l93.transform(*halls[depcom])
        x += rng.uniform(-300, 300)
        y += rng.uniform(-300, 300)
        return ["2021", "76", "48", depcom, depcom + "0000", typequ, f"{x:.2f}", f"{y:.2f}",
                "Bonne", "2154"]

    for depcom, codes in PLAN.items():
        rows.extend(row(depcom, code) for code in codes)
    rows.extend(row(depcom, code) for depcom, code in UNKNOWN)
    rows.append(row(*NOT_GEOLOCATED, geolocated=False))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(COLUMNS)] + [";".join(r) for r in rows]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(rows)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data"))
