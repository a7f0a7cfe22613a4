"""Bounded schemathesis runs over the whole served OpenAPI document, with every check
schemathesis has, as a player and as an admin: fuzzed valid and invalid data, and the
coverage phase's boundary values, missing headers and undeclared methods. No 5xx;
status codes, content types, headers and bodies as documented; invalid data refused;
a missing required header refused; an undeclared method a 405 whose `Allow` says what is.

One check is narrowed: a schema cannot state every business rule (players are 18 or
older, a password is not a common one, an email domain is not a reserved one such as
`.test`), so a schema-valid request may be refused with a 4xx problem naming the rule.
It may not be refused as malformed (`validation_error`) for anything the document
allows, except where JSON Schema cannot be as strict as the API: an email address in a
reserved domain, and an integer written as a float (JSON Schema's `integer` admits 2.0;
the API refuses it, since quantities and amounts are strict integers).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = 3  # per operation and mode: CI must stay fast


class MalformedValidData(AssertionError):
    pass


def valid_data_is_not_malformed(ctx: Any, response: Any, case: Any) -> bool | None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    problem = response.json()
    if problem.get("code") != "validation_error":
        return None  # a business rule, named by its own code
    if not all(_beyond_json_schema(error) for error in problem["errors"]):
        raise MalformedValidData(f"a schema-valid request was refused: {problem}")
    return None


def _beyond_json_schema(error: dict[str, Any]) -> bool:
    # JSON Schema's `integer` admits 2.0; the API's integers are strict (2.0 is refused).
    return error["type"] == "int_type" or "email address" in error["message"]


@pytest.mark.parametrize("who", ["player", "admin"])
def test_api_conforms_to_its_openapi_document(client: Any, api: Any, who: str) -> None:
    account = api.admin() if who == "admin" else api.account()
    headers = account.headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 50

    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode.is_negative and not (
                operation.path_parameters or operation.query or operation.body or operation.headers
            ):
                continue  # nothing to make invalid

            @given(case=operation.as_strategy(mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def conforms(case: Any) -> None:
                case.call_and_validate(
                    headers=headers,
                    excluded_checks=[positive_data_acceptance],
                    additional_checks=[valid_data_is_not_malformed],
                )

            try:
                conforms()
            except (Exception, BaseExceptionGroup) as error:  # run all; report every failure
                failures.append(f"{operation.label} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("who", ["player", "admin"])
def test_coverage_phase_conforms_to_the_openapi_document(client: Any, api: Any, who: str) -> None:
    account = api.admin() if who == "admin" else api.account()
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    schema.config.update(headers=account.headers, continue_on_failure=True)
    schema.config.phases.update(phases=["coverage"])
    schema.config.generation.update(max_examples=MAX_EXAMPLES)

    failures: list[str] = []
    scenarios = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError | events.NonFatalError):
            failures.append(f"error: {event}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        scenarios += 1
        recorder = event.recorder
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                interaction = recorder.interactions.get(case_id)
                response = interaction.response if interaction is not None else None
                if check.name == "positive_data_acceptance" and _a_named_rule(response):
                    continue
                failures.append(f"{recorder.label} {check.name}: {check.failure_info.failure}")
    assert scenarios >= 50
    assert not failures, "\n\n".join(failures)


def _a_named_rule(response: Any) -> bool:
    """A schema-valid request refused by a business rule the schema cannot state (see the
    module docstring), not as malformed."""
    if response is None or response.status_code not in (400, 402, 422):
        return False
    problem = response.json()
    if problem.get("code") != "validation_error":
        return True
    return all(_beyond_json_schema(error) for error in problem["errors"])
