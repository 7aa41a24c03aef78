"""Exports of the inventory to the two open directory schemas, and their imports back.

Why: the SDAASP inventory has to be shared with data·inclusion (structures + services,
v1 field names) and with the LaMednum "Lieux de médiation numérique" standard (CSV).
Neither schema says everything our model holds (category of the catalogue, the exact
access modes — phone vs video vs online, itinerant vs fixed —, provenance down to the
source file and line, the raw hours text). So each export writes the standard fields
best-effort AND keeps Proximité's exact facts in extra columns prefixed ``proximite_``
(documented in :data:`DI_STRUCTURE_EXTRAS`, :data:`DI_SERVICE_EXTRAS` and
:data:`MEDNUM_EXTRAS`). Standard consumers ignore unknown columns; our importers read the
extras first, so ``export -> import`` gives back the very same frame.

The importers also accept genuine files without the extras: they then derive our fields
from the standard ones (documented, lossy where the standard is coarser — e.g.
``a-distance`` cannot tell phone from video and becomes ``phone``).

Controlled-vocabulary fields only ever get values of the official lists shipped in
``data/reference/referentiels_exports.yaml`` (data·inclusion schema 1.0.10, LaMednum
standard 1.0.1; provenance in its header): where no official value fits a category (a
gare, a station-service, a bakery…) the field stays empty instead of holding an invented
slug, and our own facts stay in the ``proximite_`` columns.

List-valued fields (thematiques, modes_accueil, services…) are joined with
:data:`LIST_SEP` in the CSV form (``|``, also the LaMednum standard's separator).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pandas as pd
import yaml

from proximite.inventory.schema import MODES_SEP, SERVICE_COLUMNS, normalise_services

LIST_SEP = "|"
DI_SOURCE = "proximite"
MEDNUM_PIVOT_UNKNOWN = "00000000000000"  # the standard's value when no SIRET is known
#: Official value lists of both standards (see the file's header for provenance).
REFERENTIELS_PATH = Path(str(resources.files("proximite") / "data" / "reference"
                             / "referentiels_exports.yaml"))

DI_STRUCTURE_FIELDS: list[str] = [
    "source", "id", "nom", "date_maj", "description", "lien_source", "siret", "commune",
    "code_postal", "code_insee", "adresse", "complement_adresse", "longitude", "latitude",
    "telephone", "courriel", "site_web", "horaires_accueil", "accessibilite_lieu",
    "reseaux_porteurs",
]
DI_SERVICE_FIELDS: list[str] = [
    "structure_id", "id", "source", "nom", "description", "type", "thematiques", "frais",
    "publics", "conditions_acces", "modes_accueil", "zone_eligibilite", "lien_mobilisation",
    "modes_mobilisation", "mobilisable_par", "date_maj",
]
#: Extra structure columns: exact values the standard fields only approximate.
DI_STRUCTURE_EXTRAS: dict[str, str] = {
    "proximite_operator": "operator (gestionnaire) as read from the source",
    "proximite_address": "full address text as read (adresse/code_postal/commune are "
                         "split from it)",
    "proximite_opening_hours_raw": "hours text of the source, verbatim",
}
#: Extra service columns: the catalogue category, exact access modes and provenance.
DI_SERVICE_EXTRAS: dict[str, str] = {
    "proximite_category": "category code of the Proximité catalogue",
    "proximite_access_modes": f"access modes ({MODES_SEP}-separated: on_site, itinerant, "
                              "phone, video, online)",
    "proximite_source": "source dataset name (data·inclusion 'source' is 'proximite')",
    "proximite_source_id": "identifier of the row in the source dataset",
    "proximite_data_date": "date or period of the source data, verbatim",
    "proximite_source_file": "file the row was read from",
    "proximite_source_line": "line of that file",
    "proximite_location_precision": "exact, commune (placed at the town hall) or base (an "
                                    "itinerant service's structure address, not a stop)",
}

#: Field names of the LaMednum standard 1.0.1, in its order.
MEDNUM_FIELDS: list[str] = [
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
    "complement_adresse", "latitude", "longitude", "typologie", "telephone", "courriels",
    "site_web", "horaires", "presentation_resume", "presentation_detail", "source",
    "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
]
MEDNUM_EXTRAS: dict[str, str] = {
    **DI_STRUCTURE_EXTRAS,
    "proximite_category": DI_SERVICE_EXTRAS["proximite_category"],
    "proximite_access_modes": DI_SERVICE_EXTRAS["proximite_access_modes"],
    "proximite_source": "source dataset name, verbatim",
    "proximite_source_id": DI_SERVICE_EXTRAS["proximite_source_id"],
    "proximite_data_date": DI_SERVICE_EXTRAS["proximite_data_date"],
    "proximite_source_file": DI_SERVICE_EXTRAS["proximite_source_file"],
    "proximite_source_line": DI_SERVICE_EXTRAS["proximite_source_line"],
    "proximite_location_precision": DI_SERVICE_EXTRAS["proximite_location_precision"],
}

# ------------------------------------------------------------- controlled vocabularies
# Which official list (key of referentiels_exports.yaml) each controlled field uses; the
# tests check every value the exporters can write against these lists.
DI_STRUCTURE_VOCABULARIES: dict[str, str] = {"reseaux_porteurs": "reseaux_porteurs"}
DI_SERVICE_VOCABULARIES: dict[str, str] = {
    "type": "types_de_services", "thematiques": "thematiques", "frais": "frais",
    "publics": "publics", "modes_accueil": "modes_accueil",
    "modes_mobilisation": "modes_mobilisation", "mobilisable_par": "personnes_mobilisatrices",
}
MEDNUM_VOCABULARIES: dict[str, str] = {
    name: name for name in (
        "services", "itinerance", "modalites_acces", "modalites_accompagnement",
        "frais_a_charge", "dispositif_programmes_nationaux",
        "publics_specifiquement_adresses")
}

#: data·inclusion "modes_accueil" of each of our access modes.
MODES_ACCUEIL: dict[str, str] = {
    "on_site": "en-presentiel", "itinerant": "en-presentiel",
    "phone": "a-distance", "video": "a-distance", "online": "a-distance",
}
#: Back-mapping when no extra column is there (a-distance cannot say which remote mode).
ACCESS_MODE_OF_ACCUEIL: dict[str, str] = {"en-presentiel": "on_site", "a-distance": "phone"}
#: data·inclusion "modes_mobilisation" of each access mode. The inventory holds neither a
#: phone number nor a link: telephone / lien_mobilisation stay empty for now.
MODES_MOBILISATION: dict[str, str] = {
    "on_site": "se-presenter", "itinerant": "se-presenter", "phone": "telephoner",
    "video": "utiliser-lien-mobilisation", "online": "utiliser-lien-mobilisation",
}
#: data·inclusion reseaux_porteurs per category: only networks the category is by
#: definition part of. An agence postale communale is run by the commune for La Poste.
RESEAUX_PORTEURS: dict[str, tuple[str, ...]] = {
    "france_services": ("france-service",),  # the official slug is singular
    "la_poste": ("la-poste",), "bureau_de_poste": ("la-poste",),
    "relais_poste": ("la-poste",), "agence_postale": ("la-poste", "communes"),
    "mediation_numerique": ("conseillers-numeriques",),  # places from the CNFS list
    "france_travail": ("france-travail",),
}
#: Category read back from reseaux_porteurs when a file has no proximite_category column.
CATEGORY_OF_RESEAU: dict[str, str] = {
    "france-service": "france_services", "la-poste": "la_poste",
    "conseillers-numeriques": "mediation_numerique", "france-travail": "france_travail",
}
#: data·inclusion thematiques per category (sub-thematiques only: the bare categories
#: such as "numerique" or "mobilite" are not valid values). No entry = no official fit.
THEMATIQUES: dict[str, tuple[str, ...]] = {
    "france_services": (
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        "numerique--acceder-a-des-services-en-ligne",
    ),
    "mediation_numerique": (
        "numerique--maitriser-les-fondamentaux-du-numerique",
        "numerique--acceder-a-des-services-en-ligne",
    ),
}
#: data·inclusion type per category. The official types describe insertion offers
#: (accompagnement = "accompagnement global pour le retour à l'emploi"); a shop, a post
#: office or a station is none of them, so other categories get no type.
SERVICE_TYPE: dict[str, str] = {
    "france_services": "accompagnement", "mediation_numerique": "accompagnement",
    "france_travail": "accompagnement",
}
#: data·inclusion publics of categories aimed at one public; every other one is open to
#: all ("tous-publics", which the standard allows only alone).
PUBLICS: dict[str, str] = {
    "ehpad": "seniors", "accueil_jeune_enfant": "familles", "ecole": "familles",
    "college": "jeunes",
}
PUBLICS_DEFAULT = "tous-publics"

#: Default LaMednum "services" of a conseiller numérique place (best-effort, editable).
MEDNUM_DEFAULT_SERVICES: tuple[str, ...] = (
    "Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien")
#: LaMednum dispositif_programmes_nationaux per category.
MEDNUM_DISPOSITIFS: dict[str, str] = {
    "france_services": "France Services", "mediation_numerique": "Conseillers numériques",
}
#: LaMednum itinerance: "Fixe" for on-site access, "Itinérant" for itinerant access.
MEDNUM_ITINERANCE: dict[str, str] = {"on_site": "Fixe", "itinerant": "Itinérant"}
#: LaMednum modalites_acces (how to get to the service) per access mode.
MEDNUM_MODALITES_ACCES: dict[str, str] = {
    "on_site": "Se présenter", "itinerant": "Se présenter", "phone": "Téléphoner",
}
#: LaMednum modalites_accompagnement: phone or video help is "À distance".
MEDNUM_MODALITES_ACCOMPAGNEMENT: dict[str, str] = {"phone": "À distance",
                                                   "video": "À distance"}
#: itinerance values read as "itinerant" ("oui" / "true" / "1": our exports before 1.0.1).
_ITINERANT_VALUES = {"itinérant", "itinerant", "oui", "true", "1"}

_POSTCODE_TAIL = re.compile(r"^(?P<street>.*?),?\s*(?P<cp>\d{5})\s+(?P<town>[^,]+)$")


# ---------------------------------------------------------------------- helpers
def split_modes(value: str) -> list[str]:
    """Our access modes from the stored text (``|``; ``;`` and ``,`` tolerated)."""
    return [m.strip() for m in re.split(r"[|;,]", value or "") if m.strip()]


def modes_accueil_of(access_modes: str) -> str:
    """data·inclusion modes_accueil (``LIST_SEP``-joined, unique, stable order)."""
    seen: list[str] = []
    for mode in split_modes(access_modes):
        mapped = MODES_ACCUEIL.get(mode)
        if mapped and mapped not in seen:
            seen.append(mapped)
    return LIST_SEP.join(seen)


def _unique_join(values: list[str]) -> str:
    return LIST_SEP.join(dict.fromkeys(v for v in values if v))


def _mapped(modes: list[str], mapping: Mapping[str, str]) -> str:
    """The mapped values of our access modes, ``LIST_SEP``-joined, unique, in order."""
    return _unique_join([mapping.get(m, "") for m in modes])


@cache
def load_referentiels() -> dict[str, dict[str, tuple[str, ...]]]:
    """Official value lists, ``{"data_inclusion" | "mediation_numerique": {list: values}}``.

    Read from :data:`REFERENTIELS_PATH`; used by the tests (and available to callers) to
    check that no export writes a value outside the standards' lists.
    """
    with REFERENTIELS_PATH.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return {standard: {name: tuple(str(v) for v in values) for name, values in lists.items()}
            for standard, lists in raw.items()}


def split_address(address: str) -> tuple[str, str, str]:
    """(street, code postal, town) from 'street, 48000 Mende'; street = all if no match."""
    match = _POSTCODE_TAIL.match((address or "").strip())
    if not match:
        return (address or "").strip(), "", ""
    return match["street"].strip().rstrip(","), match["cp"], match["town"].strip()


def iso_date(data_date: str, fallback: str | None = None) -> str:
    """A full ISO date for date_maj: '2022' -> '2022-01-01', a period -> its end."""
    text = (data_date or "").strip()
    if "/" in text:
        text = text.split("/")[-1].strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{text}-01"
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01"
    return fallback if fallback is not None else date.today().isoformat()


def _commune_name(code_insee: str, town: str, communes: Mapping[str, Any] | None) -> str:
    entry = (communes or {}).get(code_insee) if code_insee else None
    if entry is not None:
        return str(getattr(entry, "name", entry))
    return town


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype="object")
    return frame[column].fillna("").astype(str)


def _prefer(frame: pd.DataFrame, extra: str, derived: pd.Series) -> pd.Series:
    """The extra column where present (exact), else the value derived from the standard."""
    if extra not in frame.columns:
        return derived
    return frame[extra].where(frame[extra].notna(), derived).astype(str)


# ---------------------------------------------------------------------- data·inclusion
def to_data_inclusion(services: pd.DataFrame,
                      communes: Mapping[str, Any] | None = None,
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(structures, services) in data·inclusion v1 field names, plus ``proximite_`` extras.

    One structure per service (our services are places); ``communes`` (code INSEE ->
    object with ``.name``, e.g. ``PortalData.communes``) names the commune, otherwise the
    town of the address is used. The service ``description`` (required by the schema)
    states the Proximité category and the operator, as the structure's does.
    """
    frame = normalise_services(services)
    structures: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict("records"):
        street, postcode, town = split_address(rec["address"])
        modes = split_modes(rec["access_modes"])
        category = rec["category"]
        date_maj = iso_date(rec["data_date"])
        description = f"Catégorie Proximité : {category}." + (
            f" Opérateur : {rec['operator']}." if rec["operator"] else "")
        structures.append({
            "source": DI_SOURCE, "id": rec["service_id"], "nom": rec["name"],
            "date_maj": date_maj, "description": description, "lien_source": "",
            "siret": "", "commune": _commune_name(rec["code_insee"], town, communes),
            "code_postal": postcode, "code_insee": rec["code_insee"], "adresse": street,
            "complement_adresse": "", "longitude": rec["lon"], "latitude": rec["lat"],
            "telephone": "", "courriel": "", "site_web": "",
            "horaires_accueil": rec["opening_hours"], "accessibilite_lieu": "",
            "reseaux_porteurs": LIST_SEP.join(RESEAUX_PORTEURS.get(category, ())),
            "proximite_operator": rec["operator"], "proximite_address": rec["address"],
            "proximite_opening_hours_raw": rec["opening_hours_raw"],
        })
        rows.append({
            "structure_id": rec["service_id"], "id": rec["service_id"], "source": DI_SOURCE,
            "nom": rec["name"], "description": description,
            "type": SERVICE_TYPE.get(category, ""),
            "thematiques": LIST_SEP.join(THEMATIQUES.get(category, ())), "frais": "",
            "publics": PUBLICS.get(category, PUBLICS_DEFAULT), "conditions_acces": "",
            "modes_accueil": modes_accueil_of(rec["access_modes"]),
            "zone_eligibilite": rec["code_insee"], "lien_mobilisation": "",
            "modes_mobilisation": _mapped(modes, MODES_MOBILISATION),
            "mobilisable_par": "usagers" if modes else "", "date_maj": date_maj,
            "proximite_category": category, "proximite_access_modes": rec["access_modes"],
            "proximite_source": rec["source"], "proximite_source_id": rec["source_id"],
            "proximite_data_date": rec["data_date"],
            "proximite_source_file": rec["source_file"],
            "proximite_source_line": rec["source_line"],
            "proximite_location_precision": rec["location_precision"],
        })
    structure_cols = DI_STRUCTURE_FIELDS + list(DI_STRUCTURE_EXTRAS)
    service_cols = DI_SERVICE_FIELDS + list(DI_SERVICE_EXTRAS)
    return (pd.DataFrame(structures, columns=structure_cols),
            pd.DataFrame(rows, columns=service_cols))


