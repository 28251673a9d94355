"""Settings: the file, the variables that win over it, and one clear refusal per bad value."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mxroute import config
from mxroute.config import Settings, load
from mxroute.errors import ConfigError

# Given, so that load() never falls back to the machine's own identity.
IDENTITY = {"MXROUTE_SERVER_NAMES": "mx.self.test", "MXROUTE_SERVER_ADDRESSES": "192.0.2.1"}


def _file(home: Path, text: str) -> Path:
    path = home / config.CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def _load(home: Path, **env: str) -> Settings:
    return load(home, env={**IDENTITY, **env})


def _refusal(home: Path, env: dict[str, str] | None = None, **variables: str) -> str:
    with pytest.raises(ConfigError) as refused:
        load(home, env={**IDENTITY, **variables} if env is None else env)
    message = refused.value.message
    assert "\n" not in message
    assert message.endswith(".")
    return message


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


# ----- where values come from ------------------------------------------------------------


def test_without_a_file_the_defaults_live_in_the_data_directory(tmp_path: Path) -> None:
    settings = _load(tmp_path)
    assert settings.home == tmp_path
    assert settings.zones_dir == tmp_path / "zones"
    assert settings.lists_dir == tmp_path / "lists"
    assert settings.zone_file == "{zone}.zone"
    assert (settings.zone_ttl, settings.resolver_port, settings.resolver_timeout) == (3600, 53, 3.0)
    assert settings.database_url is None


def test_the_file_sets_every_kind_of_value(tmp_path: Path) -> None:
    _file(
        tmp_path,
        """
