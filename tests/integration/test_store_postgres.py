"""The store's migrations and models on a real PostgreSQL (started by the fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("store_worker.py")


@pytest.fixture(scope="module")
def pg_database(postgres: Any) -> str:
    """A database of its own for this module, so other PostgreSQL tests see no rows."""
    return str(postgres.create_database("store_probe"))


@pytest.fixture(scope="module")
def found(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the store worker saw, migrating and using the models in its own process."""
    env = {
        **os.environ,
        "MXROUTE_HOME": str(tmp_path_factory.mktemp("home")),
        "MXROUTE_DATABASE_URL": pg_database,
        "DJANGO_SETTINGS_MODULE": "mxroute.settings",
    }
    done = subprocess.run(
        [sys.executable, str(WORKER), "probe"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_worker_really_used_postgresql(found: dict[str, Any]) -> None:
    assert found["vendor"] == "postgresql"


def test_the_migrations_apply(found: dict[str, Any], pg_database: str) -> None:
    assert "store.0001_initial" in found["applied"]
    with psycopg.connect(pg_database) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert {"store_domain", "store_change", "auth_user", "django_session"} <= tables


def test_passwords_are_hashed_with_argon2(found: dict[str, Any]) -> None:
    assert found["password_hash"] == "argon2"


def test_the_effective_mode_follows_the_detection_under_auto(found: dict[str, Any]) -> None:
    assert found["default_effective"] == "local"
    assert found["auto_effective"] == "backup"


def test_the_database_refuses_impossible_domains(found: dict[str, Any]) -> None:
    assert found["duplicate_name"] == "IntegrityError"
    assert found["upper_case_name"] == "IntegrityError"
    assert found["unknown_mode"] == "IntegrityError"


def test_a_user_who_owns_domains_cannot_be_deleted(found: dict[str, Any]) -> None:
    assert found["owner_deletion"] == "ProtectedError"


def test_serials_take_the_whole_32_bit_range_and_no_more(found: dict[str, Any]) -> None:
    assert found["kept"]["serial_after"] == 4294967295
    assert found["serial_too_big"] == "IntegrityError"


def test_mx_sets_are_stored_as_json(found: dict[str, Any]) -> None:
    assert found["kept"]["mx_before"] == []
    assert found["kept"]["mx_after"] == [{"priority": 10, "exchanger": "mx1.example.test"}]
    assert found["json_lookup"] == 1


def test_the_history_outlives_its_domain(found: dict[str, Any], pg_database: str) -> None:
    assert found["kept"]["domain_id"] is None
    assert found["kept"]["domain_name"] == "example.test"
    with psycopg.connect(pg_database) as conn:
        row = conn.execute("SELECT domain_id, domain_name FROM store_change").fetchone()
    assert row == (None, "example.test")


def test_the_doctors_queries_work(found: dict[str, Any]) -> None:
    assert found["doctor"] == {
        "last_change": True,
        "never_changed": None,
        "with_findings": ["example.test"],
        "codes": ["zone_missing"],
    }
