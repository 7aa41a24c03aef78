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
