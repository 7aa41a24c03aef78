"""User-facing message templates shared across the package, in French, in one place.

Module-specific messages live next to the code that raises them, but the pieces every
error is made of (where, which field, what was expected) and the most common sentences
are here, so that their wording and language are decided once.
"""

from __future__ import annotations

FIELD = "champ « {field} » : "
EXPECTED = " (attendu : {expected})"
FILE_NOT_FOUND = "fichier introuvable"
EMPTY_FILE = "fichier vide"
MISSING_COLUMNS = "colonne(s) manquante(s) "
MISSPELT = " (trouvé « {found} » : faute de frappe ?)"
COLUMNS = "les colonnes "
NUMBER = "un nombre"
NUMBER_POSITIVE = "un nombre > 0"
NUMBER_AT_LEAST = "un nombre ≥ {minimum:g}"
DEGREES = "des degrés WGS84 dans [-{max_abs:g}, {max_abs:g}]"
OR_EMPTY = " ou vide"
INVALID_VALUE = "valeur invalide « {value} »"


def number(value: float, decimals: int = 0) -> str:
    """A number as French readers write it (``1 234,5``: narrow no-break space, comma),
    for the messages raised below the report, with exactly ``decimals`` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return str(format_decimal(round(float(value), decimals), format=pattern, locale="fr_FR"))


def short_number(value: float) -> str:
    """Like :func:`number`, at most 2 decimals and no trailing zero (``20``, ``0,5``)."""
    from babel.numbers import format_decimal

    return str(format_decimal(round(float(value), 2), format="#,##0.##", locale="fr_FR"))


def titled(name: str, kind: str) -> str:
    """``Panier : <name>`` or ``Catégorie : <name>``, unless the name already says which
    ("Panier de la vie courante" stays as is, never "Panier : Panier de...")."""
    word = "Panier" if kind == "basket" else "Catégorie"
    return name if name.lower().startswith(word.lower()) else f"{word} : {name}"
