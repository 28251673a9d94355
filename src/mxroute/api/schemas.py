"""The REST API's request and response bodies: typed, so the OpenAPI document shows them.

Responses mirror :mod:`mxroute.present` (the same dicts the CLI prints with --json).
Requests take the domain's words (priority, exchanger, mode); ``preference`` is
accepted for priority and ``secondary`` for the backup mode, as cPanel spells them.
The core validates every value again: these schemas only describe the shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import AliasChoices, ConfigDict, Field

MAX_PRIORITY = 65535
MAX_SERIAL = 4294967295

Mode = Literal["auto", "local", "backup", "remote"]
ModeIn = Literal["auto", "local", "backup", "remote", "secondary"]


class Error(Schema):
    """One problem with a request."""

    code: str = Field(description="Stable machine-readable reason, e.g. priority_out_of_range.")
    field: str | None = Field(description="The request field at fault, if one is.")
    message: str = Field(description="One sentence: what is wrong and what to do.")


class Errors(Schema):
    """Every error answer: one entry per problem."""

    errors: list[Error]


# ----- requests ---------------------------------------------------------------------------


class _Strict(Schema):
    # A misspelt field is refused rather than silently ignored.
    model_config = ConfigDict(extra="forbid")


class _Previewed(_Strict):
    """What every change's body may add: preview it, or apply a previewed plan only."""

    dry_run: bool = Field(
        default=False,
        strict=True,
        description="Plan only: answer what the change would do (200) and change nothing.",
    )
    plan: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The fingerprint a dry run answered: apply only that plan (409 if the "
        "change would now do anything else).",
    )
    force: bool = Field(
        default=False,
        strict=True,
        description="Make the change even though an error finding says it would stop mail "
        "(otherwise 422 `risky_change`).",
    )


class RecordIn(_Previewed):
    """An MX record to add, or the new values of one to change."""

    # Strict: a JSON number only; true or "10" would be read as 1 and 10.
    priority: int = Field(
        strict=True,
        ge=0,
        le=MAX_PRIORITY,
        validation_alias=AliasChoices("priority", "preference"),
        description="MX preference, 0 to 65535, lower is preferred; `preference` is an alias.",
        examples=[20],
    )
    exchanger: str = Field(
        min_length=1,
        max_length=1024,
        description="Host name of the mail exchanger (not an IP address); `.` is a Null MX.",
        examples=["mx2.example.com"],
    )
    serial: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=MAX_SERIAL,
        description="The zone serial you read; the change is refused (409) if it moved since.",
    )


class RoutingIn(_Previewed):
    """The routing mode to choose."""

    mode: ModeIn = Field(description="auto, local, backup (cPanel: secondary) or remote.")


class UndoIn(_Previewed):
    """How to undo a change (every field optional; no body at all undoes it now)."""

    force: bool = Field(
        default=False,
        strict=True,
        description="Make the undo even if its plan has findings of error severity.",
    )


# ----- responses --------------------------------------------------------------------------


class Record(Schema):
    """An MX record, with how many other records share its priority."""

    priority: int
    exchanger: str
    shared_with: int = Field(description="Other records with the same priority.")


class PlainRecord(Schema):
    """An MX record as the history keeps it."""

    priority: int
    exchanger: str


class Exchanger(Schema):
    """One exchanger of the delivery plan."""

    exchanger: str
    addresses: list[str]
    is_self: bool = Field(description="Whether the exchanger is this mail server.")
    status: str = Field(description="How its addresses were found: ok, nxdomain, nodata, ...")


class PriorityGroup(Schema):
    """The exchangers that share one priority; senders try the groups in order."""

    priority: int
    exchangers: list[Exchanger]


class Detection(Schema):
    """What the MX records say about this server's part in the domain's mail."""

    mode: Mode
    certain: bool
    implicit_mx: bool = Field(description="No MX records: mail goes to the domain's address.")
    accepts_no_mail: bool = Field(description="A Null MX (RFC 7505).")
    self_priority: int | None = Field(description="This server's priority, if it is listed.")
    unresolved: list[str]
    groups: list[PriorityGroup]


