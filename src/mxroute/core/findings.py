"""Findings: what a plan's checks say about mail, as data (a code, a severity, a sentence).

The code is stable (scripts and tests match on it); the sentence is for people and
says what will happen to mail and how to fix it. Each door decides how to show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is: errors stop mail, warnings may, notes only inform."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One check's result: a stable ``code``, its ``severity`` and one ``message``."""

    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, str]:
        """The finding as JSON-ready data."""
        return {"code": self.code, "severity": self.severity.value, "message": self.message}


def error(code: str, message: str) -> Finding:
    """A finding of severity error: the change would stop mail (refused unless forced)."""
    return Finding(code, Severity.ERROR, message)


def warning(code: str, message: str) -> Finding:
    """A finding of severity warning."""
    return Finding(code, Severity.WARNING, message)


def errors(findings: tuple[Finding, ...] | list[Finding]) -> tuple[Finding, ...]:
    """The findings of severity error, in order."""
    return tuple(f for f in findings if f.severity is Severity.ERROR)


def messages(findings: tuple[Finding, ...] | list[Finding]) -> tuple[str, ...]:
    """The findings' sentences, in order, each once."""
    return tuple(dict.fromkeys(f.message for f in findings))
