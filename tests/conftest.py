"""Shared fixtures: the embedded demos (stand-in and real), built once per test run.

Eleven test modules read the demo diagnostic; building it once (about 2 s each) instead
of once per module is most of the suite's setup time. Tests must not mutate these
objects (the golden test, which compares the demo's CSV outputs byte for byte, would
catch it when it runs after them).

Under pytest-xdist each worker is its own process with its own session: the first
worker to ask for a fixture builds it and pickles it into the run's shared temporary
folder, the others load that file (:func:`built_once`). Every process, the builder
included, gets the unpickled copy, so a test sees the same object whichever worker runs
it, and with or without xdist.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from filelock import FileLock

from proximite.model import AnalysisResult, DiagnosticResult
from proximite.settings import DemoSettings, Settings

if TYPE_CHECKING:
    from proximite.web.store import PortalData

#: The store's database fixtures (SQLite, and PostgreSQL when one is given).
pytest_plugins = ["store_fixtures"]

#: The settings of the pinned demo: the commune contiguity stand-in network, whatever
#: network the embedded demo defaults to.
STAND_IN_DEMO = Settings(demo=DemoSettings(network="stand-in"))


T = TypeVar("T")

#: The slowest modules (seconds summed over their tests, `pytest --durations=0`, 2026-12-01),
#: slowest first. pytest-xdist's ``--dist loadfile`` hands out whole modules in collection
#: order when told not to reorder them by size (``--no-loadscope-reorder``, make test);
#: by size, the slow modules of one or two tests (a browser walk, a server) came last and
#: one worker ran them alone while the other waited. Scheduling order only: no result
#: depends on it.
SLOW_MODULES_FIRST: tuple[str, ...] = (
    "test_web_page.py", "test_saved.py", "test_web_server.py", "test_web_contrib_page.py",
    "test_observatory_real.py", "test_pipeline.py", "test_scenario.py", "test_copil.py",
    "test_territories_real.py", "test_store_plans.py", "test_web_fuzz.py",
    "test_hardening_outputs.py", "test_inventory_sources.py", "test_web_hardening.py",
    "test_cli_options.py", "test_web_plans_page.py", "test_web_api.py", "test_french.py",
    "test_territory.py", "test_planning_run.py", "test_distributed.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest modules first (see :data:`SLOW_MODULES_FIRST`), the rest in their
    collection order; each module's tests keep their own order (the sort is stable)."""
    rank = {name: index for index, name in enumerate(SLOW_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def shared_path(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A path in the folder that every xdist worker of this run shares (the parent of
    each worker's own base temporary folder; this session's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if base.name.startswith("popen-gw") else base) / name


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[], T]) -> T:
    """``build()`` run once per test run whatever the number of xdist workers: the first
    worker builds and pickles it under a file lock, every worker loads the pickle."""
    path = shared_path(tmp_path_factory, f"{name}.pickle")
    with FileLock(f"{path}.lock"):
        if not path.is_file():
            path.write_bytes(pickle.dumps(build(), protocol=pickle.HIGHEST_PROTOCOL))
    value: T = pickle.loads(path.read_bytes())
    return value


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory: pytest.TempPathFactory) -> DiagnosticResult:
    from proximite.pipeline import run_diagnostic

    return built_once(tmp_path_factory, "demo_result",
                      lambda: run_diagnostic(settings=STAND_IN_DEMO))


@pytest.fixture(scope="session")
def demo_analysis(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    from proximite.analysis.diagnosis import run_analysis

    return built_once(tmp_path_factory, "demo_analysis", lambda: run_analysis(
        request.getfixturevalue("demo_result"), STAND_IN_DEMO.analysis))


@pytest.fixture(scope="session")
def real_demo_result(tmp_path_factory: pytest.TempPathFactory) -> DiagnosticResult:
    """The real embedded demo (Lozère on the calibrated Travel Mapping network), built once:
    several modules read it, and it is the slowest input of the suite."""
    from proximite.pipeline import run_diagnostic

    return built_once(tmp_path_factory, "real_demo_result",
                      lambda: run_diagnostic())  # no argument: the real demo


@pytest.fixture(scope="session")
def grid_demo_result(tmp_path_factory: pytest.TempPathFactory) -> DiagnosticResult:
    """The real demo with its origins read from the shipped 200 m population grid sample
    (68 squares in 2 of the 152 communes): three modules check this same run."""
    from proximite.pipeline import run_diagnostic

    grid = Path(__file__).parent / "data" / "origins" / "filosofi_200m_sample_48.csv"
    return built_once(tmp_path_factory, "grid_demo_result",
                      lambda: run_diagnostic(origins=grid))


@pytest.fixture(scope="session")
def demo_portal_file(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in demo's portal data pickled once, for tests that start servers in
    subprocesses: they load it instead of rebuilding a diagnostic in every process."""
    from proximite.web.store import PortalData

    path = shared_path(tmp_path_factory, "portal.pickle")
    with FileLock(f"{path}.lock"):
        if not path.is_file():
            data = PortalData.from_result(request.getfixturevalue("demo_result"))
            path.write_bytes(pickle.dumps(data))
    return path


@pytest.fixture(scope="module")
def demo_portal(demo_portal_file: Path) -> PortalData:
    """A module's own stand-in demo portal: what ``PortalData.from_result(demo_result)``
    builds (its memo empty), loaded from the run's pickle (0.1 s against 0.7 s)."""
    data: PortalData = pickle.loads(demo_portal_file.read_bytes())
    return data


@pytest.fixture(scope="session")
def real_demo_analysis(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    """The diagnosis of the real demo (profiles, poles, deficits, schemes' figures)."""
    from proximite.analysis.diagnosis import run_analysis

    return built_once(tmp_path_factory, "real_demo_analysis", lambda: run_analysis(
        request.getfixturevalue("real_demo_result")))
