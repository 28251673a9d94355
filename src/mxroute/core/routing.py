"""Routing modes, their detection from an MX set, and the plain-words delivery plan.

Pure: the caller resolves the exchangers (``Resolution`` per name) and passes them in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mxroute.core.findings import Finding, error, messages, warning
from mxroute.core.records import MXRecord, MXSet
from mxroute.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_TEMPORARY = frozenset({"servfail", "timeout"})
# Special-use top-level names (RFC 2606, 6761, 6762, 8375 and ICANN's .internal): no
# sender on the internet delivers to them, so private exchangers there are expected.
_NOT_PUBLIC = frozenset(
    {"test", "example", "invalid", "localhost", "local", "internal", "lan", "home", "arpa"}
)


def public_name(domain: str) -> bool:
    """True when ``domain`` is under a top-level name that the internet resolves."""
    return domain.rsplit(".", 1)[-1] not in _NOT_PUBLIC


class Mode(StrEnum):
    """How this server treats a domain's mail; AUTO means "detect from the MX records"."""

    AUTO = "auto"
    LOCAL = "local"
    BACKUP = "backup"
    REMOTE = "remote"

    @property
    def cpanel(self) -> str:
        """cPanel's spelling (``secondary`` for backup)."""
        return "secondary" if self is Mode.BACKUP else self.value


_MODE_ALIASES = {"secondary": Mode.BACKUP, "automatic": Mode.AUTO}

MODE_MEANING = {
    Mode.AUTO: "mxroute decides from the domain's MX records whether this server is a "
    "primary, backup or no exchanger for it.",
    Mode.LOCAL: "This server is a primary mail exchanger for the domain and delivers its "
    "mail into local mailboxes.",
    Mode.BACKUP: "This server accepts the domain's mail only to queue it and relay it to a "
    "more preferred exchanger when that one is reachable.",
    Mode.REMOTE: "This server accepts none of the domain's mail; mail sent from this server "
    "to the domain goes to the domain's exchangers.",
}


def parse_mode(value: object, *, field: str = "mode") -> Mode:
    """A mode from text: auto, local, backup, remote (``secondary`` = backup)."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text in _MODE_ALIASES:
        return _MODE_ALIASES[text]
    try:
        return Mode(text)
    except ValueError:
        raise InvalidInput(
            f"The routing mode {value!r} is not known; choose auto, local, backup or remote.",
            code="invalid_mode",
            field=field,
        ) from None


@dataclass(frozen=True)
class ServerIdentity:
    """The names and addresses by which this mail server is known."""

    names: frozenset[str]
    addresses: frozenset[IPAddress]

    @classmethod
    def of(cls, names: Iterable[str], addresses: Iterable[str | IPAddress]) -> ServerIdentity:
        """Build from configured text (names normalised by the caller)."""
        return cls(
            frozenset(n.lower().rstrip(".") for n in names),
            frozenset(ipaddress.ip_address(a) for a in addresses),
        )


@dataclass(frozen=True)
class Resolution:
    """What looking up an exchanger's addresses gave.

    ``status`` is ``ok``, ``nxdomain`` (no such name), ``nodata`` (name without A/AAAA),
    ``servfail`` or ``timeout`` (temporary), or ``delegated`` (a zone file's answer for a
    name below one of its zone cuts: ask DNS instead). ``alias_of`` is set when the name
    is a CNAME.
    """

    addresses: frozenset[IPAddress] = frozenset()
    status: str = "ok"
    alias_of: str | None = None
    zone: str | None = None  # the managed zone that answered (None: DNS did)

    @property
    def resolved(self) -> bool:
        """True when the name has at least one address."""
        return bool(self.addresses)

    @property
    def temporary(self) -> bool:
        """True when the failure may go away by itself (senders defer, not bounce)."""
        return self.status in _TEMPORARY


@dataclass(frozen=True)
class PlanEntry:
    """One exchanger in the delivery plan."""

    record: MXRecord
    addresses: frozenset[IPAddress]
    is_self: bool
    status: str

    @property
    def usable(self) -> bool:
        """A sender can connect to it (it has an address)."""
        return bool(self.addresses) or self.is_self


@dataclass(frozen=True)
class Detection:
    """The detected mode of a domain, and the delivery plan behind it."""

    domain: str
    mode: Mode
    certain: bool
    groups: tuple[tuple[int, tuple[PlanEntry, ...]], ...]
    self_priority: int | None
    implicit: bool = False
    accepts_no_mail: bool = False
    unresolved: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default=())

    @property
    def warnings(self) -> tuple[str, ...]:
        """The findings' sentences."""
        return messages(self.findings)

    @property
    def relay_to(self) -> tuple[PlanEntry, ...]:
        """For a backup: the strictly more preferred exchangers this server relays to."""
        if self.self_priority is None:
            return ()
        return tuple(e for p, es in self.groups if p < self.self_priority for e in es)


