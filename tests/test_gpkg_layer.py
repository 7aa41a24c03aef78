"""GeoPackage layers written through Arrow read back as written; a column Arrow cannot
type still gets written (feature by feature)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from proximite.saved import write_layer


def test_arrow_layer_reads_back_and_mixed_columns_still_write(tmp_path: Path) -> None:
    gpkg = tmp_path / "t.gpkg"
    points = gpd.GeoDataFrame(
        {"code": ["48095", "15096"], "travel_time_min": pd.Series([12.5, np.nan], dtype=object),
         "n": [3, 4]},
        geometry=[shapely.Point(3.5, 44.5), shapely.Point(2.56, 45.0)], crs="EPSG:4326")
    write_layer(points, gpkg, "points")
    mixed = pd.DataFrame({"value": pd.Series(["a", 1], dtype=object), "k": [1, 2]})
    write_layer(mixed, gpkg, "mixed")  # Arrow refuses texts mixed with numbers
    back = pyogrio.read_dataframe(gpkg, layer="points")
    assert back["code"].tolist() == ["48095", "15096"] and back["n"].tolist() == [3, 4]
    assert back["travel_time_min"].iloc[0] == 12.5 and np.isnan(back["travel_time_min"].iloc[1])
    assert back.geometry.iloc[1].equals(shapely.Point(2.56, 45.0))
    assert pyogrio.read_dataframe(gpkg, layer="mixed")["value"].tolist() == ["a", "1"]
