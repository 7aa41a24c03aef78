"""A diagnostic saved in its GeoPackage, and read back (``proximite serve --diagnostic``).

:func:`proximite.outputs.write_outputs` writes, next to the layers for QGIS, what a reload
needs to rebuild the :class:`~proximite.pipeline.DiagnosticResult` without running the
diagnostic again (:func:`write_record`); :func:`load_diagnostic` reads it back.

Layers of the record (plain names, QGIS opens them like the others):

- ``origins``: points, one per origin (town halls or population-grid squares): the
  origins' columns (``origin_id, code_insee, population``…) but ``lon``/``lat``, which are
  the point.
- ``network_nodes``: points ``node_index`` (row of the graph), ``node_id`` (the source's
  id as text: OSM id, INSEE code…).
- ``network_edges``: attribute table ``from_index, to_index, travel_time_min,
  edge_class`` (empty text when the network has no road class), one row per stored edge in
  the order of the graph's sparse matrix (CSR): written from its arrays and rebuilt from
  them, so the reloaded graph is the same matrix bit for bit (doubles are stored as
  8-byte reals).
- ``run``: attribute table ``key, value``, one row per item, ``value`` being the JSON text
  of the item. ``proximite_record`` is the version of this layout
  (:data:`RECORD_VERSION`); then the territory (``territory.*``), the network
  (``network_note``, ``graph.*``), the run's options (``options.*``, ``access.*`` for
  :class:`~proximite.access.AccessParams`, ``indicators.*`` for
  :class:`~proximite.indicators.IndicatorParams`), the computed ``categories`` and
  ``baskets``, the catalogue used as the text of its two YAML files
  (``catalogue.categories_yaml``, ``catalogue.baskets_yaml``: a custom ``--catalogue``
  reloads identically), ``warnings``, ``provenance`` and ``timings_s``. It is written
  last: a GeoPackage whose writing was interrupted has no ``run`` layer.

The other parts of the result come from the usual layers: ``communes`` (only the columns
the territory had, not the ``t_<code>_min`` and profile columns added for QGIS),
``services``, ``access_times`` (without the origin point), ``indicators``,
``rejected_services`` and ``duplicates``.

Not restored exactly: a commune polygon given as a Polygon comes back as a one-part
MultiPolygon when the communes mixed both (the GeoPackage layer has one type); the
``example_lines`` of grouped rejections (their ``reason`` text lists them); node ids held
in an object array and edge classes that were not text come back as text (integer id
arrays, as OSM's, keep their type). ``timings_s`` are those of the original run. The
analysis tables (profiles, poles…) are layers of their own and are not part of a
:class:`~proximite.pipeline.DiagnosticResult`: the portal recomputes the profiles.

Cost: on the demo the record adds about 0.05 s to the write; a synthetic graph of 800,000
nodes and 2 million edges writes in about 10 s (half of it the nodes' spatial index and
points) and reloads in about 5 s, bit for bit.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import scipy.sparse as sp
import shapely
import yaml

from proximite.access import AccessParams
from proximite.catalogue import Catalogue, load_catalogue
from proximite.errors import InputError, ProximiteError, Rejection
from proximite.indicators import IndicatorParams
from proximite.inventory.schema import GroupedRejection
from proximite.model import DiagnosticOptions, DiagnosticResult
from proximite.network.graph import RoadGraph
from proximite.outdir import MANIFEST_NAME, check_run_folder
from proximite.territory import Territory

#: Version of the record layout; :func:`load_diagnostic` refuses any other.
RECORD_VERSION = 1
RECORD_KEY = "proximite_record"
GPKG_NAME = "diagnostic.gpkg"
RECORD_LAYERS = ("origins", "network_nodes", "network_edges", "run")
RERUN = "relancer `proximite diagnostic` pour écrire un GeoPackage complet"
_SQLITE_HEADER = b"SQLite format 3\x00"
_EDGE_COLUMNS = ["from_index", "to_index", "travel_time_min", "edge_class"]


# ---------------------------------------------------------------------------- writing
def catalogue_yaml(catalogue: Catalogue) -> tuple[str, str]:
    """The text of ``categories.yaml`` and ``baskets.yaml`` that load as ``catalogue``."""
    categories: dict[str, Any] = {}
    for code, cat in catalogue.categories.items():
        spec: dict[str, Any] = {"label": cat.label, "family": cat.family}
        if cat.parent is not None:
            spec["parent"] = cat.parent
        if cat.gamme is not None:
            spec["gamme"] = cat.gamme
        spec["bpe"] = list(cat.bpe_codes)
        spec["osm"] = [dict(f) for f in cat.osm_filters]
        spec.update({scheme: list(codes) for scheme, codes in cat.codes.items()})
        categories[code] = spec
    baskets = {code: {"label": b.label, "source": b.source, "to_check": b.to_check,
                      "note": b.note, "categories": list(b.categories)}
               for code, b in catalogue.baskets.items()}
    def dump(data: dict[str, object]) -> str:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    return (dump({"version": 1, "families": dict(catalogue.families),
                  "categories": categories}),
            dump({"version": 1, "baskets": baskets}))


def _prefixed(prefix: str, obj: Any) -> dict[str, Any]:
    """``prefix.field`` -> value for each field of a dataclass (tuples as lists)."""
    items: dict[str, Any] = {}
    for item in dataclasses.fields(obj):
        value = getattr(obj, item.name)
        items[f"{prefix}.{item.name}"] = list(value) if isinstance(value, tuple) else value
    return items


def run_items(result: DiagnosticResult) -> dict[str, Any]:
    """Everything of the run that the other layers do not hold (see the module doc)."""
    from proximite import __version__

    territory, graph, options = result.territory, result.graph, result.options
    matrix = graph.matrix
    categories_yaml, baskets_yaml = catalogue_yaml(result.catalogue)
    items: dict[str, Any] = {
        RECORD_KEY: RECORD_VERSION,
        "proximite_version": __version__,
        "territory.name": territory.name,
        "territory.source": territory.source,
        "territory.origin_method": territory.origin_method,
        "territory.warnings": list(territory.warnings),
        "territory.extent_wkb": (None if territory.extent is None
                                 else shapely.to_wkb(territory.extent, hex=True)),
        "territory.n_communes": len(territory.communes),
        "communes_columns": [str(c) for c in territory.communes.columns],
        "origins_columns": [str(c) for c in result.origins.columns],
        "network_note": result.network_note,
        "graph.description": graph.description,
        "graph.mode": graph.mode,
        "graph.is_stand_in": bool(graph.is_stand_in),
        "graph.warnings": list(graph.warnings),
        "graph.n_nodes": graph.n_nodes,
        "graph.n_edges": graph.n_edges,
        "graph.node_id_dtype": np.asarray(graph.node_ids).dtype.str,
        "graph.index_dtype": matrix.indices.dtype.str,
        "graph.has_edge_class": graph.edge_class is not None,
    }
    scalar = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
              if f.name not in ("access", "indicators", "baskets", "extra_categories")}
    items.update({f"options.{k}": v for k, v in scalar.items()})
    items["options.baskets"] = None if options.baskets is None else list(options.baskets)
    items["options.extra_categories"] = list(options.extra_categories)
    if options.access is not None:  # always set by run_diagnostic
        items.update(_prefixed("access", options.access))
    items.update(_prefixed("indicators", options.indicators))
    items.update({
        "categories": list(result.categories),
        "baskets": list(result.baskets),
        "catalogue.categories_yaml": categories_yaml,
        "catalogue.baskets_yaml": baskets_yaml,
        "warnings": list(result.warnings),
        "provenance": [dict(p) for p in result.provenance],
        "timings_s": dict(result.timings_s),
    })
    return items


def run_table(result: DiagnosticResult) -> pd.DataFrame:
    items = run_items(result)
    return pd.DataFrame({"key": list(items),
                         "value": [json.dumps(v, ensure_ascii=False) for v in items.values()]})


def origins_layer(result: DiagnosticResult) -> gpd.GeoDataFrame:
    origins = result.origins
    table = pd.DataFrame(origins.drop(columns=["lon", "lat"])).reset_index(drop=True)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(origins["lon"], origins["lat"]),
                            crs="EPSG:4326")


def network_layers(graph: RoadGraph) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """(nodes, edges) tables of the graph, straight from its CSR arrays (no loop)."""
    matrix = graph.matrix
    index_dtype = matrix.indices.dtype
    n = graph.n_nodes
    node_ids = pd.Series(np.asarray(graph.node_ids)).astype(str)
    nodes = gpd.GeoDataFrame(
        {"node_index": np.arange(n, dtype=index_dtype), "node_id": node_ids.to_numpy()},
        geometry=gpd.points_from_xy(graph.lon, graph.lat), crs="EPSG:4326")
    from_index = np.repeat(np.arange(n, dtype=index_dtype), np.diff(matrix.indptr))
    if graph.edge_class is None:
        classes: Any = np.full(graph.n_edges, "", dtype=object)
    else:
        series = pd.Series(np.asarray(graph.edge_class, dtype=object), dtype=object)
        if pd.api.types.infer_dtype(series, skipna=True) == "string":
            classes = series.to_numpy()
        else:  # not text (or missing values): as text, missing ones stay NULL
            missing = series.isna().to_numpy()
            classes = series.astype(str).to_numpy(dtype=object)
            classes[missing] = None
    edges = pd.DataFrame({"from_index": from_index, "to_index": matrix.indices,
                          "travel_time_min": matrix.data, "edge_class": classes},
                         columns=_EDGE_COLUMNS)
    return nodes, edges


def write_layer(frame: pd.DataFrame, gpkg: str | Path, layer: str) -> None:
    """Write one layer of ``gpkg`` through Arrow (GDAL's columnar path, one transaction):
    2-3x faster than feature by feature for the national run's 500,000-row tables. A
    column Arrow cannot type (texts mixed with numbers in user data) is written feature by
    feature, as before: the table is converted before the layer is created."""
    import pyarrow as pa

    try:
        pyogrio.write_dataframe(frame, gpkg, layer=layer, driver="GPKG", use_arrow=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pyogrio.write_dataframe(frame, gpkg, layer=layer, driver="GPKG")


def write_record(result: DiagnosticResult, gpkg: str | Path, run_id: str | None = None) -> None:
    """Add the record layers to ``gpkg`` (``run`` last: it marks a complete record).

    ``run_id`` (item ``run_id``) ties the GeoPackage to the manifest of its folder.
    """
    nodes, edges = network_layers(result.graph)
    write_layer(origins_layer(result), gpkg, "origins")
    write_layer(nodes, gpkg, "network_nodes")
    write_layer(edges, gpkg, "network_edges")
    run = run_table(result)
    if run_id is not None:
        run = pd.concat([run, pd.DataFrame({"key": ["run_id"], "value": [json.dumps(run_id)]})],
                        ignore_index=True)
    write_layer(run, gpkg, "run")


# ---------------------------------------------------------------------------- reading
class _Record:
    """The open GeoPackage: its path, layers and ``run`` items, with located errors."""

    def __init__(self, gpkg: Path) -> None:
        self.gpkg = gpkg
        self.label = str(gpkg)
        try:
            with gpkg.open("rb") as stream:
                header = stream.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise InputError(f"illisible ({exc.strerror})", path=self.label) from exc
        if header != _SQLITE_HEADER:
            raise InputError("ce n'est pas un GeoPackage", path=self.label,
                             expected=f"le {GPKG_NAME} écrit par `proximite diagnostic`")
        try:
            self.layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
        except Exception as exc:  # pyogrio raises several error types for damaged files
            raise InputError(f"illisible comme GeoPackage ({type(exc).__name__} : {exc})",
                             path=self.label) from exc
        if "run" not in self.layers and not {"services", "access_times"} <= self.layers:
            raise InputError("pas un diagnostic (aucune des couches « services », "
                             "« access_times », « run »)",
                             path=self.label,
                             expected=f"le {GPKG_NAME} écrit par `proximite diagnostic`")
        self.require("run")
        run = self.read("run", read_geometry=False)
        if not {"key", "value"} <= set(run.columns):
            raise InputError("la couche « run » n'a pas de colonnes key/value", path=self.label)
        self.items = dict(zip(run["key"].astype(str), run["value"], strict=True))
        version = self.value(RECORD_KEY)
        if version != RECORD_VERSION:
            raise InputError(f"couche « run » : version d'enregistrement {version!r} inconnue "
                             f"(cette version de Proximité lit la version {RECORD_VERSION}) ; "
                             f"{RERUN}",
                             path=self.label)

    def require(self, layer: str) -> None:
        if layer not in self.layers:
            raise InputError(f"couche « {layer} » absente : ce GeoPackage a été écrit par "
                             "une version antérieure de Proximité, ou son écriture a été "
                             f"interrompue ; {RERUN}", path=self.label)

    def read(self, layer: str, **kwargs: Any) -> pd.DataFrame:
        self.require(layer)
        try:
            return pyogrio.read_dataframe(self.gpkg, layer=layer, **kwargs)
        except Exception as exc:
            raise InputError(f"couche « {layer} » illisible ({type(exc).__name__} : {exc})",
                             path=self.label) from exc

    def value(self, key: str) -> Any:
        if key not in self.items:
            raise InputError(f"couche « run » : pas d'élément « {key} » ; {RERUN}", path=self.label,
                             field=key)
        raw = self.items[key]
        try:
            return json.loads(str(raw))
        except (TypeError, ValueError) as exc:
            raise InputError(f"couche « run » : valeur JSON invalide ({exc})", path=self.label,
                             field=key) from exc

    def group(self, prefix: str) -> dict[str, Any]:
        """The items ``prefix.name`` as ``{name: value}``."""
        start = prefix + "."
        return {key[len(start):]: self.value(key) for key in self.items
                if key.startswith(start)}

    def fail(self, layer: str, message: str) -> InputError:
        return InputError(f"couche « {layer} » : {message} ; {RERUN}", path=self.label)


def _resolve(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        inside = path / GPKG_NAME
        if not inside.exists():
            raise InputError(f"pas de {GPKG_NAME} dans ce dossier", path=str(path),
                             expected="le dossier écrit par `proximite diagnostic` ou son "
                                      f"{GPKG_NAME}")
        return inside
    if not path.exists():
        raise InputError("fichier introuvable", path=str(path),
                         expected="le dossier écrit par `proximite diagnostic` ou son "
                                  f"{GPKG_NAME}")
    return path


def _plain(frame: pd.DataFrame, drop: tuple[str, ...] = ("geometry",)) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns=[c for c in drop if c in frame.columns]))
    out.attrs = {}
    return out.reset_index(drop=True)


def _ordered(frame: pd.DataFrame, columns: list[str], record: _Record,
             layer: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise record.fail(layer, "colonne(s) manquante(s) " + ", ".join(missing))
    return frame[columns]


def _catalogue(record: _Record) -> Catalogue:
    with tempfile.TemporaryDirectory(prefix="proximite-catalogue-") as tmp:
        directory = Path(tmp)
        for key, name in (("catalogue.categories_yaml", "categories.yaml"),
                          ("catalogue.baskets_yaml", "baskets.yaml")):
            text = record.value(key)
            if not isinstance(text, str):
                raise InputError("couche « run » : le texte d'un fichier YAML était attendu",
                                 path=record.label, field=key)
            (directory / name).write_text(text, encoding="utf-8")
        try:
            return load_catalogue(directory)
        except InputError as exc:
            raise InputError(f"couche « run » : catalogue : {exc.reason}", path=record.label,
                             field=exc.field, line=exc.line) from exc


def _territory(record: _Record) -> Territory:
    n_communes = int(record.value("territory.n_communes"))
    columns = list(record.value("communes_columns"))
    if n_communes:
        layer = record.read("communes")
        if len(layer) != n_communes:
            raise record.fail("communes", f"{len(layer)} communes, la couche « run » en annonce "
                                          f"{n_communes}")
        communes = _ordered(layer, columns, record, "communes").reset_index(drop=True)
    else:
        empty = {c: pd.Series(dtype=float if c in ("population", "pct_65plus", "origin_lon",
                                                   "origin_lat") else str)
                 for c in columns if c != "geometry"}
        communes = gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"),
                                    crs="EPSG:4326")[columns]
    extent_wkb = record.value("territory.extent_wkb")
    return Territory(
        name=str(record.value("territory.name")), communes=cast(gpd.GeoDataFrame, communes),
        source=str(record.value("territory.source")),
        origin_method=str(record.value("territory.origin_method")),
        warnings=list(record.value("territory.warnings")),
        extent=None if extent_wkb is None else shapely.from_wkb(extent_wkb))


def _origins(record: _Record) -> pd.DataFrame:
    layer = record.read("origins")
    columns = list(record.value("origins_columns"))
    table = _plain(layer)
    points = layer.geometry.to_numpy()
    table["lon"] = shapely.get_x(points)
    table["lat"] = shapely.get_y(points)
    return _ordered(table, columns, record, "origins")


def _graph(record: _Record) -> RoadGraph:
    n = int(record.value("graph.n_nodes"))
    n_edges = int(record.value("graph.n_edges"))
    index_dtype = np.dtype(record.value("graph.index_dtype"))
    nodes = record.read("network_nodes")
    if len(nodes) != n:
        raise record.fail("network_nodes", f"{len(nodes)} nœuds, la couche « run » en "
                                           f"annonce {n}")
    if not {"node_index", "node_id"} <= set(nodes.columns):
        raise record.fail("network_nodes", "colonnes node_index et node_id attendues")
    order = np.argsort(nodes["node_index"].to_numpy(), kind="stable")
    if not np.array_equal(nodes["node_index"].to_numpy()[order], np.arange(n)):
        raise record.fail("network_nodes", f"node_index n'est pas 0..{n - 1}")
    points = nodes.geometry.to_numpy()[order]
    node_text = nodes["node_id"].to_numpy(dtype=object)[order]
    id_dtype = np.dtype(record.value("graph.node_id_dtype"))
    try:
        node_ids = node_text if id_dtype.kind == "O" else node_text.astype(str).astype(id_dtype)
    except (TypeError, ValueError) as exc:
        raise record.fail("network_nodes", f"node_id n'est pas de type {id_dtype}") from exc

    edges = record.read("network_edges", read_geometry=False)
    missing = [c for c in _EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise record.fail("network_edges", "colonne(s) manquante(s) " + ", ".join(missing))
    if len(edges) != n_edges:
        raise record.fail("network_edges", f"{len(edges)} arcs, la couche « run » en annonce "
                                           f"{n_edges}")
    from_index = edges["from_index"].to_numpy()
    to_index = edges["to_index"].to_numpy()
    minutes = edges["travel_time_min"].to_numpy(dtype=np.float64)
    classes_col = edges["edge_class"]
    if n_edges and np.any(np.diff(from_index) < 0):  # rows moved (edited): back to CSR
        order = np.argsort(from_index, kind="stable")
        from_index, to_index, minutes = from_index[order], to_index[order], minutes[order]
        classes_col = classes_col.iloc[order]
    if n_edges and (min(from_index.min(), to_index.min()) < 0
                    or max(from_index.max(), to_index.max()) >= n):
        raise record.fail("network_edges", f"indice de nœud hors de 0..{n - 1}")
    if not np.all(np.isfinite(minutes)):
        raise record.fail("network_edges", "travel_time_min doit être un nombre fini")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(from_index, minlength=n))])
    matrix = sp.csr_matrix((minutes, to_index.astype(index_dtype), indptr.astype(index_dtype)),
                           shape=(n, n))
    # scipy may pick a narrower index type than the saved graph had: keep the saved one
    matrix.indices = matrix.indices.astype(index_dtype, copy=False)
    matrix.indptr = matrix.indptr.astype(index_dtype, copy=False)
    edge_class = None
    if record.value("graph.has_edge_class"):
        edge_class = classes_col.to_numpy(dtype=object)
        edge_class[classes_col.isna().to_numpy()] = None
    return RoadGraph(
        matrix=matrix, node_ids=node_ids,
        lon=np.asarray(shapely.get_x(points), dtype=np.float64),
        lat=np.asarray(shapely.get_y(points), dtype=np.float64),
        mode=str(record.value("graph.mode")),
        description=str(record.value("graph.description")),
        is_stand_in=bool(record.value("graph.is_stand_in")),
        warnings=list(record.value("graph.warnings")), edge_class=edge_class)


def _options(record: _Record) -> DiagnosticOptions:
    try:
        access_items = record.group("access")
        access = AccessParams(**access_items) if access_items else None
        indicators = record.group("indicators")
        if "thresholds_min" in indicators:
            indicators["thresholds_min"] = tuple(float(t) for t in
                                                 indicators["thresholds_min"])
        baskets = record.value("options.baskets")
        scalar = {k: v for k, v in record.group("options").items()
                  if k not in ("baskets", "extra_categories")}
        return DiagnosticOptions(
            **scalar, access=access, indicators=IndicatorParams(**indicators),
            baskets=None if baskets is None else list(baskets),
            extra_categories=tuple(record.value("options.extra_categories")))
    except TypeError as exc:  # an unknown or missing parameter name
        raise InputError(f"couche « run » : options : {exc} ; {RERUN}", path=record.label) from exc


def _rejected(record: _Record) -> list[Rejection]:
    if "rejected_services" not in record.layers:
        return []
    table = _plain(record.read("rejected_services", read_geometry=False))
    rejections: list[Rejection] = []

    def text(value: Any) -> str | None:
        return None if pd.isna(value) else str(value)

    for row in table.to_dict("records"):
        line = None if pd.isna(row.get("line")) else int(row["line"])
        rows = 1 if pd.isna(row.get("rows", 1)) else int(row.get("rows", 1))
        path, field = str(row.get("file", "")), text(row.get("field"))
        value, reason = text(row.get("value")) or "", str(row.get("reason", ""))
        rejections.append(GroupedRejection(path, line, field, value, reason, rows=rows)
                          if rows != 1 else Rejection(path, line, field, value, reason))
    return rejections


def _duplicates(record: _Record) -> pd.DataFrame:
    from proximite.inventory.dedup import REPORT_COLUMNS

    if "duplicates" not in record.layers:
        return pd.DataFrame(columns=REPORT_COLUMNS).astype({"distance_m": "float64"})
    table = _plain(record.read("duplicates", read_geometry=False))
    if "distance_m" in table:
        table["distance_m"] = table["distance_m"].astype("float64")
    return table


#: Optional layers of the record (absent from runs without them, or written before them)
ACCESS_MODE_LAYERS = {"itinerant": "itinerant_access", "remote": "remote_access",
                      "digital": "digital"}


def _access_mode_tables(record: _Record) -> dict[str, pd.DataFrame]:
    """Itinerant, remote and digital tables, empty when the layer is absent."""
    return {name: _plain(record.read(layer, read_geometry=False))
            for name, layer in ACCESS_MODE_LAYERS.items() if layer in record.layers}


def load_diagnostic(path: str | Path) -> DiagnosticResult:
    """Read back a diagnostic written by :func:`proximite.outputs.write_outputs`.

    ``path``: the output folder or its ``diagnostic.gpkg``. Raises
    :class:`~proximite.errors.InputError` naming the file (and the layer) when the path
    is missing, is not a GeoPackage, or holds no complete record of this version.
    """
    gpkg = _resolve(path)
    record = _Record(gpkg)
    if Path(path).is_dir() or (gpkg.parent / MANIFEST_NAME).exists():
        run_id = record.value("run_id") if "run_id" in record.items else None
        check_run_folder(gpkg.parent, run_id, gpkg.name)
    try:
        for layer in ("services", "origins", "network_nodes", "network_edges",
                      "access_times", "indicators"):
            record.require(layer)
        territory = _territory(record)
        origins = _origins(record)
        graph = _graph(record)
        services = _plain(record.read("services", read_geometry=False))
        access_times = _plain(record.read("access_times", read_geometry=False),
                              drop=("geometry", "lon", "lat"))
        indicators = _plain(record.read("indicators", read_geometry=False))
        catalogue = _catalogue(record)
        options = _options(record)
        tables = _access_mode_tables(record)
        return DiagnosticResult(
            territory=territory, services=services, rejected=_rejected(record),
            duplicates=_duplicates(record), origins=origins, graph=graph,
            access_times=access_times, indicators=indicators,
            categories=list(record.value("categories")),
            baskets=list(record.value("baskets")), catalogue=catalogue, options=options,
            network_note=str(record.value("network_note")),
            warnings=list(record.value("warnings")),
            provenance=[dict(p) for p in record.value("provenance")],
            timings_s={str(k): float(v) for k, v in record.value("timings_s").items()},
            itinerant=tables.get("itinerant", pd.DataFrame()),
            remote=tables.get("remote", pd.DataFrame()),
            digital=tables.get("digital", pd.DataFrame()))
    except ProximiteError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"enregistrement incohérent ({type(exc).__name__} : {exc}) ; {RERUN}",
                         path=record.label) from exc
