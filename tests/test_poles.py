"""Service poles: gamme tables, equipment counts, thresholds (scaled and flagged), catchments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from proximite.access import AccessParams
from proximite.analysis.poles import (
    PoleThreshold,
    bpe_equipment_counts,
    equipment_counts,
    pole_catchments,
    service_poles,
)
from proximite.catalogue import Catalogue, Category
from proximite.errors import InputError, ProximiteError
from proximite.io.reference import load_gamme_tables, read_bpe_types
from proximite.model import ReferenceTables
from proximite.network.graph import RoadGraph


def test_shipped_gamme_tables() -> None:
    tables = load_gamme_tables()
    assert tables.groupby("gamme").size().to_dict() == {
        "proximite": 28, "intermediaire": 35, "superieure": 47}
    by_code = tables.set_index("code_equipement")
    assert by_code.at["AR03", "codes"] == ("AR03", "A206", "A207", "A208")
    assert by_code.at["AR02", "codes"] == ("AR02", "A120", "A121")  # blank cell dropped
    assert by_code.at["B316", "gamme"] == "intermediaire"
    assert by_code.at["ER01", "label"] == "Gare"


def _tables() -> pd.DataFrame:
    rows = [("P1", ("P1", "X1", "X2")), ("P2", ("P2",)), ("P3", ("P3",)), ("P4", ("P4",)),
            ("I1", ("I1",)), ("I2", ("I2",)), ("S1", ("S1",)), ("S2", ("S2",))]
    gamme = {"P": "proximite", "I": "intermediaire", "S": "superieure"}
    return pd.DataFrame({"code_equipement": [r[0] for r in rows], "codes": [r[1] for r in rows],
                         "label": [r[0] for r in rows], "gamme": [gamme[r[0][0]] for r in rows],
                         "domaine": ""})


def _catalogue() -> Catalogue:
    cats = [Category("poste", "Poste", "f", bpe_codes=("X1",)),
            Category("poste_child", "Agence", "f", parent="poste"),
            Category("boul", "Boulangerie", "f", bpe_codes=("P2",)),
            Category("sm", "Supermarché", "f", bpe_codes=("I1",)),
            Category("gare", "Gare", "f", bpe_codes=("S1",)),
            Category("other", "Autre", "f", bpe_codes=("P4",)),
            Category("all_types", "Tout", "f",
                     bpe_codes=("P1", "P2", "P3", "P4", "I1", "I2", "S1", "S2"))]
    return Catalogue(categories={c.code: c for c in cats}, baskets={})


def _services() -> pd.DataFrame:
    return pd.DataFrame({
        "service_id": ["s1", "s2", "s3", "s4", "s5"],
        "category": ["poste_child", "boul", "sm", "gare", "boul"],
        "code_insee": ["001", "001", "001", "001", "002"],
    })


THRESHOLDS = {"proximite": (2, 4), "intermediaire": (2, 2), "superieure": (2, 2)}


def test_equipment_counts_through_ancestors_and_coverage() -> None:
    counts = equipment_counts(_services(), _catalogue(), _tables(),
                              communes=["001", "002", "003"])
    assert len(counts) == 9
    table = counts.set_index(["code_insee", "gamme"])
    assert table.at[("001", "proximite"), "types_present"] == "P1|P2"  # P1 via parent's X1
    assert table.at[("001", "proximite"), "n_types_present"] == 2
    assert table.at[("002", "proximite"), "n_types_present"] == 1
    assert table.at[("003", "proximite"), "n_types_present"] == 0
    assert table.at[("001", "superieure"), "types_present"] == "S1"
    # 'other' (P4) has no service: P4 is not covered by the inventory
    assert table.xs("proximite", level="gamme")["n_types_covered_by_inventory"].unique() == [2]
    assert table.at[("001", "proximite"), "n_equipment_types"] == 4
    assert table.at[("001", "intermediaire"), "n_types_covered_by_inventory"] == 1


def test_scaled_thresholds_are_flagged() -> None:
    counts = equipment_counts(_services(), _catalogue(), _tables(),
                              communes=["001", "002", "003"])
    poles = service_poles(counts, THRESHOLDS).set_index("code_insee")
    # proximité ceil(2 x 2/4) = 1; intermédiaire and supérieure ceil(2 x 1/2) = 1
    assert poles["pole_level"].to_dict() == {"001": "superieure", "002": "proximite",
                                             "003": "aucun"}
    assert poles.at["001", "pole_label"] == "pôle supérieur"
    assert poles["threshold_proximite"].iloc[0] == 1
    assert poles["threshold_scaled"].all()
    assert "seuil ramené de 2 à 1" in poles.at["001", "warning"]
    rules = poles.attrs["thresholds"].set_index("gamme")
    assert rules.at["proximite", "threshold_table"] == 2
    assert rules.at["proximite", "threshold_applied"] == 1
    assert bool(rules.at["proximite", "threshold_scaled"])


def test_unscaled_thresholds_warn_of_underestimate() -> None:
    counts = equipment_counts(_services(), _catalogue(), _tables(),
                              communes=["001", "002", "003"])
    poles = service_poles(counts, THRESHOLDS, scale_to_inventory=False).set_index("code_insee")
    assert poles["pole_level"].to_dict() == {"001": "proximite", "002": "aucun",
                                             "003": "aucun"}
    assert not poles["threshold_scaled"].any()
    assert "sous-estimés" in poles.at["001", "warning"]


def test_full_inventory_is_not_scaled_and_table_size_is_used() -> None:
    services = pd.DataFrame({"service_id": ["a", "b"], "category": ["all_types", "boul"],
                             "code_insee": ["001", "002"]})
    counts = equipment_counts(services, _catalogue(), _tables())
    assert list(dict.fromkeys(counts["code_insee"])) == ["001", "002"]
    poles = service_poles(counts, {"proximite": PoleThreshold(12, 24),
                                   "intermediaire": (2, 2), "superieure": (2, 2)})
    rules = poles.attrs["thresholds"].set_index("gamme")
    assert rules.at["proximite", "threshold_table"] == 2  # ceil(12 x 4 / 24)
    assert rules.at["proximite", "threshold_applied"] == 2
    assert not poles["threshold_scaled"].any()
    assert "appliqué en proportion à la table de 4 types" in poles["warning"].iloc[0]
    assert poles.set_index("code_insee")["pole_level"].to_dict() == {
        "001": "superieure", "002": "aucun"}


def test_threshold_validation() -> None:
    with pytest.raises(ProximiteError, match="seuil invalide"):
        PoleThreshold(5, 4)
    counts = equipment_counts(_services(), _catalogue(), _tables())
    with pytest.raises(ProximiteError, match="gamme inconnue"):
        service_poles(counts, {"metropole": (1, 2)})


def _line_graph() -> RoadGraph:
    """Five nodes on a line, two-way edges of 1, 1, 1 and 2 min."""
    lon = 3.0 + 0.01 * np.arange(5)
    lat = np.full(5, 44.5)
    a = np.array([0, 1, 2, 3])
    b = np.array([1, 2, 3, 4])
    minutes = np.array([1.0, 1.0, 1.0, 2.0])
    return RoadGraph.from_edges(np.array([f"n{i}" for i in range(5)]), lon, lat,
                                np.concatenate([a, b]), np.concatenate([b, a]),
                                np.concatenate([minutes, minutes]))


def test_pole_catchments_exact_times_and_populations() -> None:
    graph = _line_graph()
    origins = pd.DataFrame({
        "origin_id": ["C0", "C1", "C2", "C3", "C4", "FAR"],
        "code_insee": ["C0", "C1", "C2", "C3", "C4", "FAR"],
        "lon": [*list(graph.lon), 5.0], "lat": [*list(graph.lat), 46.0],
        "population": [10.0, 20.0, 30.0, 40.0, 50.0, 1000.0]})
    poles = pd.DataFrame({"code_insee": ["C0", "C4", "C2", "ZZ"],
                          "pole_level": ["superieure", "proximite", "aucun", "proximite"]})
    communes = pd.DataFrame({"code_insee": ["C0", "C4"], "nom": ["Bourg", "Village"]})
    result = pole_catchments(graph, origins, poles, AccessParams(max_snap_m=500.0),
                             communes=communes)
    prox = result.by_origin[result.by_origin["level"] == "proximite"].set_index("origin_id")
    assert prox["nearest_pole_code"].to_dict() == {"C0": "C0", "C1": "C0", "C2": "C0",
                                                   "C3": "C4", "C4": "C4", "FAR": ""}
    assert prox["travel_time_min"].iloc[:5].round(6).tolist() == [0.0, 1.0, 2.0, 2.0, 0.0]
    assert prox.at["FAR", "status"] == "unreachable"
    assert prox.at["C1", "pole_level"] == "superieure"
    sup = result.by_origin[result.by_origin["level"] == "superieure"].set_index("origin_id")
    assert set(sup["nearest_pole_code"].iloc[:5]) == {"C0"}
    assert sup["travel_time_min"].iloc[:5].round(6).tolist() == [0.0, 1.0, 2.0, 3.0, 5.0]
    summary = result.by_pole.set_index(["level", "pole_code"])
    assert summary.at[("proximite", "C0"), "population_served"] == 60.0
    assert summary.at[("proximite", "C4"), "population_served"] == 90.0
    assert summary.at[("proximite", "C0"), "communes_served"] == 3
    assert summary.at[("proximite", "C0"), "pole_name"] == "Bourg"
    assert summary.at[("intermediaire", "C0"), "population_served"] == 150.0
    reached = result.by_origin[result.by_origin["status"] == "ok"]
    for level, group in reached.groupby("level"):
        served = result.by_pole.loc[result.by_pole["level"] == level, "population_served"]
        reached_pop = origins.set_index("origin_id").loc[group["origin_id"], "population"]
        assert served.sum() == reached_pop.sum() == 150.0
    assert any("ZZ" in w for w in result.warnings)


def test_no_pole_of_a_level() -> None:
    graph = _line_graph()
    origins = pd.DataFrame({"origin_id": ["C0"], "code_insee": ["C0"], "lon": [3.0],
                            "lat": [44.5], "population": [1.0]})
    poles = pd.DataFrame({"code_insee": ["C0"], "pole_level": ["proximite"]})
    result = pole_catchments(graph, origins, poles)
    sup = result.by_origin[result.by_origin["level"] == "superieure"]
    assert sup["status"].tolist() == ["no_pole"]
    assert result.by_pole["level"].tolist() == ["proximite"]


def test_bpe_type_counts_make_the_poles_with_a_population_floor(tmp_path: Path) -> None:
    """Counts of every BPE type (long INSEE layout), regroupements and 2013 renames."""
    path = tmp_path / "bpe.csv"
    path.write_text("DEPCOM;TYPEQU;NB_EQUIP\n"
                    "001;A206;2\n001;D301;1\n001;B203;1\n"   # AR03 via A206, D307 via D301
                    "002;B203;3\n002;D201;1\n002;F307;1\n"
                    "003;B203;1\n", encoding="utf-8")
    types = read_bpe_types(path)
    assert types.set_index(["code_insee", "typequ"])["n_equipment"].to_dict() == {
        ("001", "A206"): 2, ("001", "B203"): 1, ("001", "D307"): 1,
        ("002", "B203"): 3, ("002", "D201"): 1, ("002", "F307"): 1, ("003", "B203"): 1}
    tables = load_gamme_tables()
    # the source can hold 4 of the 28 proximité types (F307 bibliothèque is not among them)
    reference = ReferenceTables(tables, types, ("A206", "D307", "B203", "D201"), "2013",
                                "la BPE d'essai")
    counts = bpe_equipment_counts(reference, ["001", "002", "003"]).set_index(
        ["code_insee", "gamme"])
    assert counts.at[("001", "proximite"), "types_present"] == "AR03|B203|D307"
    assert counts.at[("002", "proximite"), "types_present"] == "B203|D201|F307"
    assert counts.at[("001", "proximite"), "n_types_covered_by_inventory"] == 4
    poles = service_poles(counts.reset_index(), {"proximite": (12, 24),
                                                 "intermediaire": (14, 27),
                                                 "superieure": (18, 36)})
    # threshold ceil(12 × 28 / 24) = 14, scaled to the 4 covered types: ceil(14 × 4 / 28) = 2
    assert poles.attrs["thresholds"].set_index("gamme").at["proximite",
                                                          "threshold_applied"] == 2
    assert "la BPE d'essai ne couvre que 4 des 28 types" in poles["warning"].iloc[0]
    assert poles.set_index("code_insee")["pole_level"].to_dict() == {
        "001": "proximite", "002": "proximite", "003": "aucun"}
    floored = service_poles(counts.reset_index(), population=pd.Series(
        {"001": 499.0, "002": 500.0, "003": 10_000.0}), min_population=500.0) \
        .set_index("code_insee")
    assert floored["pole_level"].to_dict() == {"001": "aucun", "002": "proximite",
                                               "003": "aucun"}
    assert floored["below_min_population"].to_dict() == {"001": True, "002": False,
                                                         "003": False}


def test_bpe_type_counts_reject_a_bad_count(tmp_path: Path) -> None:
    path = tmp_path / "bpe.csv"
    path.write_text("DEPCOM;TYPEQU;NB_EQUIP\n001;B203;deux\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bpe.csv:2: ") as info:
        read_bpe_types(path)
    assert "NB_EQUIP" in str(info.value)
