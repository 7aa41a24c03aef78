"""Read any mix of service files, recognising each file's layout from its columns.

Users drop files in whatever name the producer gave them, so the layout is recognised from
the header (or the JSON keys, or the zip content), never from the file name alone; a file
that matches no layout gets an error listing the layouts Proximité reads.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proximite.catalogue import Catalogue
from proximite.errors import InputError, Rejection
from proximite.inventory._read import (
    BBox,
    check_text,
    clean_header,
    decode_text,
    first_line,
    in_bbox,
    read_text,
    sniff_separator,
)
from proximite.inventory.anct import FS_REQUIRED, read_france_services
from proximite.inventory.annuaire import ANNUAIRE_REQUIRED, read_annuaire
from proximite.inventory.bpe import read_bpe
from proximite.inventory.bpe_communes import (
    BPE_COUNT_REQUIRED,
    read_bpe2013_table,
    read_bpe_counts,
)
from proximite.inventory.carburants import read_carburants
from proximite.inventory.cnfs import CNFS_REQUIRED, read_cnfs
from proximite.inventory.covoiturage import BNLC_REQUIRED, read_covoiturage
from proximite.inventory.derived import DERIVED_REQUIRED, read_derived_services
from proximite.inventory.education import read_education
from proximite.inventory.fuel import FUEL_REQUIRED, read_fuel_stations
from proximite.inventory.gares import read_gares
from proximite.inventory.gtfs import read_gtfs_stations
from proximite.inventory.healthcare import HEALTHCARE_REQUIRED, read_healthcare
from proximite.inventory.laposte import LAPOSTE_REQUIRED, read_laposte
from proximite.inventory.mednum import MEDNUM_REQUIRED, read_mednum
from proximite.inventory.msap import MSAP_ADDRESS, read_msap
from proximite.inventory.partner import PARTNER_REQUIRED, read_partner_services
from proximite.inventory.schema import ImportResult, empty_services
from proximite.textio import GZIP_MAGIC

Reader = Callable[..., ImportResult]


@dataclass(frozen=True)
class Layout:
    """A file layout: its name for users, the columns that identify it, its reader."""

    name: str
    description: str
    columns: tuple[str, ...]
    reader: Reader


CSV_LAYOUTS: tuple[Layout, ...] = (
    Layout("france_services", "ANCT liste des France Services (CSV)", tuple(FS_REQUIRED),
           read_france_services),
    Layout("laposte", "La Poste points de contact (CSV ';')", tuple(LAPOSTE_REQUIRED),
           read_laposte),
    Layout("fuel", "prix-carburants stations-service (CSV)", tuple(FUEL_REQUIRED),
           read_fuel_stations),
    Layout("bpe", "INSEE BPE (CSV ';', TYPEQU/DEPCOM/LAMBERT_X/LAMBERT_Y)",
           ("TYPEQU", "DEPCOM", "LAMBERT_X", "LAMBERT_Y"), read_bpe),
    Layout("bpe_counts", "INSEE BPE per commune, official long layout (DEPCOM;TYPEQU;NB_EQUIP)",
           tuple(BPE_COUNT_REQUIRED), read_bpe_counts),
    Layout("healthcare", "Eurostat GISCO healthcare services (FINESS, CSV)",
           tuple(HEALTHCARE_REQUIRED), read_healthcare),
    Layout("covoiturage", "Base nationale des lieux de covoiturage (BNLC, CSV)",
           tuple(BNLC_REQUIRED), read_covoiturage),
    Layout("derived", "services_<dep>.csv (service_type, name, lon, lat, ...)",
           tuple(DERIVED_REQUIRED), read_derived_services),
    Layout("partner", "Proximité service schema (CSV: category, name, lon, lat, ...)",
           tuple(PARTNER_REQUIRED), read_partner_services),
)
JSON_LAYOUT = Layout("cnfs", "ANCT conseillers numériques structures (JSON array)",
                     tuple(CNFS_REQUIRED), read_cnfs)
MEDNUM_LAYOUT = Layout("mednum", "ANCT lieux de médiation numérique (JSON array)",
                       tuple(MEDNUM_REQUIRED), read_mednum)
ANNUAIRE_LAYOUT = Layout("annuaire", "annuaire de l'administration DILA (JSON lines .sjson)",
                         tuple(ANNUAIRE_REQUIRED), read_annuaire)
EDUCATION_LAYOUT = Layout("education", "annuaire de l'éducation ({\"etab\": [...]} JSON)",
                          ("etab",), read_education)
CARBURANTS_LAYOUT = Layout("carburants", "prix-carburants 2026 ({\"stations\": [...]} JSON)",
                           ("stations",), read_carburants)
GARES_LAYOUT = Layout("gares", "SNCF gares de voyageurs (GeoJSON, code_uic)",
                      ("features", "code_uic"), read_gares)
JSON_LAYOUTS: tuple[Layout, ...] = (JSON_LAYOUT, MEDNUM_LAYOUT, ANNUAIRE_LAYOUT,
                                    EDUCATION_LAYOUT, CARBURANTS_LAYOUT, GARES_LAYOUT)
GTFS_LAYOUT = Layout("gtfs", "GTFS feed (.zip with stops.txt), e.g. SNCF TER",
                     ("stops.txt",), read_gtfs_stations)
BPE2013_LAYOUT = Layout("bpe2013", "INSEE BPE 2013 per commune (.xlsx: depcom + one column "
                        "per equipment label)", ("depcom",), read_bpe2013_table)
MSAP_LAYOUT = Layout("msap", "Maisons de services au public 2018 (shapefile .shp)",
                     (MSAP_ADDRESS,), read_msap)


def _read_osm(path: str | Path, catalogue: Catalogue, bbox: BBox | None = None
              ) -> ImportResult:
    from proximite.inventory.osm_pois import import_osm_pois

    result = import_osm_pois(path, catalogue)
    if bbox is not None:
        result.services = result.services[in_bbox(result.services["lon"],
                                                  result.services["lat"], bbox)]
    return result


OSM_LAYOUT = Layout("osm", "OpenStreetMap extract (.osm.pbf, .osm)", ("tags",), _read_osm)
FILE_LAYOUTS: tuple[Layout, ...] = (GTFS_LAYOUT, BPE2013_LAYOUT, MSAP_LAYOUT, OSM_LAYOUT)
ALL_LAYOUTS: tuple[Layout, ...] = (*CSV_LAYOUTS, *JSON_LAYOUTS, *FILE_LAYOUTS)
SUFFIX_LAYOUTS: dict[str, Layout] = {".xlsx": BPE2013_LAYOUT, ".shp": MSAP_LAYOUT,
                                     ".pbf": OSM_LAYOUT, ".osm": OSM_LAYOUT}

# A header matching at least this share of a layout's columns is read as that layout, so a
# misspelt column ends in the reader's "missing column (found ...: misspelt?)" message
# rather than in "unknown layout".
MATCH_SHARE = 0.6


def supported_layouts() -> str:
    return "; ".join(f"{layout.description} [{', '.join(layout.columns)}]"
                     for layout in ALL_LAYOUTS)


def detect_layout(path: str | Path) -> Layout:
    """Recognise a file's layout from its content (zip signature, JSON keys, CSV header)."""
    head = _read_head(path)
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIX_LAYOUTS:
        return SUFFIX_LAYOUTS[suffix]
    if head[:4] == b"PK\x03\x04" or suffix == ".zip":
        return GTFS_LAYOUT
    check_text(head, path)
    text = decode_text(head)[0].lstrip("\ufeff \t\r\n")
    if text[:1] in ("[", "{"):
        return _detect_json(path, read_text(path)[0])
    header_text = first_line(text)
    try:
        header = clean_header(next(csv.reader([header_text],
                                              delimiter=sniff_separator(header_text))))
    except csv.Error as exc:
        raise InputError(f"en-tête CSV illisible (« {exc} »)", path=path, line=1,
                         expected="une ligne d'en-tête CSV") from exc
    if "TYPEQU" in header and "DEPCOM" in header:
        located = {"LAMBERT_X", "LONGITUDE"} & set(header)
        name = "bpe" if located or "NB_EQUIP" not in header else "bpe_counts"
        return next(layout for layout in CSV_LAYOUTS if layout.name == name)
    best: Layout | None = None
    best_share = 0.0
    for layout in CSV_LAYOUTS:
        share = sum(1 for c in layout.columns if c in header) / len(layout.columns)
        if share > best_share:
            best, best_share = layout, share
    if best is None or best_share < MATCH_SHARE:
        raise InputError(f"disposition de fichier non reconnue (colonnes : "
                         f"{', '.join(header[:12])})",
                         path=path, line=1, expected="une de : " + supported_layouts())
    return best


