"""Settings: defaults, then ``$MXROUTE_HOME/mxroute.toml``, then ``MXROUTE_*`` variables.

Every key ``[section] key`` in the file has the environment variable
``MXROUTE_SECTION_KEY``; lists in variables are comma-separated. ``DATABASE_URL``
is accepted as well as ``MXROUTE_DATABASE_URL`` (which wins); both win over the file.
Relative paths are relative to the data directory.

:func:`load` checks and normalises every value, so the rest of mxroute only sees good
settings. A bad one is :class:`ConfigError` with one sentence naming the setting
(the file key and file, or the variable), the value and what it must be:

- paths: not empty; ``~`` expanded; relative ones under the data directory;
- ``[dns] zone_file``: a file name template with ``{zone}`` as its only placeholder,
  giving a plain file name (no ``/`` or ``..``);
- commands: split like a shell, using only their placeholders (see :mod:`mxroute.hooks`);
- ``[dns] ttl``: whole seconds, 1 to 2147483647 (RFC 2181 §8);
- ``[resolver] port``: 1 to 65535; ``[resolver] timeout``: seconds, above 0, at most 60;
  numbers are never booleans, and never NaN or infinite;
- ``[server] names``, ``[dns] nameserver``: host names, normalised (lower case, A-labels,
  no final dot); ``[server] addresses``, ``[resolver] server``, ``[dns] query_server``:
  IPv4 or IPv6 addresses; ``[dns] query_port``: 1 to 65535;
- ``[database] url``: ``sqlite://`` or ``postgres(ql)://``;
- ``[changes] max_mx_records``: 1 to 100 (default 32); ``[changes] wait_seconds``: how
  long a change waits for another change of the same domain, above 0, at most 60;
  ``[changes] settle_seconds``: how often ``mxroute serve`` settles the changes of
  commands killed meanwhile, above 0, at most 60 (default 30);
- ``[dns] verify``: true or false; unset, verification is on when a reload command is
  set; ``[dns] verify_servers``: ``host[:port]`` entries (an address or a host name,
  IPv6 with a port in brackets), default the ``[resolver]`` server, else 127.0.0.1:53;
  ``[dns] verify_timeout``: seconds, above 0, at most 60 (default 10);
- ``[dns] freeze_command``, ``thaw_command``: both or neither; ``[dns] named_conf``: a
  file, or empty for none;
- ``[web] trusted_proxies``: the addresses or networks of reverse proxies whose
  ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed (default none);
  ``[web] max_body_bytes``: 1,024 to 67,108,864 (default 1 MiB); ``[web] max_requests``:
  requests served at once, 1 to 10,000 (default 256); ``[web] header_timeout``: seconds a
  client has to send a request's headers, above 0, at most 60 (default 10).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import socket
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mxroute.core.names import parse_host, shown
from mxroute.errors import ConfigError, InvalidInput
from mxroute.hooks import TemplateError, check_template

CONFIG_FILE = "mxroute.toml"

TTL_MAX = 2**31 - 1  # RFC 2181 §8: a TTL is an unsigned 31-bit number of seconds
PORT_MAX = 65535
TIMEOUT_MAX_SECONDS = 60.0
# A set of more MX records than this is always a mistake; BIND refuses to load a zone
# with more than 100 records of one type (max-records-per-type, 9.18).
MX_RECORDS_LIMIT = 100
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql")
# The placeholders each configured command may use (what its caller fills in).
ZONE_COMMAND_PLACEHOLDERS = ("zone", "file")
LISTS_COMMAND_PLACEHOLDERS = ("lists_dir",)
# The zone a zone file template is tried with, to see the file name it gives.
_SAMPLE_ZONE = "xn--sample-zone-1.example"


def debug_enabled() -> bool:
    """True when ``MXROUTE_DEBUG`` is 1, true, yes or on: tracebacks and debug logs shown."""
    return os.environ.get("MXROUTE_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def default_home() -> Path:
    """``$MXROUTE_HOME``, else ``$XDG_DATA_HOME/mxroute``, else ``~/.local/share/mxroute``."""
    if os.environ.get("MXROUTE_HOME"):
        return Path(os.environ["MXROUTE_HOME"]).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "mxroute"


def machine_identity() -> tuple[list[str], list[str]]:
    """This machine's own host names and addresses, the default server identity.

    Names that are not valid fully qualified host names (``localhost``) are left out.
    """
    found = {socket.getfqdn(), socket.gethostname()}
    addresses: set[str] = set()
    for name in found:
        try:
            for info in socket.getaddrinfo(name, None):
                addresses.add(str(info[4][0]).split("%")[0])
        except OSError:
            continue
    names: set[str] = set()
    for name in found:
        try:
            names.add(parse_host(name))
        except InvalidInput:
            continue
    return sorted(names), sorted(addresses)


@dataclass(frozen=True)
class Settings:
    """Typed settings for one mxroute data directory."""

    home: Path
    database_url: str | None = None
    zones_dir: Path = Path("zones")
    zone_file: str = "{zone}.zone"
    zone_check_command: str = ""
    zone_reload_command: str = ""
    zone_ttl: int = 3600
    nameserver: str = ""
    # Verified apply: None means "on when a reload command is set" (see verifying()).
    zone_verify: bool | None = None
    verify_servers: tuple[str, ...] = ()
    verify_timeout: float = 10.0
    # Zones named maintains itself (dynamic, signed): edited only between these.
    zone_freeze_command: str = ""
    zone_thaw_command: str = ""
    named_conf: Path | None = None
    lists_dir: Path = Path("lists")
    lists_reload_command: str = ""
    server_names: tuple[str, ...] = ()
    server_addresses: tuple[str, ...] = ()
    resolver_server: str = ""
    resolver_port: int = 53
    query_server: str = ""
    query_port: int = 53
    resolver_timeout: float = 3.0
    max_mx_records: int = 32
    wait_seconds: float = 60.0
    settle_seconds: float = 30.0
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 1 << 20
    max_requests: int = 256
    header_timeout: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database_path(self) -> Path:
        """The SQLite file used when no database URL is set."""
        return self.home / "mxroute.sqlite3"

    @property
    def config_path(self) -> Path:
        """Where this data directory's ``mxroute.toml`` lives."""
        return self.home / CONFIG_FILE

    @property
    def verifying(self) -> bool:
        """Whether a change waits for the name servers to serve it (``[dns] verify``):
        by default only when a reload command makes named load what was written."""
        if self.zone_verify is not None:
            return self.zone_verify
        return bool(self.zone_reload_command)

    @property
    def locks_dir(self) -> Path:
        """Lock files for zones and lists (kept out of the zones directory named reads)."""
        return self.home / "locks"


