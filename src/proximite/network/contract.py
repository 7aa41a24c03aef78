"""Contract degree-2 chains of a road graph, keeping every shortest time exact.

A Travel Mapping route or an OSM way is a string of nodes that only carry the road's
shape: a node with exactly two neighbours joins two edges and nothing else. Dijkstra
does not need them. A chain of such nodes between two nodes of degree != 2 becomes one
edge per direction whose time is the sum of the chain's times, so the time between any
two kept nodes is unchanged (up to float rounding, ~1e-12 min).

Which nodes stay: every node of degree != 2, every node in ``keep`` (the nodes that
origins and services snap to: their times must be read off the graph), and every node
where the road class changes, so that each contracted edge has one class and can still
be re-weighted by class (calibration, scenarios' speed factors). The snapping itself
stays on the full graph (a point of the géoportail may fall anywhere): contraction is a
routing step, done once the points are snapped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from proximite.network.graph import RoadGraph


@dataclass
class Contracted:
    """A contracted graph and where each node of the full graph went."""

    graph: RoadGraph
    new_index: np.ndarray  # index in ``graph`` of each full-graph node; -1 when removed
    n_nodes_before: int
    n_edges_before: int

    def nodes(self, full_nodes: np.ndarray) -> np.ndarray:
        """Indices in the contracted graph of full-graph nodes that were kept."""
        mapped = self.new_index[np.asarray(full_nodes, dtype=np.int64)]
        if (mapped < 0).any():
            # programmer error: the caller keeps the nodes it reads (English on purpose)
            raise ValueError("a node to read was contracted away: pass it in ``keep``")
        return mapped

    def summary(self) -> str:
        """English line for logs and benchmarks."""
        return (f"{self.n_nodes_before} -> {self.graph.n_nodes} nodes "
                f"({1 - self.graph.n_nodes / max(self.n_nodes_before, 1):.0%} fewer), "
                f"{self.n_edges_before} -> {self.graph.n_edges} edges")


def contract_degree2(graph: RoadGraph, keep: np.ndarray | None = None) -> Contracted:
    """Replace chains of degree-2 nodes (not in ``keep``, one road class) by single edges."""
    matrix = graph.matrix
    n = graph.n_nodes
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    cols = matrix.indices.astype(np.int64)
    weights = np.asarray(matrix.data, dtype=np.float64)
    labels: np.ndarray | None = None
    if graph.edge_class is None:
        class_code = np.zeros(len(weights), dtype=np.int64)
    else:
        codes, uniques = pd.factorize(graph.edge_class)
        class_code = np.asarray(codes, dtype=np.int64)
        labels = np.asarray(uniques, dtype=object)
    # Undirected neighbours: each unordered pair once. Temporaries are dropped as soon as
    # they are used: at 20 M nodes each edge-long array is ~0.5 GB.
    pair = np.unique(np.minimum(rows, cols) * n + np.maximum(rows, cols))
    pair_u, pair_v = np.divmod(pair, n)
    del pair
    degree = np.bincount(pair_u, minlength=n) + np.bincount(pair_v, minlength=n)
    lowest = np.full(n, np.iinfo(np.int64).max)
    highest = np.full(n, -1)
    for ends in (rows, cols):
        np.minimum.at(lowest, ends, class_code)
        np.maximum.at(highest, ends, class_code)
    interior = (degree == 2) & (lowest == highest)
    del degree, lowest
    if keep is not None:
        interior[np.asarray(keep, dtype=np.int64)] = False
    if interior.all():  # a lone ring: nothing to hang the chains on
        interior[0] = False
    if not interior.any():
        return _unchanged(graph)
    # The two neighbours of each interior node (row ``pos[x]`` for node x, in the order
    # a stable sort of every pair's ends lists them) and the four times to and from them.
    inner = np.flatnonzero(interior)
    pos = np.cumsum(interior) - 1
    u_in, v_in = interior[pair_u], interior[pair_v]
    at = np.concatenate([pair_u[u_in], pair_v[v_in]])
    neighbour = np.concatenate([pair_v[u_in], pair_u[v_in]])[
        np.argsort(at, kind="stable")].reshape(-1, 2)  # each interior node twice, in order
    del at
    # The walks' beginnings: a kept node and an interior neighbour, in the same order.
    starts_u = ~interior[pair_u] & v_in
    starts_v = ~interior[pair_v] & u_in
    start = np.concatenate([pair_u[starts_u], pair_v[starts_v]])
    first = np.concatenate([pair_v[starts_u], pair_u[starts_v]])
    order = np.argsort(start, kind="stable")
    start, first = start[order], first[order]
    del pair_u, pair_v, u_in, v_in, starts_u, starts_v, order
    keys = rows * n + cols  # sorted: CSR order
    into = np.full((len(inner), 2), np.inf)   # neighbour k -> node
    out_of = np.full((len(inner), 2), np.inf)  # node -> neighbour k
    for k in (0, 1):
        into[:, k] = _edge_times(keys, weights, n, neighbour[:, k], inner)
        out_of[:, k] = _edge_times(keys, weights, n, inner, neighbour[:, k])
    del keys

    # Edges between two kept nodes stay as they are.
    direct = ~interior[rows] & ~interior[cols]
    new_from = [rows[direct]]
    new_to = [cols[direct]]
    new_time = [weights[direct]]
    new_class = [class_code[direct]]
    del rows, cols, weights, class_code, direct
    # Walk each chain once, from a kept node into an interior neighbour: every chain at
    # once, one node per round (numpy over the chains still walking), adding the same
    # times in the same order as a walk of one chain at a time, so the sums are the same
    # to the bit. A Python walk node by node took minutes and ~4 GB of lists at 20 M nodes.
    row = pos[first]
    slot = np.where(neighbour[row, 0] == start, 0, 1)
    forward, backward = into[row, slot], out_of[row, slot]
    prev, cur, last = start.copy(), first.copy(), first.copy()
    walking = np.arange(len(start))
    while len(walking):
        here, came = cur[walking], prev[walking]
        row = pos[here]
        slot = np.where(neighbour[row, 0] == came, 1, 0)  # the neighbour ahead
        ahead = neighbour[row, slot]
        forward[walking] += out_of[row, slot]
        backward[walking] += into[row, slot]
        last[walking] = here
        prev[walking], cur[walking] = here, ahead
        walking = walking[interior[ahead]]
    # Each chain was walked from both ends: keep the walk that begins first (the same
    # direction, so the same sums, as walking the beginnings in order and skipping a
    # chain already seen).
    _, first_walk = np.unique(np.minimum(first, last) * n + np.maximum(first, last),
                              return_index=True)
    chosen = np.sort(first_walk)
    if len(chosen):
        a, b = start[chosen], cur[chosen]
        cls = np.maximum(highest[first[chosen]], 0)
        new_from += [a, b]
        new_to += [b, a]
        new_time += [forward[chosen], backward[chosen]]
        new_class += [cls, cls]
    del neighbour, into, out_of, pos, highest
    frm = np.concatenate(new_from)
    to = np.concatenate(new_to)
    minutes = np.concatenate(new_time)
    codes = np.concatenate(new_class)
    del new_from, new_to, new_time, new_class
    usable = np.isfinite(minutes)  # a one-way chain has no way back
    frm, to, minutes, codes = frm[usable], to[usable], minutes[usable], codes[usable]
    if not (frm != to).any():  # everything folds onto one node: nothing to route on
        return _unchanged(graph)
    kept = ~interior
    new_index = np.where(kept, np.cumsum(kept) - 1, -1)
    classes = None if labels is None else labels[codes]
    contracted = RoadGraph.from_edges(
        node_ids=graph.node_ids[kept], lon=graph.lon[kept], lat=graph.lat[kept],
        from_index=new_index[frm], to_index=new_index[to], travel_time_min=minutes,
        mode=graph.mode, description=graph.description, is_stand_in=graph.is_stand_in,
        keep_largest_component=False, edge_class=classes)
    contracted.warnings = list(graph.warnings)
    contracted.metadata = dict(graph.metadata)
    return Contracted(graph=contracted, new_index=new_index, n_nodes_before=n,
                      n_edges_before=graph.n_edges)


def _edge_times(keys: np.ndarray, weights: np.ndarray, n: int, frm: np.ndarray,
                to: np.ndarray) -> np.ndarray:
    """Time of each edge ``frm -> to`` (inf where there is none); ``keys`` are the CSR
    edges' ``from * n + to``, sorted."""
    where = np.searchsorted(keys, frm * n + to)
    where = np.minimum(where, len(keys) - 1)
    found = keys[where] == frm * n + to
    return np.where(found, weights[where], np.inf)


