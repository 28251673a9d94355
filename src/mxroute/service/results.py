"""What the service returns: values the doors render (no words are added here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mxroute.core.findings import Finding
from mxroute.core.records import MXSet
from mxroute.core.routing import Detection, Mode
from mxroute.dns.base import Snapshot


@dataclass(frozen=True)
class DomainState:
    """A domain as mxroute sees it now: zone snapshot, chosen and effective mode, plan."""

    domain: str
    owner: str | None
    mode: Mode
    effective: Mode
    snapshot: Snapshot
    detection: Detection
    explanation: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ChangeResult:
    """What a mutation did: records and serials before/after, modes, warnings."""

    domain: str
    action: str
    summary: str
    changed: bool
    mx_before: MXSet
    mx_after: MXSet
    serial_before: int
    serial_after: int
    mode: Mode
    effective_before: Mode
    effective_after: Mode
    detection: Detection
    warnings: tuple[str, ...] = ()
    explanation: tuple[str, ...] = field(default=())
    findings: tuple[Finding, ...] = ()
    fingerprint: str = ""
    dry_run: bool = False  # planned only: nothing was written
    zone_lines_removed: tuple[str, ...] = ()
    zone_lines_added: tuple[str, ...] = ()
    blocking: tuple[Finding, ...] = ()  # errors that refuse the change unless forced
    forced: bool = False


@dataclass(frozen=True)
class DomainSummary:
    """One row of the domain list (from the store; no DNS work)."""

    domain: str
    owner: str | None
    mode: Mode
    effective: Mode
    detected: Mode | None
    detected_at: datetime | None
    mx: MXSet | None = None
    findings: tuple[Finding, ...] = ()  # what the doctor found when it last looked
    checked_at: datetime | None = None  # when that was (None: never)


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change."""

    at: datetime
    domain: str
    actor: str
    interface: str
    action: str
    summary: str
    mx_before: list[dict[str, Any]]
    mx_after: list[dict[str, Any]]
    mode_before: str | None
    mode_after: str | None
    serial_before: int | None
    serial_after: int | None
    token_name: str = ""
    warnings: list[str] = field(default_factory=list)
    id: int = 0  # what ``mxroute undo ID`` takes
    undoes: int | None = None  # for an undo: the id of the entry it undid