def detect(
    domain: str,
    mx: MXSet,
    identity: ServerIdentity,
    resolutions: Mapping[str, Resolution],
    last_known: Mode | None = None,
) -> Detection:
    """Detect the routing mode of ``domain`` from its MX set, following RFC 5321 §5.1.

    1. A lone Null MX (RFC 7505) means the domain accepts no mail: remote.
    2. No MX at all means one implicit MX of priority 0 pointing at the domain itself.
    3. Records are grouped by priority, most preferred first; a sender picks at random
       within a group.
    4. An exchanger is this server when its name is one of the server's names or one of
       its addresses is one of the server's addresses.
    5. This server in the most preferred group (ties included) is local; in a less
       preferred group only, backup (it relays to the strictly better groups, and drops
       its own group and all worse ones); absent, remote.
    6. An exchanger without an address could still be this server. When one could change
       the answer of rule 5 (any of them if this server was not found; one more preferred
       than this server's own record otherwise), the mode cannot be known: keep
       ``last_known`` (local when none is known, as cPanel does) and warn, naming them.
       Unresolved exchangers that cannot change the answer are reported, not waited for.
    """
    if mx.is_null:
        entry = PlanEntry(mx.records[0], frozenset(), False, "null")
        return Detection(
            domain,
            Mode.REMOTE,
            True,
            ((0, (entry,)),),
            None,
            accepts_no_mail=True,
            findings=(
                warning(
                    "null_mx",
                    f"{domain} publishes a Null MX (RFC 7505): it accepts no mail at all.",
                ),
            ),
        )
    implicit = len(mx) == 0
    effective_set = MXSet((MXRecord(0, domain),)) if implicit else mx
    groups: list[tuple[int, tuple[PlanEntry, ...]]] = []
    for priority, records in effective_set.groups():
        entries = []
        for record in records:
            res = resolutions.get(record.exchanger, Resolution(status="timeout"))
            is_self = record.exchanger in identity.names or bool(res.addresses & identity.addresses)
            entries.append(PlanEntry(record, res.addresses, is_self, res.status))
        groups.append((priority, tuple(entries)))

    all_entries = [e for _, es in groups for e in es]
    unresolved = tuple(dict.fromkeys(e.record.exchanger for e in all_entries if not e.usable))
    self_priorities = [e.record.priority for e in all_entries if e.is_self]
    self_priority = min(self_priorities) if self_priorities else None
    if self_priority is None:
        mode = Mode.REMOTE
    elif self_priority == groups[0][0]:
        mode = Mode.LOCAL
    else:
        mode = Mode.BACKUP

    warnings = list(_plan_warnings(domain, implicit, all_entries, resolutions, self_priority))
    blocking = tuple(
        dict.fromkeys(
            e.record.exchanger
            for e in all_entries
            if not e.usable and (self_priority is None or e.record.priority < self_priority)
        )
    )
    certain = not blocking
    if not certain:
        fallback = last_known if last_known not in (None, Mode.AUTO) else Mode.LOCAL
        assert fallback is not None
        one = len(blocking) == 1
        warnings.insert(
            0,
            warning(
                "detection_uncertain",
                f"Cannot detect the routing of {domain} because {', '.join(blocking)} "
                f"{'does' if one else 'do'} not resolve to any address, so the last known mode, "
                f"{fallback.value}, is kept until {'it resolves' if one else 'they resolve'}.",
            ),
        )
        mode = fallback
    statuses = {e.record.exchanger: e.status for e in all_entries}
    for name in unresolved:
        if implicit:
            continue  # said once, as no_mail_possible
        holder = resolutions.get(name, Resolution()).zone
        if statuses[name] in _TEMPORARY:
            warnings.append(
                warning(
                    "exchanger_lookup_failed",
                    f"The exchanger {name} cannot be looked up right now, so senders wait "
                    "and retry; check the DNS servers of its zone.",
                )
            )
        elif holder is not None:
            warnings.append(
                error(
                    "exchanger_missing_in_zone",
                    f"The exchanger {name} is in the zone {holder} hosted here, which has no "
                    f"A or AAAA record for it, so senders skip it; add one to {holder} first.",
                )
            )
        else:
            warnings.append(
                error(
                    "exchanger_unresolved",
                    f"The exchanger {name} does not resolve to any address, so senders skip "
                    "it; give it an A or AAAA record, or delete its MX record.",
                )
            )
    return Detection(
        domain,
        mode,
        certain,
        tuple(groups),
        self_priority,
        implicit=implicit,
        unresolved=unresolved,
        findings=tuple(warnings),
    )


