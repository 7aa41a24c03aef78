"""Maisons de services au public, list of 2018-06-27 (ANCT, geocoded; ESRI shapefile).

The points are in Lambert-93 (the ``.prj``): read with pyogrio and reprojected to WGS84
with pyproj (through geopandas). The attributes are the geocoder's: ``locatin`` is the
searched address (``street, postcode town, France``), which gives the name and address;
a feature without geometry is a rejection naming its position in the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio
import pyogrio.errors

from proximite.catalogue import Catalogue
from proximite.errors import InputError, Rejection
from proximite.inventory._read import BBox, finish
from proximite.inventory.schema import ImportResult

MSAP_SOURCE = "ANCT, Maisons de services au public (liste géocodée)"
MSAP_DATE = "2018-06-27"
MSAP_ADDRESS = "locatin"


def read_msap(
    path: str | Path,
    catalogue: Catalogue | None = None,
    bbox: BBox | None = None,
    *,
    data_date: str = MSAP_DATE,
) -> ImportResult:
    if catalogue is not None:
        catalogue.category("msap")
    try:
        # Only the searched address: the geocoder's own fields hold UTF-8 cut at the field
        # width, which no encoding reads cleanly, and they are not used.
        frame = pyogrio.read_dataframe(path, columns=[MSAP_ADDRESS])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"shapefile illisible : {exc}", path=path,
                         expected="le .shp des MSAP avec ses .shx, .dbf et .prj") from exc
    if MSAP_ADDRESS not in frame.columns:
        raise InputError(f"colonne « {MSAP_ADDRESS} » manquante", path=path, field=MSAP_ADDRESS,
                         expected="la liste géocodée des MSAP (locatin = adresse cherchée)")
    if frame.crs is None:
        raise InputError("aucun système de coordonnées (.prj manquant)", path=path,
                         expected="un .prj à côté du .shp (Lambert-93)")
    lines = pd.Series(range(1, len(frame) + 1), index=frame.index)
    empty = frame.geometry.isna() | frame.geometry.is_empty
    rejected = [Rejection(str(path), int(lines[i]), "geometry", "", "coordonnées manquantes")
                for i in frame.index[empty]]
    frame = frame[~empty].to_crs("EPSG:4326")
    address = frame[MSAP_ADDRESS].fillna("").str.replace(r",\s*France$", "", regex=True)
    town = address.str.split(",").str[-1].str.replace(r"^\s*\d{5}\s*", "", regex=True)
    line = lines[frame.index].astype(str)
    services = pd.DataFrame({
        "service_id": "msap2018:" + line,
        "category": "msap",
        "name": "Maison de services au public (" + town.str.strip() + ")",
        "operator": "",
        "lon": frame.geometry.x,
        "lat": frame.geometry.y,
        "code_insee": "",
        "address": address.str.strip(),
        "access_modes": "on_site",
        "source": MSAP_SOURCE,
        "source_id": line,
        "data_date": data_date,
        "source_file": str(path),
        "source_line": line,
    })
    return finish(services, bbox, rejected, [])
