"""Nearest-service times on a Dask cluster: one task per category x territory block.

Why Dask (``dask.distributed``) and not our own pool: users who outgrow one machine (all
categories, a 200 m grid, many scenarios) run the same code on an existing scheduler
(``--scheduler tcp://…``); on one machine a ``LocalCluster`` of worker processes gets
round the GIL that scipy's Dijkstra holds.

- The graph and the snapped points are sent to every worker once (``scatter`` with
  ``broadcast=True``), never with each task.
- A task searches the graph cut to its block's box widened by a margin. Times below
  ``margin / fastest edge`` are proven exact (any path leaving the cut is longer); the
  others are searched again on the whole graph, so results equal the single-process run.
- Each finished block is written atomically to a work folder; a resumed run reads the
  finished blocks instead of computing them again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from proximite.access import (
    ACCESS_COLUMNS,
    PreparedAccess,
    Search,
    category_times,
    multi_source_search,
    prepare_access,
)
from proximite.model import AccessParams
from proximite.network.graph import RoadGraph
from proximite.network.snap import Snapper

METRES_PER_DEGREE = 111_320.0
EARTH_RADIUS_M = 6_371_008.8

#: Called after each block with (blocks done, blocks in all, block key).
Progress = Callable[[int, int, str], None]


def departement_of(code_insee: str) -> str:
    """The département of an INSEE commune code (971–976 for the outre-mer)."""
    return code_insee[:3] if code_insee.startswith("97") else code_insee[:2]


def territory_blocks(codes: Sequence[str] | np.ndarray,
                     departements_per_block: int) -> list[np.ndarray]:
    """Origin positions grouped by blocks of consecutive départements (sorted codes)."""
    departements = np.array([departement_of(str(c)) for c in codes], dtype=object)
    unique = sorted(set(departements))
    blocks = []
    for start in range(0, len(unique), departements_per_block):
        chosen = set(unique[start:start + departements_per_block])
        blocks.append(np.flatnonzero([d in chosen for d in departements]))
    return blocks


@dataclass(frozen=True)
class SharedGraph:
    """What every worker holds once: the reversed graph and its node coordinates."""

    reversed_matrix: sp.csr_matrix
    lon: np.ndarray
    lat: np.ndarray
    fastest_m_per_min: float  # the largest straight-line speed of any edge


@dataclass(frozen=True)
class AccessTask:
    """One category for one block of origins."""

    key: str
    category: str
    members: tuple[str, ...]
    rows: np.ndarray  # positions in the origins table


def fastest_edge_speed(graph: RoadGraph) -> float:
    """Straight-line metres per minute of the fastest edge: no path covers more ground
    per minute, which bounds what lies beyond a margin."""
    matrix = graph.matrix.tocoo()
    lon1, lat1 = np.radians(graph.lon[matrix.row]), np.radians(graph.lat[matrix.row])
    lon2, lat2 = np.radians(graph.lon[matrix.col]), np.radians(graph.lat[matrix.col])
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(metres > 0, metres / matrix.data, 0.0)
    return float(speed.max()) if len(speed) else 0.0


def cut_search(shared: SharedGraph, origin_nodes: np.ndarray, margin_m: float) -> Search:
    """The search of a block: on the graph cut to the origins' box + ``margin_m``, and on
    the whole graph again for the origins whose time the cut does not prove exact."""
    lat = shared.lat[origin_nodes]
    lon = shared.lon[origin_nodes]
    dlat = margin_m / METRES_PER_DEGREE
    # degrees of longitude at the box's latitude farthest from the equator: at least
    # margin_m everywhere in the box
    widest = min(float(np.max(np.abs(lat))) + dlat, 89.0) if len(lat) else 0.0
    dlon = margin_m / (METRES_PER_DEGREE * math.cos(math.radians(widest)))
    inside = ((shared.lon >= lon.min() - dlon) & (shared.lon <= lon.max() + dlon)
              & (shared.lat >= lat.min() - dlat) & (shared.lat <= lat.max() + dlat)) \
        if len(lat) else np.zeros(len(shared.lon), dtype=bool)
    kept = np.flatnonzero(inside)
    local = np.full(len(shared.lon), -1, dtype=np.int64)
    local[kept] = np.arange(len(kept))
    whole = len(kept) == len(shared.lon)  # e.g. one block for all of France
    # the cut of the whole graph is the graph: no copy, and every time it gives is exact
    cut = shared.reversed_matrix if whole else shared.reversed_matrix[kept][:, kept].tocsr()
    proven_min = margin_m / shared.fastest_m_per_min if shared.fastest_m_per_min > 0 else 0.0

    def search(nodes: np.ndarray, offsets: np.ndarray,
               at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dist = np.full(len(at), np.inf)
        root = np.full(len(at), -1, dtype=np.int64)
        in_cut = local[nodes] >= 0
        if in_cut.any():
            d, r = multi_source_search(cut, local[nodes[in_cut]], offsets[in_cut])
            dist, r_at = d[local[at]], r[local[at]]
            root = np.where(r_at >= 0, kept[np.maximum(r_at, 0)], -1)
        again = ~(dist < proven_min)  # unproven, or nothing reached inside the cut
        if again.any() and not whole:
            d, r = multi_source_search(shared.reversed_matrix, nodes, offsets)
            dist[again], root[again] = d[at[again]], r[at[again]]
        return dist, root
    return search


def run_task(shared: SharedGraph, prepared: PreparedAccess, task: AccessTask,
             margin_m: float) -> pd.DataFrame:
    """One task, on a worker: the block's rows for one category, in origin order."""
    search = cut_search(shared, prepared.origins.node[task.rows], margin_m)
    frame = category_times(prepared, task.category, task.members, search, task.rows)
    frame.insert(0, "_row", task.rows)
    return frame


