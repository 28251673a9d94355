"""Settings: defaults, then ``$MXROUTE_HOME/mxroute.toml``, then ``MXROUTE_*`` variables.

Every key ``[section] key`` in the file has the environment variable
``MXROUTE_SECTION_KEY``; lists in variables are comma-separated. ``DATABASE_URL``
is accepted as well as ``MXROUTE_DATABASE_URL``. Relative paths in the file are
relative to the data directory.
"""

from __future__ import annotations

import os
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mxroute.errors import ConfigError

CONFIG_FILE = "mxroute.toml"


def default_home() -> Path:
    """``$MXROUTE_HOME``, else ``$XDG_DATA_HOME/mxroute``, else ``~/.local/share/mxroute``."""
    if os.environ.get("MXROUTE_HOME"):
        return Path(os.environ["MXROUTE_HOME"]).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "mxroute"


def machine_identity() -> tuple[list[str], list[str]]:
    """This machine's own host names and addresses, the default server identity."""
    names = {socket.getfqdn().lower(), socket.gethostname().lower()}
    addresses: set[str] = set()
    for name in names:
        try:
            for info in socket.getaddrinfo(name, None):
                addresses.add(str(info[4][0]).split("%")[0])
        except OSError:
            continue
    return sorted(n for n in names if "." in n), sorted(addresses)


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
    lists_dir: Path = Path("lists")
    lists_reload_command: str = ""
    server_names: tuple[str, ...] = ()
    server_addresses: tuple[str, ...] = ()
    resolver_server: str = ""
    resolver_port: int = 53
    resolver_timeout: float = 3.0
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
    def locks_dir(self) -> Path:
        """Lock files for zones and lists (kept out of the zones directory named reads)."""
        return self.home / "locks"


# (section, key) -> (Settings field, kind)
_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("database", "url"): ("database_url", "str"),
    ("dns", "zones_dir"): ("zones_dir", "path"),
    ("dns", "zone_file"): ("zone_file", "str"),
    ("dns", "check_command"): ("zone_check_command", "str"),
    ("dns", "reload_command"): ("zone_reload_command", "str"),
    ("dns", "ttl"): ("zone_ttl", "int"),
    ("dns", "nameserver"): ("nameserver", "str"),
    ("mta", "lists_dir"): ("lists_dir", "path"),
    ("mta", "reload_command"): ("lists_reload_command", "str"),
    ("server", "names"): ("server_names", "list"),
    ("server", "addresses"): ("server_addresses", "list"),
    ("resolver", "server"): ("resolver_server", "str"),
    ("resolver", "port"): ("resolver_port", "int"),
    ("resolver", "timeout"): ("resolver_timeout", "float"),
}


def _convert(kind: str, value: Any, home: Path, origin: str) -> Any:
    try:
        if kind == "path":
            path = Path(str(value)).expanduser()
            return path if path.is_absolute() else home / path
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "list":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"The setting {origin} has the wrong type; expected {kind}.") from None


def load(home: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the settings of the data directory ``home`` (default: :func:`default_home`)."""
    env = dict(os.environ) if env is None else env
    home = (home or default_home()).absolute()
    values: dict[str, Any] = {}
    path = home / CONFIG_FILE
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove it.") from None
        for section, keys in data.items():
            if not isinstance(keys, dict):
                continue
            for key, value in keys.items():
                spec = _KEYS.get((section, key))
                if spec is None:
                    raise ConfigError(f"{path} has an unknown setting [{section}] {key}.")
                values[spec[0]] = _convert(spec[1], value, home, f"[{section}] {key}")
    for (section, key), (name, kind) in _KEYS.items():
        var = f"MXROUTE_{section}_{key}".upper()
        if var in env:
            values[name] = _convert(kind, env[var], home, var)
    if "database_url" not in values and env.get("DATABASE_URL"):
        values["database_url"] = env["DATABASE_URL"]
    values.setdefault("zones_dir", home / "zones")
    values.setdefault("lists_dir", home / "lists")
    if not values.get("server_names") and not values.get("server_addresses"):
        names, addresses = machine_identity()
        values["server_names"], values["server_addresses"] = tuple(names), tuple(addresses)
    return Settings(home=home, **values)
