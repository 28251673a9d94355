"""A throwaway PostgreSQL cluster for tests, from Debian's ``postgresql`` package.

``running_postgres()`` makes a temporary directory, ``initdb``s a cluster in it (trust
authentication, listening on 127.0.0.1 only, a free high port, its unix socket in the
same directory), creates the database ``mxroute``, yields a :class:`PostgresServer`
with its ``DATABASE_URL``, and stops the server and removes everything afterwards.

PostgreSQL refuses to run as root: as root, the programs are run as the ``postgres``
user through ``runuser``. ``MXROUTE_PG_BINDIR`` overrides where the programs are
looked for (default: the newest ``/usr/lib/postgresql/*/bin``, then ``$PATH``).

Run ``python tests/integration/postgres.py`` to get a server by hand (Ctrl-C stops it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

DATABASE = "mxroute"
SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 30


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed here, or cannot be run."""


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway cluster."""

    port: int
    directory: Path
    database: str

    @property
    def url(self) -> str:
        """The ``DATABASE_URL`` of the test database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The URL of another database of this cluster."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self.directory / "postgres.log"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; its URL."""
        with psycopg.connect(self.url_for("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``; PostgresUnavailable if none."""
    override = os.environ.get("MXROUTE_PG_BINDIR")
    if override:
        candidates = [Path(override)]
    else:

        def version(path: Path) -> tuple[int, ...]:
            return tuple(int(p) for p in path.parent.name.split(".") if p.isdigit())

        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL is not installed: no initdb/pg_ctl under /usr/lib/postgresql/*/bin "
        "or on $PATH (install Debian's 'postgresql' package, or set MXROUTE_PG_BINDIR)."
    )


def _as_postgres() -> tuple[list[str], tuple[int, int] | None]:
    """The command prefix that runs a program as a non-root user, and that user's ids."""
    if os.geteuid() != 0:
        return [], None
    try:
        entry = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "Running as root, but there is no 'postgres' user to run PostgreSQL as."
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("Running as root, but 'runuser' is missing (util-linux).")
    return [runuser, "-u", SUPERUSER, "--"], (entry.pw_uid, entry.pw_gid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(argv: list[str], cwd: Path, what: str, log: Path | None = None) -> None:
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS + 30
    )
    if done.returncode != 0:
        tail = ""
        if log is not None and log.exists():
            tail = "\n--- server log ---\n" + "\n".join(
                log.read_text(errors="replace").splitlines()[-20:]
            )
        raise RuntimeError(
            f"PostgreSQL {what} failed (exit {done.returncode}): "
            f"{done.stdout.strip()}\n{done.stderr.strip()}{tail}"
        )


def _wait_for_connections(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with psycopg.connect(
                f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres", connect_timeout=2
            ):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _kill_postmaster(data: Path) -> None:
    """Last resort when ``pg_ctl stop`` failed: never leave a server running."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running_postgres(database: str = DATABASE) -> Iterator[PostgresServer]:
    """Start a throwaway cluster with an empty ``database``; stop and remove it after."""
    bindir = find_bindir()
    prefix, owner = _as_postgres()
    # Under the system temp dir (not pytest's, which is 0700 root): the postgres user
    # must be able to reach it.
    directory = Path(tempfile.mkdtemp(prefix="mxroute-pg-"))
    data = directory / "data"
    log = directory / "postgres.log"
    started = False
    try:
        if owner is not None:
            os.chown(directory, *owner)
        _run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            directory,
            "initdb",
        )
        for attempt in range(3):
            port = _free_port()
            options = (
                f"-p {port} -k '{directory}' -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            start = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log)]
            start += ["-o", options, "-w", "-t", str(START_TIMEOUT_SECONDS), "start"]
            try:
                _run(start, directory, "start", log)
                break
            except RuntimeError:
                # Another process may have taken the port between probe and bind.
                if attempt == 2 or "already in use" not in log.read_text(errors="replace"):
                    raise
        started = True
        _wait_for_connections(port)
        server = PostgresServer(port=port, directory=directory, database=database)
        server.create_database(database)
        yield server
    finally:
        if started:
            stop = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w"]
            try:
                _run([*stop, "stop"], directory, "stop", log)
            except (RuntimeError, subprocess.TimeoutExpired):
                _kill_postmaster(data)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    with running_postgres() as pg:
        print(f"DATABASE_URL={pg.url}  (log: {pg.log_path}; Ctrl-C stops it)")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
