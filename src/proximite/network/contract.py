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
    # Undirected neighbours: each unordered pair once.
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    pair = np.unique(low * n + high)
    pair_u, pair_v = pair // n, pair % n
    degree = np.bincount(pair_u, minlength=n) + np.bincount(pair_v, minlength=n)
    lowest = np.full(n, np.iinfo(np.int64).max)
    highest = np.full(n, -1)
    for ends in (rows, cols):
        np.minimum.at(lowest, ends, class_code)
        np.maximum.at(highest, ends, class_code)
    interior = (degree == 2) & (lowest == highest)
    if keep is not None:
        interior[np.asarray(keep, dtype=np.int64)] = False
    if interior.all():  # a lone ring: nothing to hang the chains on
        interior[0] = False
    if not interior.any():
        return _unchanged(graph)
    # The two neighbours of each interior node and the four times to and from them.
    neighbour = np.full((n, 2), -1, dtype=np.int64)
    ends_of = np.concatenate([pair_u, pair_v])
    others = np.concatenate([pair_v, pair_u])
    order = np.argsort(ends_of, kind="stable")
    ends_of, others = ends_of[order], others[order]
    starts = np.searchsorted(ends_of, np.arange(n))
    sel = interior[ends_of]
    slot = np.arange(len(ends_of)) - starts[ends_of]
    neighbour[ends_of[sel], slot[sel]] = others[sel]
    keys = rows * n + cols  # sorted: CSR order

    def time(frm: np.ndarray, to: np.ndarray) -> np.ndarray:
        where = np.searchsorted(keys, frm * n + to)
        where = np.minimum(where, len(keys) - 1)
        found = keys[where] == frm * n + to
        return np.where(found, weights[where], np.inf)

    inner = np.flatnonzero(interior)
    into = np.full((n, 2), np.inf)   # neighbour k -> node
    out_of = np.full((n, 2), np.inf)  # node -> neighbour k
    for k in (0, 1):
        into[inner, k] = time(neighbour[inner, k], inner)
        out_of[inner, k] = time(inner, neighbour[inner, k])
    node_class = np.where(highest >= 0, highest, 0)

    # Edges between two kept nodes stay as they are.
    direct = ~interior[rows] & ~interior[cols]
    new_from = [rows[direct]]
    new_to = [cols[direct]]
    new_time = [weights[direct]]
    new_class = [class_code[direct]]
    # Walk each chain once, from a kept node into an interior neighbour.
    started = np.zeros(n, dtype=bool)
    chain_from: list[int] = []
    chain_to: list[int] = []
    chain_fwd: list[float] = []
    chain_bwd: list[float] = []
    chain_class: list[int] = []
    # Flat lists (slot 2x + k: node x's neighbour k) for the walk, which is plain Python.
    nb = neighbour.ravel().tolist()
    into_f = into.ravel().tolist()
    out_f = out_of.ravel().tolist()
    interior_list = interior.tolist()
    begins = ~interior[ends_of] & interior[others]
    for s, first in zip(ends_of[begins].tolist(), others[begins].tolist(), strict=True):
        if started[first]:
            continue
        started[first] = True
        k = 0 if nb[2 * first] == s else 1
        forward, backward = into_f[2 * first + k], out_f[2 * first + k]
        prev, cur = s, first
        last = first
        for _ in range(n):
            k = 1 if nb[2 * cur] == prev else 0  # the slot of the neighbour ahead
            nxt = nb[2 * cur + k]
            forward += out_f[2 * cur + k]
            backward += into_f[2 * cur + k]
            last = cur
            prev, cur = cur, nxt
            if not interior_list[cur]:
                break
        started[last] = True  # the same chain seen from its other end
        chain_from.append(s)
        chain_to.append(cur)
        chain_fwd.append(forward)
        chain_bwd.append(backward)
        chain_class.append(int(node_class[first]))
    if chain_from:
        a = np.array(chain_from, dtype=np.int64)
        b = np.array(chain_to, dtype=np.int64)
        fwd = np.array(chain_fwd)
        bwd = np.array(chain_bwd)
        cls = np.array(chain_class, dtype=np.int64)
        new_from += [a, b]
        new_to += [b, a]
        new_time += [fwd, bwd]
        new_class += [cls, cls]
    frm = np.concatenate(new_from)
    to = np.concatenate(new_to)
    minutes = np.concatenate(new_time)
    codes = np.concatenate(new_class)
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
