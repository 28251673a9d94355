"""What the CLI tells a user who got something wrong: one line on stderr, a documented code."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli import Mxroute
from tests.unit.hostile_inputs import HOSTILE_INPUTS, Hostile

# A sample through the real command (the service tests cover every entry); argv
# cannot carry NUL, and non-text values cannot come from a command line.
SAMPLE = [
    h
    for h in HOSTILE_INPUTS
    if isinstance(h.value, str) and "\x00" not in h.value and h.field != "domain"
][::8]


@pytest.fixture(scope="module")
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-cli-"))
    cli = Mxroute(home, {})
    cli.ok("init", "--demo")
    yield cli
    shutil.rmtree(home, ignore_errors=True)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("mxroute: ")
    return lines[0]


@pytest.mark.parametrize("hostile", SAMPLE, ids=lambda h: h.id)
def test_a_hostile_input_is_refused_with_exit_1_and_changes_no_file(
    mxroute: Mxroute, hostile: Hostile
) -> None:
    zone = mxroute.home / "zones" / "shop.example.zone"
    before = zone.read_bytes(), sorted(p.read_bytes() for p in (mxroute.home / "lists").iterdir())
    args = (
        ("10", str(hostile.value))
        if hostile.field == "exchanger"
        else (str(hostile.value), "mx9.shop.example")
    )
    done = mxroute.run("mx", "add", "shop.example", *args)
    assert done.returncode == 1
    assert _one_line(done.stderr).endswith(".")
    after = zone.read_bytes(), sorted(p.read_bytes() for p in (mxroute.home / "lists").iterdir())
    assert after == before


def test_an_unknown_domain_says_how_to_add_it(mxroute: Mxroute) -> None:
    done = mxroute.run("mx", "list", "unknown.example")
    assert done.returncode == 1
    assert "mxroute domain add unknown.example" in _one_line(done.stderr)


def test_a_record_that_does_not_exist_is_named(mxroute: Mxroute) -> None:
    done = mxroute.run("mx", "delete", "shop.example", "20", "mail.shop.example")
    assert done.returncode == 1
    assert "20 mail.shop.example" in _one_line(done.stderr)


def test_a_missing_argument_is_a_usage_error(mxroute: Mxroute) -> None:
    done = mxroute.run("mx", "add", "shop.example", "10")
    assert done.returncode == 2
    assert "Missing argument" in done.stderr


def test_an_unknown_mode_is_refused(mxroute: Mxroute) -> None:
    done = mxroute.run("routing", "set", "shop.example", "primary")
    assert done.returncode == 1
    assert "auto, local, backup or remote" in _one_line(done.stderr)


def test_without_a_data_directory_it_says_to_run_init() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-empty-"))
    try:
        done = Mxroute(home / "nothing-here", {}).run("domain", "list")
        assert done.returncode == 1
        assert "run 'mxroute init'" in _one_line(done.stderr)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_broken_config_file_is_named_not_a_traceback(mxroute: Mxroute) -> None:
    broken = Mxroute(mxroute.home.with_name(mxroute.home.name + "-broken"), {})
    broken.home.mkdir()
    try:
        (broken.home / "mxroute.toml").write_text("[dns\nzones_dir = 1\n")
        done = broken.run("domain", "list")
        assert done.returncode == 1
        assert "mxroute.toml is not valid TOML" in _one_line(done.stderr)
        (broken.home / "mxroute.toml").write_text("[dns]\nzone_dir = 'x'\n")
        done = broken.run("domain", "list")
        assert "unknown setting [dns] zone_dir" in _one_line(done.stderr)
    finally:
        shutil.rmtree(broken.home, ignore_errors=True)


def test_version_and_help_exit_0(mxroute: Mxroute) -> None:
    assert mxroute.ok("--version").startswith("mxroute, version ")
    assert "Manage the MX records" in mxroute.ok("--help")


def test_an_unreachable_database_at_init_is_one_line() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-nodb-"))
    try:
        # Port 1 on loopback: nothing listens, the connection is refused at once.
        cli = Mxroute(home, {"DATABASE_URL": "postgresql://mxroute@127.0.0.1:1/mxroute"})
        done = cli.run("init")
        assert done.returncode == 1
        assert "Cannot create mxroute's tables" in _one_line(done.stderr)
        cli.env["DATABASE_URL"] = "postgres://"
        done = cli.run("domain", "list")
        assert done.returncode == 1
        assert "names no database" in _one_line(done.stderr)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_detect_all_reports_each_broken_domain_and_exits_1(mxroute: Mxroute) -> None:
    zone = mxroute.home / "zones" / "gateway.example.zone"
    saved = zone.read_bytes()
    zone.write_text("not a zone at all\n")
    try:
        done = mxroute.run("detect", "--all", "--json")
        assert done.returncode == 1
        report = json.loads(done.stdout)
        assert "gateway.example" in report["failed"]
        assert {r["domain"] for r in report["detected"]} >= {"shop.example", "partner.example"}
        assert _one_line(done.stderr).startswith("mxroute: gateway.example: ")
    finally:
        zone.write_bytes(saved)


def test_logs_reach_stderr_only_with_mxroute_debug(mxroute: Mxroute) -> None:
    mxroute.env["MXROUTE_DNS_CHECK_COMMAND"] = "true {file}"
    try:
        quiet = mxroute.run("mx", "add", "shop.example", "40", "mx3.shop.example")
        assert quiet.returncode == 0 and quiet.stderr == ""
        mxroute.env["MXROUTE_DEBUG"] = "1"
        loud = mxroute.run("mx", "delete", "shop.example", "40", "mx3.shop.example")
        assert loud.returncode == 0
        assert "running zone check command" in loud.stderr
    finally:
        mxroute.env.pop("MXROUTE_DEBUG", None)
        mxroute.env.pop("MXROUTE_DNS_CHECK_COMMAND", None)


def test_detect_all_writes_nothing_to_stderr_when_all_goes_well(mxroute: Mxroute) -> None:
    done = mxroute.run("detect", "--all")
    assert done.returncode == 0
    assert done.stderr == ""


def test_one_mx_record_over_the_limit_is_refused_in_one_line(mxroute: Mxroute) -> None:
    records = len(mxroute.json("mx", "list", "shop.example")["mx"])
    limited = Mxroute(mxroute.home, {"MXROUTE_CHANGES_MAX_MX_RECORDS": str(records)})
    zone = mxroute.home / "zones" / "shop.example.zone"
    before = zone.read_bytes()
    done = limited.run("mx", "add", "shop.example", "90", "mx3.shop.example")
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert f"would have {records + 1} MX records, more than the limit of {records}" in line
    assert zone.read_bytes() == before