# ----- checking one value --------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where a value came from, as a message names it: a file key or a variable."""

    name: str
    home: Path

    def fail(self, value: object, problem: str, *, entry: bool = False) -> ConfigError:
        """``The setting <name> is <value>; <problem>.`` (``has <value>`` for a list entry)."""
        verb = "has the entry" if entry else "is"
        return ConfigError(f"The setting {self.name} {verb} {_show(value)}; {problem}.")


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    return shown(repr(value))


def _text(value: object, origin: _Origin) -> str:
    if not isinstance(value, str):
        raise origin.fail(value, "it must be text in quotes")
    if "\x00" in value:
        raise origin.fail(value, "it must not contain a NUL character")
    return value


def _path(value: object, origin: _Origin) -> Path:
    text = _text(value, origin).strip()
    if not text:
        raise origin.fail(value, "give a directory, absolute or relative to the data directory")
    path = Path(text).expanduser()
    return path if path.is_absolute() else origin.home / path


def _integer(value: object, origin: _Origin, low: int, high: int, problem: str) -> int:
    """A whole number from ``low`` to ``high``; never a bool, never a fraction."""
    number: int | float
    if isinstance(value, bool):
        raise origin.fail(value, problem)
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            try:
                number = float(value.strip())
            except ValueError:
                raise origin.fail(value, problem) from None
    else:
        raise origin.fail(value, problem)
    if isinstance(number, float):
        if not math.isfinite(number) or not number.is_integer():
            raise origin.fail(value, problem)
        number = int(number)
    if not low <= number <= high:
        raise origin.fail(value, problem)
    return number


def _seconds(value: object, origin: _Origin) -> float:
    """A number of seconds above 0 and at most :data:`TIMEOUT_MAX_SECONDS`."""
    problem = (
        f"it must be a number of seconds above 0 and at most {TIMEOUT_MAX_SECONDS:g}, "
        "such as 3 or 0.5"
    )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise origin.fail(value, problem)
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise origin.fail(value, problem) from None
    if not math.isfinite(number) or not 0 < number <= TIMEOUT_MAX_SECONDS:
        raise origin.fail(value, problem)
    return number