def _plan_warnings(
    domain: str,
    implicit: bool,
    entries: list[PlanEntry],
    resolutions: Mapping[str, Resolution],
    self_priority: int | None,
) -> Iterable[Finding]:
    """Findings about the plan that a sender would hit, worded for the domain's owner."""
    if implicit:
        yield warning(
            "implicit_mx",
            f"{domain} has no MX records, so senders deliver to the domain's own address "
            "(the implicit MX of RFC 5321 §5.1); add an MX record to say where mail goes.",
        )
    for entry in entries:
        res = resolutions.get(entry.record.exchanger)
        if res is not None and res.alias_of:
            yield error(
                "exchanger_alias",
                f"The exchanger {entry.record.exchanger} is an alias (CNAME) of "
                f"{res.alias_of}; RFC 2181 forbids that and some senders will refuse it: "
                f"point the MX at {res.alias_of} instead.",
            )
    if self_priority is not None:
        better = [e for e in entries if e.record.priority < self_priority]
        if better and not any(e.usable for e in better):
            # One temporary failure is enough for senders to defer rather than bounce.
            if any(e.status in _TEMPORARY for e in better):
                yield warning(
                    "backup_primary_unreachable",
                    f"The MX records make this server a backup for {domain}, but no more "
                    "preferred exchanger answers lookups right now: mail will wait in this "
                    "server's queue.",
                )
            else:
                yield warning(
                    "backup_primary_missing",
                    f"The MX records make this server a backup for {domain}, but none of the more "
                    "preferred exchangers exists in DNS: mail relayed through this server will "
                    "bounce.",
                )
    elif implicit and not any(e.usable for e in entries):
        temporary = any(e.status in _TEMPORARY for e in entries)
        yield (warning if temporary else error)(
            "no_mail_possible",
            f"{domain} has no MX records and no address of its own: no mail can arrive; "
            "add an MX record.",
        )
    elif entries and not any(e.usable for e in entries):
        temporary = any(e.status in _TEMPORARY for e in entries)
        yield (warning if temporary else error)(
            "no_exchanger_resolves",
            f"None of the exchangers of {domain} resolves to an address: its mail cannot "
            "be delivered.",
        )
    if public_name(domain):
        for entry in entries:
            if entry.is_self or not entry.addresses:
                continue
            if all(not a.is_global for a in entry.addresses):
                shown = ", ".join(sorted(str(a) for a in entry.addresses))
                yield warning(
                    "exchanger_private",
                    f"The exchanger {entry.record.exchanger} resolves only to {shown}, which "
                    "senders on the internet cannot reach; give it a public address.",
                )


def effective_mode(chosen: Mode, detection: Detection) -> Mode:
    """The mode the mail server uses: the chosen one, or the detected one under AUTO."""
    return detection.mode if chosen is Mode.AUTO else chosen


