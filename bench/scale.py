"""The cost of one change and one read as the number of managed domains grows.

For each size N (100, 1,000, 10,000, 100,000 by default; ``--sizes`` to change) a
fresh data directory is made with N domains (rows bulk-inserted, one small zone file
each, the routing lists written once), then, in-process:

* ``add_mx``: ``Service.add_mx`` on one domain, then ``delete_mx`` of the same record
  (untimed) so every run is the same change; 15 runs, median;
* REST MX read: ``GET /api/v1/domains/<d>/mx`` through Django's test client with an
  administrator's API token; 30 runs, median.

Then ``detect --all`` (``Service.detect_all``) at 1,000 and 10,000 domains whose MX
points at exchangers outside the managed zones, served by a loopback ``named``,
against the baseline: a sequential loop of dnspython A and AAAA lookups of each
domain's exchanger through the same server. Prints a Markdown section.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETTLE_SECONDS = 2.5
ZONE_TEXT = (
    "$TTL 3600\n@ IN SOA ns1.elsewhere.test. hostmaster.{zone}. 2026010101 3600 900 "
    "1209600 300\n@ IN NS ns1.elsewhere.test.\n@ IN MX 10 {mx}.\n"
)


def median_ms(runs: int, action: Callable[[], object], after: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        after()
    return statistics.median(times) * 1000


def make_home(n: int, exchanger: Callable[[int], str]) -> Path:
    home = Path(tempfile.mkdtemp(prefix=f"mxroute-scale-{n}-"))
    for sub in ("zones", "lists", "locks"):
        (home / sub).mkdir()
    hour_ago = time.time() - 3600
    for i in range(n):
        zone = f"d{i:06d}.test"
        path = home / "zones" / f"{zone}.zone"
        path.write_text(ZONE_TEXT.format(zone=zone, mx=exchanger(i)))
        # As on a real server, the zones were not all written in the last second (the
        # zone store trusts its cached scan only of a file that has settled).
        os.utime(path, (hour_ago, hour_ago))
    # The zone store reuses a scan only of a file unchanged (ctime included) for 2 s.
    time.sleep(SETTLE_SECONDS)
    return home


def setup_django(home: Path, env: dict[str, str]) -> None:
    os.environ.update(env, MXROUTE_HOME=str(home))
    (home / "mxroute.toml").write_text("")
    from mxroute import djangoapp

    djangoapp.setup(home)
    djangoapp.migrate()


def fill_store(n: int) -> None:
    from mxroute.store.models import Domain

    Domain.objects.bulk_create(
        [Domain(name=f"d{i:06d}.test", mode="auto", detected_mode="remote") for i in range(n)],
        batch_size=5000,
    )


def bench_size(n: int) -> tuple[float, float]:
    """Median ms of one add_mx and of one REST MX read with ``n`` domains (in a child)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    add, read = out.stdout.split()
    return float(add), float(read)


