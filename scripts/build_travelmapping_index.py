"""Build the parsed index shipped next to the Travel Mapping archive.

``src/proximite/data/roads/travelmapping_FRA_hwy_data.tar.gz.index.npz`` holds the
archive's waypoints as parsed by :func:`proximite.network.travelmapping.read_travelmapping`
(the project's own reader), keyed by the archive's SHA-256: building a département's
network then reads ~2 MB of arrays instead of parsing 40,000 files. Re-run it whenever
the archive changes (a stale index is ignored, never used). From the repository root::

    .venv/bin/python scripts/build_travelmapping_index.py [ARCHIVE]
"""

from __future__ import annotations

import sys
from pathlib import Path

from proximite.network.calibration_io import SHIPPED_ARCHIVE
from proximite.network.travelmapping import index_path, read_travelmapping, write_index


def main(archive: Path) -> None:
    index = index_path(archive)
    data = read_travelmapping(archive, use_index=False)
    write_index(data, archive)
    print(f"{index}: {len(data.lon)} waypoints, {len(data.routes)} routes, "
          f"{index.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED_ARCHIVE)
