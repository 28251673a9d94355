"""``--dry-run`` and ``--plan`` on the changing commands, run as an operator would."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli import Mxroute

pytestmark = pytest.mark.integration


@pytest.fixture
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-preview-"))
    cli = Mxroute(home, {})
    cli.ok("init", "--demo")
    yield cli
    shutil.rmtree(home, ignore_errors=True)


def state(mxroute: Mxroute) -> tuple[dict[str, bytes], list[object]]:
    files = {
        str(p.relative_to(mxroute.home)): p.read_bytes()
        for directory in ("zones", "lists")
        for p in sorted((mxroute.home / directory).iterdir())
    }
    return files, mxroute.json("history")


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        (("mx", "add", "shop.example", "30", "mx3.shop.example"), ""),
        (("mx", "edit", "shop.example", "10", "mail.shop.example", "--priority", "5"), ""),
        # The last MX of a domain without an address, and a mail loop: refused unless forced.
        (("mx", "delete", "shop.example", "10", "mail.shop.example"), "no_mail_possible"),
        (("routing", "set", "shop.example", "remote"), "remote_mail_loop"),
        (("detect", "shop.example"), ""),
    ],
)
def test_every_changing_command_has_a_dry_run_that_writes_nothing(
    mxroute: Mxroute, args: tuple[str, ...], refused: str
) -> None:
    before = state(mxroute)
    done = mxroute.run(*args, "--dry-run")
    said = done.stdout
    assert said.startswith("Dry run, nothing was changed. shop.example:")
    assert "Apply exactly this with --plan " in said
    # A dry run of a change that would be refused says so and exits 1, for scripts.
    assert done.returncode == (1 if refused else 0), done.stderr
    assert (f"would be refused (it would stop mail: {refused})" in said) == bool(refused)
    assert state(mxroute) == before


def test_the_dry_run_shows_zone_lines_and_routing_lists(mxroute: Mxroute) -> None:
    said = mxroute.run(
        "mx", "delete", "shop.example", "10", "mail.shop.example", "--dry-run"
    ).stdout
    assert "- @ IN MX 10 mail.shop.example." in said
    assert "Routing: local -> " in said and "(routing lists: localdomains -> " in said


def test_a_plan_applies_only_while_it_is_the_same(mxroute: Mxroute) -> None:
    args = ("mx", "add", "shop.example", "30", "mx3.shop.example")
    plan = json.loads(mxroute.ok(*args, "--dry-run", "--json"))["fingerprint"]
    mxroute.ok("mx", "add", "shop.example", "20", "mx2.shop.example")  # meanwhile
    before = state(mxroute)
    done = mxroute.run(*args, "--plan", plan)
    assert done.returncode == 1
    assert "you previewed is no longer what it would do" in done.stderr
    assert state(mxroute) == before
    plan = json.loads(mxroute.ok(*args, "--dry-run", "--json"))["fingerprint"]
    applied = json.loads(mxroute.ok(*args, "--plan", plan, "--json"))
    assert applied["dry_run"] is False and applied["fingerprint"] == plan