def child(n: int) -> None:
    home = make_home(n, lambda i: "mx.self.test" if i % 2 else "mx.elsewhere.test")
    env = {
        "MXROUTE_SERVER_NAMES": "mx.self.test",
        "MXROUTE_SERVER_ADDRESSES": "192.0.2.1",
        "MXROUTE_RESOLVER_SERVER": "127.0.0.1",
        "MXROUTE_RESOLVER_PORT": "9",
        "MXROUTE_RESOLVER_TIMEOUT": "0.2",
    }
    try:
        setup_django(home, env)
        fill_store(n)
        from django.conf import settings
        from django.test import Client

        from mxroute import accounts
        from mxroute.service import Service

        service = Service(settings.MXROUTE)
        service.resync_lists()
        actor = service_actor()
        target = f"d{n // 2 + 1:06d}.test"  # MX this server: no DNS lookup in the change

        def add() -> object:
            return service.add_mx(target, 20, "mx.self.test", actor=actor)

        def undo() -> object:
            return service.delete_mx(target, 20, "mx.self.test", actor=actor)

        add_ms = median_ms(15, add, undo)
        accounts.add_user("admin", "a-long-enough-password-4711", admin=True)
        secret = accounts.create_token("admin", "bench").secret
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_HOST": "localhost"}

        def read() -> object:
            response = client.get(f"/api/v1/domains/{target}/mx", **headers)
            assert response.status_code == 200, response.content
            return response

        read_ms = median_ms(30, read, lambda: None)
        print(f"{add_ms:.2f} {read_ms:.2f}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def service_actor():  # type: ignore[no-untyped-def]
    from mxroute.service import Actor

    return Actor("bench", "cli")


def detect_child(n: int, port: int) -> None:
    """Print the seconds of detect_all and of the dnspython loop, for ``n`` domains."""
    home = make_home(n, lambda i: f"mx{i}.ext.test")
    env = {
        "MXROUTE_SERVER_NAMES": "mx.self.test",
        "MXROUTE_SERVER_ADDRESSES": "192.0.2.1",
        "MXROUTE_RESOLVER_SERVER": "127.0.0.1",
        "MXROUTE_RESOLVER_PORT": str(port),
        "MXROUTE_RESOLVER_TIMEOUT": "5",
    }
    try:
        setup_django(home, env)
        fill_store(n)
        import dns.resolver
        from django.conf import settings

        from mxroute.service import Service

        service = Service(settings.MXROUTE)
        # The setup's writes are flushed first, so that neither side pays for their
        # writeback (creating files while the journal commits them waits on it).
        os.sync()
        start = time.perf_counter()
        _, failures = service.detect_all()
        ours = time.perf_counter() - start
        assert not failures, list(failures.items())[:3]
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = port
        os.sync()
        start = time.perf_counter()
        for i in range(n):
            for rdtype in ("A", "AAAA"):
                with contextlib.suppress(dns.resolver.NoAnswer):
                    resolver.resolve(f"mx{i}.ext.test", rdtype)
        loop = time.perf_counter() - start
        print(f"{ours:.3f} {loop:.3f}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def bench_detect(sizes: list[int], runs_per_size: int = 3) -> list[tuple[int, float, float]]:
    """Median seconds of detect --all and of the loop over ``runs_per_size`` fresh
    data directories (each a first, cold detect --all in a new process, as the CLI runs)."""
    from tests.integration.bind import NamedServer, bind_readable_dir

    zones = bind_readable_dir("mxroute-bench-named-")
    biggest = max(sizes)
    lines = [ZONE_TEXT.format(zone="ext.test", mx="mx0.ext.test")]
    lines += [f"mx{i} IN A 198.51.{(i >> 8) & 255}.{i & 255}\n" for i in range(biggest)]
    (zones / "ext.test.zone").write_text("".join(lines))
    server = NamedServer(zones, ["ext.test"])
    server.start()
    try:
        found = []
        for n in sizes:
            runs = []
            for _ in range(runs_per_size):
                out = subprocess.run(
                    [sys.executable, __file__, "--detect-child", str(n), str(server.port)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=3600,
                )
                runs.append(tuple(map(float, out.stdout.split())))
            ours = statistics.median(r[0] for r in runs)
            loop = statistics.median(r[1] for r in runs)
            found.append((n, ours, loop))
            print(f"detect --all {n}: {ours:.2f} s, dnspython loop {loop:.2f} s", file=sys.stderr)
        return found
    finally:
        server.stop()
        shutil.rmtree(zones, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=int)
    parser.add_argument("--detect-child", nargs=2, type=int)
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--detect-sizes", default="1000,10000")
    parser.add_argument("--write", action="store_true", help="put the figures in RESULTS.md")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    if args.detect_child:
        detect_child(*args.detect_child)
        return 0
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        add, read = bench_size(n)
        rows.append((n, add, read))
        print(f"{n} domains: add_mx {add:.1f} ms, REST read {read:.1f} ms", file=sys.stderr)
    detect = bench_detect([int(s) for s in args.detect_sizes.split(",")])
    base_add, base_read = rows[0][1], rows[0][2]
    out = [
        "## Scale: one change and one read against the number of domains",
        "",
        "| domains | add_mx (service) ms | ratio to first | REST MX read ms | ratio to first |",
        "|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {n:,} | {a:.1f} | {a / base_add:.2f}x | {r:.1f} | {r / base_read:.2f}x |"
        for n, a, r in rows
    ]
    out += [
        "",
        "## detect --all against a sequential dnspython lookup loop (loopback named)",
        "",
        "| domains | detect --all s | dnspython loop s | speed-up |",
        "|---:|---:|---:|---:|",
    ]
    out += [f"| {n:,} | {o:.2f} | {lp:.2f} | {lp / o:.1f}x |" for n, o, lp in detect]
    text = "\n".join(out)
    print(text)
    if args.write:
        write(text)
    return 0


SCALE_MARKER = "<!-- Everything below this line is regenerated by bench/scale.py. -->"


def write(section: str) -> None:
    """Replace the scale section at the end of RESULTS.md (run.py keeps what is above)."""
    results = ROOT / "bench" / "RESULTS.md"
    text = results.read_text()
    if SCALE_MARKER in text:
        text = text.split(SCALE_MARKER, 1)[0].rstrip("\n") + "\n"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    results.write_text(f"{text}\n{SCALE_MARKER}\n\nMeasured {stamp} on {machine}.\n\n{section}\n")


if __name__ == "__main__":
    sys.exit(main())
