"""A change as a value: :class:`ChangePlan`, and the pure function that makes one.

The service reads (the zone's snapshot, the domain's row, the exchangers' addresses),
then :func:`plan_change` decides, with no I/O: the new MX set and its bound, the
detection and modes after, the routing entries and zone lines that change, and the
findings. A dry run prints the plan; :mod:`mxroute.service.apply` carries it out;
confirming or undoing a change needs nothing more than this object.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from mxroute.core.findings import Finding, errors, messages, warning
from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import Detection, Mode, effective_mode, explain, mode_findings
from mxroute.dns.base import Snapshot
from mxroute.errors import InvalidInput


@dataclass(frozen=True)
class DomainFacts:
    """What the store knows of a managed domain when a change is planned."""

    mode: Mode
    detected: Mode | None

    @property
    def effective(self) -> Mode:
        """The mode the mail server uses now (local when never detected, as cPanel)."""
        if self.mode is not Mode.AUTO:
            return self.mode
        return self.detected or Mode.LOCAL


@dataclass(frozen=True)
class ChangePlan:
    """Everything one change will do, decided before anything is written.

    ``snapshot`` is the zone as read (None when the change creates the zone); ``facts``
    the domain as the store had it (None when the change adds the domain);
    ``mode_after`` None means the domain stops being managed.
    """

    action: str
    domain: str
    summary: str
    snapshot: Snapshot | None
    mx_after: MXSet
    facts: DomainFacts | None
    mode_after: Mode | None
    detection: Detection | None
    findings: tuple[Finding, ...] = ()
    explanation: tuple[str, ...] = ()
    creates_zone: bool = False
    owner: str | None = None
    pinned: bool = False
    nameserver: str = ""
    # The error findings this change brings (an error the domain already had does not
    # stop an unrelated change): the change is refused unless forced.
    blocking: tuple[Finding, ...] = ()
    forced: bool = False
    undoes: int | None = None  # for an undo: the id of the history entry it undoes

    # -- before and after ------------------------------------------------------------

    @property
    def mx_before(self) -> MXSet:
        """The MX set as read (empty for a zone this change creates)."""
        return self.snapshot.mx if self.snapshot else MXSet()

    @property
    def serial_before(self) -> int | None:
        """The zone's serial as read."""
        return self.snapshot.serial if self.snapshot else None

    @property
    def mode_before(self) -> Mode | None:
        """The chosen mode before (None: not managed yet)."""
        return self.facts.mode if self.facts else None

    @property
    def effective_before(self) -> Mode | None:
        """The mode the mail server used before (None: not hosted)."""
        return self.facts.effective if self.facts else None

    @property
    def effective_after(self) -> Mode | None:
        """The mode the mail server will use (None: no longer hosted)."""
        if self.mode_after is None or self.detection is None:
            return None
        return effective_mode(self.mode_after, self.detection)

    @property
    def mx_changed(self) -> bool:
        """The zone's MX records change (or the zone is created)."""
        return self.creates_zone or self.mx_after != self.mx_before

    @property
    def routing_changed(self) -> bool:
        """The mail server's routing entries for the domain change."""
        return self.effective_after != self.effective_before

    @property
    def changed(self) -> bool:
        """Something a user would call a change happens (it gets a history row)."""
        return (
            self.mx_changed
            or self.mode_after is not self.mode_before
            or self.routing_changed
            or self.action in ("add_domain", "remove_domain")
        )

    @property
    def zone_lines_removed(self) -> tuple[str, ...]:
        """The apex MX lines that leave the zone."""
        return tuple(_line(r) for r in self.mx_before if r not in self.mx_after)

    @property
    def zone_lines_added(self) -> tuple[str, ...]:
        """The apex MX lines that come into the zone."""
        return tuple(_line(r) for r in self.mx_after if r not in self.mx_before)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The findings' sentences."""
        return messages(self.findings)

    # -- as data ---------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """The plan as JSON-ready data (what an intent stores, what a dry run prints)."""
        detection = self.detection
        return {
            "action": self.action,
            "domain": self.domain,
            "summary": self.summary,
            "serial_before": self.serial_before,
            "mx_before": self.mx_before.to_list(),
            "mx_after": self.mx_after.to_list(),
            "creates_zone": self.creates_zone,
            "mode_before": _value(self.mode_before),
            "mode_after": _value(self.mode_after),
            "detected_before": _value(self.facts.detected if self.facts else None),
            "detected_after": _value(detection.mode if detection else None),
            "detection_certain": bool(detection and detection.certain),
            "effective_before": _value(self.effective_before),
            "effective_after": _value(self.effective_after),
            "zone_lines_removed": list(self.zone_lines_removed),
            "zone_lines_added": list(self.zone_lines_added),
            "findings": [f.to_dict() for f in self.findings],
            "refused_unless_forced": [f.code for f in self.blocking],
            "owner": self.owner,
            **({"forced": True} if self.forced else {}),
            # Only an undo says what it undoes: every other plan's fingerprint stays as it was.
            **({"undoes": self.undoes} if self.undoes is not None else {}),
        }

    @property
    def fingerprint(self) -> str:
        """A digest of everything the plan decides: a confirmation applies this plan only."""
        data = self.to_data()
        data.pop("forced", None)  # forcing applies the previewed plan; it is not another
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _value(mode: Mode | None) -> str | None:
    return mode.value if mode is not None else None


