"""What the pages show, built from service results: rows, wordings, the change message.

No service calls here: the views call the service and hand its results to these
helpers, which only shape them for the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from mxroute.core.findings import Finding, Severity
from mxroute.core.names import to_unicode
from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import Mode
from mxroute.present import lists_of
from mxroute.service import ChangeResult, HistoryEntry
from mxroute.service.undo import UNDOABLE

# The four options in cPanel's order and words, each with one sentence for people who
# are not DNS experts (plainer than routing.MODE_MEANING, which speaks of exchangers).
MODE_LABELS = {
    Mode.AUTO: "Automatically Detect",
    Mode.LOCAL: "Local Mail Exchanger",
    Mode.BACKUP: "Backup Mail Exchanger",
    Mode.REMOTE: "Remote Mail Exchanger",
}
MODE_PLAIN = {
    Mode.AUTO: "mxroute looks at the MX records and picks one of the three options below "
    "for you, again after every change; the right choice for most domains.",
    Mode.LOCAL: "Mail for the domain is delivered into mailboxes on this server.",
    Mode.BACKUP: "This server only holds the domain's mail and passes it on to a more "
    "preferred mail server once that one can be reached.",
    Mode.REMOTE: "This server takes none of the domain's mail; it all goes to another mail "
    "server, even mail sent from this server.",
}
INTERFACES = {
    "web": "web panel",
    "cli": "command line",
    "api": "REST API",
    "uapi": "cPanel UAPI",
    "api2": "cPanel API 2",
    "system": "system",
}


@dataclass(frozen=True)
class ModeChoice:
    """One radio button of the Email Routing form."""

    value: str
    label: str
    meaning: str


@dataclass(frozen=True)
class RecordRow:
    """One row of the MX Records table."""

    priority: int
    exchanger: str
    shown: str
    shared: bool
    edit_url: str
    delete_url: str


@dataclass(frozen=True)
class FindingRow:
    """One finding on the confirmation page: its severity in words, and its sentence."""

    severity: str
    label: str
    message: str
    code: str


# A finding of these severities stops a change for a confirmation (notes only inform).
CONFIRMED = frozenset({Severity.ERROR, Severity.WARNING})
SEVERITY_LABELS = {Severity.ERROR: "Error", Severity.WARNING: "Warning", Severity.NOTE: "Note"}


@dataclass(frozen=True)
class HistoryRow:
    """One row of the History table."""

    entry: HistoryEntry
    who: str
    via: str
    undoable: bool = False  # it gets an Undo button


def shown_name(name: str) -> str:
    """A host name as people read it: Unicode for IDN; anything else as it was given."""
    if not name.isascii() or "xn--" not in name:
        return name
    try:
        return to_unicode(name)
    except (UnicodeError, ValueError):  # not a name at all: show it as typed
        return name


def findings_note(findings: Sequence[Finding], checked_at: datetime | None) -> str:
    """What the doctor last found wrong with a domain, in one line ("" for nothing)."""
    if not findings:
        return ""
    when = f" on {checked_at:%Y-%m-%d %H:%M} UTC" if checked_at else ""
    codes = ", ".join(dict.fromkeys(f.code.replace("_", " ") for f in findings))
    return f"The doctor found{when}: {codes}."


def mode_choices() -> list[ModeChoice]:
    """The Email Routing options, in cPanel's order."""
    return [ModeChoice(m.value, MODE_LABELS[m], MODE_PLAIN[m]) for m in Mode]


def record_query(record: MXRecord) -> str:
    """The query string that names one record on the Edit and Delete pages."""
    return urlencode({"priority": record.priority, "exchanger": record.exchanger})


def record_groups(domain: str, mx: MXSet) -> list[tuple[int, list[RecordRow]]]:
    """The records by preference group, most preferred first, with their links."""
    edit = reverse("web:mx_edit", args=[domain])
    delete = reverse("web:mx_delete", args=[domain])
    groups = []
    for priority, records in mx.groups():
        rows = [
            RecordRow(
                r.priority,
                r.exchanger,
                shown_name(r.exchanger),
                len(records) > 1,
                f"{edit}?{record_query(r)}",
                f"{delete}?{record_query(r)}",
            )
            for r in records
        ]
        groups.append((priority, rows))
    return groups


def history_rows(entries: list[HistoryEntry]) -> list[HistoryRow]:
    """History entries with who and through which door, in words."""
    return [
        HistoryRow(
            e,
            e.actor + (f" (token {e.token_name})" if e.token_name else ""),
            INTERFACES.get(e.interface, e.interface),
            e.action in UNDOABLE,
        )
        for e in entries
    ]


def to_confirm(plan: ChangeResult) -> bool:
    """The planned change has a warning or an error: the panel asks before making it."""
    return any(f.severity in CONFIRMED for f in plan.findings)


def confirmation(plan: ChangeResult) -> dict[str, Any]:
    """What the confirmation page shows of a planned change (a dry run's result)."""
    return {
        "zone": plan.domain,
        "summary": plan.summary,
        "removed": [_shown_line(line) for line in plan.zone_lines_removed],
        "added": [_shown_line(line) for line in plan.zone_lines_added],
        "records": [f"{r.priority} {shown_name(r.exchanger)}" for r in plan.mx_after],
        "serial": plan.serial_before,
        "before": plan.effective_before.value,
        "after": plan.effective_after.value,
        "chosen": plan.mode.value,
        "meaning": MODE_PLAIN[plan.effective_after],
        "lists_before": lists_of(plan.effective_before),
        "lists_after": lists_of(plan.effective_after),
        "explanation": plan.explanation,
        "findings": [
            FindingRow(f.severity.value, SEVERITY_LABELS[f.severity], f.message, f.code)
            for f in plan.findings
        ],
        "blocking": bool(plan.blocking),
        "fingerprint": plan.fingerprint,
    }


def _shown_line(line: str) -> str:
    """A zone line with an IDN exchanger also in Unicode, as people read it."""
    name = line.rsplit(" ", 1)[-1].rstrip(".")
    shown = shown_name(name)
    return line if shown == name else f"{line} ({shown})"


def result_message(result: ChangeResult) -> dict[str, Any]:
    """What a change did, as plain data that survives the redirect (in the session)."""
    return {
        "domain": result.domain,
        "summary": result.summary,
        "changed": result.changed,
        "records": [f"{r.priority} {shown_name(r.exchanger)}" for r in result.mx_after],
        "serial_before": result.serial_before,
        "serial_after": result.serial_after,
        "mode": result.mode.value,
        "effective": result.effective_after.value,
        "effective_meaning": MODE_PLAIN[result.effective_after],
        "warnings": list(result.warnings),
        "forced": result.forced,
    }
