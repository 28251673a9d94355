"""Plain data (JSON-ready dicts) for service results, shared by the CLI and the APIs."""

from __future__ import annotations

from typing import Any

from mxroute.accounts import TokenSummary, UserSummary
from mxroute.core.findings import Finding
from mxroute.core.records import MXSet
from mxroute.core.routing import Detection, Mode
from mxroute.service import ChangeResult, DomainState, DomainSummary, HistoryEntry
from mxroute.service.diagnosis import DoctorReport


def mx_data(mx: MXSet) -> list[dict[str, Any]]:
    """The records sorted by priority, each with its preference group size."""
    sizes = {p: len(rs) for p, rs in mx.groups()}
    return [
        {"priority": r.priority, "exchanger": r.exchanger, "shared_with": sizes[r.priority] - 1}
        for r in mx
    ]


def detection_data(detection: Detection) -> dict[str, Any]:
    """The delivery plan: preference groups, which entry is this server, what is unknown."""
    return {
        "mode": detection.mode.value,
        "certain": detection.certain,
        "implicit_mx": detection.implicit,
        "accepts_no_mail": detection.accepts_no_mail,
        "self_priority": detection.self_priority,
        "unresolved": list(detection.unresolved),
        "groups": [
            {
                "priority": priority,
                "exchangers": [
                    {
                        "exchanger": e.record.exchanger,
                        "addresses": sorted(str(a) for a in e.addresses),
                        "is_self": e.is_self,
                        "status": e.status,
                    }
                    for e in entries
                ],
            }
            for priority, entries in detection.groups
        ],
    }


def state_data(state: DomainState) -> dict[str, Any]:
    """A domain's records, serial, modes and plain-words explanation."""
    return {
        "domain": state.domain,
        "owner": state.owner,
        "serial": state.snapshot.serial,
        "mx": mx_data(state.snapshot.mx),
        "mode": state.mode.value,
        "effective_mode": state.effective.value,
        "detected_mode": state.detection.mode.value,
        "detection": detection_data(state.detection),
        "explanation": list(state.explanation),
        "warnings": list(state.warnings),
    }


def change_data(result: ChangeResult) -> dict[str, Any]:
    """What a change did."""
    return {
        "domain": result.domain,
        "action": result.action,
        "summary": result.summary,
        "changed": result.changed,
        "mx_before": mx_data(result.mx_before),
        "mx_after": mx_data(result.mx_after),
        "serial_before": result.serial_before,
        "serial_after": result.serial_after,
        "mode": result.mode.value,
        "effective_mode_before": result.effective_before.value,
        "effective_mode": result.effective_after.value,
        "detected_mode": result.detection.mode.value,
        "explanation": list(result.explanation),
        "warnings": list(result.warnings),
        "findings": [f.to_dict() for f in result.findings],
        # The error findings that refuse this change unless it is forced.
        "refused_unless_forced": [f.code for f in result.blocking],
        "forced": result.forced,
        "fingerprint": result.fingerprint,
        "dry_run": result.dry_run,
        "zone_lines_removed": list(result.zone_lines_removed),
        "zone_lines_added": list(result.zone_lines_added),
        "lists_before": lists_of(result.effective_before),
        "lists_after": lists_of(result.effective_after),
    }


def lists_of(mode: Mode | None) -> list[str]:
    """The routing lists that name a domain of effective ``mode`` (cPanel's files)."""
    from mxroute.mta.lists import LISTED_IN

    return list(LISTED_IN.get(mode, ())) if mode is not None else []


def summary_data(summary: DomainSummary) -> dict[str, Any]:
    """One row of the domain list."""
    return {
        "domain": summary.domain,
        "owner": summary.owner,
        "mode": summary.mode.value,
        "effective_mode": summary.effective.value,
        "detected_mode": summary.detected.value if summary.detected else None,
        "detected_at": summary.detected_at.isoformat() if summary.detected_at else None,
        **({"mx": mx_data(summary.mx)} if summary.mx is not None else {}),
        "findings": [f.to_dict() for f in summary.findings],
        "checked_at": summary.checked_at.isoformat() if summary.checked_at else None,
    }


def doctor_data(report: DoctorReport) -> dict[str, Any]:
    """A doctor run: whether all is well, each domain's findings (each marked repaired or
    not when the run repaired), and the findings about the routing lists as a whole."""

    def findings(found: tuple[Finding, ...], fixed: frozenset[str]) -> list[dict[str, Any]]:
        return [{**f.to_dict(), "fixed": f.code in fixed} for f in found]

    return {
        "clean": report.clean,
        "checked": report.checked,
        "fix": report.fix,
        "domains": [
            {
                "domain": d.domain,
                "findings": findings(d.findings, d.fixed),
                "fix_errors": list(d.fix_errors),
            }
            for d in report.domains
        ],
        "findings": findings(report.findings, report.fixed),
        "fix_errors": list(report.fix_errors),
    }


def history_data(entry: HistoryEntry) -> dict[str, Any]:
    """One history row."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "domain": entry.domain,
        "actor": entry.actor,
        "interface": entry.interface,
        "action": entry.action,
        "summary": entry.summary,
        "mx_before": entry.mx_before,
        "mx_after": entry.mx_after,
        "mode_before": entry.mode_before,
        "mode_after": entry.mode_after,
        "serial_before": entry.serial_before,
        "serial_after": entry.serial_after,
        "token_name": entry.token_name,
        "warnings": entry.warnings,
        "undoes": entry.undoes,
    }


def user_data(user: UserSummary) -> dict[str, Any]:
    """One row of the user list."""
    return {
        "username": user.username,
        "admin": user.admin,
        "domains": user.domains,
        "tokens": user.tokens,
        "last_login": user.last_login.isoformat() if user.last_login else None,
    }


def token_data(token: TokenSummary) -> dict[str, Any]:
    """One API token, without its secret."""
    return {
        "username": token.username,
        "name": token.name,
        "domains": list(token.domains),
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "expired": token.expired,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }
