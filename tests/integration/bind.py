"""A real BIND ``named`` for tests: serves a zones directory on loopback.

Usage::

    server = NamedServer(zones_dir, ["example.test"])
    server.start()                 # waits until every zone answers
    ...configure mxroute with server.reload_command...
    mx, serial = server.query_mx("example.test")
    server.stop()

named runs as ``-u bind``: its work directory (named.conf, keys, pid, logs) is a fresh
temporary directory owned by ``bind``; the zones directory and its files must be
readable by ``bind`` (see :func:`bind_readable_dir`), which :meth:`NamedServer.start`
checks so a permission problem shows as one clear error, not a SERVFAIL.

named resolves a relative ``$INCLUDE`` against its working ``directory`` (default: the
work directory). Pass ``directory=zones_dir`` for zones that use one, so it means the
same to named as to mxroute and to ``named-checkzone`` run there; named insists on
being able to write that directory, so give it to ``bind`` (``shutil.chown``).

``command_prefix`` (e.g. ``["ip", "netns", "exec", "mx"]``) runs named, rndc and the
test's queries through that prefix, so the server can listen on port 53 inside a
network namespace; :attr:`NamedServer.reload_command` includes the prefix.

:meth:`NamedServer.allow_updates` makes a zone dynamic (``update-policy`` with a TSIG key
made by ``tsig-keygen``), and :meth:`NamedServer.nsupdate` sends it RFC 2136 updates
signed with that key, as ``nsupdate -k`` does.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rdtypes.mxbase

ADDRESS = "127.0.0.1"
KEY_NAME = "rndc-key"
_LOOPBACK_QUERY = """
import sys, dns.message, dns.query
wire = bytes.fromhex(sys.argv[1])
reply = dns.query.udp(dns.message.from_wire(wire), sys.argv[2], port=int(sys.argv[3]),
                      timeout=float(sys.argv[4]))
