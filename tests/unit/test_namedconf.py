"""Reading named.conf for the zones named maintains itself: small, tolerant, and cheap."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.dns.namedconf import NamedConf
from mxroute.errors import ConfigError

CONF = """
// a comment: zone "line-comment.test" { update-policy local; };
# another: zone "hash-comment.test" { update-policy local; };
/* zone "block-comment.test" { allow-update { any; }; }; */
include "keys.conf";
include "missing.conf";
options {
    directory "/var/cache/bind";
    allow-update { none; };
};
zone "static.test" { type primary; file "static.test.zone"; };
zone "none.test" { type primary; file "none.test.zone"; allow-update { none; }; };
zone "policy.test" IN { type primary; update-policy { grant k. zonesub ANY; }; };
zone "Allowed.Test." { type master; allow-update { key "k."; 127.0.0.1; }; };
zone unquoted.test { type primary; allow-update { localhost; }; };
zone "signed.test" { type primary; inline-signing yes; };
zone "unsigned.test" { type primary; inline-signing no; };
zone "xpolicy.test" { type primary; };
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    (tmp_path / "keys.conf").write_text(
        'key "k." { algorithm hmac-sha256; secret "c2VjcmV0"; };\n'
        'zone "included.test" { type primary; update-policy local; };\n'
    )
    path = tmp_path / "named.conf"
    path.write_text(CONF)
    return path


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        ("static.test", None),
        ("none.test", None),
        ("policy.test", "update-policy"),
        ("allowed.test", "allow-update"),
        ("ALLOWED.test.", "allow-update"),
        ("unquoted.test", "allow-update"),
        ("signed.test", "inline-signing"),
        ("unsigned.test", None),
        ("included.test", "update-policy"),
        ("line-comment.test", None),
        ("hash-comment.test", None),
        ("block-comment.test", None),
        ("policy", None),
        ("xpolicy.test", None),
        ("absent.test", None),
    ],
)
def test_each_zone_stanza_says_whether_named_maintains_the_zone(
    conf: Path, zone: str, reason: str | None
) -> None:
    assert NamedConf(conf).reason(zone) == reason


def test_allow_update_in_the_options_counts_for_zones_without_their_own(tmp_path: Path) -> None:
    path = tmp_path / "named.conf"
    path.write_text(
        "options { allow-update { 192.0.2.1; }; };\n"
        'zone "a.test" { type primary; };\n'
        'zone "b.test" { type primary; allow-update { none; }; };\n'
    )
    conf = NamedConf(path)
    assert (conf.reason("a.test"), conf.reason("b.test")) == ("allow-update", None)


def test_zones_in_views_take_the_views_settings(tmp_path: Path) -> None:
    path = tmp_path / "named.conf"
    path.write_text(
        'view "inside" { allow-update { 10.0.0.0/8; };\n'
        '  zone "a.test" { type primary; }; zone "b.test" { allow-update { none; }; }; };\n'
        'view "outside" { zone "c.test" { type primary; }; };\n'
    )
    conf = NamedConf(path)
    assert [conf.reason(z) for z in ("a.test", "b.test", "c.test")] == [
        "allow-update",
        None,
        None,
    ]


def test_a_broken_file_is_read_as_far_as_it_makes_sense(tmp_path: Path) -> None:
    path = tmp_path / "named.conf"
    path.write_text(
        '} zone "a.test" { type primary; update-policy local; };\n'
        'zone "b.test" { allow-update { any; /* never closed'
    )
    conf = NamedConf(path)
    assert conf.reason("a.test") == "update-policy"
    assert conf.reason("b.test") == "allow-update"


def test_a_changed_file_is_read_again(conf: Path) -> None:
    reading = NamedConf(conf)
    assert reading.reason("static.test") is None
    conf.write_text(CONF.replace('file "static.test.zone";', "update-policy local; ") + "\n")
    assert reading.reason("static.test") == "update-policy"


def test_an_unreadable_named_conf_is_one_clear_refusal(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[dns\] named_conf") as refused:
        NamedConf(tmp_path / "absent.conf").reason("a.test")
    assert refused.value.code == "named_conf_unreadable"
