"""The API against its own OpenAPI schema (schemathesis), as an authenticated creator.

The schema is loaded from /api/schema/ through the real WSGI application, and every
operation in it gets generated requests: schema-valid ones (positive) and, for the
operations that take input, invalid ones (negative). Path parameters are the creator's
real job, universe, character and portrait half of the time, so answers with bodies
(200, 202, 409) are checked as well as 404s. Every answer must be:
- never a 5xx;
- a status the schema lists for the operation, with the content type and body it lists;
- for invalid input, a refusal (4xx), never an acceptance.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assets.services import portrait_request
from tests.assets.support import run_assets
from tests.security.routes import implemented_methods, walk

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Bounded, but enough to reach each operation's branches; raise it to hunt for more.
EXAMPLES_PER_OPERATION = 25

CONFORMANCE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def known_objects(finished_universe) -> dict:
    """Real values for each path parameter name."""
    universe = finished_universe
    lead = universe.characters.filter(hidden=False).order_by("-importance").first()
    portrait = portrait_request(character=lead, style="watercolor", variants=1, run_token="api")
    return {
        "universe_id": universe.pk,
        "key": lead.key,
        # job_id means a transformation job or, under /portraits/, a portrait job.
        "job_id": universe.source_job_id,
        "portrait_job_id": portrait.pk,
    }


def path_parameters(operation, known: dict) -> dict:
    names = {parameter.name for parameter in operation.path_parameters}
    values = {name: known[name] for name in names if name in known}
    if "job_id" in values and "/portraits/" in operation.path:
        values["job_id"] = known["portrait_job_id"]
    return values


def exercise(
    operation, *, mode: GenerationMode, known: dict, headers: dict, checks: list
) -> Counter:
    """Run up to EXAMPLES_PER_OPERATION generated requests; raise on the first failure.

    Answers with the statuses the requests got, so a test can tell that they reached the
    code behind the checks (not only 404s for ids that do not exist).
    """
    statuses: Counter = Counter()
    # Invalid bodies are sent as JSON. The form encodings follow HTML's rule that an empty
    # field is an omitted one (releaseMode="" means the default), which a schema cannot say.
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.NEGATIVE:
        strategy = strategy.filter(lambda case: case.media_type in (None, "application/json"))
    fixed = path_parameters(operation, known)
    if fixed and mode is GenerationMode.POSITIVE:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=mode, path_parameters=fixed), strategy
        )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run, as the other fuzz tests
        # Shrinking a failure costs many more requests than finding it; the report
        # shows the failing request as it was.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call_and_validate(headers=headers, checks=checks)
        statuses[response.status_code] += 1

    run()
    return statuses


def assert_media_files_are_named_by_storage() -> None:
    media = Path(django_settings.MEDIA_ROOT).resolve()
    names = [path for path in media.rglob("*") if path.is_file() or path.is_symlink()]
    assert names
    for path in names:
        assert path.resolve().is_relative_to(media), path
        name = str(path.relative_to(media))
        assert re.fullmatch(
            r"sources/[0-9a-f-]{36}/source(\.[a-z0-9]{1,10})?"
            r"|universes/\d+/assets/(?:[A-Za-z0-9_-]+/)+[a-z0-9_-]+-[0-9a-f]{12}\.[a-z0-9]+",
            name,
        ), name


@pytest.fixture
def operations():
    """Every operation of the schema the running application serves.

    Requests go through the real WSGI application and all its middleware. As Django's
    own test client does, the handler's end-of-request hook must not close the database
    connection that holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        yield [result.ok() for result in schema.get_all_operations()]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_schema_lists_every_api_operation_the_urls_serve(operations):
    served = {
        f"{method} {route.openapi_path}"
        for route in walk()
        if route.pattern.startswith("api/") and route.key not in ("api-schema", "api-docs")
        for method in implemented_methods(route.callback)
    }
    assert len(served) >= 12
    assert {operation.label for operation in operations} == served


def test_every_operation_answers_within_its_schema(operations, unthrottled, known_objects, user):
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    failures = []
    for operation in operations:
        try:
            statuses = exercise(
                operation,
                mode=GenerationMode.POSITIVE,
                known=known_objects,
                headers=headers,
                checks=CONFORMANCE_CHECKS,
            )
            if set(statuses) <= {404}:
                failures.append(f"{operation.label}: only 404s, the checks saw no real answer")
        # One report for every operation, not the first failure only; schemathesis raises
        # an exception group when one request broke several checks.
        except (Exception, BaseExceptionGroup) as failure:
            failures.append(f"{operation.label}:\n{failure}")
    assert not failures, "\n\n".join(failures)

    # The worker makes what the accepted requests queued (uploads, regenerations, portraits
    # under generated run tokens); every file lands under MEDIA_ROOT, named by storage.
    run_assets(rounds=400)
    assert_media_files_are_named_by_storage()


def test_invalid_input_is_refused_never_a_server_error(
    operations, unthrottled, known_objects, user
):
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    failures = []
    for operation in operations:
        try:
            exercise(
                operation,
                mode=GenerationMode.NEGATIVE,
                known=known_objects,
                headers=headers,
                checks=[*CONFORMANCE_CHECKS, negative_data_rejection],
            )
        except (Exception, BaseExceptionGroup) as failure:
            failures.append(f"{operation.label}:\n{failure}")
    assert not failures, "\n\n".join(failures)
