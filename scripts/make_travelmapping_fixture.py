"""Build tests/data/travelmapping/lozere_mini.tar.gz from the shared Travel Mapping archive.

A few real routes around Mende (Lozère), in the archive's own layout: the N88 through Mende and the
D-roads of fraoccd48 that share a waypoint with it (junctions), their lines of
``hwy_data/_systems/*.csv`` and of ``systems.csv``. Run from the repository root:

    python scripts/make_travelmapping_fixture.py [SHARED_ARCHIVE]
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path

SHARED = Path("../shared/data/roads/travelmapping/travelmapping_FRA_hwy_data.tar.gz")
OUT = Path("tests/data/travelmapping/lozere_mini.tar.gz")
SPINE = "hwy_data/FRA-OCC/fran/fraocc.n088men.wpt"
D48 = "hwy_data/FRA-OCC/fraoccd48/"
MAX_D_ROADS = 6
COORD = re.compile(rb"lat=([-0-9.]+)&lon=([-0-9.]+)")


def main(source: Path) -> None:
    files: dict[str, bytes] = {}
    with tarfile.open(source) as archive:
        for member in archive:
            name = member.name.removeprefix("./")
            if member.isfile() and (name == "systems.csv" or name.startswith(
                    ("hwy_data/_systems/fran.csv", "hwy_data/_systems/fraoccd48.csv", SPINE, D48))):
                handle = archive.extractfile(member)
                assert handle is not None
                files[name] = handle.read()
    spine = set(COORD.findall(files[SPINE]))
    crossing = sorted(name for name, content in files.items()
                      if name.startswith(D48) and spine & set(COORD.findall(content)))
    keep = {SPINE, *crossing[:MAX_D_ROADS]}
    roots = {Path(name).stem for name in keep}
    out: dict[str, bytes] = {name: files[name] for name in keep}
    for system in ("fran", "fraoccd48"):
        lines = files[f"hwy_data/_systems/{system}.csv"].decode("utf-8-sig").splitlines()
        rows = [lines[0]] + [line for line in lines[1:] if line.split(";")[6] in roots]
        out[f"hwy_data/_systems/{system}.csv"] = ("\n".join(rows) + "\n").encode()
    lines = files["systems.csv"].decode("utf-8-sig").splitlines()
    out["systems.csv"] = ("\n".join([lines[0]] + [line for line in lines[1:]
                                                  if line.split(";")[0] in ("fran", "fraoccd48")])
                          + "\n").encode()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(OUT, "w:gz") as archive:
        for name in sorted(out):
            info = tarfile.TarInfo(name)
            info.size = len(out[name])
            info.mtime = 0
            archive.addfile(info, io.BytesIO(out[name]))
    print(f"{OUT}: {len(keep)} routes: " + ", ".join(sorted(roots)))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED)
