"""Running the real ``mxroute`` command in a subprocess, as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MXROUTE = Path(sys.executable).with_name("mxroute")


@dataclass
class Mxroute:
    """The command bound to one data directory and its environment."""

    home: Path
    env: dict[str, str]

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``mxroute ARGS``; the completed process (never raises on exit status)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MXROUTE_")}
        env.pop("DATABASE_URL", None)
        env.update(self.env, MXROUTE_HOME=str(self.home))
        return subprocess.run(
            [str(MXROUTE), *args],
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def add_domain_with_hosts(self, zone: str, mx: str) -> None:
        """Manage ``zone`` over a zone file whose apex MX is ``mx`` ("PRIORITY NAME") and
        where every host has an address (a wildcard), so MX records the tests add
        there are no findings; the zones directory is the default one."""
        zones = self.home / "zones"
        zones.mkdir(exist_ok=True)
        priority, name = mx.split()
        (zones / f"{zone}.zone").write_text(
            f"$TTL 300\n@ IN SOA ns1.{zone}. hostmaster.{zone}. 2026010101 3600 900 1209600 300\n"
            f"@ IN NS ns1.{zone}.\n@ IN MX {priority} {name}.\nns1 IN A 127.0.0.1\n"
            "* IN A 192.0.2.99\n"
        )
        self.ok("domain", "add", zone)

    def ok(self, *args: str) -> str:
        """Run and require exit 0; stdout."""
        done = self.run(*args)
        assert done.returncode == 0, f"mxroute {' '.join(args)} failed: {done.stderr}{done.stdout}"
        return done.stdout

    def json(self, *args: str) -> Any:
        """Run with --json and parse the answer."""
        return json.loads(self.ok(*args, "--json"))
