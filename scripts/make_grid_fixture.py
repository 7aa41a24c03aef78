"""Write tests/data/origins/filosofi_200m_sample_48.csv: a SYNTHETIC INSEE population grid.

INSEE's Filosofi *données carroyées* are not in the shared data, so the grid reader is
tested on squares built here, in the official CSV layout (a subset of its columns,
lower-case names of the 2019 release): for two real Lozère communes
(``communes_48.geojson`` of the demo bundle: Saint-Chély-d'Apcher, a small town, and Cans
et Cévennes, scattered hamlets), every 200 m square of the EPSG:3035 INSPIRE grid whose
centre is in the commune is a candidate; the squares within 600 m of the town hall form
the bourg (80 % of the legal population), and 6 fixed pseudo-random squares elsewhere
are hamlets (20 %). Populations sum exactly to the commune's legal population.

    python scripts/make_grid_fixture.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parents[1]
COMMUNES = ROOT / "src" / "proximite" / "data" / "demo" / "48" / "communes_48.geojson"
TARGET = ROOT / "tests" / "data" / "origins" / "filosofi_200m_sample_48.csv"
PICKED = ("48140", "48166")
SIZE_M = 200
BOURG_RADIUS_M = 600.0
BOURG_SHARE = 0.8
HAMLETS = 6
SEED = 20261123
COLUMNS = ["idcar_200m", "i_est_200", "idcar_1km", "i_est_1km", "idcar_nat", "lcog_geo",
           "ind", "men", "ind_65_79", "ind_80p"]


def square_id(east: int, north: int, size: int) -> str:
    return f"CRS3035RES{size}mN{north}E{east}"


def main() -> None:
    communes = gpd.read_file(COMMUNES)
    communes = communes[communes["code_insee"].isin(PICKED)]
    metric = communes.to_crs(3035)
    to_laea = Transformer.from_crs(4326, 3035, always_xy=True)
    rng = random.Random(SEED)
    rows = []
    for (_, commune), polygon in zip(communes.iterrows(), metric.geometry, strict=True):
        mx, my = to_laea.transform(commune["mairie_lon"], commune["mairie_lat"])
        xmin, ymin, xmax, ymax = polygon.bounds
        easts = np.arange(int(xmin) // SIZE_M * SIZE_M, xmax, SIZE_M, dtype=int)
        norths = np.arange(int(ymin) // SIZE_M * SIZE_M, ymax, SIZE_M, dtype=int)
        corners = [(e, n) for n in norths for e in easts]
        centres = shapely.points([(e + SIZE_M / 2, n + SIZE_M / 2) for e, n in corners])
        inside = [c for c, point in zip(corners, centres, strict=True)
                  if polygon.contains(point)]
        near = [c for c in inside
                if np.hypot(c[0] + SIZE_M / 2 - mx, c[1] + SIZE_M / 2 - my) <= BOURG_RADIUS_M]
        far = [c for c in inside if c not in near]
        hamlets = rng.sample(far, HAMLETS)
        population = float(commune["population"])
        shares = ([BOURG_SHARE / len(near)] * len(near)
                  + [(1 - BOURG_SHARE) / HAMLETS] * HAMLETS)
        values = [round(population * share, 1) for share in shares]
        values[-1] = round(population - sum(values[:-1]), 1)
        for (east, north), value in zip(near + hamlets, values, strict=True):
            km_e, km_n = east // 1000 * 1000, north // 1000 * 1000
            rows.append({
                "idcar_200m": square_id(east, north, SIZE_M), "i_est_200": "0",
                "idcar_1km": square_id(km_e, km_n, 1000), "i_est_1km": "0",
                "idcar_nat": square_id(km_e // 2000 * 2000, km_n // 2000 * 2000, 2000),
                "lcog_geo": commune["code_insee"], "ind": f"{value:.1f}",
                "men": f"{value / 2.1:.1f}", "ind_65_79": f"{value * 0.18:.1f}",
                "ind_80p": f"{value * 0.09:.1f}"})
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with TARGET.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{TARGET.relative_to(ROOT)}: {len(rows)} squares")


if __name__ == "__main__":
    main()
