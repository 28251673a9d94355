"""The data directory: creating it with its mxroute.toml, database and lists.

``mxroute init`` calls :func:`initialise`; it is safe to run again (it keeps an
existing mxroute.toml, applies any new database migrations, and makes the secret files
private again: see :mod:`mxroute.privacy`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from mxroute import demo as demo_data
from mxroute import privacy
from mxroute.atomic import write_atomically
from mxroute.config import Settings, load
from mxroute.errors import ConfigError
from mxroute.service import Actor

log = logging.getLogger(__name__)

CONFIG_TEMPLATE = """\
# mxroute settings for this data directory. Every key also has an environment
# variable: [dns] check_command is MXROUTE_DNS_CHECK_COMMAND, and so on.

[dns]
zones_dir = "zones"              # one BIND master file per zone
zone_file = "{{zone}}.zone"        # file name; cPanel hosts use "{{zone}}.db"
# check_command = "named-checkzone -q -i local {{zone}} {{file}}"   # runs on the candidate file
# reload_command = "rndc reload {{zone}}"              # runs after the file is replaced
# nameserver = "ns1.example.net"                     # NS of zones that mxroute creates
# verify = true             # wait until named serves the change, else put it back
#                           # (default: on when reload_command is set)
# verify_servers = ["127.0.0.1:53"]   # host[:port] asked; default: [resolver] server,
#                                     # else 127.0.0.1:53
# verify_timeout = 10       # seconds the name servers have to serve a change
# Zones named maintains itself (a .jnl journal beside the file, or allow-update,
# update-policy or inline-signing in named_conf) are refused unless these are set:
# freeze_command = "rndc freeze {{zone}}"
# thaw_command = "rndc thaw {{zone}}"
# named_conf = "/etc/bind/named.conf"   # read to find such zones; default: not read
# query_server = "127.0.0.1"   # the name server that serves the zones, asked by 'mxroute doctor'
# query_port = 53              # (default: [resolver] server and port)

[mta]
lists_dir = "lists"              # localdomains, secondarymx, remotedomains
# reload_command = ""

[server]
# The names and addresses of this mail server; default: the machine's own.
{server}
[resolver]
# Where exchangers outside the managed zones are looked up; default: the system's.
# server = "127.0.0.1"
# port = 53
# timeout = 3

# [database]
# url = "postgresql://mxroute@db.example.net/mxroute"   # default: SQLite in this directory

# [changes]
# max_mx_records = 32   # the most MX records a domain may have (at most 100)
# wait_seconds = 60     # a change waits this long for another change of its domain

# [web]
# trusted_proxies = ["127.0.0.1"]   # believe X-Forwarded-For/-Proto only from these
# max_body_bytes = 1048576          # larger request bodies are refused (413)
# max_requests = 256                # requests served at once; beyond, 503 at once
# header_timeout = 10               # seconds a client has to send a request's headers
"""


def create_home(settings: Settings, *, demo: bool) -> Settings:
    """Create the data directory and its mxroute.toml (kept when it exists)."""
    if (
        demo
        and settings.config_path.exists()
        and (demo_data.DEMO_SERVER not in settings.server_names)
    ):
        raise ConfigError(
            f"{settings.home} already has settings of its own, so the demo domains would "
            "get the wrong modes; run 'mxroute init --demo' with MXROUTE_HOME set to a new "
            "directory."
        )
    for name, path in (
        ("MXROUTE_HOME", settings.home),
        ("[dns] zones_dir", settings.zones_dir),
        ("[mta] lists_dir", settings.lists_dir),
        ("the locks directory", settings.locks_dir),
    ):
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"Cannot create {path} for {name} ({exc.strerror or exc}); choose a "
                "directory this user may create and write."
            ) from None
    if not settings.config_path.exists():
        server = (
            f'names = ["{demo_data.DEMO_SERVER}"]\naddresses = ["{demo_data.DEMO_ADDRESS}"]\n'
            if demo
            else '# names = ["mail.example.net"]\n# addresses = ["192.0.2.10", "2001:db8::10"]\n'
        )
        try:
            write_atomically(
                settings.config_path,
                CONFIG_TEMPLATE.format(server=server).encode("utf-8"),
                mode=privacy.PRIVATE_FILE,
            )
        except OSError as exc:
            raise ConfigError(
                f"Cannot write {settings.config_path} ({exc.strerror or exc}); check that "
                "this user may write to the data directory."
            ) from None
        log.info("wrote %s", settings.config_path)
    return load(settings.home)


def initialise(
    *, demo: bool, actor: Actor, home: Path | None = None
) -> tuple[Path, list[str], list[str]]:
    """Create (or bring up to date) the data directory: its path, the demo domains it
    added, and the modes it made private (one sentence each)."""
    from mxroute import djangoapp

    settings = create_home(load(home), demo=demo)
    djangoapp.setup(settings.home)
    djangoapp.migrate()
    fixed = privacy.repair(settings)
    from mxroute.service import Service

    service = Service(load(settings.home))
    added = demo_data.add_demo_domains(service, actor) if demo else []
    service.resync_lists()
    return settings.home, added, fixed