def _access_modes_from_accueil(modes_accueil: pd.Series) -> pd.Series:
    return modes_accueil.map(lambda text: MODES_SEP.join(dict.fromkeys(
        ACCESS_MODE_OF_ACCUEIL[m] for m in split_modes(text) if m in ACCESS_MODE_OF_ACCUEIL)))


def _category_from_reseaux(reseaux: pd.Series) -> pd.Series:
    """Our category from reseaux_porteurs (first known network), else empty."""
    return reseaux.map(lambda text: next(
        (CATEGORY_OF_RESEAU[r] for r in split_modes(text) if r in CATEGORY_OF_RESEAU), ""))


def from_data_inclusion(structures: pd.DataFrame, services: pd.DataFrame) -> pd.DataFrame:
    """Services in our schema from data·inclusion structures + services (inverse of export).

    Services are joined to their structure on (source, structure_id); ``proximite_``
    extras are used when present, else our fields are derived from the standard ones
    (the category from reseaux_porteurs: ``la-poste`` gives the parent ``la_poste``).
    """
    struct = structures.copy()
    struct["_key_source"] = _text(struct, "source")
    struct["_key_id"] = _text(struct, "id")
    struct = struct.add_prefix("s_")
    serv = services.copy()
    serv["_key_source"] = _text(serv, "source")
    serv["_key_id"] = _text(serv, "structure_id")
    merged = serv.merge(struct, how="left", left_on=["_key_source", "_key_id"],
                        right_on=["s__key_source", "s__key_id"], sort=False)

    def s(col: str) -> pd.Series:
        return _text(merged, f"s_{col}")

    rebuilt_address = pd.Series([
        ", ".join(p for p in (street, f"{cp} {town}".strip()) if p)
        for street, cp, town in zip(s("adresse"), s("code_postal"), s("commune"),
                                    strict=True)], index=merged.index, dtype="object")
    out = pd.DataFrame({
        "service_id": _text(merged, "id"),
        "category": _prefer(merged, "proximite_category",
                            _category_from_reseaux(s("reseaux_porteurs"))),
        "name": _text(merged, "nom").where(_text(merged, "nom") != "", s("nom")),
        "operator": _prefer(merged, "s_proximite_operator", s("reseaux_porteurs")),
        "lon": pd.to_numeric(cast(pd.Series, merged.get("s_longitude")), errors="coerce"),
        "lat": pd.to_numeric(cast(pd.Series, merged.get("s_latitude")), errors="coerce"),
        "code_insee": s("code_insee"),
        "address": _prefer(merged, "s_proximite_address", rebuilt_address),
        "opening_hours": s("horaires_accueil"),
        "opening_hours_raw": _prefer(merged, "s_proximite_opening_hours_raw",
                                     pd.Series([""] * len(merged), index=merged.index)),
        "access_modes": _prefer(merged, "proximite_access_modes",
                                _access_modes_from_accueil(_text(merged, "modes_accueil"))),
        "source": _prefer(merged, "proximite_source", _text(merged, "source")),
        "source_id": _prefer(merged, "proximite_source_id", _text(merged, "id")),
        "data_date": _prefer(merged, "proximite_data_date", _text(merged, "date_maj")),
        "source_file": _prefer(merged, "proximite_source_file",
                               pd.Series([""] * len(merged), index=merged.index)),
        "source_line": _prefer(merged, "proximite_source_line",
                               pd.Series([""] * len(merged), index=merged.index)),
        "location_precision": _prefer(merged, "proximite_location_precision",
                                      pd.Series([""] * len(merged), index=merged.index)),
    }, columns=SERVICE_COLUMNS)
    return normalise_services(out)


