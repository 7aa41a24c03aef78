"""Degree-2 contraction as it was before its chain walk was vectorised: one Python walk
per chain, node by node.

Kept as the oracle of ``tests/test_network_contract.py``: slow (minutes and ~4 GB of lists
at 20 million nodes) but plainly right; the vectorised walk must give the same graph to
the bit (same sums in the same order, same edge classes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from proximite.network.contract import Contracted, _unchanged
from proximite.network.graph import RoadGraph


def reference_contract_degree2(graph: RoadGraph, keep: np.ndarray | None = None) -> Contracted:
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