[dns]
zones_dir = "/var/named"
zone_file = "{zone}.db"
check_command = "named-checkzone -q {zone} {file}"
ttl = 300
nameserver = "NS1.Example.NET."
[mta]
reload_command = "touch {lists_dir}/reloaded"
[server]
names = ["Mail.Example.com.", "mx2.example.com"]
addresses = ["192.0.2.10", "2001:DB8::0:1"]
[resolver]
server = "127.0.0.1"
port = 5353
timeout = 0.5
""",
    )
    settings = load(tmp_path, env={})
    assert settings.zones_dir == Path("/var/named")
    assert settings.zone_file == "{zone}.db"
    assert settings.zone_check_command == "named-checkzone -q {zone} {file}"
    assert settings.zone_ttl == 300
    assert settings.nameserver == "ns1.example.net"
    assert settings.lists_reload_command == "touch {lists_dir}/reloaded"
    assert settings.server_names == ("mail.example.com", "mx2.example.com")
    assert settings.server_addresses == ("192.0.2.10", "2001:db8::1")
    assert (settings.resolver_server, settings.resolver_port) == ("127.0.0.1", 5353)
    assert settings.resolver_timeout == 0.5


def test_variables_win_over_the_file(tmp_path: Path) -> None:
    _file(tmp_path, '[dns]\nttl = 300\nzone_file = "{zone}.db"\n[resolver]\nport = 5353\n')
    settings = _load(tmp_path, MXROUTE_DNS_TTL="600", MXROUTE_RESOLVER_PORT="53")
    assert (settings.zone_ttl, settings.resolver_port) == (600, 53)
    assert settings.zone_file == "{zone}.db"


def test_relative_paths_in_the_file_and_in_variables_are_under_the_data_directory(
    tmp_path: Path,
) -> None:
    _file(tmp_path, '[dns]\nzones_dir = "bind/zones"\n')
    settings = _load(tmp_path, MXROUTE_MTA_LISTS_DIR="exim/lists")
    assert settings.zones_dir == tmp_path / "bind" / "zones"
    assert settings.lists_dir == tmp_path / "exim" / "lists"


def test_a_path_may_start_with_the_users_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    settings = _load(tmp_path, MXROUTE_DNS_ZONES_DIR="~/zones")
    assert settings.zones_dir == tmp_path / "user" / "zones"


def test_server_names_and_addresses_from_a_variable_are_comma_separated_and_normalised(
    tmp_path: Path,
) -> None:
    settings = load(
        tmp_path,
        env={
            "MXROUTE_SERVER_NAMES": " Mail.Example.com. , bücher.example,mail.example.com,",
            "MXROUTE_SERVER_ADDRESSES": "2001:DB8:0:0::1, 192.0.2.1",
        },
    )
    assert settings.server_names == ("mail.example.com", "xn--bcher-kva.example")
    assert settings.server_addresses == ("2001:db8::1", "192.0.2.1")


def test_the_database_url_comes_from_the_file_then_database_url_then_mxroute_database_url(
    tmp_path: Path,
) -> None:
    _file(tmp_path, '[database]\nurl = "postgresql://file.example.test/mx"\n')
    assert _load(tmp_path).database_url == "postgresql://file.example.test/mx"
    env = {"DATABASE_URL": "postgres://env.example.test/mx"}
    assert _load(tmp_path, **env).database_url == "postgres://env.example.test/mx"
    env["MXROUTE_DATABASE_URL"] = "sqlite:///tmp/mx.sqlite3"
    assert _load(tmp_path, **env).database_url == "sqlite:///tmp/mx.sqlite3"


def test_an_empty_database_url_variable_means_the_sqlite_file(tmp_path: Path) -> None:
    _file(tmp_path, '[database]\nurl = "postgresql://file.example.test/mx"\n')
    assert _load(tmp_path, MXROUTE_DATABASE_URL="").database_url is None


def test_blank_commands_mean_no_command(tmp_path: Path) -> None:
    assert _load(tmp_path, MXROUTE_DNS_RELOAD_COMMAND="   ").zone_reload_command == ""


# ----- the file itself -------------------------------------------------------------------


def test_a_settings_file_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / config.CONFIG_FILE).mkdir()
    assert "is a directory" in _refusal(tmp_path)


def test_an_unreadable_settings_file_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, "[dns]\nttl = 300\n")

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    message = _refusal(tmp_path)
    assert str(path) in message
    assert "permission denied" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[dns\n", "not valid TOML"),
        (b'[dns]\nzone_file = "\xff"\n', "not UTF-8"),
        (b"dns = 5\n", "dns must be a section"),
        (b'server = ["mx.example.com"]\n', "server must be a section"),
        (b"[mail]\n", "unknown section [mail]"),
        (b"[dns]\nzonefile = 'x'\n", "unknown setting [dns] zonefile"),
    ],
)
def test_a_malformed_settings_file_is_refused(tmp_path: Path, data: bytes, expected: str) -> None:
    (tmp_path / config.CONFIG_FILE).write_bytes(data)
    assert expected in _refusal(tmp_path)


# ----- one refusal per bad value, naming the setting ---------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("dns", "ttl", True, "is true; it must be a whole number of seconds from 1 to 2147483647"),
        ("dns", "ttl", 1.5, "whole number"),
        ("dns", "ttl", 0, "from 1 to 2147483647"),
        ("dns", "ttl", 2**31, "from 1 to 2147483647"),
        ("dns", "ttl", math.nan, "whole number"),
        ("dns", "ttl", math.inf, "whole number"),
        ("resolver", "port", 1.5, "from 1 to 65535"),
        ("resolver", "port", False, "is false"),
        ("resolver", "port", 0, "from 1 to 65535"),
        ("resolver", "port", 65536, "from 1 to 65535"),
        ("resolver", "timeout", math.nan, "above 0 and at most 60"),
        ("resolver", "timeout", math.inf, "above 0 and at most 60"),
        ("resolver", "timeout", True, "is true"),
        ("resolver", "timeout", 0, "above 0"),
        ("resolver", "timeout", -1, "above 0"),
        ("resolver", "timeout", 61, "at most 60"),
        ("resolver", "server", "dns.example", "IPv4 or IPv6 address"),
        ("server", "addresses", ["192.0.2.1", "notanip"], "has the entry 'notanip'"),
        ("server", "addresses", "192.0.2.300", "IPv4 or IPv6 address"),
        ("server", "addresses", 5, "list of IP addresses"),
        ("server", "names", ["mx.example.com", 5], "has the entry 5"),
        ("server", "names", ["mail server.example"], "'mail server.example' contains"),
        ("server", "names", ["192.0.2.1"], "is an IP address"),
        ("dns", "nameserver", "ns1", "not a fully qualified domain name"),
        ("dns", "zones_dir", "", "give a directory"),
        ("dns", "zones_dir", 5, "text in quotes"),
        ("dns", "check_command", 5, "text in quotes"),
        ("dns", "check_command", "named-checkzone {name} {file}", "unknown placeholder {name}"),
        ("dns", "reload_command", "rndc reload '{zone}", "quotation mark that is not closed"),
        ("mta", "reload_command", "exim -bV {zone}", "use only {lists_dir}"),
    ],
)
def test_a_bad_value_in_the_file_is_refused_naming_the_key_and_the_file(
    tmp_path: Path, section: str, key: str, value: object, expected: str
) -> None:
    path = _file(tmp_path, f"[{section}]\n{key} = {_toml(value)}\n")
    message = _refusal(tmp_path, env={})
    assert f"[{section}] {key} in {path}" in message
    assert expected in message


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("MXROUTE_SERVER_ADDRESSES", "notanip", "has the entry 'notanip'"),
        ("MXROUTE_SERVER_ADDRESSES", "192.0.2.1,fe80::1::2", "has the entry 'fe80::1::2'"),
        ("MXROUTE_SERVER_NAMES", "mx.example.com,mx_1.example.com", "'mx_1.example.com'"),
        ("MXROUTE_DNS_TTL", "true", "is 'true'"),
        ("MXROUTE_DNS_TTL", "1.5", "whole number"),
        ("MXROUTE_DNS_TTL", "-5", "from 1 to 2147483647"),
        ("MXROUTE_RESOLVER_PORT", "1.5", "is '1.5'"),
        ("MXROUTE_RESOLVER_PORT", "http", "from 1 to 65535"),
        ("MXROUTE_RESOLVER_TIMEOUT", "nan", "is 'nan'"),
        ("MXROUTE_RESOLVER_TIMEOUT", "inf", "at most 60"),
        ("MXROUTE_RESOLVER_TIMEOUT", "soon", "number of seconds"),
        ("MXROUTE_RESOLVER_SERVER", "localhost", "IPv4 or IPv6 address"),
        ("MXROUTE_DNS_NAMESERVER", "ns 1.example", "the name server 'ns 1.example'"),
        ("MXROUTE_DNS_ZONES_DIR", " ", "give a directory"),
        ("MXROUTE_DNS_CHECK_COMMAND", "check {zone!r}", "unknown placeholder {zone!r}"),
        ("MXROUTE_DNS_CHECK_COMMAND", "check {zone.upper}", "unknown placeholder"),
        ("MXROUTE_DNS_CHECK_COMMAND", "check ${HOME}", "unknown placeholder {HOME}"),
        ("MXROUTE_DNS_CHECK_COMMAND", "check {", "lone brace"),
    ],
)
def test_a_bad_value_in_a_variable_is_refused_naming_the_variable(
    tmp_path: Path, var: str, value: str, expected: str
) -> None:
    message = _refusal(tmp_path, **{var: value})
    assert var in message
    assert expected in message


@pytest.mark.parametrize(
    ("var", "value", "field", "expected"),
    [
        ("MXROUTE_DNS_TTL", " 300 ", "zone_ttl", 300),
        ("MXROUTE_DNS_TTL", "2147483647", "zone_ttl", 2147483647),
        ("MXROUTE_DNS_TTL", "3600.0", "zone_ttl", 3600),
        ("MXROUTE_RESOLVER_PORT", "65535", "resolver_port", 65535),
        ("MXROUTE_RESOLVER_TIMEOUT", "60", "resolver_timeout", 60.0),
        ("MXROUTE_RESOLVER_TIMEOUT", "0.25", "resolver_timeout", 0.25),
        ("MXROUTE_RESOLVER_SERVER", "2001:DB8::53", "resolver_server", "2001:db8::53"),
        ("MXROUTE_DNS_NAMESERVER", "NS1.Example.", "nameserver", "ns1.example"),
        ("MXROUTE_DNS_NAMESERVER", "", "nameserver", ""),
        ("MXROUTE_DNS_CHECK_COMMAND", "x --zone={zone} {{literal}}", "zone_check_command", None),
    ],
)
def test_a_good_value_is_normalised(
    tmp_path: Path, var: str, value: str, field: str, expected: object
) -> None:
    settings = _load(tmp_path, **{var: value})
    assert getattr(settings, field) == (value if expected is None else expected)


def test_integral_floats_and_numbers_in_quotes_are_accepted_in_the_file(tmp_path: Path) -> None:
    _file(tmp_path, '[dns]\nttl = 3600.0\n[resolver]\nport = "53"\ntimeout = 2\n')
    settings = _load(tmp_path)
    assert (settings.zone_ttl, settings.resolver_port) == (3600, 53)
    assert isinstance(settings.zone_ttl, int)
    assert settings.resolver_timeout == 2.0


# ----- the zone file template -----------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["{zone}.zone", "{zone}.db", "db.{zone}", "{zone}", "{{x}}{zone}"]
)
def test_a_zone_file_template_with_zone_as_its_only_placeholder_is_kept(
    tmp_path: Path, template: str
) -> None:
    assert _load(tmp_path, MXROUTE_DNS_ZONE_FILE=template).zone_file == template


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{name}.db", "only placeholder must be {zone}"),
        ("{zone}.{tld}", "only placeholder must be {zone}"),
        ("{}.db", "only placeholder must be {zone}"),
        ("{0}.db", "only placeholder must be {zone}"),
        ("{zone!r}.db", "only placeholder must be {zone}"),
        ("{zone:>40}.db", "only placeholder must be {zone}"),
        ("{zone.upper}.db", "only placeholder must be {zone}"),
        ("zone.db", "must contain {zone}"),
        ("{zone", "lone brace"),
        ("zone}.db", "lone brace"),
        ("../{zone}.db", "plain file name inside the zones directory"),
        ("sub/{zone}.db", "plain file name"),
        ("/etc/{zone}", "plain file name"),
        ("{zone}..db", "plain file name"),
        (" {zone}.db", "plain file name"),
        ("{zone}\t.db", "plain file name"),
    ],
)
def test_a_zone_file_template_that_is_not_one_plain_file_per_zone_is_refused(
    tmp_path: Path, template: str, expected: str
) -> None:
    message = _refusal(tmp_path, MXROUTE_DNS_ZONE_FILE=template)
    assert message.startswith("The setting MXROUTE_DNS_ZONE_FILE is ")
    assert expected in message


# ----- the database URL ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///var/lib/mxroute/db.sqlite3",
        "postgres://mx@db.example.test/mx",
        "postgresql://mx:secret@db.example.test:5433/mx",
    ],
)
def test_sqlite_and_postgresql_urls_are_accepted(tmp_path: Path, url: str) -> None:
    assert _load(tmp_path, DATABASE_URL=url).database_url == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://mx:hunter2@db.example.test/mx", "uses the scheme 'mysql'"),
        ("foo://mx:hunter2@db.example.test/mx", "uses the scheme 'foo'"),
        ("pgsql://mx:hunter2@db.example.test/mx", "uses the scheme 'pgsql'"),
        ("db.example.test/hunter2", "is not a URL"),
        ("mx:hunter2@db.example.test://mx", "is not a URL"),
        ("postgresql://mx:hunter2@db.example.test/mx\x00", "is not a URL"),
        ("postgresql://mx:hunter2@db.example.test:port/mx", "not a valid postgresql:// URL"),
        ("postgresql://mx:hunter2@[db.example.test/mx", "not a valid postgresql:// URL"),
    ],
)
def test_a_database_url_mxroute_cannot_use_is_refused_without_showing_it(
    tmp_path: Path, url: str, expected: str
) -> None:
    message = _refusal(tmp_path, DATABASE_URL=url)
    assert message.startswith("The setting DATABASE_URL ")
    assert expected in message
    assert "hunter2" not in message


def test_a_bad_database_url_in_the_file_names_the_key(tmp_path: Path) -> None:
    path = _file(tmp_path, '[database]\nurl = "mysql://db.example.test/mx"\n')
    assert f"[database] url in {path}" in _refusal(tmp_path)


def test_the_machine_identity_has_only_normalised_host_names() -> None:
    names, addresses = config.machine_identity()
    assert all(name == name.lower() and "." in name for name in names)
    assert all(":" in a or a.count(".") == 3 for a in addresses)


# ----- through the command line: one line, exit 1 -------------------------------------------


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("MXROUTE_SERVER_ADDRESSES", "notanip", "MXROUTE_SERVER_ADDRESSES has the entry"),
        ("MXROUTE_DNS_ZONE_FILE", "{name}.db", "MXROUTE_DNS_ZONE_FILE is '{name}.db'"),
        ("DATABASE_URL", "foo://db.example.test/mx", "DATABASE_URL uses the scheme 'foo'"),
    ],
)
def test_the_command_line_prints_a_bad_setting_on_one_line(
    tmp_path: Path, var: str, value: str, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MXROUTE_", "DATABASE_"))}
    env.update({"MXROUTE_HOME": str(tmp_path), **IDENTITY, var: value})
    run = "import sys; from mxroute.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", run, "domain", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("mxroute: The setting ")
    assert expected in done.stderr
    assert done.stderr.count("\n") == 1


def test_the_web_settings_are_checked(tmp_path: Path) -> None:
    (tmp_path / "mxroute.toml").write_text(
        '[web]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\nmax_body_bytes = 65536\n'
    )
    loaded = config.load(tmp_path)
    assert loaded.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    assert (loaded.max_body_bytes, loaded.max_requests, loaded.header_timeout) == (65536, 256, 10.0)
    (tmp_path / "mxroute.toml").write_text('[web]\ntrusted_proxies = ["proxy.example"]\n')
    with pytest.raises(ConfigError, match="IPv4 or IPv6 address or network"):
        config.load(tmp_path)


def test_the_deployment_guides_settings_load(tmp_path: Path) -> None:
    from tests.docblocks import block_after

    (tmp_path / "mxroute.toml").write_text(block_after("deployment.md", "deployment-settings"))
    loaded = config.load(tmp_path)
    assert loaded.zone_reload_command == "rndc reload {zone}"
    assert loaded.trusted_proxies == ("127.0.0.1/32",)
    assert loaded.lists_dir == Path("/etc/exim4/mxroute")


# ----- verified apply and zones named maintains ---------------------------------------


def test_verification_is_on_by_default_only_with_a_reload_command(tmp_path: Path) -> None:
    assert not _load(tmp_path).verifying
    with_reload = _load(tmp_path, MXROUTE_DNS_RELOAD_COMMAND="rndc reload {zone}")
    assert with_reload.verifying
    assert (with_reload.verify_servers, with_reload.verify_timeout) == ((), 10.0)
    assert not _load(
        tmp_path, MXROUTE_DNS_RELOAD_COMMAND="rndc reload {zone}", MXROUTE_DNS_VERIFY="false"
    ).verifying
    assert _load(tmp_path, MXROUTE_DNS_VERIFY="yes").verifying


def test_the_verification_and_freeze_settings_are_read_from_the_file(tmp_path: Path) -> None:
    _file(
        tmp_path,
        """