def mode_findings(chosen: Mode, detection: Detection) -> list[Finding]:
    """Warnings when a mode chosen by hand disagrees with what the MX records say."""
    if chosen is Mode.AUTO or not detection.certain or chosen is detection.mode:
        return []
    d = detection.domain
    if chosen is Mode.LOCAL and detection.mode is Mode.REMOTE:
        return [
            warning(
                "local_not_in_set",
                f"{d} is set to local, but its MX records do not name this server: outside "
                "senders deliver elsewhere, while mail sent from this server stays here. Keep "
                "this only when a filtering gateway in front relays the mail to this server.",
            )
        ]
    if chosen is Mode.REMOTE and detection.mode is Mode.LOCAL:
        return [
            error(
                "remote_mail_loop",
                f"{d} is set to remote, but its MX records name this server as most "
                "preferred: senders bring the mail here and it is refused, and mail sent "
                "from this server loops. Choose auto or local, or change the MX records.",
            )
        ]
    if chosen is Mode.REMOTE and detection.mode is Mode.BACKUP:
        return [
            warning(
                "remote_listed_as_backup",
                f"{d} is set to remote, but its MX records name this server as a backup: "
                "senders that try it are refused and go elsewhere. Choose auto or backup, or "
                "delete this server's MX record.",
            )
        ]
    if chosen is Mode.BACKUP and detection.mode is Mode.LOCAL:
        return [
            error(
                "backup_most_preferred",
                f"{d} is set to backup, but this server is its most preferred exchanger: mail "
                "would be relayed back to this server and fail. Choose local or auto.",
            )
        ]
    if chosen is Mode.BACKUP and detection.mode is Mode.REMOTE:
        return [
            error(
                "backup_not_in_set",
                f"{d} is set to backup, but its MX records do not name this server: no sender "
                "will queue mail here. Add this server as a less preferred MX, or choose "
                "remote.",
            )
        ]
    return []


def _names(entries: Iterable[PlanEntry]) -> str:
    return ", ".join(f"{e.record.exchanger} (priority {e.record.priority})" for e in entries)


def explain(detection: Detection, chosen: Mode) -> list[str]:
    """Where the domain's mail goes, in plain sentences, for the effective mode."""
    d = detection.domain
    if detection.accepts_no_mail:
        return [
            f"{d} accepts no mail: it publishes a Null MX (RFC 7505), so senders fail at once "
            "with 556 5.1.10 instead of retrying."
        ]
    lines = []
    for priority, entries in detection.groups:
        shared = " (they share mail at random)" if len(entries) > 1 else ""
        names = ", ".join(
            e.record.exchanger
            + (" [this server]" if e.is_self else "")
            + ("" if e.usable else " [does not resolve]")
            for e in entries
        )
        lines.append(f"Priority {priority}: {names}{shared}.")
    if detection.implicit:
        lines.insert(0, f"{d} has no MX records; senders use the domain's own address.")
    mode = effective_mode(chosen, detection)
    if chosen is not Mode.AUTO:
        how = "chosen by hand"
    elif detection.certain:
        how = "detected from the MX records"
    else:
        how = "the last known mode, kept because the MX records could not be checked"
    if mode is Mode.LOCAL:
        lines.append(f"This server delivers mail for {d} into local mailboxes ({how}).")
    elif mode is Mode.BACKUP:
        relay = detection.relay_to
        if relay:
            lines.append(
                f"This server accepts mail for {d}, queues it and relays it to {_names(relay)} "
                f"when reachable ({how})."
            )
        elif detection.self_priority is None:
            lines.append(
                f"This server is set to hold and relay mail for {d} ({how}), but the MX "
                "records do not name it, so no sender will queue mail here."
            )
        else:
            lines.append(
                f"This server is set to hold and relay mail for {d} ({how}), but no exchanger "
                "is preferred to it, so it has nowhere to relay to and defers the mail."
            )
    else:
        # Mail from here never goes to this server itself: name the best other group.
        others = [[e for e in es if not e.is_self] for _, es in detection.groups]
        best = next((group for group in others if group), [])
        target = _names(best) if best else "nowhere, since this server is its only exchanger"
        lines.append(
            f"This server accepts no mail for {d} from outside; mail sent from this server "
            f"to {d} goes to {target} ({how})."
        )
    return lines
