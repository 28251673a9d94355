"""The doctor's comparison, with no I/O: what one domain's sources say, and the findings
where they disagree, each with a stable code (:data:`CODES`) and one sentence saying
what it means for mail and how to fix it.

:mod:`mxroute.service.doctor` reads the sources and makes the repairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mxroute.core.findings import Finding, Severity
from mxroute.core.records import MXSet
from mxroute.core.routing import Detection, Mode
from mxroute.dns.base import Snapshot
from mxroute.dns.served import Served

ZONE_MISSING = "zone_missing"
ZONE_UNREADABLE = "zone_unreadable"
SERVED_NO_ANSWER = "served_no_answer"
SERVED_NOT_AUTHORITATIVE = "served_not_authoritative"
SERVED_SERIAL_DIFFERS = "served_serial_differs"
SERVED_MX_DIFFERS = "served_mx_differs"
DETECTED_MODE_STALE = "detected_mode_stale"
ROUTING_LISTS_DISAGREE = "routing_lists_disagree"
ROUTING_LISTS_UNMANAGED = "routing_lists_unmanaged"
ROUTING_LISTS_UNREADABLE = "routing_lists_unreadable"
PENDING_INTENT = "pending_intent"
EXTERNAL_CHANGE = "external_change"

CODES: dict[str, str] = {
    ZONE_MISSING: "the domain has no zone file",
    ZONE_UNREADABLE: "the zone file cannot be read",
    SERVED_NO_ANSWER: "the name server gave no answer for the zone",
    SERVED_NOT_AUTHORITATIVE: "the name server does not serve the zone itself",
    SERVED_SERIAL_DIFFERS: "the name server serves another serial than the zone file's",
    SERVED_MX_DIFFERS: "the name server serves other MX records than the zone file's",
    DETECTED_MODE_STALE: "the stored detected mode is not what the MX records give now",
    ROUTING_LISTS_DISAGREE: "the routing lists give another mode than the store",
    ROUTING_LISTS_UNMANAGED: "the routing lists name a domain mxroute does not manage",
    ROUTING_LISTS_UNREADABLE: "the routing lists cannot be read",
    PENDING_INTENT: "a change was interrupted and never settled",
    EXTERNAL_CHANGE: "the MX records changed without a history entry",
}
"""Every code the doctor reports, with what it means."""

# What --fix repairs (the others need the operator: a file, the name server's setup).
REPAIRABLE = frozenset(
    {
        SERVED_SERIAL_DIFFERS,
        SERVED_MX_DIFFERS,
        DETECTED_MODE_STALE,
        ROUTING_LISTS_DISAGREE,
        ROUTING_LISTS_UNMANAGED,
        PENDING_INTENT,
        EXTERNAL_CHANGE,
    }
)
_SERVED_WORDS = {
    "timeout": "it did not answer in time",
    "unreachable": "nothing answers at its address",
    "servfail": "it answered with a server failure",
    "refused": "it refused to answer for it",
    "nxdomain": "it answered that the zone does not exist",
    "not_authoritative": "it answered without authority, from a cache or another zone",
}
_LIST_EFFECT = {
    Mode.LOCAL: "delivers its mail into mailboxes on this server",
    Mode.BACKUP: "only queues its mail for a more preferred exchanger",
    Mode.REMOTE: "sends its mail to the domain's exchangers elsewhere",
}


# ----- what was read -------------------------------------------------------------------


@dataclass(frozen=True)
class PendingIntent:
    """A change recorded as started but neither applied nor abandoned, by a dead writer."""

    id: int
    action: str
    summary: str
    created_at: datetime
    mx_after: MXSet | None = None  # the MX set it meant to write, when it changed them


@dataclass(frozen=True)
class Observed:
    """Everything read about one domain, for :func:`diagnose`.

    ``zone_problem`` is ``"missing"`` for a zone without a file, the read's error for
    a file that cannot be read, "" otherwise; ``served`` None when the name server was
    not asked; ``listed`` what the routing lists give (None: no list), meaningful only
    when ``lists_read``; ``recorded`` the MX set and serial after the domain's last
    history entry that recorded one (None: no such entry).
    """

    domain: str
    mode: Mode
    detected: Mode | None
    snapshot: Snapshot | None = None
    zone_problem: str = ""
    served: Served | None = None
    detection: Detection | None = None
    listed: Mode | None = None
    lists_read: bool = False
    recorded: tuple[MXSet, int | None] | None = None
    pending: tuple[PendingIntent, ...] = ()

    @property
    def effective(self) -> Mode:
        """The mode the store gives the mail server (local when never detected)."""
        if self.mode is not Mode.AUTO:
            return self.mode
        return self.detected or Mode.LOCAL


# ----- the comparison (pure) --------------------------------------------------------------


def diagnose(seen: Observed, *, for_owner: bool = False) -> list[Finding]:
    """The findings for one domain, in a fixed order: zone, name server, history,
    detection, routing lists, interrupted changes.

    ``for_owner`` words them for a domain's owner: what to ask the operator, never
    the server's paths or settings.
    """
    d = seen.domain
    found: list[Finding] = []
    snap = seen.snapshot
    if snap is None:
        found.append(_zone_finding(seen, for_owner))
    else:
        found += _served_findings(d, snap, seen.served, for_owner)
        explained = any(p.mx_after == snap.mx for p in seen.pending)
        if seen.recorded is not None and seen.recorded[0] != snap.mx and not explained:
            found.append(
                _warning(
                    EXTERNAL_CHANGE,
                    f"The MX records of {d} were changed outside mxroute (from "
                    f"{mx_words(seen.recorded[0])} to {mx_words(snap.mx)}), so mail follows "
                    "records that mxroute did not check and its history does not say who "
                    "changed them; 'mxroute doctor --fix' records the change in the history.",
                )
            )
    if seen.detection is not None and seen.detection.mode != seen.detected:
        found.append(_stale(seen, seen.detection.mode))
    if seen.lists_read and seen.listed != seen.effective:
        found.append(_lists_finding(d, seen.listed, seen.effective))
    for intent in seen.pending:
        when = f"{intent.created_at:%Y-%m-%d %H:%M} UTC"
        what = f" ({intent.summary.rstrip('.')})" if intent.summary else ""
        found.append(
            _warning(
                PENDING_INTENT,
                f"A change of {d}{what} was interrupted at {when} and never settled, so its "
                "zone, routing lists and history may disagree; the next change of the domain "
                "settles it, and so does 'mxroute doctor --fix'.",
            )
        )
    return found


def _warning(code: str, message: str) -> Finding:
    return Finding(code, Severity.WARNING, message)


def _zone_finding(seen: Observed, for_owner: bool) -> Finding:
    d = seen.domain
    if for_owner:
        message = (
            f"The DNS zone of {d} cannot be read, so nobody can check or change its MX "
            "records; ask your hosting operator to repair it."
        )
    elif seen.zone_problem == "missing":
        message = (
            f"{d} has no zone file, so its name server publishes no MX records from "
            "mxroute and they cannot be changed; restore the file from a backup, or stop "
            f"managing the domain with 'mxroute domain remove {d}'."
        )
    else:
        message = (
            f"The zone file of {d} cannot be read ({seen.zone_problem.rstrip('.')}), so "
            "its MX records cannot be checked or changed; repair the file, then run the "
            "doctor again."
        )
    code = ZONE_MISSING if seen.zone_problem == "missing" else ZONE_UNREADABLE
    return Finding(code, Severity.ERROR, message)


def _served_findings(
    d: str, snap: Snapshot, served: Served | None, for_owner: bool
) -> list[Finding]:
    if served is None:
        return []
    fix_setup = (
        "ask your hosting operator to check the name server"
        if for_owner
        else "check that the name server loads the zone (or set [dns] query_server to the "
        "one that does)"
    )
    if served.status in ("timeout", "unreachable", "servfail"):
        return [
            _warning(
                SERVED_NO_ANSWER,
                f"The name server gave no answer for {d} ({_SERVED_WORDS[served.status]}), "
                f"so senders asking it may not find where to deliver its mail; {fix_setup}.",
            )
        ]
    if not served.ok:
        words = _SERVED_WORDS.get(served.status, served.status)
        return [
            Finding(
                SERVED_NOT_AUTHORITATIVE,
                Severity.ERROR,
                f"The name server does not serve the zone {d} itself ({words}), so senders "
                f"do not get the MX records of its zone file; {fix_setup}.",
            )
        ]
    found = []
    reload = (
        "ask your hosting operator to reload the zone"
        if for_owner
        else "reload the zone ('mxroute doctor --fix' does)"
    )
    if served.serial != snap.serial:
        found.append(
            _warning(
                SERVED_SERIAL_DIFFERS,
                f"The name server serves {d} at serial {served.serial}, but its zone file "
                f"has serial {snap.serial}, so senders and secondary name servers still get "
                f"the older zone; {reload}.",
            )
        )
    file_pairs = frozenset((r.priority, r.exchanger) for r in snap.mx)
    if served.mx != file_pairs:
        same = served.serial == snap.serial
        why = (
            " (the file changed without a new serial, so secondary name servers will not "
            "take it either: change the records through mxroute, which raises the serial)"
            if same
            else ""
        )
        found.append(
            _warning(
                SERVED_MX_DIFFERS,
                f"The name server serves the MX records {_pairs_words(served.mx)} for {d}, "
                f"but its zone file has {mx_words(snap.mx)}, so mail follows the served "
                f"ones{why}; {reload}.",
            )
        )
    return found


def _stale(seen: Observed, now: Mode) -> Finding:
    d = seen.domain
    stored = seen.detected.value if seen.detected else "nothing yet"
    if seen.mode is Mode.AUTO:
        return _warning(
            DETECTED_MODE_STALE,
            f"The MX records of {d} now make it {now.value}, but mxroute last detected "
            f"{stored}, so the mail server still treats it as {seen.effective.value}; "
            f"detect it again with 'mxroute detect {d}' ('mxroute doctor --fix' does).",
        )
    return Finding(
        DETECTED_MODE_STALE,
        Severity.NOTE,
        f"The MX records of {d} now make it {now.value}, but mxroute last detected "
        f"{stored}; its chosen mode {seen.mode.value} applies, so mail is unaffected, but "
        f"the detected mode shown is out of date ('mxroute detect {d}' updates it).",
    )


def _lists_finding(d: str, listed: Mode | None, effective: Mode) -> Finding:
    if listed is None:
        effect = "is in no routing list, so the mail server refuses its mail"
    else:
        effect = f"is listed as {listed.value}, so the mail server {_LIST_EFFECT[listed]}"
    return Finding(
        ROUTING_LISTS_DISAGREE,
        Severity.ERROR,
        f"mxroute routes {d} as {effective.value}, but it {effect}; 'mxroute doctor --fix' "
        "writes its entries again from mxroute's store.",
    )


def unmanaged_finding(name: str, listed: Mode) -> Finding:
    """A routing-list entry for a domain that mxroute does not manage."""
    return Finding(
        ROUTING_LISTS_UNMANAGED,
        Severity.ERROR,
        f"The routing lists name {name} as {listed.value}, but mxroute does not manage it, "
        f"so the mail server {_LIST_EFFECT[listed]} without anyone choosing so; add it with "
        f"'mxroute domain add {name}', or 'mxroute doctor --all --fix' removes it.",
    )


def mx_words(mx: MXSet) -> str:
    """An MX set in a sentence: "10 a.example, 20 b.example", or "no records"."""
    return ", ".join(str(r) for r in mx) or "no records"


def _pairs_words(pairs: Iterable[tuple[int, str]]) -> str:
    return ", ".join(f"{p} {e}" for p, e in sorted(pairs)) or "no records"


# ----- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainReport:
    """One domain's findings; after a repair, which codes were repaired and what failed."""

    domain: str
    findings: tuple[Finding, ...]
    fixed: frozenset[str] = frozenset()
    fix_errors: tuple[str, ...] = ()

    @property
    def remaining(self) -> tuple[Finding, ...]:
        """The findings a repair did not take away (all of them without one)."""
        return tuple(f for f in self.findings if f.code not in self.fixed)


@dataclass(frozen=True)
class DoctorReport:
    """A run: how many domains were checked, those with findings, and the findings about
    the routing lists as a whole (only a run over every domain looks for those)."""

    checked: int
    domains: tuple[DomainReport, ...]
    findings: tuple[Finding, ...] = ()
    fix: bool = False
    fixed: frozenset[str] = frozenset()
    fix_errors: tuple[str, ...] = ()

    @property
    def remaining(self) -> tuple[Finding, ...]:
        """Every finding left after the run (after its repairs, with ``fix``)."""
        left = [f for f in self.findings if f.code not in self.fixed]
        return (*left, *(f for d in self.domains for f in d.remaining))

    @property
    def clean(self) -> bool:
        """True when nothing is wrong (any more)."""
        return not self.remaining