def _read_head(path: str | Path, size: int = 65536) -> bytes:
    """The first bytes of a file: enough for a header without reading a 300 MB BPE twice."""
    path = Path(path)
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    if path.is_dir():
        raise InputError("c'est un dossier, pas un fichier", path=path)
    with path.open("rb") as handle:
        head = handle.read(size)
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as unpacked:
                head = unpacked.read(size)
        except (OSError, EOFError) as exc:
            raise InputError(f"fichier gzip illisible ({exc})", path=path,
                             expected="un fichier .gz complet") from exc
    if not head.strip():
        raise InputError("fichier vide", path=path,
                         expected="une ligne d'en-tête puis des lignes de données")
    return head


def _detect_json(path: str | Path, text: str) -> Layout:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InputError(f"JSON invalide (« {exc.msg} »)", path=path, line=exc.lineno,
                             expected="un tableau JSON d'objets") from exc
        data = [_first_json_line(path, text)]  # JSON lines: one object per line
        if _share(ANNUAIRE_REQUIRED, data[0]) >= MATCH_SHARE:
            return ANNUAIRE_LAYOUT
    if isinstance(data, dict):
        if isinstance(data.get("etab"), list):
            return EDUCATION_LAYOUT
        if isinstance(data.get("stations"), list):
            return CARBURANTS_LAYOUT
        features = data.get("features")
        if isinstance(features, list) and features and isinstance(features[0], dict) \
                and "code_uic" in (features[0].get("properties") or {}):
            return GARES_LAYOUT
    records = data if isinstance(data, list) else next(
        (v for v in data.values() if isinstance(v, list)), []) if isinstance(data, dict) else []
    if isinstance(records, list) and not records:
        raise InputError("tableau JSON vide", path=path, expected="un objet par lieu")
    keys = {k for r in records[:50] if isinstance(r, dict) for k in r}
    best = max((JSON_LAYOUT, MEDNUM_LAYOUT), key=lambda layout: _share(layout.columns, keys))
    if keys and _share(best.columns, keys) >= MATCH_SHARE:
        return best
    raise InputError("structure JSON non reconnue", path=path,
                     expected="l'une de : " + supported_layouts())


