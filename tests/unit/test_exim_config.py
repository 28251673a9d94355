"""The Exim configuration text: paths and names filled in, refused when unsafe, documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.errors import ConfigError
from mxroute.mta.exim import render_exim_config
from mxroute.mta.lists import LOCAL_DOMAINS, SECONDARY_MX
from tests.docblocks import block_after

DOCS_LISTS_DIR = Path("/var/lib/mxroute/lists")
DOCS_SERVER = "mx.example.com"


def test_the_configuration_shown_in_docs_is_exactly_what_mxroute_renders() -> None:
    shown = block_after(
        "exim.md", f"rendered: lists_dir={DOCS_LISTS_DIR} server_names={DOCS_SERVER}"
    )
    assert shown == render_exim_config(DOCS_LISTS_DIR, [DOCS_SERVER])


def test_the_domain_lists_read_the_files_that_the_routing_lists_write() -> None:
    text = render_exim_config(Path("/srv/mx/lists"), ["mx.example.com"])
    lines = text.splitlines()
    assert f"domainlist local_domains = lsearch;/srv/mx/lists/{LOCAL_DOMAINS}" in lines
    assert f"domainlist relay_to_domains = lsearch;/srv/mx/lists/{SECONDARY_MX}" in lines
    assert "@LISTS_DIR@" not in text
    assert "@HOSTS_TREAT_AS_LOCAL@" not in text


def test_every_server_name_is_treated_as_this_host_once() -> None:
    text = render_exim_config(Path("/l"), ["mx.example.com", "mx2.example.com", "mx.example.com"])
    assert "hosts_treat_as_local = mx.example.com : mx2.example.com" in text.splitlines()


def test_without_server_names_hosts_treat_as_local_is_left_unset() -> None:
    lines = render_exim_config(Path("/l"), []).splitlines()
    assert not [line for line in lines if line.startswith("hosts_treat_as_local")]


@pytest.mark.parametrize(
    "path",
    ["lists", "/var/lib/mx route/lists", "/a:b", "/var/$domain", "/x\nbegin routers", "/a\\b"],
)
def test_a_path_that_exim_would_interpret_is_refused(path: str) -> None:
    with pytest.raises(ConfigError, match="lists directory") as refused:
        render_exim_config(Path(path), ["mx.example.com"])
    assert "MXROUTE_MTA_LISTS_DIR" in refused.value.message
    assert "\n" not in refused.value.message


def test_the_refusal_names_the_path_and_the_character_exim_would_interpret() -> None:
    with pytest.raises(ConfigError) as refused:
        render_exim_config(Path("/var/lib/mx route/lists"), ["mx.example.com"])
    assert "'/var/lib/mx route/lists'" in refused.value.message
    assert "SPACE" in refused.value.message


@pytest.mark.parametrize("name", ["mx.example.com : *", "MX.example.com", "mx_1.example.com", ""])
def test_a_server_name_that_is_not_a_normalised_host_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="server name"):
        render_exim_config(Path("/l"), [name])