def _items(value: object, origin: _Origin, what: str) -> list[str]:
    """A list in the file, or comma-separated text (a variable): its non-empty items."""
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list):
        items = list(value)
    else:
        raise origin.fail(value, f'it must be a list of {what}, such as ["a", "b"]')
    for item in items:
        if not isinstance(item, str):
            raise origin.fail(item, f"every entry must be one of the {what}, in quotes", entry=True)
    return [text.strip() for text in items if isinstance(text, str) and text.strip()]


def _host(text: str, origin: _Origin, what: str) -> str:
    try:
        return parse_host(text, what=what, field=origin.name)
    except InvalidInput as exc:
        message = exc.message
        if message.startswith("The "):
            message = "the " + message[4:]
        raise ConfigError(f"In the setting {origin.name}, {message}") from None


def _hosts(value: object, origin: _Origin) -> tuple[str, ...]:
    names = (_host(item, origin, "server name") for item in _items(value, origin, "host names"))
    return tuple(dict.fromkeys(names))


def _address(text: str, origin: _Origin, *, entry: bool = False) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise origin.fail(
            text,
            "it must be an IPv4 or IPv6 address, such as 192.0.2.1 or 2001:db8::1",
            entry=entry,
        ) from None


def _addresses(value: object, origin: _Origin) -> tuple[str, ...]:
    items = _items(value, origin, "IP addresses")
    return tuple(dict.fromkeys(_address(item, origin, entry=True) for item in items))


def _zone_file(value: object, origin: _Origin) -> str:
    """A file name template: ``{zone}`` its only placeholder, a plain name once filled."""
    text = _text(value, origin)
    example = "for example '{zone}.zone' or '{zone}.db'"
    try:
        fields = [
            (f, spec or conv)
            for _, f, spec, conv in string.Formatter().parse(text)
            if f is not None
        ]
    except ValueError:
        raise origin.fail(
            value, f"it has a lone brace; use {{zone}} for the zone's name, {example}"
        ) from None
    if any(f != "zone" or extra for f, extra in fields):
        raise origin.fail(value, f"its only placeholder must be {{zone}}, {example}")
    if not fields:
        raise origin.fail(
            value, f"it must contain {{zone}} so each zone has its own file, {example}"
        )
    name = text.format(zone=_SAMPLE_ZONE)
    if "/" in name or ".." in name or not name.isprintable() or name != name.strip():
        raise origin.fail(
            value,
            "it must give a plain file name inside the zones directory (no '/', '..', "
            f"spaces at the ends or control characters), {example}",
        )
    return text


def _command(placeholders: tuple[str, ...]) -> Callable[[object, _Origin], str]:
    def convert(value: object, origin: _Origin) -> str:
        text = _text(value, origin).strip()
        if text:
            try:
                check_template(text, placeholders)
            except TemplateError as exc:
                raise ConfigError(f"The setting {origin.name} ({_show(text)}) {exc}.") from None
        return text

    return convert


def _nameserver(value: object, origin: _Origin) -> str:
    text = _text(value, origin).strip()
    return _host(text, origin, "name server") if text else ""


def _resolver_server(value: object, origin: _Origin) -> str:
    text = _text(value, origin).strip()
    return _address(text, origin) if text else ""