class DomainSummary(Schema):
    """One domain of the list."""

    domain: str
    owner: str | None
    mode: Mode = Field(description="The chosen mode.")
    effective_mode: Mode = Field(description="The mode the mail server applies.")
    detected_mode: Mode | None
    detected_at: datetime | None
    findings: list[Finding] = Field(
        description="What the doctor found wrong when it last checked the domain."
    )
    checked_at: datetime | None = Field(description="When the doctor last checked it.")


class DomainList(Schema):
    """The domains the caller manages."""

    domains: list[DomainSummary]


class DomainState(Schema):
    """A domain now: zone serial, MX records, modes, the delivery plan in words."""

    domain: str
    owner: str | None
    serial: int
    mx: list[Record]
    mode: Mode
    effective_mode: Mode
    detected_mode: Mode
    detection: Detection
    explanation: list[str]
    warnings: list[str]


class RecordList(Schema):
    """A domain's MX records and the zone serial to send back with a change."""

    domain: str
    serial: int
    mx: list[Record]


class Routing(Schema):
    """A domain's routing mode, chosen and in effect, explained."""

    domain: str
    mode: Mode
    effective_mode: Mode
    detected_mode: Mode
    certain: bool = Field(description="False when an exchanger could not be resolved.")
    meaning: str = Field(description="What the effective mode means for this server.")
    explanation: list[str]
    warnings: list[str]


class Finding(Schema):
    """One check's result: a stable code, error/warning/note, and one sentence."""

    code: str
    severity: str
    message: str


class Change(Schema):
    """What a change did (also answered when nothing needed to change)."""

    domain: str
    action: str
    summary: str
    changed: bool
    mx_before: list[Record]
    mx_after: list[Record]
    serial_before: int
    serial_after: int
    mode: Mode
    effective_mode_before: Mode
    effective_mode: Mode
    detected_mode: Mode
    explanation: list[str]
    warnings: list[str]
    findings: list[Finding]
    refused_unless_forced: list[str] = Field(
        description="Codes of the error findings that refuse this change unless forced."
    )
    forced: bool = Field(description="The change was made despite those findings.")
    fingerprint: str
    dry_run: bool
    zone_lines_removed: list[str]
    zone_lines_added: list[str]
    lists_before: list[str]
    lists_after: list[str]


class HistoryEntry(Schema):
    """One recorded change: who, when, through which interface (and token)."""

    at: datetime
    domain: str
    actor: str
    interface: str = Field(description="cli, web, api, uapi, api2 or system.")
    token_name: str = Field(description="The API token used, if any.")
    action: str
    summary: str
    mx_before: list[PlainRecord]
    mx_after: list[PlainRecord]
    mode_before: str | None
    mode_after: str | None
    serial_before: int | None
    serial_after: int | None
    warnings: list[str]
    id: int = Field(description="The change's id: `POST /api/v1/changes/{id}/undo` undoes it.")
    undoes: int | None = Field(description="For an undo: the id of the change it undid.")


class History(Schema):
    """Recorded changes, newest first."""

    changes: list[HistoryEntry]


class DoctorFinding(Finding):
    """One disagreement the doctor found, and whether its run repaired it."""

    fixed: bool = Field(description="Repaired by this run (only a run with fix repairs).")


class DoctorDomain(Schema):
    """One domain with findings."""

    domain: str
    findings: list[DoctorFinding]
    fix_errors: list[str] = Field(description="Why a repair failed, one sentence each.")


class DoctorReport(Schema):
    """What the doctor found: each domain with findings, and those about the routing lists
    as a whole (looked for only when every domain is checked)."""

    clean: bool = Field(description="Nothing is wrong (after the repairs, with fix).")
    checked: int = Field(description="How many domains were checked.")
    fix: bool = Field(description="Whether this run repaired what it could.")
    domains: list[DoctorDomain]
    findings: list[DoctorFinding]
    fix_errors: list[str]
