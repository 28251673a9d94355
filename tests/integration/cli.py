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

    def ok(self, *args: str) -> str:
        """Run and require exit 0; stdout."""
        done = self.run(*args)
        assert done.returncode == 0, f"mxroute {' '.join(args)} failed: {done.stderr}{done.stdout}"
        return done.stdout

    def json(self, *args: str) -> Any:
        """Run with --json and parse the answer."""
        return json.loads(self.ok(*args, "--json"))
