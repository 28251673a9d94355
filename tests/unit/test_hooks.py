"""Configured commands: split before filling, run without a shell, every failure one sentence."""

from __future__ import annotations

import ast
import shlex
import sys
import time
from pathlib import Path

import pytest

from mxroute import hooks
from mxroute.errors import ConfigError, StepFailed
from mxroute.hooks import TemplateError, check_template, command_argv, run_hook

PYTHON = shlex.quote(sys.executable)
PRINT_ARGS = f"{PYTHON} -c 'import sys; print(sys.argv[1:])'"


def _args_seen(template: str, **values: str) -> list[str]:
    """The arguments the command received, as it printed them."""
    seen = ast.literal_eval(run_hook("zone_check", template, **values))
    assert isinstance(seen, list)
    return seen


def _failure(template: str, step: str = "zone_check", **values: str) -> StepFailed:
    with pytest.raises(StepFailed) as failed:
        run_hook(step, template, **values)
    assert "\n" not in failed.value.message
    return failed.value


# ----- placeholders cannot add words -----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "a b",
        "x; rm -rf /",
        "$(touch pwned) `id` && echo",
        "'quoted' \"twice\"",
        "{file} {zone}",
        "line\nbreak",
        "",
    ],
)
def test_a_value_stays_one_word_whatever_it_contains(value: str, tmp_path: Path) -> None:
    assert _args_seen(PRINT_ARGS + " {zone} {file}", zone=value, file="f") == [value, "f"]
    assert not (tmp_path / "pwned").exists()


def test_a_placeholder_inside_a_word_fills_only_that_word() -> None:
    seen = _args_seen(PRINT_ARGS + " --zone={zone} '{file} as one'", zone="a b", file="c;d")
    assert seen == ["--zone=a b", "c;d as one"]


def test_doubled_braces_are_literal_braces() -> None:
    assert _args_seen(PRINT_ARGS + " {{zone}} {zone}", zone="z") == ["{zone}", "z"]


def test_the_command_runs_in_the_given_directory(tmp_path: Path) -> None:
    output = run_hook("zone_check", f"{PYTHON} -c 'import os; print(os.getcwd())'", cwd=tmp_path)
    assert Path(output) == tmp_path


def test_the_command_gets_no_standard_input() -> None:
    started = time.monotonic()
    assert run_hook("zone_check", "cat") == ""
    assert time.monotonic() - started < 10


# ----- templates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("check {name}", "uses the unknown placeholder {name}; use only {file} and {zone}"),
        ("check {}", "unknown placeholder {}"),
        ("check {0}", "unknown placeholder {0}"),
        ("check {zone!r}", "unknown placeholder {zone!r}"),
        ("check {zone:>9}", "unknown placeholder {zone:>9}"),
        ("check {zone.upper}", "unknown placeholder {zone.upper}"),
        ("check {zone[0]}", "unknown placeholder {zone[0]}"),
        ("check ${HOME}", "unknown placeholder {HOME}"),
        ("check {", "lone brace"),
        ("check }", "lone brace"),
        ("check 'open", "quotation mark that is not closed"),
        ("   ", "is empty"),
    ],
)
def test_a_bad_template_is_a_configuration_error_before_anything_runs(
    template: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        run_hook("zone_check", template, zone="z", file="f")
    message = refused.value.message
    assert message.startswith(f"The zone check command '{template}' ")
    assert expected in message
    assert "\n" not in message


def test_check_template_accepts_only_the_given_placeholders() -> None:
    check_template("rndc reload {zone}", ["zone", "file"])
    check_template("exim -bV", ["lists_dir"])
    with pytest.raises(TemplateError, match=r"use only \{lists_dir\}"):
        check_template("rndc reload {zone}", ["lists_dir"])


def test_command_argv_splits_then_fills() -> None:
    argv = command_argv("a '{zone} b' \"c\" {file}", {"zone": "x y", "file": "'"})
    assert argv == ["a", "x y b", "c", "'"]


# ----- failures ----------------------------------------------------------------------------


def test_a_failing_command_says_so_with_its_output_on_one_line() -> None:
    failed = _failure("sh -c 'echo zone is broken; echo \"  line two\" >&2; exit 1'")
    assert failed.message == ("The zone check command failed (zone is broken line two).")
    assert failed.step == "zone_check"
    assert failed.code == "zone_check_failed"


def test_a_failing_command_without_output_gives_its_exit_status() -> None:
    failed = _failure("sh -c 'exit 7'", step="lists_reload")
    assert failed.message == ("The lists reload command failed (exit status 7).")


def test_a_command_killed_by_a_signal_says_which() -> None:
    assert "killed by SIGKILL" in _failure("sh -c 'kill -9 $$'").message


def test_very_long_or_binary_output_is_cut_and_made_printable() -> None:
    script = "import sys; sys.stdout.buffer.write(b'\\xff\\x1b[31m' + b'x' * 5000); sys.exit(1)"
    message = _failure(f"{PYTHON} -c {shlex.quote(script)}").message
    assert len(message) < hooks.MAX_DETAIL_CHARS + 100
    assert message.isprintable()
    assert "..." in message


def test_a_command_that_is_not_installed_is_a_failed_step() -> None:
    failed = _failure("/nonexistent/named-checkzone {zone}", zone="z")
    assert failed.message == (
        "The zone check command '/nonexistent/named-checkzone' was not found; install it or "
        "correct the setting."
    )


def test_a_command_that_is_not_executable_is_a_failed_step(tmp_path: Path) -> None:
    script = tmp_path / "reload.sh"
    script.write_text("#!/bin/sh\necho reloaded\n")
    script.chmod(0o644)
    failed = _failure(str(script), step="zone_reload")
    assert failed.step == "zone_reload"
    assert failed.message == (
        f"The zone reload command '{script}' cannot be run (permission denied); make it "
        "executable or correct the setting."
    )


def test_a_directory_as_the_command_is_a_failed_step(tmp_path: Path) -> None:
    failed = _failure(str(tmp_path))
    assert f"'{tmp_path}'" in failed.message


def test_a_command_that_does_not_finish_in_time_is_stopped_with_its_children(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hooks, "TIMEOUT_SECONDS", 0.5)
    started = time.monotonic()
    # The shell's child keeps the output pipe open: it must be killed too.
    failed = _failure("sh -c 'sleep 30; echo late'")
    assert time.monotonic() - started < 10
    assert failed.message == (
        "The zone check command 'sh -c 'sleep 30; echo late'' did not finish within 0.5 s and "
        "was stopped; find out what it waits for."
    )