def _share(columns: Iterable[str], keys: Iterable[str]) -> float:
    wanted = list(columns)
    present = set(keys)
    return sum(1 for c in wanted if c in present) / len(wanted)


def _first_json_line(path: str | Path, text: str) -> dict[str, object]:
    line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        first = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"JSON invalide (« {exc.msg} »)", path=path, line=1,
                         expected="un tableau JSON d'objets, ou un objet par ligne") from exc
    if not isinstance(first, dict):
        raise InputError("structure JSON non reconnue", path=path, line=1,
                         expected="l'une de : " + supported_layouts())
    return first


def load_services(
    paths: Iterable[str | Path],
    catalogue: Catalogue,
    bbox: BBox | None = None,
) -> ImportResult:
    """Read every file with the reader of its layout and put the services together.

    Structural problems stop with an :class:`InputError` naming the file; row problems are
    gathered in ``rejected``; ``warnings`` are prefixed by each file's path.
    """
    result = ImportResult(empty_services())
    seen: dict[str, str] = {}  # service_id -> the input file it was first read from
    given: dict[Path, str] = {}
    for path in paths:
        resolved = Path(path).resolve()
        if resolved in given:
            raise InputError(f"fichier donné deux fois à --services (déjà : {given[resolved]})",
                             path=path, expected="chaque fichier de services une seule fois")
        given[resolved] = str(path)
        layout = detect_layout(path)
        part = layout.reader(path, catalogue, bbox)
        part = _drop_repeated_ids(part, path, seen)
        part = _keep_unparsable_hours_raw(part, path)
        result = result.extend(part)
    return result


