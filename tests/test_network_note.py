"""The sentence that names the network: French numbers and mode, never ``mode car``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from proximite.network.graph import RoadGraph
from proximite.pipeline import network_note


def _inputs(n: int, mode: str) -> Any:
    u = np.arange(n - 1)
    graph = RoadGraph.from_edges(node_ids=np.arange(n).astype(str), lon=np.zeros(n),
                                 lat=np.zeros(n), from_index=np.concatenate([u, u + 1]),
                                 to_index=np.concatenate([u + 1, u]),
                                 travel_time_min=np.ones(2 * (n - 1)), mode=mode,
                                 description="routes de test")
    return SimpleNamespace(graph=graph)


def test_network_note_in_french() -> None:
    assert network_note(_inputs(1200, "car"), 60.0) == (
        "Réseau : routes de test, 1\u202f200 nœuds, 2\u202f398 arcs, temps en voiture.")
    assert network_note(_inputs(3, "walk"), 60.0).endswith("3 nœuds, 4 arcs, temps à pied.")