def _unchanged(graph: RoadGraph) -> Contracted:
    n = graph.n_nodes
    return Contracted(graph=graph, new_index=np.arange(n, dtype=np.int64), n_nodes_before=n,
                      n_edges_before=graph.n_edges)


def contract_segments(u: np.ndarray, v: np.ndarray, length: np.ndarray, class_code: np.ndarray,
                      n_nodes: int, keep: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The same contraction on undirected segments, by length, before any speed applies.

    A node is removed when it ends exactly two segments, to two different neighbours,
    of one class, and is not in ``keep``; each chain becomes one segment whose length is
    the sum. Since a segment's time is its length times its class's minutes per km,
    every time between kept nodes stays exact for *any* class speeds: a calibration
    contracts once and re-weights the small network at each step. Parallel segments are
    all kept (which one is fastest depends on the speeds). Returns
    ``(u, v, length, class_code, kept)`` with ``u``/``v`` still full-graph node indices.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    length = np.asarray(length, dtype=np.float64)
    class_code = np.asarray(class_code, dtype=np.int64)
    n = n_nodes
    ends = np.concatenate([u, v])
    segment = np.concatenate([np.arange(len(u)), np.arange(len(u))])
    other = np.concatenate([v, u])
    incident = np.bincount(ends, minlength=n)
    proper = u != v
    pair = np.unique(np.minimum(u, v)[proper] * n + np.maximum(u, v)[proper])
    distinct = np.bincount(pair // n, minlength=n) + np.bincount(pair % n, minlength=n)
    lowest = np.full(n, np.iinfo(np.int64).max)
    highest = np.full(n, -1)
    np.minimum.at(lowest, ends, class_code[segment])
    np.maximum.at(highest, ends, class_code[segment])
    interior = (incident == 2) & (distinct == 2) & (lowest == highest)
    if keep is not None:
        interior[np.asarray(keep, dtype=np.int64)] = False
    if interior.all():
        interior[0] = False
    order = np.argsort(ends, kind="stable")
    ends, segment, other = ends[order], segment[order], other[order]
    first_at = np.searchsorted(ends, np.arange(n))
    direct = ~interior[u] & ~interior[v]
    out_u, out_v = [u[direct]], [v[direct]]
    out_len, out_code = [length[direct]], [class_code[direct]]
    seg_list, other_list = segment.tolist(), other.tolist()
    first_list, interior_list = first_at.tolist(), interior.tolist()
    length_list = length.tolist()
    done = np.zeros(len(u), dtype=bool)
    chains: list[tuple[int, int, float, int]] = []
    for s, e0, x in zip(ends.tolist(), seg_list, other_list, strict=True):
        if interior_list[s] or not interior_list[x] or done[e0]:
            continue
        done[e0] = True
        total = length_list[e0]
        came, cur = e0, x
        for _ in range(n):
            k = first_list[cur]
            nxt_seg = seg_list[k] if seg_list[k] != came else seg_list[k + 1]
            nxt = other_list[k] if seg_list[k] != came else other_list[k + 1]
            total += length_list[nxt_seg]
            came, cur = nxt_seg, nxt
            if not interior_list[cur]:
                break
        done[came] = True  # the same chain from its other end
        chains.append((s, cur, total, int(class_code[e0])))
    if chains:
        a, b, total_km, code = zip(*chains, strict=True)
        out_u.append(np.array(a, dtype=np.int64))
        out_v.append(np.array(b, dtype=np.int64))
        out_len.append(np.array(total_km, dtype=np.float64))
        out_code.append(np.array(code, dtype=np.int64))
    return (np.concatenate(out_u), np.concatenate(out_v), np.concatenate(out_len),
            np.concatenate(out_code), ~interior)