def _boolean(value: object, origin: _Origin) -> bool:
    """true or false (in a variable also 1/0, yes/no, on/off)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
    raise origin.fail(value, "it must be true or false")


def server_address(text: str) -> tuple[str, int]:
    """``host[:port]`` as (host, port): an IPv4 or IPv6 address (``[addr]:port`` with a
    port) or a host name; port 53 when none is given. ValueError says what is wrong."""
    host, port_text = text, ""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("write an IPv6 address with a port as [2001:db8::1]:53")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    port = 53
    if port_text or text.endswith(":"):
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= PORT_MAX:
            raise ValueError(f"the port must be a whole number from 1 to {PORT_MAX}")
        port = int(port_text)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        pass
    try:
        return parse_host(host, what="name server"), port
    except InvalidInput:
        raise ValueError(
            "it must be an address or a host name, with :port if not 53, such as "
            "127.0.0.1, ns1.example.net:5353 or [2001:db8::1]:53"
        ) from None


def _servers(value: object, origin: _Origin) -> tuple[str, ...]:
    """``host[:port]`` entries, normalised to ``host:port`` (``[v6]:port``)."""
    found: list[str] = []
    for item in _items(value, origin, "name servers (host or host:port)"):
        try:
            host, port = server_address(item)
        except ValueError as exc:
            raise origin.fail(item, str(exc), entry=True) from None
        found.append(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    return tuple(dict.fromkeys(found))


def _optional_file(value: object, origin: _Origin) -> Path | None:
    """A file (``~`` expanded, relative to the data directory), or None when empty."""
    text = _text(value, origin).strip()
    if not text:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() else origin.home / path


def _database_url(value: object, origin: _Origin) -> str | None:
    """A ``sqlite://`` or ``postgres(ql)://`` URL; the message never shows the URL itself."""
    import dj_database_url

    if not isinstance(value, str):
        raise origin.fail(value, "it must be a URL in quotes, such as 'postgresql://host/db'")
    text = value.strip()
    if not text:
        return None
    scheme = text.partition("://")[0].lower() if "://" in text and "\x00" not in text else ""
    if scheme not in DATABASE_SCHEMES:
        # Only a real scheme is shown: whatever else is before "://" may be a password.
        real = re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme)
        said = f"uses the scheme '{scheme}'" if real else "is not a URL"
        raise ConfigError(
            f"The setting {origin.name} {said}; mxroute supports only sqlite:// and "
            "postgresql:// URLs, so use one of those, or leave it out to use the SQLite file "
            "in the data directory."
        )
    try:
        parsed = dj_database_url.parse(text)
    except ValueError:  # dj_database_url.ParseError: a bad port or host, for instance
        raise ConfigError(
            f"The setting {origin.name} is not a valid {scheme}:// URL (check the host, the "
            "port and any special characters, which must be %-encoded)."
        ) from None
    if not parsed.get("NAME"):
        raise ConfigError(
            f"The setting {origin.name} names no database; end the URL with the database's "
            "name, as in postgresql://user@host/mxroute."
        )
    return text


def _ttl(value: object, origin: _Origin) -> int:
    problem = f"it must be a whole number of seconds from 1 to {TTL_MAX} (RFC 2181 §8)"
    return _integer(value, origin, 1, TTL_MAX, problem)


def _port(value: object, origin: _Origin) -> int:
    problem = f"it must be a port number, a whole number from 1 to {PORT_MAX}"
    return _integer(value, origin, 1, PORT_MAX, problem)


def _max_mx(value: object, origin: _Origin) -> int:
    problem = f"it must be a whole number from 1 to {MX_RECORDS_LIMIT}"
    return _integer(value, origin, 1, MX_RECORDS_LIMIT, problem)


def _networks(value: object, origin: _Origin) -> tuple[str, ...]:
    found = []
    for item in _items(value, origin, "addresses or networks"):
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise origin.fail(
                item,
                "it must be an IPv4 or IPv6 address or network, such as 127.0.0.1 or 10.0.0.0/8",
                entry=True,
            ) from None
    return tuple(dict.fromkeys(found))


def _body_bytes(value: object, origin: _Origin) -> int:
    return _integer(
        value, origin, 1024, 1 << 26, "it must be a number of bytes from 1024 to 67108864"
    )


def _requests(value: object, origin: _Origin) -> int:
    return _integer(value, origin, 1, 10_000, "it must be a whole number from 1 to 10000")


# (section, key) -> (Settings field, converter)
_KEYS: dict[tuple[str, str], tuple[str, Callable[[object, _Origin], Any]]] = {
    ("database", "url"): ("database_url", _database_url),
    ("dns", "zones_dir"): ("zones_dir", _path),
    ("dns", "zone_file"): ("zone_file", _zone_file),
    ("dns", "check_command"): ("zone_check_command", _command(ZONE_COMMAND_PLACEHOLDERS)),
    ("dns", "reload_command"): ("zone_reload_command", _command(ZONE_COMMAND_PLACEHOLDERS)),
    ("dns", "ttl"): ("zone_ttl", _ttl),
    ("dns", "nameserver"): ("nameserver", _nameserver),
    ("dns", "verify"): ("zone_verify", _boolean),
    ("dns", "verify_servers"): ("verify_servers", _servers),
    ("dns", "verify_timeout"): ("verify_timeout", _seconds),
    ("dns", "freeze_command"): ("zone_freeze_command", _command(ZONE_COMMAND_PLACEHOLDERS)),
    ("dns", "thaw_command"): ("zone_thaw_command", _command(ZONE_COMMAND_PLACEHOLDERS)),
    ("dns", "named_conf"): ("named_conf", _optional_file),
    ("dns", "query_server"): ("query_server", _resolver_server),
    ("dns", "query_port"): ("query_port", _port),
    ("mta", "lists_dir"): ("lists_dir", _path),
    ("mta", "reload_command"): ("lists_reload_command", _command(LISTS_COMMAND_PLACEHOLDERS)),
    ("server", "names"): ("server_names", _hosts),
    ("server", "addresses"): ("server_addresses", _addresses),
    ("resolver", "server"): ("resolver_server", _resolver_server),
    ("resolver", "port"): ("resolver_port", _port),
    ("resolver", "timeout"): ("resolver_timeout", _seconds),
    ("changes", "max_mx_records"): ("max_mx_records", _max_mx),
    ("changes", "wait_seconds"): ("wait_seconds", _seconds),
    ("changes", "settle_seconds"): ("settle_seconds", _seconds),
    ("web", "trusted_proxies"): ("trusted_proxies", _networks),
    ("web", "max_body_bytes"): ("max_body_bytes", _body_bytes),
    ("web", "max_requests"): ("max_requests", _requests),
    ("web", "header_timeout"): ("header_timeout", _seconds),
}
_SECTIONS = frozenset(section for section, _ in _KEYS)


