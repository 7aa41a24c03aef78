"""Fuzzing the géoportail's API from its own OpenAPI schema (schemathesis, bounded).

Every operation of /openapi.json gets generated requests, valid ones and invalid ones;
each answer must not be a 5xx and must match what the schema publishes (status code,
content type, headers, body). Bounded by a fixed number of examples per operation and
mode, derandomised, so that the run is repeatable and stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from proximite.web.app import create_app
from proximite.web.store import PortalData

EXAMPLES_PER_OPERATION = 20
#: Left out: "schema-valid data must get a 2xx". The API also checks what a schema cannot
#: say (an opaque paging cursor, commune OR lon+lat), and answers those with a 422.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.fixture(scope="module")
def web_schema(demo_portal: PortalData) -> schemathesis.BaseSchema:
    app = create_app(demo_portal)  # PortalData.from_result(demo_result), from the pickle
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode) -> list[str]:
    """Run the bounded examples of one operation; the failures, as curl commands."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        response = case.call()
        if response.status_code >= 500:
            failures.append(f"{case.as_curl_command()} -> {response.status_code}")
        try:
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
        except Exception as error:  # schemathesis reports its findings as exceptions
            failures.append(f"{case.as_curl_command()} -> {response.status_code}: "
                            f"{str(error)[:400]}")

    try:
        run()
    except Unsatisfiable:  # negative mode, operation without parameters: nothing to break
        assert mode is GenerationMode.NEGATIVE
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_answers_5xx_and_matches_its_schema(web_schema, mode) -> None:
    operations = [result.ok() for result in web_schema.get_all_operations()]
    assert len(operations) >= 11  # every API route is in the schema
    failures = [f for operation in operations for f in _fuzz(operation, mode)]
    assert failures == [], "\n".join(failures[:10])
