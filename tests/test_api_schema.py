"""The API answers as its OpenAPI document says: schemathesis generates requests for every
operation of /api/v1/openapi.json (valid and invalid parameters, ids that exist and do not) and
checks each answer on the demo data: no 5xx, only documented status codes and content types,
every body valid against its schema.

SQLite only: the API's code and document are the same on every backend (its queries are the
pages' services, which the rest of the suite runs on PostgreSQL too)."""
from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.test_login_required import demo  # noqa: F401  (the demo data, with one of every object)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


@pytest.mark.sqlite_only("the API's document and code are the same on every backend: checked on SQLite")
def test_every_answer_conforms_to_the_document(app, demo):  # noqa: F811
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13  # every read of the API is in the document
    failures = []
    for operation, mode in itertools.product(operations, GenerationMode):
        # Valid requests (must succeed or be a documented refusal) and invalid ones (must be refused).
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate()

        try:
            check()
        except Unsatisfiable:  # nothing invalid to send: the operation takes no parameters
            assert mode is GenerationMode.NEGATIVE and not operation.query and not operation.path_parameters
        except Exception as exc:  # noqa: BLE001  (every operation is checked; all failures are reported)
            failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


#: generated requests per operation (schemathesis also sends each operation's edge cases)
EXAMPLES = 30