def variable(section: str, key: str) -> str:
    """The environment variable of ``[section] key``."""
    return f"MXROUTE_{section}_{key}".upper()


# ----- loading -------------------------------------------------------------------------


def _read_file(path: Path) -> dict[str, Any] | None:
    """The parsed ``mxroute.toml``, or None when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a directory, not a settings file; remove it or run 'mxroute init'."
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; fix or remove it.") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ConfigError(
            f"Cannot read the settings file {path} ({reason}); make it readable for this user."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove it.") from None


def _from_file(path: Path, data: Mapping[str, Any]) -> dict[tuple[str, str], tuple[object, str]]:
    """``{(section, key): (value, origin name)}`` for every key of the file, checked known."""
    found: dict[tuple[str, str], tuple[object, str]] = {}
    for section, keys in data.items():
        if section not in _SECTIONS:
            known = ", ".join(f"[{s}]" for s in sorted(_SECTIONS))
            raise ConfigError(
                f"{path} has an unknown section [{shown(section)}]; the sections are {known}."
            )
        if not isinstance(keys, dict):
            raise ConfigError(
                f"In {path}, {section} must be a section ([{section}] on a line of its own, "
                f"then its keys), not {_show(keys)}."
            )
        for key, value in keys.items():
            if (section, key) not in _KEYS:
                known = ", ".join(k for s, k in _KEYS if s == section)
                raise ConfigError(
                    f"{path} has an unknown setting [{section}] {shown(key)}; the keys of "
                    f"[{section}] are {known}."
                )
            found[(section, key)] = (value, f"[{section}] {key} in {path}")
    return found


def load(home: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings of the data directory ``home`` (default: :func:`default_home`).

    ``env`` (default: ``os.environ``) supplies the ``MXROUTE_*`` variables. Raises
    :class:`ConfigError` for an unreadable file or any bad value.
    """
    env = dict(os.environ) if env is None else env
    home = (home or default_home()).absolute()
    path = home / CONFIG_FILE
    raw: dict[tuple[str, str], tuple[object, str]] = {}
    data = _read_file(path)
    if data is not None:
        raw.update(_from_file(path, data))
    if env.get("DATABASE_URL", "").strip():
        raw[("database", "url")] = (env["DATABASE_URL"], "DATABASE_URL")
    for section, key in _KEYS:
        var = variable(section, key)
        if var in env:
            raw[(section, key)] = (env[var], var)
    values: dict[str, Any] = {}
    for spec, (value, origin) in raw.items():
        name, convert = _KEYS[spec]
        values[name] = convert(value, _Origin(origin, home))
    freeze, thaw = values.get("zone_freeze_command"), values.get("zone_thaw_command")
    if bool(freeze) != bool(thaw):
        given, missing = ("freeze", "thaw") if freeze else ("thaw", "freeze")
        raise ConfigError(
            f"The setting [dns] {given}_command is set but [dns] {missing}_command is not; "
            f"set both (such as 'rndc freeze {{zone}}' and 'rndc thaw {{zone}}') or neither."
        )
    values.setdefault("zones_dir", home / "zones")
    values.setdefault("lists_dir", home / "lists")
    if not values.get("server_names") and not values.get("server_addresses"):
        names, addresses = machine_identity()
        values["server_names"], values["server_addresses"] = tuple(names), tuple(addresses)
    return Settings(home=home, **values)
