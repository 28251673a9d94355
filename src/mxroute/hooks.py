"""Running the operator's configured commands (zone check, reloads) safely.

A command is configured as one string with ``{placeholders}``; it is split like a
shell would split it *before* the values are put in, so a value can never add words
or shell syntax. No shell is involved. A placeholder is a bare ``{name}`` (no
``!conversion``, ``:format`` or ``.attribute``); a literal brace is written twice.

The command runs in its own process group with no standard input; when it does not
finish within :data:`TIMEOUT_SECONDS` the whole group is killed. Every way it can
fail becomes :class:`StepFailed` with one sentence; a bad template is
:class:`ConfigError`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import string
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path

from mxroute.errors import ConfigError, StepFailed

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 60
# The longest command output quoted in an error message (it is one line).
MAX_DETAIL_CHARS = 500

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A command template that cannot be split or filled; the text says why and what to do."""


def _placeholder_list(names: Collection[str]) -> str:
    shown = ["{" + name + "}" for name in sorted(names)]
    if not shown:
        return "no placeholders"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _fill(word: str, values: Mapping[str, str]) -> str:
    """One word of the template with its bare ``{name}`` placeholders replaced."""
    try:
        parts = list(_FORMATTER.parse(word))
    except ValueError:
        raise TemplateError(
            "has a lone brace; write a literal brace twice ({{ or }}) and placeholders as "
            f"{_placeholder_list(values)}"
        ) from None
    out = []
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is None:
            continue
        if field not in values or spec or conversion:
            written = "{" + field + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            raise TemplateError(
                f"uses the unknown placeholder {written}; use only "
                f"{_placeholder_list(values)}, and write a literal brace twice ({{{{ or }}}})"
            )
        out.append(values[field])
    return "".join(out)


def command_argv(template: str, values: Mapping[str, str]) -> list[str]:
    """The argument vector: ``template`` split like a shell, then each word filled.

    Raises :class:`TemplateError` for an unclosed quote, a lone brace, an unknown
    placeholder, or a command with no words.
    """
    try:
        words = shlex.split(template)
    except ValueError:
        raise TemplateError(
            "has a quotation mark that is not closed; close it, or escape it with a backslash"
        ) from None
    if not words:
        raise TemplateError("is empty; give a command, or leave the setting out")
    return [_fill(word, values) for word in words]


def check_template(template: str, placeholders: Collection[str]) -> None:
    """Raise :class:`TemplateError` unless ``template`` is a command using only ``placeholders``."""
    command_argv(template, {name: name for name in placeholders})


def _one_line(output: str) -> str:
    """Command output as it is safe to quote in a one-line message (no final full stop)."""
    text = " ".join(output.split()).rstrip(".")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 3].rstrip(". ") + "..."
    return text


def run_hook(step: str, template: str, cwd: Path | None = None, **values: str) -> str:
    """Run ``template`` with ``values`` filled in; StepFailed with its output if it fails."""
    label = step.replace("_", " ")
    try:
        argv = command_argv(template, values)
    except TemplateError as exc:
        raise ConfigError(f"The {label} command '{template}' {exc}.") from None
    log.info("running %s command: %s", label, shlex.join(argv))
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError:
        raise StepFailed(
            step,
            f"The {label} command '{argv[0]}' was not found; install it or correct the setting.",
        ) from None
    except PermissionError:
        raise StepFailed(
            step,
            f"The {label} command '{argv[0]}' cannot be run (permission denied); make it "
            "executable or correct the setting.",
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StepFailed(
            step,
            f"The {label} command '{argv[0]}' could not be started ({reason}); check that "
            "it is a program this user can run.",
        ) from None
    with proc:
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            # The group: a shell's children would otherwise keep the pipes open.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise StepFailed(
                step,
                f"The {label} command '{shlex.join(argv)}' did not finish within "
                f"{TIMEOUT_SECONDS} s and was stopped; find out what it waits for.",
            ) from None
    output = (stdout + stderr).strip()
    if proc.returncode != 0:
        detail = _one_line(output) or _status(proc.returncode)
        raise StepFailed(step, f"The {label} command failed ({detail}).")
    return output


def _status(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"