@functools.lru_cache(maxsize=4096)
def _valid_hours(expression: str) -> bool:
    import opening_hours
    from opening_hours import OpeningHours

    parser_error: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]

    try:
        OpeningHours(expression)
    except (parser_error, ValueError):
        return False
    return True


def _keep_unparsable_hours_raw(part: ImportResult, path: str | Path) -> ImportResult:
    """Opening hours that are not valid OSM ``opening_hours`` move to the raw text, counted.

    A partner file may put free text in ``opening_hours``: published as is, the portal
    would show hours it cannot read as if they were checked.
    """
    services = part.services
    hours = services["opening_hours"].astype(str).str.strip()
    bad = (hours != "") & ~hours.map(_valid_hours).astype(bool)
    if not bad.any():
        return part
    services = services.copy()
    raw = services["opening_hours_raw"].astype(str)
    services.loc[bad, "opening_hours_raw"] = raw[bad].where(raw[bad].str.strip() != "",
                                                            hours[bad])
    services.loc[bad, "opening_hours"] = ""
    here = services.loc[bad, "source_file"] == str(path)
    lines = services.loc[bad, "source_line"][here].head(5).tolist()
    where = f" : lignes {', '.join(lines)}" if lines else ""
    warning = (f"{path} : {int(bad.sum())} ligne(s) aux horaires illisibles en syntaxe OSM "
               f"opening_hours, gardés en texte brut (opening_hours_raw){where}")
    return ImportResult(services, part.rejected, [*part.warnings, warning])


def _drop_repeated_ids(part: ImportResult, path: str | Path,
                       seen: dict[str, str]) -> ImportResult:
    """Reject the rows whose service_id was already read: in an earlier input file (both
    files named) or higher up in the same file (a source that lists one record twice:
    the first is kept, the line of the first given).

    Ids identify one service across the run (closures, the portal, the analysis): a second
    service under the same id would be silently doubled or break later steps.
    """
    services = part.services
    ids = services["service_id"].astype(str)
    repeated = ids.isin(list(seen)).to_numpy()
    again = ids.duplicated().to_numpy() & ~repeated
    rejected = list(part.rejected)
    warnings = list(part.warnings)

    def line_of(row: Any) -> int | None:
        line = row["source_line"]
        here = row["source_file"] == str(path) and str(line).isdigit()
        return int(line) if here else None

    if repeated.any():
        for _, row in services[repeated].iterrows():
            rejected.append(Rejection(
                str(path), line_of(row), "service_id", row["service_id"],
                f"service_id déjà lu dans {seen[row['service_id']]} : cette ligne est écartée"))
        earlier = sorted({seen[i] for i in ids[repeated]})
        warnings.append(f"{path} : {int(repeated.sum())} service_id déjà présents dans "
                        f"{', '.join(earlier)} (lignes écartées, voir rejected_services) : "
                        + ", ".join(ids[repeated].head(5)))
    if again.any():
        first = services[~ids.duplicated().to_numpy()].set_index(ids[~ids.duplicated()])
        for _, row in services[again].iterrows():
            kept_line = line_of(first.loc[str(row["service_id"])])
            where = f"à la ligne {kept_line}" if kept_line is not None else "plus haut"
            rejected.append(Rejection(
                str(path), line_of(row), "service_id", row["service_id"],
                f"service_id déjà lu {where} du même fichier : seule la première ligne "
                "est gardée"))
        warnings.append(f"{path} : {int(again.sum())} ligne(s) reprennent un service_id déjà "
                        "lu plus haut dans le même fichier (seule la première est gardée, "
                        "voir rejected_services) : " + ", ".join(ids[again].head(5)))
    if repeated.any() or again.any():
        services = services[~(repeated | again)].reset_index(drop=True)
        ids = services["service_id"].astype(str)
    for service_id in ids:
        seen.setdefault(service_id, str(path))
    return ImportResult(services, rejected, warnings)
