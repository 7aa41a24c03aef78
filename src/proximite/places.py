"""Place names for the report's maps: the préfecture, the sous-préfectures and, per EPCI,
its most populated commune.

The préfectures and sous-préfectures come from the shipped
``data/reference/chefs_lieux.csv`` (``scripts/make_chefs_lieux.py``, from
``@etalab/decoupage-administratif``). No offline source gives the seat (siège) of each
EPCI, so the maps name the most populated commune of each EPCI instead, and say so.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

CHEFS_LIEUX = "chefs_lieux.csv"
ROLE_PREFECTURE = "prefecture"
ROLE_SOUS_PREFECTURE = "sous_prefecture"
ROLE_EPCI = "epci"
#: Drawing order and label size (larger first)
ROLES = (ROLE_PREFECTURE, ROLE_SOUS_PREFECTURE, ROLE_EPCI)
PLACES_NOTE = ("Noms : préfecture (en gras), sous-préfectures et, pour chaque EPCI, sa "
               "commune la plus peuplée.")


@cache
def chefs_lieux() -> pd.DataFrame:
    """code_insee, role (prefecture / sous_prefecture), departement."""
    path = resources.files("proximite") / "data" / "reference" / CHEFS_LIEUX
    with path.open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str)


def map_places(communes: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """The places to name on a map of ``communes`` (code_insee, nom, population, epci_code,
    origin_lon, origin_lat): name, lon, lat, role; one row per commune, highest role kept."""
    if not len(communes):
        return pd.DataFrame(columns=["code_insee", "name", "lon", "lat", "role"])
    reference = chefs_lieux() if reference is None else reference
    roles = reference.drop_duplicates("code_insee").set_index("code_insee")["role"]
    table = communes[["code_insee", "nom", "population", "epci_code", "origin_lon",
                      "origin_lat"]].copy()
    table["role"] = table["code_insee"].map(roles)
    with_epci = table[table["epci_code"].fillna("") != ""]
    largest = with_epci.sort_values(["population", "code_insee"], ascending=[False, True],
                                    kind="stable").drop_duplicates("epci_code")
    table.loc[table["role"].isna() & table["code_insee"].isin(largest["code_insee"]),
              "role"] = ROLE_EPCI
    table = table[table["role"].notna()].copy()
    table["order"] = table["role"].map({role: i for i, role in enumerate(ROLES)})
    table = table.sort_values(["order", "code_insee"], kind="stable")
    return pd.DataFrame({"code_insee": table["code_insee"].to_numpy(),
                         "name": table["nom"].to_numpy(),
                         "lon": table["origin_lon"].to_numpy(dtype=float),
                         "lat": table["origin_lat"].to_numpy(dtype=float),
                         "role": table["role"].to_numpy()})
