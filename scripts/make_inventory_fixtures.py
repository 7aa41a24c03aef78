"""Cut the inventory test fixtures from the official national files (shared data).

The tests must run from a clone without the shared data, so they read small cuts of the
real files, in the same layout and encoding: the first rows of each file, the Lozère (48)
rows, and a few rows chosen for a test (multi-line record, missing coordinates, unknown
La Poste type). Records are copied verbatim (same bytes, quoting and line endings).

    python scripts/make_inventory_fixtures.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "inventory"
LOZERE_BOX = (2.97, 44.10, 4.00, 44.98)  # west, south, east, north (département 48)
FIRST_ROWS = 30


Record = tuple[list[str], bytes]


def records(raw: bytes, encoding: str, delimiter: str) -> tuple[bytes, list[Record]]:
    """Header bytes and (parsed row, verbatim bytes) per record, multi-line records kept."""
    text = raw.decode(encoding)
    physical = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    header = physical[0].encode(encoding)
    out = []
    start = 1
    for row in reader:
        end = reader.line_num
        out.append((row, "".join(physical[start:end]).encode(encoding)))
        start = end
    return header, out


def cut_csv(source: Path, target: Path, delimiter: str, keep, encoding: str = "utf-8") -> int:
    """Write the header and the records for which keep(index, row dict) is true."""
    header_bytes, rows = records(source.read_bytes(), encoding, delimiter)
    names = next(csv.reader([header_bytes.decode(encoding).strip("\r\n")], delimiter=delimiter))
    chosen = [raw for i, (row, raw) in enumerate(rows)
              if keep(i, dict(zip(names, row, strict=False)))]
    target.write_bytes(header_bytes + b"".join(chosen))
    return len(chosen)


def in_lozere_box(lon: str, lat: str) -> bool:
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        return False
    west, south, east, north = LOZERE_BOX
    return west <= x <= east and south <= y <= north


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    services = shared / "services"

    picked = {"multiline": 0, "empty_slot": 0}

    def france_services(i: int, r: dict[str, str]) -> bool:
        """First rows, Lozère, 2 multi-line records, 1 record with '00:00 - 00:00' slots."""
        if i < FIRST_ROWS or r["insee_dep"] == "48":
            return True
        if "\n" in r["commentaire"] and picked["multiline"] < 2:
            picked["multiline"] += 1
            return True
        if "00:00 - 00:00 /" in r["h_mercredi"] and picked["empty_slot"] < 1:
            picked["empty_slot"] += 1
            return True
        return False

    n = cut_csv(services / "anct_liste-fs-20240801.csv",
                OUT / "anct_liste-fs-20240801_sample.csv", ",", france_services)
    print("france services", n)

    missing_lat = {"04640A", "03196A"}
    n = cut_csv(services / "laposte_poincont2_sTheoz.csv", OUT / "laposte_poincont2_sample.csv",
                ";", lambda i, r: i < FIRST_ROWS or r["Code_INSEE"].startswith("48")
                or r["#Identifiant_du_site"] in missing_lat
                or r["Caractéristique_du_site"] == "Agence postale militaire")
    print("la poste", n)

    def fuel(i: int, r: dict[str, str]) -> bool:
        return i < FIRST_ROWS or r["codepostal"].startswith("48")

    n = cut_csv(services / "station_service_sTheoz.csv", OUT / "station_service_sample.csv",
                ",", fuel)
    print("fuel", n)

    cnfs = json.loads((services / "anct_cnfs.json").read_text(encoding="utf-8"))
    no_lat = [r for r in cnfs if r.get("latitude") is None][:2]
    no_insee = [r for r in cnfs if "insee_com" not in r and r.get("latitude") is not None][:1]
    chosen = cnfs[:FIRST_ROWS] + [r for r in cnfs if r.get("insee_dep") == "48"] + no_lat + no_insee
    seen: set[int] = set()
    chosen = [r for r in chosen if not (r["id"] in seen or seen.add(r["id"]))]
    (OUT / "anct_cnfs_sample.json").write_text(
        json.dumps(chosen, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print("cnfs", len(chosen))

    cut_gtfs(shared / "gtfs" / "sncf_ter_gtfs_tempusaccess.zip", OUT / "sncf_ter_gtfs_sample.zip")

    counts: dict[str, int] = {}

    def derived(i: int, r: dict[str, str]) -> bool:
        counts[r["service_type"]] = counts.get(r["service_type"], 0) + 1
        return counts[r["service_type"]] <= 5 or (r["in_departement"] == "1"
                                                 and r["service_type"] == "gare_ter")

    n = cut_csv(shared / "territories" / "48" / "services_48.csv",
                OUT / "services_48_sample.csv", ",", derived)
    print("derived", n)


def cut_gtfs(source: Path, target: Path) -> None:
    """stops.txt with the Lozère stop areas, the first 5 others, and their stop points."""
    with zipfile.ZipFile(source) as archive:
        raw = archive.read("stops.txt")
        agency = archive.read("agency.txt")
        calendar = archive.read("calendar.txt").decode("utf-8").splitlines(keepends=True)
    header, rows = records(raw, "utf-8", ",")
    names = next(csv.reader([header.decode("utf-8").strip()]))
    parsed = [dict(zip(names, row, strict=True)) for row, _ in rows]
    areas = [r["stop_id"] for r in parsed if r["location_type"] == "1"]
    wanted = set(areas[:5]) | {r["stop_id"] for r in parsed if r["location_type"] == "1"
                               and in_lozere_box(r["stop_lon"], r["stop_lat"])}
    chosen = [raw_row for r, (_, raw_row) in zip(parsed, rows, strict=True)
              if r["stop_id"] in wanted or r["parent_station"] in wanted]
    members = {"agency.txt": agency, "calendar.txt": "".join(calendar[:40]).encode("utf-8"),
               "stops.txt": header + b"".join(chosen)}
    with zipfile.ZipFile(target, "w") as out:
        for name, content in members.items():
            # Fixed date (the feed's own) so the archive is byte-for-byte reproducible.
            info = zipfile.ZipInfo(name, date_time=(2017, 11, 6, 23, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, content)
    print("gtfs stops", len(chosen), "areas", len(wanted))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data"))
