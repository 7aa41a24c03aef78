"""Calibration (recovers known speeds), reference matrix errors, and the distancier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.sparse.csgraph import dijkstra
from typer.testing import CliRunner

from proximite.cli import app
from proximite.errors import InputError
from proximite.network.calibration import Reference, calibrate, fit_figures
from proximite.network.calibration_io import (
    DEFAULT_CALIBRATION,
    ISERE_POINTS,
    ISERE_REFERENCE,
    load_travelmapping,
    params_from_calibration,
    read_calibration,
    read_reference,
)
from proximite.network.snap import Snapper
from proximite.network.travelmapping import (
    TravelMappingParams,
    build_network,
    read_travelmapping,
)

FIXTURE = Path(__file__).parent / "data" / "travelmapping" / "lozere_mini.tar.gz"
runner = CliRunner()
TRUE = TravelMappingParams(nationale_speed_kmh=95.0, departementale_speed_kmh=55.0,
                           access_speed_kmh=20.0)


def _synthetic_reference(params: TravelMappingParams) -> tuple[Reference, np.ndarray]:
    """Town-hall-like points 400 m north of some nodes; times = network + both legs,
    computed with scipy Dijkstra on the graph of known parameters."""
    network = build_network(read_travelmapping(FIXTURE))
    graph = network.graph(params)
    nodes = np.linspace(0, graph.n_nodes - 1, 14).astype(int)
    lon, lat = graph.lon[nodes], graph.lat[nodes] + 400 / 111_320
    node, snap_m = Snapper(graph).snap(lon, lat)
    leg = snap_m / 1000 * params.access_detour_factor / params.access_speed_kmh * 60
    times = dijkstra(graph.matrix, indices=node)[:, node] + leg[:, None] + leg[None, :]
    np.fill_diagonal(times, 0.0)
    ids = np.array([f"P{i}" for i in range(len(nodes))])
    return Reference(ids, lon, lat, times, "synthétique"), snap_m


def test_calibration_recovers_known_speeds() -> None:
    reference, snap_m = _synthetic_reference(TRUE)
    assert 300 < np.median(snap_m) < 500  # the access legs are really exercised
    network = build_network(read_travelmapping(FIXTURE))
    result = calibrate(network, reference, TravelMappingParams())
    assert result.converged, result.message
    assert result.fitted_classes == ["nationale", "departementale"]
    assert result.params.speed_kmh["nationale"] == pytest.approx(95.0, rel=5e-3)
    assert result.params.speed_kmh["departementale"] == pytest.approx(55.0, rel=5e-3)
    assert result.params.access_speed_kmh == pytest.approx(20.0, rel=5e-3)
    assert result.params.speed_kmh["autoroute"] == 115.0  # no autoroute: not fitted
    assert result.fit.median_abs_error_min < 0.01
    assert result.uncalibrated.median_abs_error_min > 1.0  # defaults were really off
    assert result.fit.r2 > 0.9999


def test_calibration_not_converging_keeps_defaults(tmp_path: Path) -> None:
    reference, _ = _synthetic_reference(TRUE)
    network = build_network(read_travelmapping(FIXTURE))
    result = calibrate(network, reference, TravelMappingParams(), max_iterations=1,
                       tolerance=1e-15)
    assert not result.converged
    assert "bougent encore après 1 itérations" in result.message
    assert params_from_calibration({"converged": False, "parameters": {}}) == \
        (TravelMappingParams(), None)
    path = tmp_path / "cal.yaml"
    path.write_text(yaml.safe_dump({
        "format": "proximite-calibration/1", "converged": False,
        "parameters": {"speed_kmh": {"nationale": 10.0}}}), encoding="utf-8")
    graph = load_travelmapping(FIXTURE, calibration=path)
    assert "cal.yaml n'a pas convergé : valeurs par défaut gardées" in graph.warnings[-1]
    assert graph.metadata["speed_kmh"]["nationale"] == 80.0
    assert "non calibré" in graph.description


def test_fit_figures_hand_computed() -> None:
    model = np.array([10.0, 22.0, 27.0, 60.0])
    ref = np.array([12.0, 20.0, 30.0, 50.0])
    crow = np.array([5.0, 15.0, 15.0, 90.0])
    fig = fit_figures(model, ref, crow)
    assert fig.median_abs_error_min == pytest.approx(2.5)  # |−2, 2, −3, 10|
    assert fig.median_rel_error == pytest.approx((0.1 + 1 / 6) / 2)
    assert fig.r2 == pytest.approx(1 - 117 / 808)  # mean 28: 256 + 64 + 4 + 484
    assert [b["n_pairs"] for b in fig.bias_by_band] == [1, 2, 1]
    assert fig.bias_by_band[1]["median_error_min"] == pytest.approx(-0.5)


def test_shipped_calibration_is_the_isere_fit() -> None:
    content = read_calibration(DEFAULT_CALIBRATION)
    assert content["converged"] and content["n_points"] == 512
    fit, before = content["fit"], content["uncalibrated"]
    assert fit["n_pairs"] == 512 * 511
    assert fit["median_abs_error_min"] < before["median_abs_error_min"]
    assert fit["r2"] > before["r2"]


def test_calibrate_cli_on_a_small_reference(tmp_path: Path) -> None:
    reference, _ = _synthetic_reference(TRUE)
    matrix = pd.DataFrame(reference.time_min * 60, index=reference.ids, columns=reference.ids)
    matrix.index.name = "id"
    matrix.to_csv(tmp_path / "ref.csv")
    pd.DataFrame({"id": reference.ids, "lon": reference.lon, "lat": reference.lat}).to_csv(
        tmp_path / "points.csv", index=False)
    out = tmp_path / "cal.yaml"
    result = runner.invoke(app, ["calibrate", "--network", str(FIXTURE), "--reference",
                                 str(tmp_path / "ref.csv"), "--points",
                                 str(tmp_path / "points.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "écart absolu médian" in result.output
    assert "– et plus" not in result.output and " km" in result.output
    text = " ".join(result.output.split())
    assert ("Facteurs de longueur non ajustés : la référence ne donne que des temps" in text
            and "Les facteurs restent à 1,30 et les vitesses absorbent l'ajustement" in text)
    content = read_calibration(out)
    assert content["length_factors_fitted"] is False
    assert content["parameters"]["speed_kmh"]["nationale"] == pytest.approx(95.0, rel=5e-3)
    graph = load_travelmapping(FIXTURE, calibration=out)
    assert "calibré sur ref.csv" in graph.description
    assert "facteurs de longueur non ajustés (la référence ne donne que des temps" \
        in graph.description


# ------------------------------------------------------------- reference bad input


def _matrix(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_reads_isere() -> None:
    reference = read_reference(ISERE_REFERENCE, ISERE_POINTS)
    assert reference.time_min.shape == (512, 512)
    assert reference.time_min[0, 1] == pytest.approx(547 / 60)
    assert reference.ids[0] == "38539"


def test_reference_not_square(tmp_path: Path) -> None:
    path = _matrix(tmp_path, "id,38539,38320\n38539,0,547\n38320,538,0\n38295,1,2\n")
    with pytest.raises(InputError, match=r"m\.csv: matrice non carrée : 3 lignes pour 2 "
                                         r"colonnes"):
        read_reference(path, ISERE_POINTS)


def test_reference_rows_and_columns_differ(tmp_path: Path) -> None:
    path = _matrix(tmp_path, "id,38539,38320\n38539,0,547\n38295,538,0\n")
    with pytest.raises(InputError, match=r"m\.csv:3: la ligne 3 est '38295' mais la colonne 3 "
                                         r"est '38320'"):
        read_reference(path, ISERE_POINTS)


def test_reference_unknown_codes(tmp_path: Path) -> None:
    path = _matrix(tmp_path, "id,38539,99999\n38539,0,547\n99999,538,0\n")
    with pytest.raises(InputError, match=r"m\.csv:1: 1 identifiant\(s\) de la matrice sans "
                                         r"point dans isere\.geojson : 99999"):
        read_reference(path, ISERE_POINTS)


def test_reference_bad_value(tmp_path: Path) -> None:
    path = _matrix(tmp_path, "id,38539,38320\n38539,0,abc\n38320,538,0\n")
    with pytest.raises(InputError, match=r"m\.csv:2: champ « 38320 » : valeur 'abc' invalide"):
        read_reference(path, ISERE_POINTS)


# ------------------------------------------------------------------- distancier


def test_distancier_from_to(tmp_path: Path) -> None:
    network = build_network(read_travelmapping(FIXTURE))
    graph = network.graph(params_from_calibration(None)[0])
    picks = [3, 40, 80]
    pd.DataFrame({"id": ["a", "b", "c"], "lon": graph.lon[picks],
                  "lat": graph.lat[picks]}).to_csv(tmp_path / "from.csv", index=False)
    pd.DataFrame({"id": ["a", "z"], "lon": graph.lon[[3, 60]],
                  "lat": graph.lat[[3, 60]]}).to_csv(tmp_path / "to.csv", index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["distancier", "--from", str(tmp_path / "from.csv"), "--to",
                                 str(tmp_path / "to.csv"), "--network", str(FIXTURE),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    matrix = pd.read_csv(out / "distancier.csv", dtype={"from_id": str, "to_id": str})
    assert len(matrix) == 6
    parquet = pd.read_parquet(out / "distancier.parquet")
    assert parquet["travel_time_min"].tolist() == pytest.approx(
        matrix["travel_time_min"].tolist())
    cell = matrix.set_index(["from_id", "to_id"])
    assert cell.loc[("a", "a"), "travel_time_min"] == 0.0
    # points on nodes: no access leg; the shipped calibration's speeds
    calibrated = load_travelmapping(FIXTURE)
    expected = dijkstra(calibrated.matrix, indices=[40])[0, 60]
    assert cell.loc[("b", "z"), "travel_time_min"] == pytest.approx(expected, abs=0.01)
    # distance: straight km x 1.3 along the path, so above the crow-fly length
    assert cell.loc[("b", "z"), "distance_km"] > 0


def test_distancier_bad_points(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("id,lon,lat\na,3.5,44.5\nb,3.6\n", encoding="utf-8")
    result = runner.invoke(app, ["distancier", "--from", str(tmp_path / "p.csv"),
                                 "--network", str(FIXTURE), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "p.csv:3: champ « lat »" in result.output
    result = runner.invoke(app, ["distancier", "--network", str(FIXTURE)])
    assert result.exit_code == 2 and "--departement" in result.output


def test_distancier_departement_48(tmp_path: Path) -> None:
    out = tmp_path / "d48"
    result = runner.invoke(app, ["distancier", "--departement", "48", "--out", str(out)])
    assert result.exit_code == 0, result.output
    matrix = pd.read_parquet(out / "distancier.parquet")
    assert len(matrix) == 152 * 152
    assert (matrix["status"] == "ok").all()
    same = matrix["from_id"] == matrix["to_id"]
    assert (matrix.loc[same, "travel_time_min"] == 0).all()
    assert (matrix.loc[~same, "travel_time_min"] > 0).all()
    # undirected network, symmetric legs: the matrix is symmetric
    square = matrix.pivot(index="from_id", columns="to_id", values="travel_time_min")
    assert np.allclose(square.to_numpy(), square.to_numpy().T, atol=0.011)
    assert "calibré sur" in (out / "distancier_lisez-moi.txt").read_text(encoding="utf-8")


def test_settings_speeds_apply_without_calibration() -> None:
    params = TravelMappingParams(nationale_speed_kmh=100.0)
    graph = load_travelmapping(FIXTURE, params=params, use_calibration=False)
    assert graph.metadata["speed_kmh"]["nationale"] == 100.0
    assert "non calibré" in graph.description
    calibrated = load_travelmapping(FIXTURE, params=params)
    assert calibrated.metadata["speed_kmh"]["nationale"] == pytest.approx(66.3)


def test_settings_tree_holds_the_travelmapping_keys() -> None:
    from proximite.errors import SettingError
    from proximite.settings import leaves

    keys = {key for key, _, _ in leaves()}
    assert {"network.travelmapping.nationale_speed_kmh", "network.calibration",
            "network.use_calibration"} <= keys
    with pytest.raises(SettingError, match="access_detour_factor 0.5 : attendu un facteur"):
        TravelMappingParams(access_detour_factor=0.5)
