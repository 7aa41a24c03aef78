"""The nearest-service times on a Dask cluster of two worker processes equal the
single-process run; an interrupted run resumes without computing finished blocks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from proximite.access import nearest_service_times
from proximite.distributed import DaskAccess, fastest_edge_speed, territory_blocks
from proximite.model import DiagnosticResult

MARGIN_M = 15_000.0  # small: some times are proven on the cut graph, others searched again


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           memory_limit="1GiB", dashboard_address=":0")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def case(demo_result: DiagnosticResult) -> tuple[Any, ...]:
    """The stand-in demo's graph and services; its communes relabelled into three
    pseudo-départements by longitude, so that the run has three blocks."""
    origins = demo_result.origins.copy()
    band = np.digitize(origins["lon"], np.quantile(origins["lon"], [1 / 3, 2 / 3]))
    origins["code_insee"] = [f"0{b + 1}{i:03d}" for i, b in enumerate(band)]
    categories = {code: sorted(demo_result.catalogue.members(code))
                  for code in demo_result.categories[:5]}
    params = demo_result.options.access
    expected = nearest_service_times(demo_result.graph, origins, demo_result.services,
                                     categories, params)
    return demo_result.graph, origins, demo_result.services, categories, params, expected


def test_blocks_group_departements() -> None:
    blocks = territory_blocks(["48001", "15002", "48003", "97101", "2A004"], 2)
    # départements 15, 2A | 48, 971: in code order, two per block
    assert [b.tolist() for b in blocks] == [[1, 4], [0, 2, 3]]


def test_two_worker_processes_give_the_single_process_times(
        client: Any, case: tuple[Any, ...], tmp_path: Path) -> None:
    graph, origins, services, categories, params, expected = case
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # separate processes
    runner = DaskAccess(departements_per_block=1, margin_m=MARGIN_M, work_dir=tmp_path,
                        client=client)
    actual = runner(graph, origins, services, categories, params)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)
    assert runner.computed == 3 * len(categories) and runner.reused == 0
    assert len(runner.worker_memory_mb) == 2
    assert all(0 < mb < 1024 for mb in runner.worker_memory_mb.values())
    # not vacuous: both the cut search and the whole-graph fallback gave times
    proven_min = MARGIN_M / fastest_edge_speed(graph)
    times = expected["travel_time_min"].dropna()
    assert (times < proven_min).any() and (times > proven_min + 30).any()


def test_an_interrupted_run_resumes_from_its_finished_blocks(
        client: Any, case: tuple[Any, ...], tmp_path: Path) -> None:
    graph, origins, services, categories, params, expected = case
    seen: list[str] = []

    def stop_after_two(done: int, total: int, key: str) -> None:
        seen.append(key)
        if len(seen) == 2:
            raise KeyboardInterrupt

    first = DaskAccess(departements_per_block=1, margin_m=MARGIN_M, work_dir=tmp_path,
                       client=client, progress=stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        first(graph, origins, services, categories, params)
    assert first.computed == 2
    resumed = DaskAccess(departements_per_block=1, margin_m=MARGIN_M, work_dir=tmp_path,
                         client=client)
    actual = resumed(graph, origins, services, categories, params)
    total = 3 * len(categories)
    assert (resumed.reused, resumed.computed) == (2, total - 2)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)
    assert not list(tmp_path.rglob("*.partial"))


def test_a_connection_started_in_the_background_serves_the_run(
        client: Any, case: tuple[Any, ...], tmp_path: Path) -> None:
    graph, origins, services, categories, params, expected = case
    runner = DaskAccess(departements_per_block=200, work_dir=tmp_path,
                        scheduler=client.scheduler.address)
    # the block's box + 100 km holds the whole graph: the search without a cut or redo
    margin_deg = 100_000 / 111_320 / np.cos(np.radians(origins["lat"].abs().max() + 1))
    assert (graph.lon >= origins["lon"].min() - margin_deg).all()
    assert (graph.lon <= origins["lon"].max() + margin_deg).all()
    runner.start()  # as the CLI does, before reading the inputs
    assert runner.client is None or runner.client.scheduler.address == client.scheduler.address
    actual = runner(graph, origins, services, categories, params)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)
    assert runner.computed == len(categories)  # one block: one task per category
    own = runner.client
    runner.close()  # an existing scheduler's cluster is never closed
    assert own is runner.client and client.run(os.getpid)
    own.close()
