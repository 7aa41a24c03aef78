"""Reference tables shipped with the package: the INSEE BPE gamme tables.

Read here (the file layer) and handed to the computation: :mod:`proximite.analysis.poles`
never opens a file.
"""

from __future__ import annotations

import unicodedata
from importlib import resources
from pathlib import Path

import pandas as pd

from proximite.errors import InputError
from proximite.model import ReferenceTables

REFERENCE_DIR = Path(str(resources.files("proximite") / "data" / "reference"))
GAMME_FILES = {
    "proximite": "table_passage_equipements_prox.xlsx",
    "intermediaire": "table_passage_equipements_intermediaires.xlsx",
    "superieure": "table_passage_equipements_superieures.xlsx",
}


def _plain(text: str) -> str:
    """Lower case without accents: 'proximité' -> 'proximite'."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip().lower()


def load_gamme_tables(directory: str | Path | None = None) -> pd.DataFrame:
    """The INSEE gamme tables: ``code_equipement, codes, label, gamme, domaine``.

    ``codes`` is the tuple of BPE codes that stand for the type: the code itself and its
    regroupements (``AR03`` -> ``AR03, A206, A207, A208``). ``gamme`` is one of
    ``proximite, intermediaire, superieure``.
    """
    directory = Path(directory) if directory else REFERENCE_DIR
    frames = []
    for gamme, name in GAMME_FILES.items():
        path = directory / name
        if not path.exists():
            raise InputError("table des gammes BPE introuvable", path=path)
        raw = pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
        if "code_equipement" not in raw.columns:
            raise InputError("colonne manquante", path=path, field="code_equipement",
                             expected="les colonnes de la table de passage de l'INSEE")
        label_col = next((c for c in raw.columns if _plain(c).startswith("libell")), None)
        group_cols = [c for c in raw.columns if c.startswith("regroupement")]
        for line, values in enumerate(raw.to_dict("records"), start=2):
            code = values["code_equipement"].strip()
            if not code:
                continue
            table_gamme = _plain(values.get("gamme", "")) or gamme
            if table_gamme != gamme:
                raise InputError(f"gamme « {values.get('gamme')} » dans la table {gamme}",
                                 path=path, line=line, field="gamme")
            codes = [code] + [values[c].strip() for c in group_cols if values[c].strip()]
            frames.append({"code_equipement": code, "codes": tuple(dict.fromkeys(codes)),
                           "label": values[label_col].strip() if label_col else "",
                           "gamme": gamme, "domaine": values.get("domaine_libellé", "")})
    return pd.DataFrame(frames, columns=["code_equipement", "codes", "label", "gamme",
                                         "domaine"])


#: BPE 2013 codes renamed in the 2021 nomenclature of the gamme tables (INSEE, BPE
#: documentation "évolution des codes"): pharmacie D301 -> D307, agence Pôle emploi A110
#: -> A122. Other 2013 codes are the 2021 codes or members of their regroupements.
BPE2013_TO_2021 = {"D301": "D307", "A110": "A122"}
BPE_TYPES_COLUMNS = ["DEPCOM", "TYPEQU", "NB_EQUIP"]


def read_bpe_types(path: str | Path) -> pd.DataFrame:
    """BPE 2013 counts per commune and type (long layout ``DEPCOM;TYPEQU;NB_EQUIP``).

    Former communes are translated to the current commune (the counts of merged communes
    add up); types are renamed to the 2021 codes (:data:`BPE2013_TO_2021`). Columns
    ``code_insee, typequ, n_equipment``.
    """
    from proximite.inventory.communes import former_codes

    try:
        raw = pd.read_csv(path, sep=";", dtype=str).fillna("")
    except FileNotFoundError as exc:
        raise InputError("fichier introuvable", path=path) from exc
    missing = [c for c in BPE_TYPES_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError("colonne manquante", path=path, line=1, field=missing[0],
                         expected="DEPCOM;TYPEQU;NB_EQUIP (disposition longue de l'INSEE)")
    counts = pd.to_numeric(raw["NB_EQUIP"], errors="coerce")
    bad = counts.isna() | (counts < 0)
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise InputError(f"nombre d'équipements illisible « {raw['NB_EQUIP'].iloc[line - 2]} »",
                         path=path, line=line, field="NB_EQUIP",
                         expected="un entier positif ou nul")
    former = former_codes()
    table = pd.DataFrame({
        "code_insee": raw["DEPCOM"].str.strip().map(lambda c: former.get(c, c)),
        "typequ": raw["TYPEQU"].str.strip().map(lambda c: BPE2013_TO_2021.get(c, c)),
        "n_equipment": counts.astype(int)})
    summed: pd.DataFrame = table.groupby(["code_insee", "typequ"], as_index=False) \
        .agg(n_equipment=("n_equipment", "sum"))
    return summed


def load_reference(bpe_types: str | Path | None = None) -> ReferenceTables:
    """The gamme tables, and the BPE type counts when a bundle ships them."""
    from proximite.inventory.bpe_communes import bpe2013_labels

    if bpe_types is None:
        return ReferenceTables(gamme_tables=load_gamme_tables())
    observed = sorted({BPE2013_TO_2021.get(c, c) for c in bpe2013_labels().values()})
    return ReferenceTables(gamme_tables=load_gamme_tables(), bpe_types=read_bpe_types(bpe_types),
                           bpe_observed_types=tuple(observed), bpe_vintage="2013",
                           bpe_source="la BPE 2013 de l'INSEE par commune")