[dns]
verify = true
verify_servers = ["127.0.0.1", "NS1.Example.NET:5353", "[2001:DB8::1]:53", "2001:db8::2"]
verify_timeout = 2.5
freeze_command = "rndc freeze {zone}"
thaw_command = "rndc thaw {zone}"
named_conf = "/etc/bind/named.conf"
""",
    )
    settings = _load(tmp_path)
    assert settings.verifying
    assert settings.verify_servers == (
        "127.0.0.1:53",
        "ns1.example.net:5353",
        "[2001:db8::1]:53",
        "[2001:db8::2]:53",
    )
    assert settings.verify_timeout == 2.5
    assert settings.zone_freeze_command == "rndc freeze {zone}"
    assert settings.zone_thaw_command == "rndc thaw {zone}"
    assert settings.named_conf == Path("/etc/bind/named.conf")
    assert _load(tmp_path, MXROUTE_DNS_NAMED_CONF="").named_conf is None


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("MXROUTE_DNS_VERIFY", "maybe", "true or false"),
        ("MXROUTE_DNS_VERIFY_SERVERS", "127.0.0.1:99999", "has the entry '127.0.0.1:99999'"),
        ("MXROUTE_DNS_VERIFY_SERVERS", "ns 1.example", "address or a host name"),
        ("MXROUTE_DNS_VERIFY_TIMEOUT", "0", "above 0"),
        ("MXROUTE_DNS_FREEZE_COMMAND", "rndc freeze {name}", "unknown placeholder {name}"),
    ],
)
def test_a_bad_verification_or_freeze_setting_is_refused(
    tmp_path: Path, var: str, value: str, expected: str
) -> None:
    message = _refusal(tmp_path, **{var: value})
    assert var in message
    assert expected in message


def test_a_freeze_command_without_a_thaw_command_is_refused(tmp_path: Path) -> None:
    message = _refusal(tmp_path, MXROUTE_DNS_FREEZE_COMMAND="rndc freeze {zone}")
    assert "[dns] thaw_command is not" in message
