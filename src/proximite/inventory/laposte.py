"""La Poste contact points (open data "points de contact", ';' separated, e.g. poincont2).

The site type decides the category: a bureau de poste offers all services, an agence
postale (communale or intercommunale) most of them, a relais poste commerçant only the
basics. A type we do not know still counts as a La Poste contact point (``la_poste``) and is
named in a warning, so a new type in a future release is visible rather than lost.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

from proximite.catalogue import Catalogue
from proximite.inventory._read import BBox, insee_code, join_text, read_located_rows
from proximite.inventory.schema import ImportResult

LAPOSTE_REQUIRED = ["Identifiant_du_site", "Libellé_du_site", "Caractéristique_du_site",
                    "Adresse", "Code_postal", "Localité", "Code_INSEE", "Latitude", "Longitude"]
LAPOSTE_OPTIONAL = ["Complément_d_adresse", "Lieu_dit", "Numéro_de_téléphone"]
SITE_TYPES = {
    "bureau de poste": "bureau_de_poste",
    "agence postale communale": "agence_postale",
    "agence postale intercommunale": "agence_postale",
    "relais poste commercant": "relais_poste",
    "relais poste": "relais_poste",
}
LAPOSTE_SOURCE = "La Poste, points de contact (données ouvertes)"
LAPOSTE_DATE = "2020-12"  # approximate date of the copy in shared/data (see its README)


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def read_laposte(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = LAPOSTE_DATE,
) -> ImportResult:
    """Read the national La Poste contact-point file into the service schema."""
    rows = read_located_rows(path, LAPOSTE_REQUIRED, optional=LAPOSTE_OPTIONAL,
                             lon="Longitude", lat="Latitude")
    frame = rows.frame
    site_type = frame["Caractéristique_du_site"].str.strip()
    category = site_type.map(_fold).map(SITE_TYPES)
    unknown = Counter(site_type[category.isna() & rows.ok])
    warnings: list[str] = []
    if unknown:
        listed = ", ".join(f"'{name}' ({count})" for name, count in sorted(unknown.items()))
        warnings.append(f"{path} : type(s) de site La Poste inconnu(s) {listed} : gardés "
                        "comme points de contact La Poste génériques (la_poste)")
    category = category.fillna("la_poste")
    if catalogue is not None:
        for code in set(category):
            catalogue.category(code)
    site_id = frame["Identifiant_du_site"].str.strip()
    services = rows.services(
        service_id="laposte:" + site_id,
        category=category,
        name=frame["Libellé_du_site"].str.strip(),
        operator="La Poste",
        code_insee=insee_code(frame["Code_INSEE"]),
        address=join_text(frame["Adresse"], frame["Complément_d_adresse"], frame["Lieu_dit"],
                          frame["Code_postal"].str.strip() + " " + frame["Localité"]),
        source=LAPOSTE_SOURCE,
        source_id=site_id,
        data_date=data_date,
    )
    return rows.result(services, bbox, warnings)
