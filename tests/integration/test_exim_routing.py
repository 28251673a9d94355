"""Real Exim 4 reading mxroute's routing lists, its MX lookups answered by a real named.

The zones (tests/zones/exim/) make this server ``mx.self.test`` (127.0.0.1, inside a
private network namespace) the best exchanger of local.test, the second one of
backup.test (behind mx1.primary.test) and of orphan.test (behind a name that does not
exist), and no exchanger of remote.test. The lists are
written by :class:`RoutingLists`, the configuration by :func:`render_exim_config`;
the assertions are what Exim itself decides.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mxroute.core.routing import Mode
from mxroute.mta.lists import RoutingLists
from tests.components import require
from tests.docblocks import block_after
from tests.integration.bind import NamedServer, bind_readable_dir, named_available
from tests.integration.exim import (
    Exim,
    Netns,
    debian_config,
    debian_missing,
    exim_missing,
    mxroute_config,
)

pytestmark = pytest.mark.integration

ZONES_DIR = Path(__file__).parent.parent / "zones" / "exim"
SERVER = "mx.self.test"
MODES = {"local.test": Mode.LOCAL, "backup.test": Mode.BACKUP, "remote.test": Mode.REMOTE}
LOCAL_USER = "root"  # check_local_user needs an account that exists on every machine
# docs/exim.md shows its examples for these; the tests put their own in.
DEBIAN_MARKER = "debian: conf.d/main/000_mxroute"
DOCS_LISTS_DIR = "/var/lib/mxroute/lists"
DOCS_SERVER = "mx.example.com"


@pytest.fixture(scope="module")
def netns() -> Iterator[Netns]:
    """A network namespace where a real named answers on 127.0.0.1:53 for the test zones."""
    require(exim_missing(), "Exim (exim4-daemon-light) with root and iproute2")
    require(named_available(), "BIND (named)")
    zones = bind_readable_dir("mxroute-exim-zones-")
    for path in ZONES_DIR.glob("*.zone"):
        shutil.copy(path, zones / path.name)
        (zones / path.name).chmod(0o644)
    names = sorted(p.name.removesuffix(".zone") for p in ZONES_DIR.glob("*.zone"))
    try:
        with Netns() as ns, NamedServer(zones, names, command_prefix=ns.prefix):
            yield ns
    finally:
        shutil.rmtree(zones, ignore_errors=True)


@pytest.fixture
def lists() -> Iterator[RoutingLists]:
    """The routing lists of the three test domains, in a fresh directory."""
    # Searchable by all: Debian's Exim reads the lists as Debian-exim, not as root.
    work = bind_readable_dir("mxroute-exim-lists-")
    routing = RoutingLists(work / "lists", work / "locks")
    routing.write(MODES)
    yield routing
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def exim(netns: Netns, lists: RoutingLists) -> Iterator[Exim]:
    """Exim configured by render_exim_config for those lists, run inside the namespace."""
    work = Path(tempfile.mkdtemp(prefix="mxroute-exim-"))
    yield Exim(mxroute_config(work, lists.directory, [SERVER]), prefix=netns.prefix)
    shutil.rmtree(work, ignore_errors=True)


def test_exim_accepts_the_rendered_configuration(exim: Exim) -> None:
    done = exim.run("-bV")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Exim version 4" in done.stdout


def test_a_local_domain_is_delivered_here_by_the_local_router(exim: Exim) -> None:
    route = exim.route(f"{LOCAL_USER}@local.test")
    assert route.status == 0, route.output
    assert (route.router, route.transport) == ("mxroute_local", "mxroute_local_delivery")
    assert route.hosts == ()


def test_a_backup_domain_is_relayed_only_to_its_more_preferred_exchanger(exim: Exim) -> None:
    route = exim.route("anyone@backup.test")
    assert route.status == 0, route.output
    assert (route.router, route.transport) == ("mxroute_backup", "mxroute_smtp")
    # Its own MX 20 record is dropped: the mail never comes back to this server.
    assert route.hosts == (("mx1.primary.test", "192.0.2.25", 10),)


def test_a_remote_domain_goes_to_its_own_exchanger(exim: Exim) -> None:
    route = exim.route("anyone@remote.test")
    assert route.status == 0, route.output
    assert (route.router, route.transport) == ("mxroute_remote", "mxroute_smtp")
    assert route.hosts == (("mx.elsewhere.test", "198.51.100.7", 10),)


def test_smtp_accepts_local_and_backup_domains_and_refuses_the_others(exim: Exim) -> None:
    replies = exim.rcpt_replies(
        [
            f"{LOCAL_USER}@local.test",
            "anyone@backup.test",
            "anyone@remote.test",
            "anyone@elsewhere.test",
            "no-such-user@local.test",
        ]
    )
    assert replies[f"{LOCAL_USER}@local.test"].startswith("250 ")
    assert replies["anyone@backup.test"].startswith("250 ")
    assert replies["anyone@remote.test"] == (
        "550 relay not permitted: this server is not a mail exchanger for remote.test"
    )
    assert replies["anyone@elsewhere.test"].startswith("550 relay not permitted")
    assert replies["no-such-user@local.test"] == "550 Unrouteable address"


def test_a_mode_change_takes_effect_without_a_reload_and_restore_undoes_it(
    exim: Exim, lists: RoutingLists
) -> None:
    before = lists.snapshot()
    assert lists.write({**MODES, "backup.test": Mode.REMOTE})

    assert exim.rcpt_replies(["anyone@backup.test"])["anyone@backup.test"].startswith("550 ")
    route = exim.route("anyone@backup.test")
    assert route.router == "mxroute_remote"
    # dnslookup still drops this server's own MX 20 record, whatever the router.
    assert route.host_names == ["mx1.primary.test"]

    assert lists.restore(before)
    assert exim.rcpt_replies(["anyone@backup.test"])["anyone@backup.test"].startswith("250 ")
    assert exim.route("anyone@backup.test").router == "mxroute_backup"


def test_backup_mode_for_a_domain_whose_best_exchanger_is_this_server_delivers_nothing(
    exim: Exim, lists: RoutingLists
) -> None:
    lists.write({**MODES, "local.test": Mode.BACKUP})

    route = exim.route("anyone@local.test")
    assert route.status == 1, route.output  # deferred, never sent back to itself
    assert "lowest numbered MX record points to local host" in route.output
    assert exim.rcpt_replies(["anyone@local.test"])["anyone@local.test"].startswith("451 ")


def test_a_backup_domain_whose_better_exchangers_do_not_exist_is_refused_at_rcpt(
    exim: Exim, lists: RoutingLists
) -> None:
    lists.write({**MODES, "orphan.test": Mode.BACKUP})

    route = exim.route("anyone@orphan.test")
    assert route.status == 2, route.output  # failed: accepting it would mean a bounce later
    assert exim.rcpt_replies(["anyone@orphan.test"])["anyone@orphan.test"] == (
        "550 all relevant MX records point to non-existent hosts"
    )


def test_exim_cannot_work_without_a_list_file_so_empty_lists_are_written_too(
    exim: Exim, lists: RoutingLists
) -> None:
    lists.write({"local.test": Mode.LOCAL})
    assert (lists.directory / "secondarymx").read_bytes() == b""
    assert exim.route("anyone@remote.test").status == 0

    (lists.directory / "secondarymx").unlink()
    route = exim.route("anyone@remote.test")
    assert route.status != 0
    assert "failed to open" in route.output


# -- Debian's configuration, merged as docs/exim.md says -------------------------------


@pytest.fixture
def debian_exim(netns: Netns, lists: RoutingLists) -> Iterator[Exim]:
    """Debian's exim4-config with the lines docs/exim.md tells operators to add."""
    require(debian_missing(), "Debian's exim4-config")
    macros = block_after("exim.md", DEBIAN_MARKER)
    macros = macros.replace(DOCS_LISTS_DIR, str(lists.directory)).replace(DOCS_SERVER, SERVER)
    work = Path(tempfile.mkdtemp(prefix="mxroute-exim-debian-"))
    try:
        yield Exim(debian_config(work, macros, SERVER), prefix=netns.prefix)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_debian_config_delivers_a_local_domain_here(debian_exim: Exim) -> None:
    route = debian_exim.route(f"{LOCAL_USER}@local.test")
    assert route.status == 0, route.output
    assert route.hosts == ()
    assert route.transport not in (None, "remote_smtp")


def test_debian_config_relays_a_backup_domain_to_its_better_exchanger(debian_exim: Exim) -> None:
    route = debian_exim.route("anyone@backup.test")
    assert route.status == 0, route.output
    assert route.router == "dnslookup_relay_to_domains"
    assert route.host_names == ["mx1.primary.test"]


def test_debian_config_sends_a_remote_domain_to_its_exchanger(debian_exim: Exim) -> None:
    route = debian_exim.route("anyone@remote.test")
    assert route.status == 0, route.output
    assert route.router == "dnslookup"
    assert route.host_names == ["mx.elsewhere.test"]


def test_debian_config_accepts_local_and_backup_domains_only(debian_exim: Exim) -> None:
    replies = debian_exim.rcpt_replies(
        [f"{LOCAL_USER}@local.test", "anyone@backup.test", "anyone@remote.test"]
    )
    assert replies[f"{LOCAL_USER}@local.test"].startswith("250 ")
    assert replies["anyone@backup.test"].startswith("250 ")
    assert replies["anyone@remote.test"] == "550 relay not permitted"
