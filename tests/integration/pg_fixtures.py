"""Pytest plugin: a real PostgreSQL for the tests that ask for it.

Registered with ``-p tests.integration.pg_fixtures`` in pyproject's pytest options.

- ``postgres`` (session): the running throwaway cluster (a :class:`PostgresServer`).
- ``postgres_url`` (session): the ``DATABASE_URL`` of its database ``mxroute``.
- ``fresh_postgres_url``: the URL of a new, empty database for one test.

Without PostgreSQL the tests that use them fail when ``CI`` is set (CI must test on
PostgreSQL) and are skipped, with the reason in the summary, otherwise.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.components import require
from tests.integration.postgres import PostgresServer, PostgresUnavailable, running_postgres

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the whole test session."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        require(str(exc), "PostgreSQL")


@pytest.fixture(scope="session")
def postgres_url(postgres: PostgresServer) -> str:
    """``postgresql://postgres@127.0.0.1:PORT/mxroute``, shared by the session."""
    return postgres.url


@pytest.fixture
def fresh_postgres_url(postgres: PostgresServer) -> str:
    """The URL of a new empty database, for a test that must start from nothing."""
    return postgres.create_database(f"test_{os.getpid()}_{next(_numbers)}")
