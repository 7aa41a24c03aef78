"""The category catalogue and the baskets, read from YAML data files.

Categories and baskets are data, not code: a département adds a category or a basket
by editing a YAML file (``--catalogue DIR`` points at its own copy).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from proximite.errors import InputError
from proximite.model import Basket, Catalogue, Category

DEFAULT_CATALOGUE_DIR = Path(str(resources.files("proximite") / "data" / "catalogue"))

CODE_SCHEMES: dict[str, str] = {
    "bpe2013": "INSEE BPE 2013 equipment codes (the commune table's labels, see "
               "data/reference/bpe2013_equipements.csv)",
    "annuaire": "annuaire de l'administration (DILA) office types (pivotlocal)",
    "education": "annuaire de l'Éducation nationale school types",
    "healthcare": "FINESS establishment types (Eurostat GISCO healthcare facility_type)",
}
"""Source nomenclatures mapped in categories.yaml besides the current BPE (``bpe``) and OSM:
a category lists the codes of each scheme it covers (key = scheme name)."""


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("fichier introuvable", path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"YAML invalide (« {getattr(exc, 'problem', exc)} »)",
            path=path,
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(data, dict):
        raise InputError("un dictionnaire YAML était attendu au premier niveau", path=path)
    return data


def _check_no_parent_with_child(code: str, members: tuple[str, ...],
                                categories: dict[str, Category], path: Path) -> None:
    """A basket counts each service once: a parent already stands for its children, so a
    basket listing both would weigh the same service twice in its mean."""
    listed = set(members)
    for member in members:
        parent = categories[member].parent
        while parent:
            if parent in listed:
                raise InputError(
                    f"le panier « {code} » compte « {member} » et sa catégorie parente "
                    f"« {parent} » : un service compté deux fois",
                    path=path, field="categories",
                    expected="une catégorie sans sa catégorie parente ni ses sous-catégories")
            parent = categories[parent].parent


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """Read ``categories.yaml`` and ``baskets.yaml`` and check their cross-references."""
    directory = Path(directory) if directory else DEFAULT_CATALOGUE_DIR
    cat_path = directory / "categories.yaml"
    raw = _load_yaml(cat_path)
    families = raw.get("families", {}) or {}
    categories: dict[str, Category] = {}
    for code, spec in (raw.get("categories") or {}).items():
        if not isinstance(spec, dict) or not str(spec.get("label") or "").strip():
            raise InputError(f"la catégorie « {code} » n'a pas de libellé", path=cat_path,
                             field="label")
        categories[code] = Category(
            code=code,
            label=str(spec["label"]),
            family=spec.get("family", ""),
            parent=spec.get("parent"),
            gamme=spec.get("gamme"),
            bpe_codes=tuple(str(c) for c in spec.get("bpe") or ()),
            osm_filters=tuple(
                {str(k): str(v) for k, v in f.items()} for f in spec.get("osm") or ()
            ),
            codes={scheme: tuple(str(c) for c in spec.get(scheme) or ())
                   for scheme in CODE_SCHEMES if spec.get(scheme)},
        )
    for cat in categories.values():
        if cat.parent and cat.parent not in categories:
            raise InputError(
                f"la catégorie « {cat.code} » a un parent inconnu « {cat.parent} »",
                path=cat_path,
                field="parent",
            )
    basket_path = directory / "baskets.yaml"
    baskets: dict[str, Basket] = {}
    for code, spec in (_load_yaml(basket_path).get("baskets") or {}).items():
        if not isinstance(spec, dict) or not str(spec.get("label") or "").strip():
            raise InputError(f"le panier « {code} » n'a pas de libellé", path=basket_path,
                             field="label", expected="un nom en français, montré à la place "
                                                     "du code")
        members = tuple(spec.get("categories") or ())
        unknown = [m for m in members if m not in categories]
        if unknown:
            raise InputError(
                f"le panier « {code} » nomme des catégories inconnues {unknown}",
                path=basket_path,
                field="categories",
                expected="des codes définis dans categories.yaml",
            )
        _check_no_parent_with_child(code, members, categories, basket_path)
        baskets[code] = Basket(
            code=code,
            label=str(spec["label"]),
            categories=members,
            source=spec.get("source", ""),
            to_check=spec.get("to_check", "") or "",
            note=spec.get("note", "") or "",
        )
    return Catalogue(categories=categories, baskets=baskets, families=families)
