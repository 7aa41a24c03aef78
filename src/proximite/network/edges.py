"""A plain edge table (from, to, minutes, or km and a speed) as a road graph.

This is how a pre-computed network comes in, including the demo's stand-in: an edge
between touching communes weighted by town-hall-to-town-hall great-circle km x 1.3.
Node coordinates come from a node table (id, lon, lat) or, when the node ids are INSEE
codes, from the communes' origin points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from proximite.errors import InputError, numeric_column
from proximite.network.graph import RoadGraph
from proximite.textio import read_text_frame

FROM_NAMES = ("from", "from_id", "from_node", "source", "u", "from_insee")
TO_NAMES = ("to", "to_id", "to_node", "target", "v", "to_insee")
MINUTES_NAMES = ("travel_time_min", "minutes", "time_min", "duration_min")
KM_NAMES = ("km", "length_km", "distance_km")
METRES_NAMES = ("length_m", "distance_m", "metres")
CLASS_NAMES = ("class", "road_class")
DEFAULT_CLASS = "edge_table"  # road class of every edge when the table gives none


def _find(columns: list[str], names: tuple[str, ...], prefix: str | None = None) -> str | None:
    for name in names:
        if name in columns:
            return name
    if prefix:
        for col in columns:
            if col.startswith(prefix):
                return col
    return None


def _read_csv(path: Path, warnings: list[str]) -> pd.DataFrame:
    """The table as text columns, decoded like every input; encoding warnings appended."""
    if not path.exists():
        raise InputError("fichier introuvable", path=path)
    if path.stat().st_size == 0:
        raise InputError("fichier vide", path=path,
                         expected="une table des arcs avec une ligne d'en-tête")
    frame, encoding_warnings = read_text_frame(path)
    warnings.extend(encoding_warnings)
    return frame


MAX_EDGE_MIN = 24 * 60.0
"""Longest plausible time on one edge (a day): beyond, a sum of path times can overflow
into infinity and read as a false "no road path"."""


def _check_edge_times(minutes: np.ndarray, path: Path, column: str | None) -> None:
    """Refuse edge times no road has: one longer than a day (1e308...), or all zero."""
    bad = ~np.isfinite(minutes) | (minutes > MAX_EDGE_MIN)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{int(bad.sum())} arc(s) de plus de {MAX_EDGE_MIN:g} min (le premier : "
            f"{minutes[row]:g} min) : une somme de tels temps déborde et se lirait comme "
            "« pas de chemin »", path=path, line=row + 2, field=column,
            expected=f"un temps d'arc d'au plus {MAX_EDGE_MIN:g} min")
    if len(minutes) and not (minutes > 0).any():
        raise InputError("tous les temps de parcours des arcs sont nuls : chaque service "
                         "serait à 0 min", path=path, field=column,
                         expected="des temps (ou longueurs) d'arcs > 0")


def read_edge_table(
    path: str | Path,
    *,
    node_coordinates: pd.DataFrame | None = None,
    nodes_path: str | Path | None = None,
    speed_kmh: float = 60.0,
    directed: bool = False,
    mode: str = "car",
    is_stand_in: bool | None = None,
    description: str | None = None,
) -> RoadGraph:
    """Build a graph from an edge table.

    Columns: a from and a to node (``from,to`` or ``from_insee,to_insee``...), then either
    minutes (``travel_time_min``), or a length (``km``, ``km_*``, ``length_m``) with an
    optional ``speed_kmh`` column, else ``speed_kmh`` applies. Without a ``oneway`` column
    every row is usable both ways unless ``directed``. An optional ``class`` or
    ``road_class`` column gives each edge's road class (else ``edge_table``), for
    scenario speed changes. ``node_coordinates`` (columns
    ``node_id, lon, lat``) or ``nodes_path`` give node positions.
    """
    path = Path(path)
    warnings: list[str] = []
    frame = _read_csv(path, warnings)
    columns = list(frame.columns)
    from_col, to_col = _find(columns, FROM_NAMES), _find(columns, TO_NAMES)
    if from_col is None or to_col is None:
        raise InputError("pas de colonnes de nœuds de départ et d'arrivée", path=path, line=1,
                         expected="des colonnes comme « from,to » ou « from_insee,to_insee »")
    if len(frame) == 0:
        raise InputError("aucun arc dans le fichier", path=path, expected="au moins une ligne")
    minutes_col = _find(columns, MINUTES_NAMES)
    km_col = _find(columns, KM_NAMES, prefix="km_")
    metres_col = _find(columns, METRES_NAMES)
    if minutes_col:
        minutes = numeric_column(frame, minutes_col, path, minimum=0.0)
    elif km_col or metres_col:
        km = (numeric_column(frame, km_col, path, minimum=0.0) if km_col
              else numeric_column(frame, metres_col, path, minimum=0.0) / 1000.0)  # type: ignore[arg-type]
        speed = (numeric_column(frame, "speed_kmh", path, positive=True) if "speed_kmh" in columns
                 else np.full(len(frame), float(speed_kmh)))
        minutes = km / speed * 60.0
    else:
        raise InputError("pas de colonne de temps de trajet ni de longueur", path=path, line=1,
                         expected="travel_time_min, ou km / km_* / length_m (+ speed_kmh)")
    _check_edge_times(minutes, path, minutes_col or km_col or metres_col)
    if nodes_path is not None:
        node_table = _read_csv(Path(nodes_path), warnings)
        id_col = _find(list(node_table.columns), ("node_id", "id", "code_insee"))
        if id_col is None or "lon" not in node_table or "lat" not in node_table:
            raise InputError("la table des nœuds doit avoir les colonnes node_id, lon, lat",
                             path=nodes_path,
                             line=1)
        node_coordinates = pd.DataFrame({
            "node_id": node_table[id_col].astype(str),
            "lon": numeric_column(node_table, "lon", nodes_path, max_abs=180.0),
            "lat": numeric_column(node_table, "lat", nodes_path, max_abs=90.0),
        })
    if node_coordinates is None:
        raise InputError("pas de coordonnées pour les nœuds du réseau", path=path,
                         expected="une table des nœuds (node_id, lon, lat) ou des codes INSEE "
                         "comme identifiants de nœuds")
    coords = node_coordinates.drop_duplicates("node_id").set_index("node_id")
    from_ids = frame[from_col].astype(str).str.strip()
    to_ids = frame[to_col].astype(str).str.strip()
    node_ids = pd.Index(pd.unique(pd.concat([from_ids, to_ids], ignore_index=True)))
    unknown = node_ids.difference(list(coords.index))
    if len(unknown):
        raise InputError(
            f"{len(unknown)} nœud(s) sans coordonnées : " + ", ".join(unknown[:10]),
            path=path, field=f"{from_col}/{to_col}",
            expected="des identifiants de nœuds présents dans la table des nœuds (ou les "
                     "codes INSEE du territoire)")
    u = node_ids.get_indexer(pd.Index(from_ids))
    v = node_ids.get_indexer(pd.Index(to_ids))
    if "oneway" in columns:
        oneway = frame["oneway"].str.lower().isin(["1", "true", "yes", "oui"]).to_numpy()
    else:
        oneway = np.full(len(frame), directed)
    both = ~oneway
    from_index = np.concatenate([u, v[both]])
    to_index = np.concatenate([v, u[both]])
    travel_time_min = np.concatenate([minutes, minutes[both]])
    class_col = _find(columns, CLASS_NAMES)
    row_class = (frame[class_col].astype(str).str.strip().replace("", DEFAULT_CLASS)
                 .to_numpy(dtype=object) if class_col
                 else np.full(len(frame), DEFAULT_CLASS, dtype=object))
    stand_in = ("proxy" in path.name.lower()) if is_stand_in is None else is_stand_in
    graph = RoadGraph.from_edges(
        node_ids=node_ids.to_numpy(),
        lon=coords.loc[node_ids, "lon"].to_numpy(dtype=float),
        lat=coords.loc[node_ids, "lat"].to_numpy(dtype=float),
        from_index=from_index,
        to_index=to_index,
        travel_time_min=travel_time_min,
        mode=mode,
        description=description or f"table d'arcs {path.name}",
        is_stand_in=stand_in,
        edge_class=np.concatenate([row_class, row_class[both]]),
    )
    graph.warnings[:0] = warnings
    return graph