def _line(record: MXRecord) -> str:
    return f"@ IN MX {record.to_text()}"


def check_bound(domain: str, before: MXSet, after: MXSet, limit: int) -> None:
    """Refuse a set that grows past ``limit`` records (a set that big is a mistake)."""
    if len(after) > limit and len(after) > len(before):
        raise InvalidInput(
            f"{domain} would have {len(after)} MX records, more than the limit of {limit}; "
            "a set that big is always a mistake, so delete the records you do not need "
            "first.",
            code="too_many_mx",
            field="exchanger",
        )


def plan_change(
    action: str,
    domain: str,
    summary: str,
    *,
    snapshot: Snapshot | None,
    mx_after: MXSet,
    facts: DomainFacts | None,
    mode_after: Mode | None,
    detection: Detection | None,
    limit: int,
    creates_zone: bool = False,
    owner: str | None = None,
    pinned: bool = False,
    nameserver: str = "",
    detection_before: Detection | None = None,
    undoes: int | None = None,
) -> ChangePlan:
    """The plan for one change of one domain (pure: every input was read beforehand).

    ``detection_before`` is the detection of the MX set as read: errors it already
    had do not block this change.
    """
    check_bound(domain, snapshot.mx if snapshot else MXSet(), mx_after, limit)
    findings: tuple[Finding, ...] = ()
    explanation: tuple[str, ...] = ()
    if detection is not None and mode_after is not None:
        findings = tuple(
            dict.fromkeys(
                [
                    *detection.findings,
                    *mode_findings(mode_after, detection),
                    *_change_findings(domain, snapshot, mx_after, facts, mode_after, detection),
                ]
            )
        )
        explanation = tuple(explain(detection, mode_after))
    before: tuple[Finding, ...] = ()
    if detection_before is not None and facts is not None:
        before = (*detection_before.findings, *mode_findings(facts.mode, detection_before))
    blocking = tuple(f for f in errors(findings) if f not in before)
    if snapshot is not None and snapshot.mx.is_null:
        # A domain that published a Null MX accepted no mail already.
        blocking = tuple(f for f in blocking if f.code != "no_mail_possible")
    draft = ChangePlan(
        action,
        domain,
        summary,
        snapshot,
        mx_after,
        facts,
        mode_after,
        detection,
        findings,
        explanation,
        creates_zone,
        owner,
        pinned,
        nameserver,
        blocking=blocking,
        undoes=undoes,
    )
    was, will = draft.effective_before, draft.effective_after
    if action in ("add_domain", "remove_domain") or was is None or will is None:
        return draft
    words = (
        f" Routing stays {will.value}."
        if was is will
        else f" Routing changed from {was.value} to {will.value}."
    )
    return replace(draft, summary=summary + words)


def _change_findings(
    domain: str,
    snapshot: Snapshot | None,
    mx_after: MXSet,
    facts: DomainFacts | None,
    mode_after: Mode,
    detection: Detection,
) -> list[Finding]:
    """Findings about the change itself (not about the state it leaves)."""
    found = []
    before = snapshot.mx if snapshot else MXSet()
    if (
        len(before)
        and not len(mx_after)
        and any(e.usable for _, es in detection.groups for e in es)
    ):
        found.append(
            warning(
                "last_mx_deleted",
                f"This deletes the last MX record of {domain}: senders fall back to the "
                "domain's own address (RFC 5321 §5.1), which may not accept mail; add an MX "
                "record unless that host is a mail server.",
            )
        )
    if (
        facts is not None
        and mode_after is Mode.AUTO
        and facts.mode is Mode.AUTO
        and detection.certain
        and facts.detected is not None
        and facts.detected is not detection.mode
    ):
        found.append(
            warning(
                "auto_mode_changes",
                f"Routing of {domain} is automatic, so this change moves it from "
                f"{facts.detected.value} to {detection.mode.value}: "
                f"{_MODE_CONSEQUENCE[detection.mode]}",
            )
        )
    after = effective_mode(mode_after, detection)
    if after is Mode.BACKUP and (facts is None or facts.effective is not Mode.BACKUP):
        found.append(
            warning(
                "backup_accepts_any_recipient",
                f"As a backup for {domain}, this server accepts mail for any address there "
                "without knowing which exist, so spam to made-up addresses is queued and "
                "bounced later (backscatter); have the primary give you its recipient list.",
            )
        )
    return found


_MODE_CONSEQUENCE = {
    Mode.LOCAL: "this server will deliver its mail into local mailboxes.",
    Mode.BACKUP: "this server will only queue its mail and relay it to the better exchangers.",
    Mode.REMOTE: "this server will accept none of its mail.",
    Mode.AUTO: "",
}
