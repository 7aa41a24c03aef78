"""Checking a proposal field by field, with one French message per field.

Pure: the caller gives what the checks need (:class:`ProposalChecks`: the catalogue's
categories, a function placing a point in a commune of the territory). Every field is
checked and every problem reported at once, so the form can show each message next to its
field. Text is kept as typed (HTML is escaped when shown, never stripped or interpreted);
control characters are refused.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import opening_hours

from proximite.errors import ProximiteError
from proximite.inventory.hours import FRENCH_DAYS, french_week_to_osm, parse_day_hours
from proximite.inventory.schema import ACCESS_MODES, MODES_SEP
from proximite.store.models import ContributionKind

#: Longest text accepted per field (characters).
MAX_LENGTH = {"name": 200, "operator": 200, "address": 300, "opening_hours": 500,
              "comment": 2000, "source_note": 500}
#: The form's field labels, for the messages.
LABELS = {"name": "Nom", "category": "Type de service", "operator": "Opérateur",
          "lon": "Longitude", "lat": "Latitude", "address": "Adresse",
          "opening_hours": "Horaires", "access_modes": "Modes d'accès",
          "comment": "Commentaire", "source_note": "Source", "kind": "Type de proposition"}


class ProposalInvalid(ProximiteError):
    """One message per invalid field (``errors``: field name -> French message)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ; ".join(f"{LABELS.get(k, k)} : {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class ProposalChecks:
    """What validation needs to know about the territory."""

    categories: Mapping[str, str]  # code -> label
    locate: Callable[[float, float], str | None]  # (lon, lat) -> code_insee inside, or None
    territory_name: str = "le territoire"


@dataclass
class Proposal:
    """A validated proposal: the fields that change, with their new values."""

    kind: ContributionKind
    fields: dict[str, object] = field(default_factory=dict)
    comment: str = ""
    source_note: str = ""


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text)


def hours_from_form(form: Mapping[str, str]) -> tuple[str, str | None]:
    """The OSM expression from the form: typed directly (``opening_hours``), else built by
    the helper from one French line per day (``hours_lundi`` …: "9h-12h / 14h-17h").

    Returns (expression, error): error None when the hours parse (or none were given).
    """
    expression = form.get("opening_hours", "").strip()
    per_day = {i: form.get(f"hours_{day}", "").strip() for i, day in enumerate(FRENCH_DAYS)}
    if not expression and any(per_day.values()):
        built = french_week_to_osm({i: text or "fermé" for i, text in per_day.items()})
        if built is None:
            unreadable = [FRENCH_DAYS[i] for i, text in per_day.items()
                          if text and parse_day_hours(text) is None]
            if not unreadable:
                return "", "aucun jour ouvert : laisser les horaires vides s'ils sont inconnus"
            return "", (f"horaires illisibles ({', '.join(unreadable)}) : écrire par exemple "
                        "« 9h-12h / 14h-17h », ou « fermé »")
        expression = built
    if not expression:
        return "", None
    try:
        opening_hours.OpeningHours(expression)
    except Exception:
        return expression, ("horaires illisibles : attendu la syntaxe OpenStreetMap, par "
                            "exemple « Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00 »")
    return expression, None


def validate_proposal(form: Mapping[str, str], checks: ProposalChecks, *,
                      current: Mapping[str, object] | None = None) -> Proposal:
    """The proposal of ``form`` against the place's ``current`` values (None: a new place).

    Only the fields whose value differs from ``current`` are kept. Raises
    :class:`ProposalInvalid` with a message for every invalid field.
    """
    errors: dict[str, str] = {}
    kind_text = form.get("kind", ContributionKind.NEW if current is None
                         else ContributionKind.CORRECTION)
    try:
        kind = ContributionKind(kind_text)
    except ValueError:
        raise ProposalInvalid({"kind": "attendu un nouveau lieu, une correction ou une "
                                       "fermeture"}) from None
    if (kind is ContributionKind.NEW) != (current is None):
        errors["kind"] = ("un nouveau lieu se propose sans lieu existant" if current is not None
                          else "une correction ou une fermeture porte sur un lieu existant")
    for name, limit in MAX_LENGTH.items():
        text = form.get(name, "")
        if len(text) > limit:
            errors[name] = f"{len(text)} caractères : {limit} au plus"
        elif _has_control(text):
            errors[name] = "caractères de contrôle non acceptés"
    values: dict[str, object] = {}
    if kind is ContributionKind.CLOSURE:
        values["closed"] = True
    else:
        _check_fields(form, checks, current, values, errors)
    if errors:
        raise ProposalInvalid(errors)
    changed = {k: v for k, v in values.items()
               if current is None or not _same(current.get(k), v)}
    if current is not None and not changed:
        raise ProposalInvalid({"kind": "aucune modification : le lieu a déjà ces valeurs"})
    return Proposal(kind=kind, fields=changed, comment=form.get("comment", "").strip(),
                    source_note=form.get("source_note", "").strip())


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=1e-7)
    return a == b


def _check_fields(form: Mapping[str, str], checks: ProposalChecks,
                  current: Mapping[str, object] | None, values: dict[str, object],
                  errors: dict[str, str]) -> None:
    def given(name: str) -> str | None:
        """The submitted text, or None when the form left the field out."""
        return form[name].strip() if name in form else None

    name = given("name")
    if name is not None:
        if not name:
            errors["name"] = "obligatoire"
        values["name"] = name
    elif current is None:
        errors["name"] = "obligatoire"
    category = given("category")
    if category is not None or current is None:
        if not category:
            errors["category"] = "obligatoire"
        elif category not in checks.categories:
            errors["category"] = f"« {category} » n'est pas un type de service du catalogue"
        values["category"] = category or ""
    for text_field in ("operator", "address"):
        value = given(text_field)
        if value is not None:
            values[text_field] = value
    lon_text, lat_text = given("lon"), given("lat")
    if lon_text is not None or lat_text is not None or current is None:
        lon, lat = _number(lon_text or ""), _number(lat_text or "")
        if lon is None or not -180 <= lon <= 180:
            errors["lon"] = "attendu un nombre entre -180 et 180 (degrés, WGS 84)"
        if lat is None or not -90 <= lat <= 90:
            errors["lat"] = "attendu un nombre entre -90 et 90 (degrés, WGS 84)"
        if lon is not None and lat is not None and "lon" not in errors and "lat" not in errors:
            code = checks.locate(lon, lat)
            if code is None:
                errors["lon"] = f"ce point n'est dans aucune commune de {checks.territory_name}"
            else:
                values.update(lon=lon, lat=lat, code_insee=code)
    if any(k == "opening_hours" or k.startswith("hours_") for k in form):
        expression, problem = hours_from_form(form)
        if problem:
            errors["opening_hours"] = problem
        else:
            values["opening_hours"] = expression
    modes = form.get("access_modes")
    if modes is not None:
        chosen = [m for m in modes.split(MODES_SEP) if m]
        unknown = [m for m in chosen if m not in ACCESS_MODES]
        if unknown:
            errors["access_modes"] = (f"mode inconnu « {unknown[0]} » (attendu : "
                                      + ", ".join(ACCESS_MODES) + ")")
        values["access_modes"] = MODES_SEP.join(m for m in ACCESS_MODES if m in chosen)
