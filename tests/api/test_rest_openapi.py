"""The REST API's OpenAPI document, its docs page, and schemathesis run against both.

schemathesis generates requests from the OpenAPI document (valid ones, and ones that
break it) and sends them with alice's token to the real Django application: no answer
may be a 5xx, and every answer must match what the document says (status, headers,
content type, body schema), with authentication enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import SELF, People

DOCUMENT = "/api/v1/openapi.json"
MAX_EXAMPLES = 30  # per operation and phase: the whole run stays well under a minute
ENDPOINTS = {
    "/api/v1/domains": {"get"},
    "/api/v1/domains/{domain}": {"get"},
    "/api/v1/domains/{domain}/mx": {"get", "post"},
    "/api/v1/domains/{domain}/mx/{priority}/{exchanger}": {"put", "delete"},
    "/api/v1/domains/{domain}/routing": {"get", "put"},
    "/api/v1/domains/{domain}/detect": {"post"},
    "/api/v1/domains/{domain}/history": {"get"},
    "/api/v1/history": {"get"},
    "/api/v1/changes/{id}/undo": {"post"},
    "/api/v1/doctor": {"get"},
}


def test_the_openapi_document_lists_every_endpoint(client: Any) -> None:
    answer = client.get(DOCUMENT)
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.")
    assert {path: set(ops) for path, ops in document["paths"].items()} == ENDPOINTS
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token: `Authorization: Bearer TOKEN`.",
    }
    assert schemes["BasicPassword"]["scheme"] == "basic"
    assert schemes["CpanelToken"]["in"] == "header"
    record = document["components"]["schemas"]["RecordIn"]
    assert record["properties"]["priority"]["minimum"] == 0
    assert record["properties"]["priority"]["maximum"] == 65535
    assert record["additionalProperties"] is False
    add = document["paths"]["/api/v1/domains/{domain}/mx"]["post"]
    # 200: a dry run.
    assert set(add["responses"]) == {
        "200",
        "201",
        "400",
        "401",
        "404",
        "409",
        "415",
        "422",
        "429",
        "503",
    }


def test_the_docs_page_loads_nothing_from_outside(client: Any) -> None:
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    page = answer.content.decode()
    # No absolute or protocol-relative address: everything comes from this server.
    assert "http:" not in page and "https:" not in page and '="//' not in page
    assert '"validatorUrl": null' in page  # no badge fetched from validator.swagger.io
    assert f'"url": "{DOCUMENT}"' in page
    resources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(resources) >= 3
    for url in resources:
        assert url.startswith("/static/"), url
        served = client.get(url)
        assert served.status_code == 200, url
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body
        if url.endswith("swagger-ui-init.js"):
            assert b"http" not in body


# ----- schemathesis ---------------------------------------------------------------------------


@pytest.fixture
def fuzzed_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The application ready for schemathesis's requests, sent outside Django's test client.

    Django closes the database connection at the end of each request; inside the
    test's transaction that would lose it, so, as Django's test client does, the
    closing is switched off. schemathesis also checks each operation with made-up
    credentials, many times: the throttle (tested on its own) must not turn those
    into 429s.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from mxroute import accounts

    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_USER", 10**6)
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_ADDRESS", 10**6)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _load_schema() -> Any:
    """The OpenAPI document as the Django application serves it (read at collection:
    pytest-django has started Django, and the document needs no database)."""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi(DOCUMENT, get_wsgi_application())


schema = _load_schema()
EXAMPLES = [("domain", "example.com", "alice.test"), ("exchanger", "mx1.example.com", SELF)]


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_follows_the_openapi_document(
    case: Any, people: People, fuzzed_server: None
) -> None:
    # The documented examples stand for alice's domain and its record, so that valid
    # requests reach real records as well as the 404 of an unknown domain.
    for name, example, real in EXAMPLES:
        if (case.path_parameters or {}).get(name) == example:
            case.path_parameters[name] = real
    case.call_and_validate(
        headers={"Authorization": f"Bearer {people.alice.token}"},
        # A schema cannot say every rule of a host name (no IP address, label
        # lengths, …): a well-formed request may still be refused with 400.
        excluded_checks=[positive_data_acceptance],
    )