print(reply.to_wire().hex())
"""


def named_available() -> str | None:
    """None when named, rndc, tsig-keygen and nsupdate are installed; otherwise what is missing."""
    missing = [c for c in ("named", "rndc", "tsig-keygen", "nsupdate") if shutil.which(c) is None]
    return ", ".join(missing) if missing else None


def free_port(address: str = ADDRESS) -> int:
    """A high port free for both UDP and TCP on ``address`` (named needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((address, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((address, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port found for named")


def bind_readable_dir(prefix: str = "mxroute-zones-") -> Path:
    """A new temporary directory that the ``bind`` user can read (mode 0755).

    pytest's ``tmp_path`` lives under ``/tmp/pytest-of-root`` (mode 0700), which
    named cannot enter once it has dropped to ``bind``.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class NamedServer:
    """One named process serving ``zones`` from ``zones_dir`` on ``address:port``."""

    def __init__(
        self,
        zones_dir: Path,
        zones: Iterable[str] = (),
        *,
        port: int = 0,
        control_port: int = 0,
        address: str = ADDRESS,
        file_template: str = "{zone}.zone",
        command_prefix: Sequence[str] = (),
        work_dir: Path | None = None,
        directory: Path | None = None,
    ) -> None:
        self.zones_dir = Path(zones_dir).absolute()
        self.zones: list[str] = list(zones)
        self.address = address
        self.command_prefix = list(command_prefix)
        # Inside a namespace the host's free ports say nothing; any port is free there.
        self.port = port or (53 if self.command_prefix else free_port(address))
        self.control_port = control_port or (953 if self.command_prefix else free_port(address))
        self.file_template = file_template
        self._own_work_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="mxroute-named-"))
        self.directory = Path(directory).absolute() if directory else self.work_dir
        self.key_file = self.work_dir / "rndc.key"
        self.conf_file = self.work_dir / "named.conf"
        self.log_file = self.work_dir / "named.log"
        self._process: subprocess.Popen[bytes] | None = None
        # Zone -> statements added to its stanza; key files named includes.
        self.zone_statements: dict[str, str] = {}
        self.update_keys: dict[str, Path] = {}

    # -- configuration -------------------------------------------------------------

    def zone_file(self, zone: str) -> Path:
        """The file named reads for ``zone``."""
        return self.zones_dir / self.file_template.format(zone=zone)

    def _write_config(self) -> None:
        if not self.key_file.exists():
            key = subprocess.run(
                ["tsig-keygen", "-a", "hmac-sha256", KEY_NAME],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            self.key_file.write_text(key, encoding="ascii")
        w = self.work_dir
        zones = "".join(
            f'zone "{zone}" {{ type primary; file "{self.zone_file(zone)}"; notify no;'
            f"{self.zone_statements.get(zone, '')} }};\n"
            for zone in self.zones
        )
        keys = "".join(f'include "{path}";\n' for path in self.update_keys.values())
        self.conf_file.write_text(
            f'include "{self.key_file}";\n' + keys + "options {\n"
            f'    directory "{self.directory}";\n'
            f'    pid-file "{w}/named.pid";\n'
            f'    session-keyfile "{w}/session.key";\n'
            f'    managed-keys-directory "{w}";\n'
            f'    dump-file "{w}/named_dump.db";\n'
            f'    statistics-file "{w}/named.stats";\n'
            f"    listen-on port {self.port} {{ {self.address}; }};\n"
            "    listen-on-v6 { none; };\n"
            "    recursion no;\n"
            "    dnssec-validation no;\n"
            "    notify no;\n"
            "};\n"
            "controls {\n"
            f"    inet {self.address} port {self.control_port} allow {{ {self.address}; }}"
            f' keys {{ "{KEY_NAME}"; }};\n'
            "};\n" + zones,
            encoding="ascii",
        )
        # named (as bind) writes its pid, session key and journals here.
        shutil.chown(w, "bind", "bind")
        for path in w.iterdir():
            shutil.chown(path, "bind", "bind")
        w.chmod(0o755)

    def _check_readable(self) -> None:
        """Fail with one sentence when bind cannot read a zone file (else: SERVFAIL)."""
        for zone in self.zones:
            path = self.zone_file(zone)
            probe = subprocess.run(["test", "-r", str(path)], user="bind", check=False)
            if probe.returncode != 0:
                raise RuntimeError(
                    f"The bind user cannot read {path}; make its directory and every parent "
                    "directory readable by bind (see bind_readable_dir())."
                )

    # -- lifecycle -----------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> NamedServer:
        """Start named and wait until it answers for every zone (authoritatively)."""
        if self._process is not None:
            raise RuntimeError("named is already running")
        self.work_dir.mkdir(parents=True, exist_ok=True)  # again, after a stop()
        try:
            self._write_config()
            self._check_readable()
            argv = [*self.command_prefix, "named", "-g", "-u", "bind", "-n", "1"]
            argv += ["-c", str(self.conf_file)]
            with self.log_file.open("wb") as log:
                self._process = subprocess.Popen(
                    argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            self._wait_ready(timeout)
        except BaseException:
            self.stop()  # also removes the work directory: nothing is left behind
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.zones) or ["version.bind"]
        while pending:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"named exited during start-up:\n{self.log_tail()}")
            name = pending[0]
            with contextlib.suppress(Exception):
                if self._answers(name):
                    pending.pop(0)
                    continue
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"named did not answer for {name} within {timeout} s:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def _answers(self, name: str) -> bool:
        if name == "version.bind":
            self.query(name, dns.rdatatype.TXT, dns.rdataclass.CH, timeout=0.5)
            return True
        reply = self.query(name, dns.rdatatype.SOA, timeout=0.5)
        return reply.rcode() == dns.rcode.NOERROR and bool(reply.answer)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop named (SIGTERM, then SIGKILL) and remove its work directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # named was started in its own session: signal only that group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout)
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            if self.work_dir.exists():  # a file named was still closing: once more
                time.sleep(0.2)
                shutil.rmtree(self.work_dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        """True while the named process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> NamedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 30) -> str:
        """The end of named's own log (for failure messages)."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- control -------------------------------------------------------------------

    @property
    def rndc_argv(self) -> list[str]:
        """The rndc command line (without a subcommand) that controls this server."""
        return [
            *self.command_prefix,
            "rndc",
            "-s",
            self.address,
            "-p",
            str(self.control_port),
            "-k",
            str(self.key_file),
        ]

    @property
    def reload_command(self) -> str:
        """The reload command to configure mxroute with (``{zone}`` filled in by mxroute)."""
        return shlex.join(self.rndc_argv) + " reload {zone}"

    def rndc(self, *args: str, check: bool = True) -> str:
        """Run an rndc subcommand; its output (RuntimeError with it when it fails)."""
        done = subprocess.run(
            [*self.rndc_argv, *args], capture_output=True, text=True, timeout=30, check=False
        )
        output = (done.stdout + done.stderr).strip()
        if check and done.returncode != 0:
            raise RuntimeError(f"rndc {' '.join(args)} failed: {output}")
        return output

    def add_zone(self, zone: str, timeout: float = 10.0) -> None:
        """Serve one more zone (its file must exist); reconfigures a running server."""
        if zone in self.zones:
            return
        self.zones.append(zone)
        if self.running:
            self._write_config()
            self._check_readable()
            self.rndc("reconfig")
            deadline = time.monotonic() + timeout
            while not self._answers(zone):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"named did not load {zone}:\n{self.log_tail()}")
                time.sleep(0.05)

    def allow_updates(self, zone: str) -> Path:
        """Make ``zone`` dynamic: updates signed with a new TSIG key (its file returned)
        may change any record of it. Call before :meth:`start` or :meth:`add_zone`."""
        name = f"update-{zone}".replace(".", "-")
        key = subprocess.run(
            ["tsig-keygen", "-a", "hmac-sha256", name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.work_dir.mkdir(parents=True, exist_ok=True)
        path = self.work_dir / f"{name}.key"
        path.write_text(key, encoding="ascii")
        self.update_keys[zone] = path
        self.zone_statements[zone] = f" update-policy {{ grant {name} zonesub ANY; }};"
        return path

    def nsupdate(self, zone: str, *commands: str) -> None:
        """Send ``commands`` (``update add NAME TTL TYPE DATA``, ...) as one signed update."""
        script = "\n".join(
            [f"server {self.address} {self.port}", f"zone {zone}", *commands, "send", ""]
        )
        done = subprocess.run(
            [*self.command_prefix, "nsupdate", "-k", str(self.update_keys[zone])],
            input=script,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"nsupdate failed: {(done.stdout + done.stderr).strip()}")

    # -- queries -------------------------------------------------------------------

    def query(
        self,
        name: str,
        rdtype: dns.rdatatype.RdataType | str,
        rdclass: dns.rdataclass.RdataClass = dns.rdataclass.IN,
        timeout: float = 3.0,
    ) -> dns.message.Message:
        """Ask this server (non-recursively) and return its whole reply."""
        request = dns.message.make_query(name, rdtype, rdclass)
        request.flags &= ~0x0100  # RD off: we ask the authority itself
        if not self.command_prefix:
            # Over TCP when the answer is truncated (a big MX set does not fit in UDP).
            reply, _ = dns.query.udp_with_fallback(
                request, self.address, port=self.port, timeout=timeout
            )
            return reply
        # Inside a namespace only a process started through the prefix can reach named.
        done = subprocess.run(
            [
                *self.command_prefix,
                sys.executable,
                "-c",
                _LOOPBACK_QUERY,
                request.to_wire().hex(),
                self.address,
                str(self.port),
                str(timeout),
            ],
            capture_output=True,
            text=True,
            timeout=timeout + 10,
            check=True,
        )
        return dns.message.from_wire(bytes.fromhex(done.stdout.strip()))

    def query_mx(self, zone: str) -> tuple[set[tuple[int, str]], int]:
        """The apex MX set as named serves it, as (priority, exchanger) pairs, and the serial.

        Exchangers are lower case without the final dot; a Null MX is ``"."``.
        """
        mx: set[tuple[int, str]] = set()
        reply = self.query(zone, dns.rdatatype.MX)
        if reply.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"MX query for {zone} gave {dns.rcode.to_text(reply.rcode())}")
        for rrset in reply.answer:
            for rdata in rrset:
                if isinstance(rdata, dns.rdtypes.mxbase.MXBase):
                    text = rdata.exchange.to_text().lower()
                    mx.add((int(rdata.preference), text if text == "." else text.rstrip(".")))
        return mx, self.query_serial(zone)

    def wait_serial(self, zone: str, serial: int, timeout: float = 10.0) -> None:
        """Wait until named serves ``serial`` for ``zone`` (``rndc reload`` only queues)."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(Exception):
                if self.query_serial(zone) == serial:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"named did not serve serial {serial} for {zone} within {timeout} s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.02)

    def query_serial(self, zone: str) -> int:
        """The SOA serial named serves for ``zone``."""
        reply = self.query(zone, dns.rdatatype.SOA)
        for rrset in reply.answer:
            for rdata in rrset:
                if isinstance(rdata, dns.rdtypes.ANY.SOA.SOA):
                    return int(rdata.serial)
        raise RuntimeError(f"named gave no SOA for {zone} ({dns.rcode.to_text(reply.rcode())})")
