"""Cut ARCEP's fibre and mobile-site files for the shipped bundles (Lozère, Cantal, Allier).

A clone has no shared data: the digital axis of ``proximite diagnostic --departement 48``
(and of the demo) reads ``src/proximite/data/bundles/<dep>/digital/``. Both files keep their
source layout, cut with the project's own readers:

* ``ftthCommunes_<dep>.csv``: the title lines and header of ARCEP's ``ftthCommunes.csv``,
  then the rows of the communes of the bundle (both ``Champ`` rows, every quarter);
* ``sites_mobiles_2018_<dep>_L93.csv``: the antenna rows of the national file within the
  bundle's extent plus :data:`MARGIN_M` (a town hall near the border counts the sites
  across it), same ``;`` layout.

``digital.yaml`` names the files, their producer, licence and date, and what was cut.

    python scripts/build_digital_bundles.py [SHARED_DATA_DIR] [DEP ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml
from pyproj import Transformer

from proximite.bundles import TerritoryBundle
from proximite.inventory._read import decode_text, read_bytes
from proximite.inventory.digital import (
    FTTH_HEADER_START,
    LAMBERT93,
)
from proximite.io.arcep import read_ftth, read_mobile_sites

ROOT = Path(__file__).resolve().parents[1]
FTTH = Path("digital/arcep_ftth_2018/ftthCommunes.csv")
SITES = Path("digital/mobile_sites_2018/"
             "2018_01_Sites_mobiles_2G_3G_4G_France_metropolitaine_L93.csv")
MARGIN_M = 25_000.0
"""Extent margin: the 4G radius (5 km by default) with room for a larger setting."""
PROVENANCE = [
    {"dataset": "Déploiement de la fibre (FttH) par commune, T3 2017 à T1 2018",
     "producer": "ARCEP, observatoire HD/THD (via NJacq/laravel)",
     "licence": "Licence Ouverte", "date": "2018-03"},
    {"dataset": "Sites mobiles 2G/3G/4G par opérateur (Lambert-93)",
     "producer": "ARCEP / ANFR (via Volodymyr-tech/network-cov-france)",
     "licence": "Licence Ouverte", "date": "2018-01"},
]


def cut_ftth(source: Path, codes: set[str], target: Path) -> int:
    """Title lines, header and the rows of ``codes``; the number of communes kept."""
    text, _ = decode_text(read_bytes(source))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(FTTH_HEADER_START))
    kept = [line for line in lines[start + 1:] if line.split(",", 1)[0] in codes]
    target.write_text("\n".join([*lines[:start + 1], *kept]) + "\n", encoding="utf-8")
    table, _ = read_ftth(target)  # the project's reader must read the cut back
    return len(table)


def cut_sites(source: Path, bounds: tuple[float, float, float, float], target: Path) -> int:
    """The header and the rows within the Lambert-93 ``bounds``; the number kept."""
    sites, _ = read_mobile_sites(source)
    lines = source.read_text(encoding="utf-8").splitlines()
    x = np.array([float(v) if _number(v) else np.nan
                  for v in (line.split(";")[1] for line in lines[1:])])
    y = np.array([float(v) if _number(v) else np.nan
                  for v in (line.split(";")[2] for line in lines[1:])])
    west, south, east, north = bounds
    inside = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    kept = [line for line, keep in zip(lines[1:], inside, strict=True) if keep]
    target.write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
    read_back, rejected = read_mobile_sites(target)
    assert len(read_back) == len(kept) and not rejected and len(sites) >= len(kept)
    return len(kept)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def build(shared: Path, departement: str) -> None:
    bundle = TerritoryBundle.find(departement)
    if bundle is None:
        raise SystemExit(f"no shipped bundle for {departement}")
    territory = bundle.territory()
    codes = set(territory.communes["code_insee"].astype(str))
    to_l93 = Transformer.from_crs("EPSG:4326", LAMBERT93, always_xy=True)
    west, south, east, north = territory.communes.total_bounds
    xs, ys = to_l93.transform([west, east, west, east], [south, south, north, north])
    bounds = (min(xs) - MARGIN_M, min(ys) - MARGIN_M, max(xs) + MARGIN_M, max(ys) + MARGIN_M)
    folder = bundle.directory / "digital"
    folder.mkdir(exist_ok=True)
    ftth_name = f"ftthCommunes_{bundle.departement}.csv"
    sites_name = f"sites_mobiles_2018_{bundle.departement}_L93.csv"
    n_communes = cut_ftth(shared / FTTH, codes, folder / ftth_name)
    n_sites = cut_sites(shared / SITES, bounds, folder / sites_name)
    manifest = {
        "ftth": ftth_name, "mobile_sites": sites_name,
        "built_from": [str(FTTH), str(SITES)],
        "notes": [f"fibre : {n_communes} communes sur {len(codes)} dans le fichier ARCEP",
                  f"sites mobiles : {n_sites} lignes (site × opérateur) dans l'emprise du "
                  f"territoire élargie de {MARGIN_M / 1000:g} km"],
        "provenance": PROVENANCE,
    }
    (folder / "digital.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True,
                                                        sort_keys=False), encoding="utf-8")
    print(f"{departement}: {n_communes} communes, {n_sites} sites")


def main(argv: list[str]) -> None:
    shared = Path(argv[0]) if argv else ROOT.parent.parent / "shared" / "data"
    for departement in argv[1:] or ["48", "15", "03"]:
        build(shared, departement)


if __name__ == "__main__":
    main(sys.argv[1:])
