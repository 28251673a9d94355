"""What the CLI shows a person: the routing in words, searches, refusals of odd input."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli import Mxroute


@pytest.fixture(scope="module")
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-out-"))
    cli = Mxroute(home, {"COLUMNS": "200"})
    cli.ok("init", "--demo")
    yield cli
    shutil.rmtree(home, ignore_errors=True)


def test_routing_show_says_where_mail_goes(mxroute: Mxroute) -> None:
    out = mxroute.ok("routing", "show", "partner.example")
    assert "Routing: backup (chosen: auto, detected from MX: backup)" in out
    assert "Priority 20: mail.mxroute-demo.example [this server]." in out
    assert "relays it to mx1.partner.example (priority 10)" in " ".join(out.split())


def test_a_detection_that_cannot_be_confirmed_is_shown_as_unknown(mxroute: Mxroute) -> None:
    mxroute.ok("mx", "add", "elsewhere.example", "5", "typo.elsewhere.example", "--force")
    try:
        out = " ".join(mxroute.ok("routing", "show", "elsewhere.example").split())
        assert "detected from MX: unknown, remote kept" in out
        assert "typo.elsewhere.example does not resolve" in out
    finally:
        mxroute.ok("mx", "delete", "elsewhere.example", "5", "typo.elsewhere.example")


def test_search_finds_an_internationalised_domain_by_its_unicode_name(mxroute: Mxroute) -> None:
    mxroute.ok("domain", "add", "bücher.example", "--mx", "10 mail.mxroute-demo.example")
    found = mxroute.json("domain", "list", "--search", "BÜCHER")
    assert [d["domain"] for d in found] == ["xn--bcher-kva.example"]
    assert "No domain matches 'nothing-like-it'." in mxroute.ok(
        "domain", "list", "--search", "nothing-like-it"
    )


def test_a_negative_priority_gets_the_range_message_not_an_option_error(
    mxroute: Mxroute,
) -> None:
    done = mxroute.run("mx", "add", "shop.example", "-1", "mx9.shop.example")
    assert done.returncode == 1
    assert "out of range" in done.stderr


def test_a_serial_outside_the_32_bit_range_is_a_usage_error(mxroute: Mxroute) -> None:
    done = mxroute.run("mx", "add", "shop.example", "20", "mx9.shop.example", "--serial", "-5")
    assert done.returncode == 2


def test_demo_domains_are_not_added_to_a_directory_with_its_own_settings() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-own-"))
    try:
        cli = Mxroute(home, {})
        cli.ok("init")
        done = cli.run("init", "--demo")
        assert done.returncode == 1
        assert "already has settings of its own" in done.stderr
        assert cli.json("domain", "list") == []
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_exim_config_reads_this_data_directorys_lists(mxroute: Mxroute) -> None:
    out = mxroute.ok("exim-config")
    assert f"lsearch;{mxroute.home / 'lists' / 'localdomains'}" in out
    assert f"lsearch;{mxroute.home / 'lists' / 'secondarymx'}" in out
