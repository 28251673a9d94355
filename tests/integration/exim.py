"""A real Exim for tests, resolving through a real named in a private network namespace.

Exim's dnslookup router asks the system resolver (``/etc/resolv.conf``, port 53 only),
so the test zones must be served on port 53 of an address the resolver is pointed at.
:class:`Netns` makes a network namespace with only ``lo`` up, so nothing can leave the
machine and port 53 on 127.0.0.1 is free; ``ip netns exec NAME`` also bind-mounts
``/etc/netns/NAME/resolv.conf`` over ``/etc/resolv.conf`` (in a private mount namespace
of that command only), which is how Exim, run through :attr:`Netns.prefix`, finds the
named started through the same prefix. The host's own resolver is never touched.

:func:`mxroute_config` writes a complete test configuration (what Exim needs to run
as root from a temporary directory, then :func:`render_exim_config`);
:func:`debian_config` builds Debian's own configuration with mxroute's macros from a
copy of /etc/exim4. :class:`Exim` asks Exim how it would route an address (``-bt``)
and what it answers in an SMTP session (``-bh``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mxroute.mta.exim import render_exim_config

NETNS_ROOT = Path("/etc/netns")
DEBIAN_CONFDIR = Path("/etc/exim4")
_ROUTER = re.compile(r"^\s+router = ([^,\s]+)", re.M)
_TRANSPORT = re.compile(r"\btransport = (\S+)", re.M)
_HOST = re.compile(r"^\s+host (?P<name>\S+)\s+\[(?P<address>[^\]]+)\](?:\s+MX=(?P<mx>\d+))?", re.M)


def exim_missing() -> str | None:
    """None when a real Exim and a way into a network namespace are here; else what is not."""
    missing = [c for c in ("exim", "ip") if shutil.which(c) is None]
    if os.geteuid() != 0:
        missing.append("root (for a network namespace)")
    return ", ".join(missing) if missing else None


class Netns:
    """A network namespace with only loopback, whose resolver is 127.0.0.1:53."""

    def __init__(self) -> None:
        self.name = f"mxroute-test-{secrets.token_hex(4)}"
        self.etc = NETNS_ROOT / self.name
        self._made_root = False

    @property
    def prefix(self) -> list[str]:
        """Put before a command to run it inside (with the namespace's resolv.conf)."""
        return ["ip", "netns", "exec", self.name]

    def create(self) -> Netns:
        """Create the namespace, bring up ``lo`` and write its resolv.conf."""
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        try:
            subprocess.run(
                ["ip", "-n", self.name, "link", "set", "lo", "up"], check=True, capture_output=True
            )
            self._made_root = not NETNS_ROOT.exists()
            self.etc.mkdir(parents=True)
            # One quick attempt: a test that asks for a name named lacks fails fast.
            (self.etc / "resolv.conf").write_text(
                "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n", encoding="ascii"
            )
        except BaseException:
            self.delete()
            raise
        return self

    def delete(self) -> None:
        """Remove the namespace and its /etc/netns directory (safe to call twice)."""
        subprocess.run(["ip", "netns", "delete", self.name], check=False, capture_output=True)
        shutil.rmtree(self.etc, ignore_errors=True)
        if self._made_root:
            with contextlib.suppress(OSError):  # another namespace may use it by now
                NETNS_ROOT.rmdir()

    def __enter__(self) -> Netns:
        return self.create()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.delete()


@dataclass(frozen=True)
class Route:
    """What ``exim -bt`` said about one address."""

    address: str
    status: int  # 0 routable, 1 deferred, 2 failed
    router: str | None  # None for an address a redirect router replaced
    transport: str | None
    hosts: tuple[tuple[str, str, int | None], ...]  # (name, address, MX preference)
    output: str

    @property
    def host_names(self) -> list[str]:
        """The exchangers Exim would try, in order."""
        return [name for name, _, _ in self.hosts]


# What Exim needs to run as root from a temporary directory; the rest is mxroute's.
_TEST_MAIN = """\
# ---- test only: run as root from a temporary directory ----
spool_directory = {work}/spool
log_file_path = {work}/log/%slog
exim_user = root
exim_group = root
primary_hostname = {hostname}

"""

# Debian's configuration reads these macros first (conf.d/main/000_*).
_DEBIAN_TEST_MAIN = """\
CONFDIR = {work}/etc
SPOOLDIR = {work}/spool
log_file_path = {work}/log/%slog
primary_hostname = {hostname}
"""


def _work_dirs(work_dir: Path, owner: str | None = None) -> None:
    for sub in ("spool", "log"):
        (work_dir / sub).mkdir(parents=True, exist_ok=True)
        if owner:
            shutil.chown(work_dir / sub, owner, owner)


def mxroute_config(work_dir: Path, lists_dir: Path, server_names: Sequence[str]) -> Path:
    """A complete configuration: test-only main options, then render_exim_config's text."""
    _work_dirs(work_dir)
    config = work_dir / "exim.conf"
    main = _TEST_MAIN.format(work=work_dir, hostname=server_names[0])
    config.write_text(main + render_exim_config(lists_dir, server_names), "utf-8")
    config.chmod(0o644)  # Exim refuses a configuration file that others may write
    return config


def debian_missing() -> str | None:
    """None when Debian's exim4-config (conf.d and update-exim4.conf) is installed."""
    if shutil.which("update-exim4.conf") is None or not DEBIAN_CONFDIR.joinpath("conf.d").is_dir():
        return "exim4-config (update-exim4.conf, /etc/exim4/conf.d)"
    return None


def debian_config(work_dir: Path, local_macros: str, hostname: str) -> Path:
    """Debian's own split configuration, as an "internet site", with ``local_macros``
    in ``conf.d/main/000_mxroute``, generated by update-exim4.conf from a copy of
    /etc/exim4 (the machine's configuration is not touched)."""
    work_dir.chmod(0o755)  # Exim drops to Debian-exim in an SMTP session
    _work_dirs(work_dir, owner="Debian-exim")
    etc = work_dir / "etc"
    shutil.copytree(DEBIAN_CONFDIR, etc, symlinks=True)
    settings = etc / "update-exim4.conf.conf"
    text = settings.read_text("utf-8")
    for key, value in (("dc_eximconfig_configtype", "internet"), ("dc_use_split_config", "true")):
        text = re.sub(rf"^{key}=.*$\n?", "", text, flags=re.M) + f"{key}='{value}'\n"
    settings.write_text(text, "utf-8")
    (etc / "conf.d/main/000_mxroute").write_text(local_macros, "utf-8")
    (etc / "conf.d/main/000_test").write_text(
        _DEBIAN_TEST_MAIN.format(work=work_dir, hostname=hostname), "utf-8"
    )
    config = work_dir / "exim4.conf"
    subprocess.run(
        ["update-exim4.conf", "--confdir", str(etc), "--output", str(config)],
        check=True,
        capture_output=True,
    )
    return config


class Exim:
    """Exim run with ``config`` (``-C``), through ``prefix``."""

    def __init__(self, config: Path, *, prefix: Sequence[str] = ()) -> None:
        self.config = config
        self.prefix = list(prefix)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``exim -C CONFIG ARGS`` (through the prefix)."""
        return subprocess.run(
            [*self.prefix, "exim", "-C", str(self.config), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def route(self, address: str) -> Route:
        """How Exim would route ``address`` (``-bt``: nothing is sent)."""
        done = self.run("-bt", address)
        router = _ROUTER.search(done.stdout)
        transport = _TRANSPORT.search(done.stdout)
        hosts = tuple(
            (m["name"], m["address"], int(m["mx"]) if m["mx"] else None)
            for m in _HOST.finditer(done.stdout)
        )
        return Route(
            address,
            done.returncode,
            router[1] if router else None,
            transport[1] if transport else None,
            hosts,
            (done.stdout + done.stderr).strip(),
        )

    def rcpt_replies(
        self, recipients: Sequence[str], client: str = "192.0.2.99", sender: str = "s@example.org"
    ) -> dict[str, str]:
        """Exim's answer to each RCPT in a fake SMTP session from ``client`` (``-bh``)."""
        script = "".join(
            [
                "EHLO client.example\r\n",
                f"MAIL FROM:<{sender}>\r\n",
                *(f"RCPT TO:<{r}>\r\n" for r in recipients),
                "QUIT\r\n",
            ]
        )
        done = self.run("-bh", client, stdin=script)
        # The last line of each reply: greeting, EHLO, MAIL, one per RCPT, QUIT.
        finals = [line for line in done.stdout.splitlines() if re.match(r"\d{3} ", line)]
        if done.returncode != 0 or len(finals) != len(recipients) + 4:
            raise AssertionError(f"unexpected exim -bh session:\n{done.stdout}\n{done.stderr}")
        return dict(zip(recipients, finals[3:-1], strict=True))
