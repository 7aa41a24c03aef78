"""French 422 bodies from pydantic's validation errors (shape: :class:`ValidationErrorOut`).

Why: pydantic's messages are English and its error items carry Python objects (``ctx``,
``input``) that are neither stable nor JSON; the body keeps, per error, where it is, its
type and a French message, and matches the OpenAPI schema that /openapi.json publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_ISO = "date et heure ISO 8601 attendues, par exemple 2026-03-29T10:00:00"

#: French message per pydantic error type ({name} fields come from the error's ctx).
MESSAGES: dict[str, str] = {
    "missing": "paramètre obligatoire absent",
    "int_parsing": "nombre entier attendu", "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu", "float_type": "nombre attendu",
    "finite_number": "nombre fini attendu",
    "bool_parsing": "booléen attendu (true ou false)", "bool_type": "booléen attendu",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
    "string_too_short": "au moins {min_length} caractère(s) attendu(s)",
    "string_too_long": "au plus {max_length} caractères attendus",
    "string_type": "texte attendu",
    "datetime_parsing": _ISO, "datetime_from_date_parsing": _ISO, "datetime_type": _ISO,
    "datetime_object_invalid": _ISO, "timezone_aware": _ISO,
}


def _number(value: str | int | float) -> str:
    """A bound as French writes it: 90, 1,5."""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def french_message(error: Mapping[str, Any]) -> str:
    """The French message of one pydantic error (its own text for our ValueErrors)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    template = MESSAGES.get(kind)
    if template is None:
        return "valeur invalide"
    try:
        return template.format(**{k: _number(v) for k, v in ctx.items()
                                  if isinstance(v, str | int | float)})
    except (KeyError, IndexError):
        return template.split(" {")[0]


def french_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The 422 body: one French sentence naming each parameter, then the items."""
    items = []
    for error in errors:
        loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
        items.append({"loc": loc, "type": str(error.get("type", "")),
                      "msg": french_message(error)})
    parts = [f"« {'.'.join(str(p) for p in item['loc'][1:]) or 'requête'} » : {item['msg']}"
             for item in items]
    return {"detail": "Paramètre invalide " + " ; ".join(parts), "errors": items}
