"""Labels are names, not codes: one rule (``Catalogue.label``) names every category and
basket a user reads, and every code of the shipped catalogue has a French name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from language import is_english
from proximite.catalogue import DEFAULT_CATALOGUE_DIR, load_catalogue
from proximite.errors import InputError
from proximite.model import Basket, Catalogue, Category, namer

SRC = Path(__file__).resolve().parents[1] / "src" / "proximite"
IDENTIFIER = re.compile(r"[a-z0-9_]+")


def _every_code() -> list[tuple[str, str]]:
    catalogue = load_catalogue()
    return ([("category", code) for code in catalogue.categories]
            + [("basket", code) for code in catalogue.baskets])


@pytest.mark.parametrize(("kind", "code"), _every_code())
def test_every_shipped_code_has_a_french_name_that_is_not_its_code(kind: str,
                                                                   code: str) -> None:
    name = load_catalogue().label(code, kind)
    assert name.strip() == name and name, code
    assert name != code and not IDENTIFIER.fullmatch(name), (code, name)
    assert "_" not in name, (code, name)
    assert name[0].isupper(), (code, name)  # a name, as the report prints it
    assert not is_english(name), (code, name)


def test_the_shipped_catalogue_is_large_enough_for_the_test_above_to_mean_something() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.categories) >= 50 and len(catalogue.baskets) >= 6
    assert catalogue.label("bureau_de_poste") == "Bureau de poste"
    assert catalogue.label("socle_demo", "basket") == (
        "Socle accès aux droits et mobilité (données ouvertes de la démo)")


def _small() -> Catalogue:
    return Catalogue(
        categories={"poste": Category("poste", "Bureau de poste", "services_publics")},
        baskets={"courant": Basket("courant", "Services courants", ("poste",)),
                 "panier_b": Basket("panier_b", "Panier B", ("poste",))})


def test_label_looks_in_the_named_kind_first_then_the_other_then_gives_the_code() -> None:
    cat = _small()
    assert cat.label("poste") == "Bureau de poste"
    assert cat.label("poste", "category") == "Bureau de poste"
    assert cat.label("courant", "basket") == "Services courants"
    # a kind that does not hold the code: the other table still names it
    assert cat.label("courant", "category") == "Services courants"
    assert cat.label("poste", "basket") == "Bureau de poste"
    # no label exists anywhere: the code, as it is (another catalogue's code)
    assert cat.label("inconnu") == "inconnu"
    assert cat.label("inconnu", "basket") == "inconnu"


def test_titled_label_says_panier_for_a_basket_only_once() -> None:
    cat = _small()
    assert cat.titled_label("poste") == "Bureau de poste"
    assert cat.titled_label("courant", "basket") == "Panier : Services courants"
    assert cat.titled_label("courant") == "Panier : Services courants"
    assert cat.titled_label("panier_b", "basket") == "Panier B"  # never "Panier : Panier B"
    assert cat.titled_label("inconnu") == "inconnu"


def test_namer_follows_the_same_rule_for_a_plain_mapping() -> None:
    assert namer(_small())("poste") == "Bureau de poste"
    assert namer({"poste": "La poste"})("poste") == "La poste"
    assert namer({"poste": "La poste"})("autre") == "autre"
    assert namer(None)("autre") == "autre"


@pytest.mark.parametrize("spec", ["    categories: [pharmacie]\n",
                                  "    label: ''\n    categories: [pharmacie]\n"])
def test_a_basket_without_a_label_is_refused(tmp_path: Path, spec: str) -> None:
    (tmp_path / "categories.yaml").write_text(
        (DEFAULT_CATALOGUE_DIR / "categories.yaml").read_text(encoding="utf-8"),
        encoding="utf-8")
    (tmp_path / "baskets.yaml").write_text("baskets:\n  sans_nom:\n" + spec,
                                           encoding="utf-8")
    with pytest.raises(InputError, match="le panier « sans_nom » n'a pas de libellé") as info:
        load_catalogue(tmp_path)
    assert "baskets.yaml" in str(info.value) and "label" in str(info.value)


# "x.label if x else code", "labels.get(code, code)": the rule spelt out again by hand.
_BY_HAND = re.compile(r"\.label\s+if\b[^\n]*\belse\b|labels?\.get\((\w+),\s*\1\)")


def test_no_module_spells_out_the_label_or_code_rule_itself() -> None:
    found = [f"{path.relative_to(SRC)}:{n}" for path in sorted(SRC.rglob("*.py"))
             if path.name != "model.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if _BY_HAND.search(line)]
    assert found == []


def test_the_scan_above_catches_the_patterns_it_is_for() -> None:
    assert _BY_HAND.search('"category_label": cat.label if cat else record["category"],')
    assert _BY_HAND.search("labels=[labels.get(c, c) for c in party.categories],")
    assert not _BY_HAND.search("labels.get(code, '')")
