"""The shipped baskets as their sources define them; a parent never counted with a child."""

from __future__ import annotations

from pathlib import Path

import pytest

from proximite.catalogue import DEFAULT_CATALOGUE_DIR, load_catalogue
from proximite.errors import InputError
from proximite.io.reference import load_gamme_tables


def test_allier_17_counts_the_six_groups_of_the_steering_document() -> None:
    basket = load_catalogue().baskets["allier_17"]
    assert len(basket.categories) == 17 and len(set(basket.categories)) == 17
    assert basket.to_check == ""  # the counting is written down instead
    assert "supermarché et hypermarché comptés à part" in basket.note
    groups = [{"medecin_generaliste", "kinesitherapeute", "chirurgien_dentiste", "infirmier",
               "pharmacie"}, {"boulangerie", "boucherie", "epicerie", "supermarche",
                              "hypermarche"}, {"ecole", "college"}, {"la_poste"},
              {"police", "gendarmerie"}, {"station_carburant", "distributeur_billets"}]
    assert set(basket.categories) == set().union(*groups)


def test_no_basket_lists_a_category_with_one_of_its_parents() -> None:
    catalogue = load_catalogue()
    for basket in catalogue.baskets.values():
        for code in basket.categories:
            assert not set(catalogue.ancestors(code)[1:]) & set(basket.categories), (
                basket.code, code)


def test_a_basket_with_a_parent_and_its_child_is_refused(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text(
        (DEFAULT_CATALOGUE_DIR / "categories.yaml").read_text(encoding="utf-8"),
        encoding="utf-8")
    (tmp_path / "baskets.yaml").write_text(
        "baskets:\n  double:\n    label: Double\n    categories: [la_poste, bureau_de_poste]\n",
        encoding="utf-8")
    with pytest.raises(InputError, match="sa catégorie parente « la_poste »") as info:
        load_catalogue(tmp_path)
    assert "baskets.yaml" in str(info.value) and "categories" in str(info.value)


def test_vie_courante_cites_insee_premiere_1579_and_its_groups() -> None:
    basket = load_catalogue().baskets["vie_courante"]
    assert "Insee Première n° 1579" in basket.source
    # "écoles, collèges, lycées" in the publication's own words
    assert {"ecole", "college", "lycee", "boulangerie", "supermarche"} <= set(basket.categories)
    assert basket.to_check  # its 22 items could not be checked one by one


@pytest.mark.parametrize(("gamme", "n_types", "n_table"), [
    ("proximite", 11, 28), ("intermediaire", 9, 35), ("superieure", 10, 47)])
def test_gamme_baskets_are_the_catalogue_part_of_the_insee_tables(
        gamme: str, n_types: int, n_table: int) -> None:
    """Rebuilt from the shipped tables: per gamme type, the most general catalogue
    categories whose BPE codes stand for it."""
    catalogue = load_catalogue()
    tables = load_gamme_tables()
    rows = tables[tables["gamme"] == gamme]
    assert len(rows) == n_table
    expected: set[str] = set()
    typed = 0
    for codes in rows["codes"]:
        matching = {c for c, cat in catalogue.categories.items() if set(cat.bpe_codes) & set(codes)}
        typed += bool(matching)
        expected |= {c for c in matching if not set(catalogue.ancestors(c)[1:]) & matching}
    basket = catalogue.baskets[f"gamme_{gamme}"]
    assert set(basket.categories) == expected
    assert typed == n_types
    assert f"({n_types} des {n_table} types de la BPE)" in basket.label


def test_profile_basket_through_the_cli_option_and_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from proximite.cli.options import INPUT_OPTIONS, TerritoryInputs
    from proximite.settings import load_settings

    values = dict.fromkeys(INPUT_OPTIONS) | {"profile_basket": "vie_courante"}
    settings = TerritoryInputs(values).settings()
    assert settings.analysis.profiles.basket == "vie_courante"
    assert settings.sources["analysis.profiles.basket"].startswith("--profile-basket")
    monkeypatch.setenv("PROXIMITE_ANALYSIS__PROFILES__BASKET", "gamme_proximite")
    assert load_settings(None).analysis.profiles.basket == "gamme_proximite"
    assert load_settings(None).analysis.poles.min_population == 500.0
