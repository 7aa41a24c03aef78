"""The digital axis per commune: hand-computed ranks, and the Lozère demo writes it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer
from typer.testing import CliRunner

from proximite.analysis.digital import digital_summary, digital_table, nearest_help
from proximite.cli import app
from proximite.model import DiagnosticResult, DigitalParams
from proximite.outputs import access_mode_layers
from proximite.report.access_modes import digital_section, itinerant_section
from proximite.report.formatting import fmt_number
from proximite.report.render import render_block

TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
HALLS = {"48001": (3.0, 44.5), "48002": (3.3, 44.5), "48003": (3.6, 44.5)}


def communes() -> pd.DataFrame:
    return pd.DataFrame({
        "code_insee": list(HALLS), "nom": ["A", "B", "C"],
        "population": [100.0, 200.0, 400.0], "pct_65plus": [20.0, 30.0, 25.0],
        "origin_lon": [p[0] for p in HALLS.values()],
        "origin_lat": [p[1] for p in HALLS.values()]})


def sites() -> pd.DataFrame:
    """No 4G site near A; two operators 1 km from B; all four 2 km from C (and one 3G-only
    site at A, which does not count)."""
    rows = []
    for code, operators in (("48002", ["orange", "sfr"]),
                            ("48003", ["orange", "sfr", "free", "bouygues"])):
        x, y = TO_L93.transform(*HALLS[code])
        rows += [{"operator": op, "x_m": x + 1000.0, "y_m": y, "has_2g": True,
                  "has_3g": True, "has_4g": True} for op in operators]
    x, y = TO_L93.transform(*HALLS["48001"])
    rows.append({"operator": "orange", "x_m": x, "y_m": y, "has_2g": True, "has_3g": True,
                 "has_4g": False})
    return pd.DataFrame(rows)


def help_times() -> pd.DataFrame:
    return pd.DataFrame({"code_insee": list(HALLS), "aide_temps_min": [5.0, 10.0, 20.0],
                         "aide_lieu_id": ["h1", "h1", "h2"], "aide_lieu": ["x", "x", "y"],
                         "aide_heures_semaine": [30.0, 30.0, 3.0]})


def test_fragility_index_by_hand() -> None:
    ftth = pd.DataFrame({"code_insee": list(HALLS), "ftth_locaux_raccordables": [0, 50, 900],
                         "ftth_classe": [0, 10, 80]})
    table = digital_table(communes(), ftth, "T1 2018", sites(), help_times(),
                          DigitalParams()).set_index("code_insee")
    assert table["operateurs_4g"].tolist() == [0, 2, 4]
    # fibre middles 0, 17.5, 90 % -> ranks (less fibre is more fragile) 1, 2/3, 1/3
    assert table["fragilite_fibre"].tolist() == pytest.approx([1.0, 0.667, 0.333])
    assert table["fragilite_mobile"].tolist() == pytest.approx([1.0, 0.667, 0.333])
    assert table["fragilite_aide"].tolist() == pytest.approx([0.333, 0.667, 1.0])
    assert table["fragilite_age"].tolist() == pytest.approx([0.333, 1.0, 0.667])
    # means: A (1 + 1 + 1/3 + 1/3) / 4, B (2/3 * 3 + 1) / 4, C (1/3 + 1/3 + 1 + 2/3) / 4
    assert table["indice_fragilite_numerique"].tolist() == [66.7, 75.0, 58.3]
    # the 0.75 quantile of 58.3, 66.7, 75.0 is 70.85: only B is among the most fragile
    assert table["parmi_les_plus_fragiles"].tolist() == [False, True, False]
    assert table["population_65plus"].tolist() == [20.0, 60.0, 100.0]
    summary = digital_summary(table.reset_index())
    assert summary["seuil_indice"] == 75.0
    assert summary["population_fragile"] == 200.0
    assert summary["population_65plus_fragile"] == 60.0
    assert summary["population_sans_4g"] == 100.0
    assert summary["population_sans_fibre"] == 100.0  # class 0: none connectable


def test_a_missing_dimension_is_left_out_not_zero() -> None:
    table = digital_table(communes(), None, "", sites(), help_times(), DigitalParams())
    assert "ftth_part_min_pct" not in table.columns
    assert (table["indice_dimensions"] == 3).all()
    # A: mobile 1, help 1/3, age 1/3 -> 5/9
    assert table["indice_fragilite_numerique"].iloc[0] == pytest.approx(55.6)


def test_radius_is_a_setting() -> None:
    table = digital_table(communes(), None, "", sites(), help_times(),
                          DigitalParams(radius_m=500.0))
    assert (table["operateurs_4g"] == 0).all() and (table["rayon_4g_m"] == 500.0).all()


def test_nearest_help_place_and_its_weekly_hours() -> None:
    access = pd.DataFrame({"origin_id": ["48001", "48002"],
                           "category": "accompagnement_numerique", "target_kind": "category",
                           "travel_time_min": [4.0, float("nan")],
                           "status": ["ok", "unreachable"],
                           "nearest_service_id": ["fs:1", ""]})
    origins = pd.DataFrame({"origin_id": ["48001", "48002"], "code_insee": ["48001", "48002"],
                            "population": [10.0, 20.0]})
    services = pd.DataFrame({"service_id": ["fs:1"], "name": ["France services A"],
                             "opening_hours": ["Mo-Fr 09:00-12:00"]})
    help_ = nearest_help(access, services, origins, "accompagnement_numerique")
    a, b = help_.set_index("code_insee").loc[["48001", "48002"]].to_dict("records")
    assert (a["aide_temps_min"], a["aide_lieu"]) == (4.0, "France services A")
    assert a["aide_heures_semaine"] == pytest.approx(15.0, abs=0.1)  # 261 weekdays x 3 h
    assert pd.isna(b["aide_temps_min"]) and b["aide_lieu_id"] == ""


@pytest.fixture(scope="module")
def lozere(real_demo_result: DiagnosticResult) -> DiagnosticResult:
    return real_demo_result  # the real demo (conftest): Lozère's bundle with its ARCEP cut


def test_the_lozere_demo_has_its_digital_table(lozere: DiagnosticResult) -> None:
    result = lozere
    digital = result.digital.set_index("code_insee")
    assert len(digital) == 152 and digital["indice_dimensions"].eq(4).all()
    mende = digital.loc["48095"]
    # ARCEP T1 2018: 1,683 premises connectable in Mende, class 10 (10 to 25 %)
    assert (mende["ftth_locaux_raccordables"], mende["ftth_part_min_pct"],
            mende["ftth_part_max_pct"]) == (1683, 10.0, 25.0)
    # counted by hand in the national file (Lambert-93 distance to Mende's town hall):
    # within 5 km, Orange has 3 sites with 4G, Free 2, SFR and Bouygues only 2G/3G ones
    assert (mende["sites_4g_orange"], mende["sites_4g_free"], mende["sites_4g_sfr"],
            mende["sites_4g_bouygues"], mende["operateurs_4g"]) == (3, 2, 0, 0, 2)
    assert mende["aide_temps_min"] < 2
    assert "digital" in access_mode_layers(result)
    assert any(p["dataset"].startswith("Sites mobiles") for p in result.provenance)


def test_report_sections_say_what_the_tables_hold(lozere: DiagnosticResult) -> None:
    html = render_block(digital_section(lozere))
    fragile = lozere.digital[lozere.digital["parmi_les_plus_fragiles"]]
    assert "classe ARCEP, T1 2018" in html and "à moins de 5 km de la mairie" in html
    assert f"{len(fragile)} communes parmi les plus fragiles" in html
    assert fmt_number(fragile["population"].sum()) + " habitants dont" in html
    assert 'id="table-numerique"' in html and "Carte de l&#39;indice" in html
    reach = render_block(itinerant_section(lozere))
    # the ANCT list gives the MSA bus by its Mende address only: listed, not timed
    assert "France services MSA itinérante de Lozère" in reach
    assert "ni un site ni un arrêt" in reach
    assert "Aucun service de l&#39;inventaire ne déclare d&#39;accès par téléphone" in reach


def test_a_bad_fibre_file_is_one_french_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "fibre.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    outcome = CliRunner().invoke(app, ["diagnostic", "--departement", "48", "--ftth", str(bad),
                                       "--out", str(tmp_path / "out"), "--no-analysis"])
    assert outcome.exit_code == 2
    assert "Traceback" not in outcome.output
    assert (f"{bad}: aucune ligne d'en-tête commençant par « Code commune »"
            in " ".join(outcome.output.split()))
    assert not (tmp_path / "out" / "digital.csv").exists()


def test_a_commune_missing_from_the_fibre_file_is_said(tmp_path: Path) -> None:
    from proximite.bundles import TerritoryBundle
    from proximite.pipeline import run_diagnostic

    bundle = TerritoryBundle.find("48")
    assert bundle is not None
    ftth, sites = bundle.digital_files()
    assert ftth is not None and sites is not None
    lines = ftth.read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "ftth.csv"  # Mende's two rows removed
    cut.write_text("\n".join(line for line in lines if not line.startswith("48095,")) + "\n",
                   encoding="utf-8")
    result = run_diagnostic(departement="48", ftth=cut, mobile_sites=sites)
    mende = result.digital.set_index("code_insee").loc["48095"]
    assert pd.isna(mende["ftth_part_min_pct"]) and mende["indice_dimensions"] == 3
    assert any(w.startswith("Fibre : 1 commune(s) du territoire absente(s)") and "Mende" in w
               for w in result.warnings)