def worker_memory_mb() -> float:
    """Peak resident memory of this process in MB (run on each worker to report it);
    elsewhere than Linux, the current one.

    Read from ``VmHWM`` (the peak of this process's own address space), not from
    ``getrusage``'s ``ru_maxrss``: that one survives ``execve``, so a worker spawned by a
    large process would report its parent's size at the fork.
    """
    if sys.platform.startswith("linux"):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) * 1024 / 1e6  # kB (KiB) -> MB
    import psutil

    return float(psutil.Process().memory_info().rss) / 1e6


@dataclass
class DaskAccess:
    """A drop-in for :func:`proximite.access.nearest_service_times` that runs on Dask.

    ``client``: a ``distributed.Client`` (built from ``scheduler`` or a ``LocalCluster``
    when None). After a call, ``computed`` and ``reused`` count the blocks run and the
    blocks read back from ``work_dir``; ``worker_memory_mb`` gives each worker's
    peak resident memory.
    """

    departements_per_block: int = 8
    margin_m: float = 100_000.0
    work_dir: Path | None = None
    client: Any = None
    scheduler: str | None = None
    workers: int = 2
    memory_limit: str = "3GiB"
    progress: Progress | None = None
    computed: int = 0
    reused: int = 0
    worker_memory_mb: dict[str, float] = field(default_factory=dict)
    _starting: Future[Any] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start connecting now, in a thread, so that the worker processes start (import
        Proximité, about 5 s each) while this process reads the inputs."""
        if self.client is None and self._starting is None:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dask-start")
            self._starting = pool.submit(self._connect)
            pool.shutdown(wait=False)  # the thread ends with the connection

    def connect(self) -> Any:
        """The Dask client: the given one, the scheduler's, or a new LocalCluster."""
        if self._starting is not None:
            starting, self._starting = self._starting, None
            starting.result()  # re-raises what went wrong in the thread
        return self._connect()

    def _connect(self) -> Any:
        if self.client is None:
            from distributed import Client, LocalCluster

            if self.scheduler:
                self.client = Client(self.scheduler)
            else:
                # the dashboard on a free port: two runs on one machine do not collide
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, memory_limit=self.memory_limit,
                                             dashboard_address=":0")
                self.client = Client(self._cluster)
        return self.client

    def close(self) -> None:
        """Close the client and the LocalCluster this runner started (never a given
        client or an existing scheduler's cluster)."""
        if self._starting is not None:  # a start still under way: let it end first
            starting, self._starting = self._starting, None
            if starting.exception() is not None:
                return
        cluster = self.__dict__.pop("_cluster", None)
        if cluster is not None:
            self.client.close()
            cluster.close()
            self.client = None

    def __call__(self, graph: RoadGraph, origins: pd.DataFrame, services: pd.DataFrame,
                 categories: dict[str, list[str]], params: AccessParams | None = None, *,
                 snapper: Snapper | None = None) -> pd.DataFrame:
        from distributed import as_completed

        prepared = prepare_access(graph, origins, services, params, snapper=snapper)
        codes = origins["code_insee"].astype(str).to_numpy() if "code_insee" in origins \
            else origins["origin_id"].astype(str).to_numpy()
        blocks = territory_blocks(codes, self.departements_per_block)
        tasks = [AccessTask(f"{code}__{b:03d}", code, tuple(sorted(members)), rows)
                 for code, members in categories.items() for b, rows in enumerate(blocks)]
        folder = self._folder(prepared, graph, tasks)
        done = {t.key: folder / f"{t.key}.parquet" for t in tasks
                if (folder / f"{t.key}.parquet").is_file()}
        self.reused, self.computed = len(done), 0
        total = len(tasks)
        if self.progress is not None and done:
            self.progress(len(done), total, "blocs repris du dossier de travail")
        todo = [t for t in tasks if t.key not in done]
        if todo:
            client = self.connect()
            routing = prepared.routing or graph
            # the contracted graph's nodes are a subset of the graph's: the fastest
            # straight-line speed of the full graph still bounds what a margin excludes
            shared = SharedGraph(routing.reversed_matrix(), routing.lon, routing.lat,
                                 fastest_edge_speed(graph))
            shared_ref = client.scatter(shared, broadcast=True, hash=False)
            prepared_ref = client.scatter(dataclasses.replace(prepared, routing=None),
                                          broadcast=True, hash=False)
            # A key of this call's own: an interrupted run's tasks are still being
            # released by the scheduler when a resumed run submits the same blocks, and a
            # reused key could then hand the new run a cancelled future.
            run_id = uuid.uuid4().hex[:8]
            futures = {client.submit(run_task, shared_ref, prepared_ref, t, self.margin_m,
                                     key=f"access-{folder.name}-{t.key}-{run_id}",
                                     pure=False): t
                       for t in todo}
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    path = folder / f"{task.key}.parquet"
                    _write_atomically(future.result(), path)
                    done[task.key] = path
                    self.computed += 1
                    if self.progress is not None:
                        self.progress(len(done), total, task.key)
            except BaseException:
                client.cancel(list(futures))  # an interrupted run leaves no work behind
                raise
            self.worker_memory_mb = client.run(worker_memory_mb)
        frames = [pd.read_parquet(done[t.key]) for t in tasks]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["_row", *ACCESS_COLUMNS])
        order = {code: i for i, code in enumerate(categories)}
        table = table.assign(_cat=table["category"].map(order)).sort_values(
            ["_cat", "_row"], kind="stable")
        return table[ACCESS_COLUMNS].reset_index(drop=True)

    def _folder(self, prepared: PreparedAccess, graph: RoadGraph,
                tasks: list[AccessTask]) -> Path:
        """The work folder of these exact inputs: another run never reads its blocks."""
        digest = hashlib.sha256()
        for array in (prepared.origins.node, prepared.services.node,
                      prepared.service_leg_min, prepared.origin_leg_min,
                      graph.matrix.data, graph.matrix.indices):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("|".join(prepared.service_ids).encode())
        digest.update("|".join(prepared.service_categories).encode())
        digest.update("|".join(f"{t.key}={','.join(t.members)}:{len(t.rows)}"
                               for t in tasks).encode())
        digest.update(f"{self.margin_m}|{self.departements_per_block}".encode())
        root = self.work_dir or Path(".proximite-travail")
        folder = root / digest.hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write a block's table aside, then rename: an interrupted write leaves no block."""
    partial = path.with_suffix(".partial")
    frame.to_parquet(partial, index=False)
    os.replace(partial, path)
