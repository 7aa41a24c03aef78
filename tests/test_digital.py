"""Digital infrastructure indicators: fibre deployment class and 4G sites near town halls."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer

from proximite.errors import InputError
from proximite.inventory.digital import (
    digital_indicators,
    fibre_share,
    sites_4g_near,
)
from proximite.io.arcep import read_ftth, read_mobile_sites

DATA = Path(__file__).parent / "data"
FTTH = DATA / "arcep_ftth_2018" / "ftthCommunes_sample.csv"
SITES = DATA / "mobile_sites_2018" / "sites_mobiles_2018_sample_L93.csv"
TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def test_ftth_latest_quarter_read_after_the_title_lines() -> None:
    ftth, quarter = read_ftth(FTTH)
    assert quarter == "T1 2018"
    mende = ftth.set_index("code_insee").loc["48095"]
    assert (mende["ftth_locaux_raccordables"], mende["ftth_classe"]) == (1683, 10)
    assert sorted(ftth["code_insee"]) == ["48001", "48061", "48095", "48099"]


def test_fibre_share_bounds_from_the_class() -> None:
    ftth = pd.DataFrame({"code_insee": ["a", "b", "c", "d"],
                         "ftth_locaux_raccordables": [0, 120, 1683, 9000],
                         "ftth_classe": [0, 5, 10, 7]})
    share = fibre_share(ftth).set_index("code_insee")
    assert share.loc["a", ["ftth_part_min_pct", "ftth_part_max_pct"]].tolist() == [0, 0]
    assert share.loc["b", ["ftth_part_min_pct", "ftth_part_max_pct"]].tolist() == [0, 10]
    assert share.loc["c", ["ftth_part_min_pct", "ftth_part_max_pct"]].tolist() == [10, 25]
    assert share.loc["d", ["ftth_part_min_pct", "ftth_part_max_pct"]].isna().all()  # unknown


def test_ftth_file_without_header_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ftth.csv"
    path.write_text("Réseaux en fibre,,\n48095,Locaux Raccordables,12\n", encoding="utf-8")
    with pytest.raises(InputError, match="aucune ligne d'en-tête commençant par « Code commune »"):
        read_ftth(path)


def test_mobile_sites_read_with_operator_names() -> None:
    sites, rejected = read_mobile_sites(SITES)
    raw = pd.read_csv(SITES, sep=";", dtype=str)
    assert len(sites) == len(raw) and not rejected
    assert set(sites["operator"]) <= {"orange", "sfr", "free", "bouygues"}
    assert int(sites["has_4g"].sum()) == int((raw["4G"] == "1").sum())


def test_site_without_coordinates_is_a_rejection(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text("Operateur;x;y;2G;3G;4G\n20801;728000;6376000;1;1;1\n"
                    "20815;#N/A;#N/A;0;1;0\n", encoding="utf-8")
    sites, rejected = read_mobile_sites(path)
    assert sites["operator"].tolist() == ["orange"]
    assert [r.message() for r in rejected] == [
        f"{path}:3: champ « x/y » : coordonnée non numérique (mètres Lambert-93 attendus) "
        "[#N/A #N/A]"]


def test_4g_sites_within_the_radius_hand_placed() -> None:
    """Sites placed 3 km and 6 km east of a town hall (Lambert-93): a 5 km radius sees one."""
    lon, lat = 3.5, 44.5
    x, y = TO_L93.transform(lon, lat)
    sites = pd.DataFrame({
        "operator": ["orange", "orange", "sfr", "free", "bouygues"],
        "x_m": [x + 3000, x + 6000, x, x - 4999, x],
        "y_m": [y, y, y + 5001, y, y],
        "has_2g": True, "has_3g": True,
        "has_4g": [True, True, True, True, False],
    })
    halls = pd.DataFrame({"code_insee": ["48095"], "lon": [lon], "lat": [lat]})
    near = sites_4g_near(halls, sites, radius_m=5000).iloc[0]
    assert (near["sites_4g_orange"], near["sites_4g_sfr"], near["sites_4g_free"],
            near["sites_4g_bouygues"], near["operateurs_4g"]) == (1, 0, 1, 0, 2)
    wide = sites_4g_near(halls, sites, radius_m=7000).iloc[0]
    assert (wide["sites_4g_orange"], wide["sites_4g_sfr"], wide["operateurs_4g"]) == (2, 1, 3)
    with pytest.raises(InputError, match="rayon de 0 m"):
        sites_4g_near(halls, sites, radius_m=0)


def test_digital_indicators_one_row_per_commune() -> None:
    ftth, quarter = read_ftth(FTTH)
    sites, _ = read_mobile_sites(SITES)
    x, y = sites.loc[sites["has_4g"], ["x_m", "y_m"]].iloc[0]
    lon, lat = TO_WGS84.transform(x, y)
    halls = pd.DataFrame({"code_insee": ["48095", "48999"], "nom": ["Mende", "Nulle part"],
                          "lon": [lon, 0.0], "lat": [lat, 45.0]})
    table = digital_indicators(halls, ftth, sites, quarter=quarter, radius_m=1000)
    assert table["code_insee"].tolist() == ["48095", "48999"]
    mende, nowhere = table.iloc[0], table.iloc[1]
    assert mende["ftth_trimestre"] == "T1 2018" and mende["ftth_locaux_raccordables"] == 1683
    assert mende["operateurs_4g"] >= 1  # a site sits on this "town hall"
    assert pd.isna(nowhere["ftth_locaux_raccordables"])  # not in the file: unknown, not 0
    assert nowhere["operateurs_4g"] == 0 and table["rayon_4g_m"].eq(1000).all()


def test_digital_csv_written_with_its_columns(tmp_path: Path) -> None:
    from proximite.outputs import write_digital

    ftth, quarter = read_ftth(FTTH)
    halls = pd.DataFrame({"code_insee": ["48095"], "nom": ["Mende"], "lon": [3.5],
                          "lat": [44.52]})
    path = write_digital(digital_indicators(halls, ftth, read_mobile_sites(SITES)[0],
                                            quarter=quarter), tmp_path)
    back = pd.read_csv(path, dtype={"code_insee": str})
    assert path.name == "digital.csv"
    assert list(back.columns) == [
        "code_insee", "nom", "ftth_trimestre", "ftth_locaux_raccordables",
        "ftth_part_min_pct", "ftth_part_max_pct", "sites_4g_orange", "sites_4g_sfr",
        "sites_4g_free", "sites_4g_bouygues", "operateurs_4g", "rayon_4g_m"]
    assert back.loc[0, "ftth_part_min_pct"] == 10 and back.loc[0, "ftth_part_max_pct"] == 25
