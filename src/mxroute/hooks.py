"""Running the operator's configured commands (zone check, reloads) safely.

A command is configured as one string with ``{placeholders}``; it is split like a
shell would split it *before* the values are put in, so a value can never add words
or shell syntax. No shell is involved.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from pathlib import Path

from mxroute.errors import ConfigError, StepFailed

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 60


def run_hook(step: str, template: str, cwd: Path | None = None, **values: str) -> str:
    """Run ``template`` with ``values`` filled in; StepFailed with its output if it fails."""
    label = step.replace("_", " ")
    try:
        argv = [word.format(**values) for word in shlex.split(template)]
    except (KeyError, IndexError, ValueError) as exc:
        placeholders = ", ".join("{" + k + "}" for k in values)
        raise ConfigError(
            f"The {label} command '{template}' is not a valid template ({exc!r}); use only "
            f"{placeholders} as placeholders and double any other braces."
        ) from None
    if not argv:
        raise ConfigError(f"The {label} command '{template}' is empty.")
    log.info("running %s command: %s", label, shlex.join(argv))
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise StepFailed(
            step, f"The {label} command '{argv[0]}' was not found; check the configuration."
        ) from None
    except subprocess.TimeoutExpired:
        raise StepFailed(
            step, f"The {label} command '{shlex.join(argv)}' did not finish in {TIMEOUT_SECONDS} s."
        ) from None
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        detail = " ".join(output.split()) or f"exit status {done.returncode}"
        raise StepFailed(
            step, f"The {label} command failed, so nothing was changed ({detail.rstrip('.')})."
        )
    return output
