"""Shared fixtures: the embedded demos (stand-in and real), built once per test run.

Eleven test modules read the demo diagnostic; building it once (about 2 s each) instead
of once per module is most of the suite's setup time. Tests must not mutate these
objects (the golden test, which compares the demo's CSV outputs byte for byte, would
catch it when it runs after them).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from proximite.model import AnalysisResult, DiagnosticResult
from proximite.settings import DemoSettings, Settings

#: The store's database fixtures (SQLite, and PostgreSQL when one is given).
pytest_plugins = ["store_fixtures"]

#: The settings of the pinned demo: the commune contiguity stand-in network, whatever
#: network the embedded demo defaults to.
STAND_IN_DEMO = Settings(demo=DemoSettings(network="stand-in"))


@pytest.fixture(scope="session")
def demo_result() -> DiagnosticResult:
    from proximite.pipeline import run_diagnostic

    return run_diagnostic(settings=STAND_IN_DEMO)


@pytest.fixture(scope="session")
def demo_analysis(demo_result: DiagnosticResult) -> AnalysisResult:
    from proximite.analysis.diagnosis import run_analysis

    return run_analysis(demo_result, STAND_IN_DEMO.analysis)


@pytest.fixture(scope="session")
def real_demo_result() -> DiagnosticResult:
    """The real embedded demo (Lozère on the calibrated Travel Mapping network), built once:
    several modules read it, and it is the slowest input of the suite."""
    from proximite.pipeline import run_diagnostic

    return run_diagnostic()  # no argument: the real demo


@pytest.fixture(scope="session")
def demo_portal_file(demo_result: DiagnosticResult,
                     tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in demo's portal data pickled once, for tests that start servers in
    subprocesses: they load it instead of rebuilding a diagnostic in every process."""
    from proximite.web.store import PortalData

    path = tmp_path_factory.mktemp("portal") / "portal.pickle"
    path.write_bytes(pickle.dumps(PortalData.from_result(demo_result)))
    return path


@pytest.fixture(scope="session")
def real_demo_analysis(real_demo_result: DiagnosticResult) -> AnalysisResult:
    """The diagnosis of the real demo (profiles, poles, deficits, schemes' figures)."""
    from proximite.analysis.diagnosis import run_analysis

    return run_analysis(real_demo_result)
