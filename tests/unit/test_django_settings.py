"""The Django project settings: secret key, database choice, password hashing, start-up."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password

from mxroute import config, djangoapp
from mxroute.errors import ConfigError
from mxroute.settings import (
    LOG_FILE,
    LogFile,
    _database,
    _read_or_create_secret_key,
    logging_config,
)


def test_the_secret_key_is_made_once_and_readable_only_by_its_owner(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    key = _read_or_create_secret_key(home)
    assert len(key) >= 50
    assert stat.S_IMODE((home / "secret_key").stat().st_mode) == 0o600
    assert _read_or_create_secret_key(home) == key
    assert sorted(p.name for p in home.iterdir()) == ["secret_key"]


def test_a_truncated_secret_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(ConfigError, match="too short"):
        _read_or_create_secret_key(tmp_path)


def test_a_secret_key_that_cannot_be_read_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "secret_key").mkdir()
    with pytest.raises(ConfigError, match="Cannot read the secret key"):
        _read_or_create_secret_key(tmp_path)


def test_a_data_directory_where_no_key_can_be_made_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="Cannot create the secret key"):
        _read_or_create_secret_key(tmp_path / "file" / "home")


def test_the_default_database_is_the_sqlite_file_with_queued_writers(tmp_path: Path) -> None:
    db = _database(config.load(tmp_path, env={}))
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "mxroute.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 30


def test_a_database_url_selects_postgresql(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://mx:secret@db.example.test:5433/mxroute"}
    db = _database(config.load(tmp_path, env=env))
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.example.test",
        5433,
        "mxroute",
        "mx",
    )
    assert "OPTIONS" not in db or "transaction_mode" not in db["OPTIONS"]


def test_a_database_url_that_bypassed_the_checks_is_still_a_configuration_error(
    tmp_path: Path,
) -> None:
    settings = config.Settings(home=tmp_path, database_url="foo://db.example.test/mx")
    with pytest.raises(ConfigError, match="not a valid sqlite:// or postgresql:// URL"):
        _database(settings)


def test_passwords_are_hashed_with_argon2() -> None:
    assert make_password("correct horse battery staple").startswith("argon2$")


def test_debug_is_off_and_the_key_is_not_hard_coded() -> None:
    assert settings.DEBUG is False
    key_file = Path(settings.MXROUTE_HOME) / "secret_key"
    assert key_file.read_text().strip() == settings.SECRET_KEY


def test_setup_refuses_to_switch_data_directory_once_started(tmp_path: Path) -> None:
    djangoapp.setup()  # already started by pytest-django: nothing happens
    djangoapp.setup(Path(settings.MXROUTE_HOME))
    with pytest.raises(ConfigError, match="cannot switch"):
        djangoapp.setup(tmp_path)


# ----- logging: standard error stays for the command line's one-line messages ---------------


def test_warnings_go_to_the_log_file_and_not_to_standard_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert settings.LOGGING["root"]["handlers"] == ["file"]
    logging.getLogger("mxroute.mta.lists").warning("reload failed; test marker 4711")
    assert capfd.readouterr().err == ""
    log_file = Path(settings.MXROUTE_HOME) / LOG_FILE
    assert "WARNING mxroute.mta.lists: reload failed; test marker 4711" in log_file.read_text()


def test_mxroute_debug_sends_mxroute_debug_records_to_standard_error(tmp_path: Path) -> None:
    quiet, loud = logging_config(tmp_path, debug=False), logging_config(tmp_path, debug=True)
    assert "mxroute" not in quiet["loggers"]
    assert loud["loggers"]["mxroute"]["level"] == "DEBUG"
    assert loud["root"]["handlers"] == ["file", "stderr"]
    assert loud["handlers"]["stderr"]["level"] == "DEBUG"
    assert loud["handlers"]["file"]["level"] == quiet["handlers"]["file"]["level"] == "WARNING"
    assert quiet["handlers"]["file"]["filename"] == str(tmp_path / LOG_FILE)
    assert quiet["handlers"]["file"]["maxBytes"] <= 10_000_000


def test_a_log_file_that_cannot_be_written_drops_the_record_silently(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    handler = LogFile(str(tmp_path / "missing" / LOG_FILE), delay=True)
    handler.emit(logging.makeLogRecord({"msg": "lost", "levelno": logging.WARNING}))
    handler.close()
    assert capfd.readouterr().err == ""
