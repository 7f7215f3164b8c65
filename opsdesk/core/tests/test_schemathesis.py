"""Issue 7: every operation of the OpenAPI document, driven by schemathesis in-process (through
WSGI, no server), as a staff user and as a customer, with valid and invalid input: never a server
error, every answer conforms to the document's schema, and every status is documented.

A bounded number of examples per operation (`OPSDESK_FUZZ_EXAMPLES`, default 6 valid + 6 invalid)
keeps it to a few minutes; `make fuzz` runs the same checks against a running server with more.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from opsdesk.config.api import api
from opsdesk.core.tokens import token_create

EXAMPLES = int(os.environ.get("OPSDESK_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def _schema():
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = WSGIHandler()
    return schema


SCHEMA = _schema()
OPERATIONS = sorted(
    (op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations() if op.ok() is not None
)


@pytest.fixture
def keep_connection():
    """A WSGI call sends request_started/finished, which close the connection the test's
    transaction lives on; Django's own test client disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["admin", "customer_a"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_never_errors_and_keeps_its_contract(world, keep_connection, who, method, path):
    operation = SCHEMA[path][method]
    _, secret = token_create(actor=world["admin"], user=world[who], expires_in_days=1)
    headers = {"Authorization": f"Bearer {secret}", "Host": "testserver"}

    has_input = bool(operation.path_parameters or operation.query or operation.body)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if has_input else 1]:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