# ---------------------------------------------------------------------- LaMednum
def to_mediation_numerique(services: pd.DataFrame,
                           communes: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """LaMednum "Lieux de médiation numérique" rows (standard 1.0.1, one per service).

    ``itinerance`` is "Fixe" and/or "Itinérant" from the access modes (empty for a
    remote-only service); ``pivot`` is the all-zero value (no SIRET in our inventory);
    ``date_maj`` is a full ISO date. Fields we hold no fact for stay empty.
    """
    frame = normalise_services(services)
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict("records"):
        street, postcode, town = split_address(rec["address"])
        modes = split_modes(rec["access_modes"])
        rows.append({
            "id": rec["service_id"], "pivot": MEDNUM_PIVOT_UNKNOWN, "nom": rec["name"],
            "commune": _commune_name(rec["code_insee"], town, communes),
            "code_postal": postcode, "code_insee": rec["code_insee"], "adresse": street,
            "complement_adresse": "", "latitude": rec["lat"], "longitude": rec["lon"],
            "typologie": "", "telephone": "", "courriels": "", "site_web": "",
            "horaires": rec["opening_hours"], "presentation_resume": "",
            "presentation_detail": "", "source": rec["source"],
            "itinerance": _mapped(modes, MEDNUM_ITINERANCE),
            "structure_parente": rec["operator"], "date_maj": iso_date(rec["data_date"]),
            "services": LIST_SEP.join(MEDNUM_DEFAULT_SERVICES),
            "publics_specifiquement_adresses": "", "prise_en_charge_specifique": "",
            "frais_a_charge": "",
            "dispositif_programmes_nationaux": MEDNUM_DISPOSITIFS.get(rec["category"], ""),
            "formations_labels": "", "autres_formations_labels": "",
            "modalites_acces": _mapped(modes, MEDNUM_MODALITES_ACCES),
            "modalites_accompagnement": _mapped(modes, MEDNUM_MODALITES_ACCOMPAGNEMENT),
            "fiche_acces_libre": "", "prise_rdv": "",
            "proximite_operator": rec["operator"], "proximite_address": rec["address"],
            "proximite_opening_hours_raw": rec["opening_hours_raw"],
            "proximite_category": rec["category"],
            "proximite_access_modes": rec["access_modes"],
            "proximite_source": rec["source"], "proximite_source_id": rec["source_id"],
            "proximite_data_date": rec["data_date"],
            "proximite_source_file": rec["source_file"],
            "proximite_source_line": rec["source_line"],
            "proximite_location_precision": rec["location_precision"],
        })
    return pd.DataFrame(rows, columns=MEDNUM_FIELDS + list(MEDNUM_EXTRAS))


def _access_modes_of_itinerance(text: str) -> str:
    """on_site for "Fixe", itinerant for "Itinérant"; a listed place is fixed by default."""
    values = {v.lower() for v in split_modes(text)}
    modes = [mode for mode, found in (("on_site", "fixe" in values),
                                      ("itinerant", bool(values & _ITINERANT_VALUES)))
             if found]
    return MODES_SEP.join(modes) or "on_site"


def from_mediation_numerique(frame: pd.DataFrame) -> pd.DataFrame:
    """Services in our schema from LaMednum rows (inverse of :func:`to_mediation_numerique`).

    Without extras: category ``mediation_numerique``; access ``on_site`` for "Fixe",
    ``itinerant`` for "Itinérant" (or "oui", as our exports wrote before), else ``on_site``.
    """
    n = len(frame)
    empty = pd.Series([""] * n, index=frame.index, dtype="object")
    rebuilt_address = pd.Series([
        ", ".join(p for p in (street, f"{cp} {town}".strip()) if p)
        for street, cp, town in zip(_text(frame, "adresse"), _text(frame, "code_postal"),
                                    _text(frame, "commune"), strict=True)],
        index=frame.index, dtype="object")
    out = pd.DataFrame({
        "service_id": _text(frame, "id"),
        "category": _prefer(frame, "proximite_category",
                            pd.Series(["mediation_numerique"] * n, index=frame.index)),
        "name": _text(frame, "nom"),
        "operator": _prefer(frame, "proximite_operator", _text(frame, "structure_parente")),
        "lon": pd.to_numeric(cast(pd.Series, frame.get("longitude")), errors="coerce"),
        "lat": pd.to_numeric(cast(pd.Series, frame.get("latitude")), errors="coerce"),
        "code_insee": _text(frame, "code_insee"),
        "address": _prefer(frame, "proximite_address", rebuilt_address),
        "opening_hours": _text(frame, "horaires"),
        "opening_hours_raw": _prefer(frame, "proximite_opening_hours_raw", empty),
        "access_modes": _prefer(frame, "proximite_access_modes",
                                _text(frame, "itinerance").map(_access_modes_of_itinerance)),
        "source": _prefer(frame, "proximite_source", _text(frame, "source")),
        "source_id": _prefer(frame, "proximite_source_id", _text(frame, "id")),
        "data_date": _prefer(frame, "proximite_data_date", _text(frame, "date_maj")),
        "source_file": _prefer(frame, "proximite_source_file", empty),
        "source_line": _prefer(frame, "proximite_source_line", empty),
        "location_precision": _prefer(frame, "proximite_location_precision", empty),
    }, columns=SERVICE_COLUMNS)
    return normalise_services(out)


#: A text cell a spreadsheet would run as a formula (OWASP "CSV injection"): it starts
#: with = + - @ (or a tab / carriage return), possibly behind quotes we added before.
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
#: A cell we neutralised: one more leading quote than the text it stands for.
NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
#: Plain numbers (a negative longitude) are no formula and stay as they are.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def neutralise_cell(value: object) -> object:
    """``'`` before a text cell that a spreadsheet would evaluate ('=HYPERLINK(…)' becomes
    "'=HYPERLINK(…)", shown as text); reversed by :func:`restore_cell`."""
    if isinstance(value, str) and FORMULA_START.match(value) and not PLAIN_NUMBER.fullmatch(
            value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text :func:`neutralise_cell` was given (other cells are returned as they are)."""
    if NEUTRALISED.match(value) and not PLAIN_NUMBER.fullmatch(value):
        return value[1:]
    return value


def to_csv_text(frame: pd.DataFrame) -> str:
    """CSV text (comma, header, no index); floats written exactly so they read back;
    formula-like text cells neutralised (:func:`neutralise_cell`)."""
    safe = frame.map(neutralise_cell)
    return safe.to_csv(index=False, lineterminator="\n")


def read_export_csv(text: str) -> pd.DataFrame:
    """Read one of our CSV exports back with every cell kept as text but the coordinates
    (neutralised cells restored)."""
    import io

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame.map(restore_cell)
