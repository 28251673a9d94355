"""The doctor: where a domain's zone file, what its name server serves, the store, the
routing lists and the pending intents disagree; and the repairs mxroute can make.

A run reads first, each source once however many domains it checks: the domains' rows
with the last MX set their history recorded (one query), the pending intents (one
query), each zone file once, the routing lists once, and DNS in two batches (the
exchangers' addresses as ``detect --all`` asks them, then each zone's SOA and MX from
the name server that serves it). Then :func:`mxroute.service.diagnosis.diagnose`
compares, with no I/O: each disagreement is a finding with a stable code. No store
write lock is held while DNS is asked.

A repair (``fix``) settles interrupted changes, then, under each domain's lock and
from fresh reads, records a change made outside mxroute in the history, detects the
mode again, reloads the zone and puts the domain's routing entries back as the store
says. Each repair is idempotent: a second run finds nothing left to repair.

Each domain's last verdict is kept on its row (``Domain.findings``), so the domain
list can flag and filter domains with findings without asking DNS again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mxroute.core.findings import Finding, Severity
from mxroute.core.records import MXSet
from mxroute.core.routing import Detection, Mode, detect
from mxroute.dns.base import Snapshot
from mxroute.dns.served import NameServer
from mxroute.errors import MxrouteError, NotFound
from mxroute.service.actor import Actor, operators_only, visible
from mxroute.service.diagnosis import (
    DETECTED_MODE_STALE,
    EXTERNAL_CHANGE,
    PENDING_INTENT,
    REPAIRABLE,
    ROUTING_LISTS_DISAGREE,
    ROUTING_LISTS_UNMANAGED,
    ROUTING_LISTS_UNREADABLE,
    SERVED_MX_DIFFERS,
    SERVED_SERIAL_DIFFERS,
    DoctorReport,
    DomainReport,
    Observed,
    PendingIntent,
    diagnose,
    mx_words,
    unmanaged_finding,
)

if TYPE_CHECKING:
    from mxroute.service.use_cases import Service

log = logging.getLogger(__name__)

# Rows written at once when the verdicts are kept (well below SQLite's variable limit).
_CHUNK = 500


# ----- reading everything once ------------------------------------------------------------


@dataclass
class _Row:
    name: str
    mode: Mode
    detected: Mode | None
    last_change: int | None


class Doctor:
    """Runs the checks over one service's backends and store."""

    def __init__(self, service: Service, nameserver: NameServer | None = None) -> None:
        self.service = service
        self._nameserver = nameserver

    @property
    def nameserver(self) -> NameServer:
        """The name server asked what it serves (see :meth:`NameServer.from_settings`)."""
        if self._nameserver is None:
            s = self.service.settings
            self._nameserver = NameServer.from_settings(
                s.query_server, s.query_port, s.resolver_server, s.resolver_port,
                s.resolver_timeout,
            )  # fmt: skip
        return self._nameserver

    def run(self, domain: str | None = None, *, actor: Actor, fix: bool = False) -> DoctorReport:
        """Check ``domain`` (None: every domain ``actor`` may manage); with ``fix``,
        repair what can be repaired. Each checked domain's verdict is kept on its row."""
        if fix:
            operators_only(actor, "repair domains with the doctor")
        rows = self._rows(domain, actor)
        everything = domain is None and (actor.is_operator or (actor.admin and actor.only is None))
        seen, listed, lists_problem = self._observe(rows, everything)
        for_owner = not (actor.is_operator or actor.admin)
        reports = [DomainReport(s.domain, tuple(diagnose(s, for_owner=for_owner))) for s in seen]
        general: list[Finding] = []
        if lists_problem:
            words = (
                "The routing lists of this mail server cannot be read right now, so where "
                "your domains' mail goes cannot be checked; ask your hosting operator"
                if for_owner
                else f"{lists_problem.rstrip('.')}; the mail server may not read them either, "
                "so fix this first"
            )
            general.append(Finding(ROUTING_LISTS_UNREADABLE, Severity.ERROR, f"{words}."))
        unmanaged: dict[str, Mode] = {}
        if everything and listed is not None:
            names = {r.name for r in rows}
            unmanaged = {n: m for n, m in listed.items() if n not in names}
            general += [unmanaged_finding(n, m) for n, m in sorted(unmanaged.items())]
        report = DoctorReport(len(rows), tuple(r for r in reports if r.findings), tuple(general))
        if fix:
            report = self._repair(report, {s.domain: s for s in seen}, unmanaged, actor)
        self._keep(reports, report)
        return report

    def _rows(self, domain: str | None, actor: Actor) -> list[_Row]:
        """The domains to check, with the id of each one's last history entry that
        recorded an MX set (one query, whatever the number of domains)."""
        from django.db.models import OuterRef, Subquery

        from mxroute.store.models import Change, Domain

        rows = visible(Domain.objects.order_by("name"), actor)
        if domain is not None:
            rows = rows.filter(pk=self.service._domain(domain, actor).pk)
        last = (
            Change.objects.filter(domain_name=OuterRef("name"), mx_after__isnull=False)
            .order_by("-at", "-id")
            .values("id")[:1]
        )
        found = rows.annotate(last_change=Subquery(last)).values_list(
            "name", "mode", "detected_mode", "last_change"
        )
        return [
            _Row(name, Mode(mode), Mode(detected) if detected else None, change)
            for name, mode, detected, change in found
        ]

    def _observe(
        self, rows: list[_Row], everything: bool
    ) -> tuple[list[Observed], dict[str, Mode] | None, str]:
        """What every source says of ``rows``; what the lists hold (when read whole) and
        why they could not be read ("" when they could)."""
        from mxroute.store.models import Change

        names = [r.name for r in rows]
        ids = [r.last_change for r in rows if r.last_change is not None]
        recorded = {
            c.pk: c for c in Change.objects.only("mx_after", "serial_after").in_bulk(ids).values()
        }
        pending = self._pending(set(names))
        snaps: dict[str, Snapshot] = {}
        problems: dict[str, str] = {}
        for name in names:
            try:
                snaps[name] = self.service.zones.read(name)
            except NotFound as exc:
                problems[name] = "missing" if exc.code == "zone_not_found" else exc.message
            except MxrouteError as exc:
                problems[name] = exc.message
        detections = self._detections(rows, snaps, everything)
        served = self.nameserver.served_many(list(snaps)) if snaps else {}
        listed, lists_problem = self._lists(names, everything)
        seen = []
        for row in rows:
            change = recorded.get(row.last_change) if row.last_change is not None else None
            seen.append(
                Observed(
                    row.name,
                    row.mode,
                    row.detected,
                    snapshot=snaps.get(row.name),
                    zone_problem=problems.get(row.name, ""),
                    served=served.get(row.name),
                    detection=detections.get(row.name),
                    listed=listed.get(row.name) if listed is not None else None,
                    lists_read=listed is not None,
                    recorded=(
                        (MXSet.from_list(change.mx_after or []), change.serial_after)
                        if change
                        else None
                    ),
                    pending=tuple(pending.get(row.name, ())),
                )
            )
        return seen, (listed if everything else None), lists_problem

    def _detections(
        self, rows: list[_Row], snaps: dict[str, Snapshot], everything: bool
    ) -> dict[str, Detection]:
        """What detection says now for each readable zone: exchangers in managed zones
        from those zones, every other name asked of DNS at once (as ``detect --all``)."""
        wanted = {r.exchanger for s in snaps.values() for r in s.mx if not r.is_null}
        wanted |= {z for z, s in snaps.items() if len(s.mx) == 0}
        if everything:
            managed = {r.name for r in rows}
            found = self.service.addresses.resolve(
                wanted, managed=lambda c: managed & set(c), bulk=True
            )
        else:
            found = self.service.addresses.resolve(wanted, bulk=True)
        identity = self.service.identity
        return {
            r.name: detect(r.name, snaps[r.name].mx, identity, found, r.detected)
            for r in rows
            if r.name in snaps
        }

    def _lists(self, names: list[str], everything: bool) -> tuple[dict[str, Mode] | None, str]:
        """What the routing lists give: every entry for a run over every domain, else
        those of ``names``; None and the reason when they cannot be read."""
        try:
            if everything:
                return dict(self.service.routing.read()), ""
            return {n: m for n, m in self.service.routing.modes(names).items() if m}, ""
        except MxrouteError as exc:
            return None, exc.message

    def _pending(self, names: set[str]) -> dict[str, list[PendingIntent]]:
        """The pending intents of ``names`` whose writer is gone (its domains' locks are
        free: a live writer's change is in progress, not drift)."""
        from mxroute.store.models import Intent

        found: dict[str, list[PendingIntent]] = {}
        locks = self.service.locks
        for intent in Intent.objects.filter(state=Intent.State.PENDING).order_by("id"):
            domains = list(intent.plan.get("domains") or [intent.domain_name])
            mine = [d for d in domains if d in names]
            if not mine:
                continue
            with contextlib.ExitStack() as stack:
                if not all(stack.enter_context(locks.hold(d, wait=False)) for d in domains):
                    continue
            plan = intent.plan
            mx_after = None
            if plan.get("mx_after") is not None and plan.get("mx_before") != plan.get("mx_after"):
                mx_after = MXSet.from_list(plan["mx_after"])
            summary = plan.get("summary") or (
                f"a detection of {len(domains)} domains" if len(domains) > 1 else ""
            )
            record = PendingIntent(intent.pk, intent.action, summary, intent.created_at, mx_after)
            for d in mine:
                found.setdefault(d, []).append(record)
        return found

    # ----- repairs ------------------------------------------------------------------------

    def _repair(
        self,
        report: DoctorReport,
        seen: dict[str, Observed],
        unmanaged: dict[str, Mode],
        actor: Actor,
    ) -> DoctorReport:
        """Repair what can be repaired; the report with what was (and what failed)."""
        doctor = Actor("doctor", actor.interface, actor.token_name)
        settled: set[str] = set()
        if any(f.code == PENDING_INTENT for d in report.domains for f in d.findings):
            self.service.reconcile()
            settled = {d.domain for d in report.domains} - set(self._pending(set(seen)))
        domains = []
        for one in report.domains:
            codes = {f.code for f in one.findings} & REPAIRABLE
            fixed: set[str] = set()
            errors: list[str] = []
            if PENDING_INTENT in codes and one.domain in settled:
                fixed.add(PENDING_INTENT)
            try:
                with self.service.locks.hold(one.domain):
                    done, failed = self._repair_domain(one.domain, codes, doctor)
            except MxrouteError as exc:  # busy: another change held the domain too long
                errors.append(exc.message)
            else:
                fixed |= done
                errors += failed
            domains.append(replace(one, fixed=frozenset(fixed), fix_errors=tuple(errors)))
        fixed_here: set[str] = set()
        errors = []
        if unmanaged:
            try:
                self.service.routing.change(dict.fromkeys(unmanaged))
                fixed_here.add(ROUTING_LISTS_UNMANAGED)
            except MxrouteError as exc:
                errors.append(exc.message)
        return replace(
            report,
            domains=tuple(domains),
            fix=True,
            fixed=frozenset(fixed_here),
            fix_errors=tuple(errors),
        )

    def _repair_domain(
        self, zone: str, codes: set[str], doctor: Actor
    ) -> tuple[set[str], list[str]]:
        """Under the domain's lock, from fresh reads: the codes repaired, and why each
        repair that failed failed (the others are still made)."""
        from mxroute.store.models import Domain

        svc = self.service
        fixed: set[str] = set()
        errors: list[str] = []

        def step(done: Iterable[str], repair: Callable[[], object]) -> None:
            try:
                repair()
            except MxrouteError as exc:
                errors.append(exc.message)
            else:
                fixed.update(done)

        # First the history (a detection records the zone's records as they are now).
        if EXTERNAL_CHANGE in codes:
            step([EXTERNAL_CHANGE], lambda: self._record_external(zone, doctor))
        if DETECTED_MODE_STALE in codes:
            step([DETECTED_MODE_STALE], lambda: svc.detect(zone, actor=doctor))
        served = codes & {SERVED_SERIAL_DIFFERS, SERVED_MX_DIFFERS}
        if served and not svc.settings.zone_reload_command:
            errors.append(
                f"The name server serves another {zone} than its zone file and no [dns] "
                "reload_command is set, so mxroute cannot reload it; reload the zone by hand."
            )
        elif served:
            step(served, lambda: svc.zones.publish(zone))
        if ROUTING_LISTS_DISAGREE in codes:
            step(
                [ROUTING_LISTS_DISAGREE],
                lambda: svc.routing.change({zone: Domain.objects.get(name=zone).effective_mode}),
            )
        return fixed, errors

    def _record_external(self, zone: str, doctor: Actor) -> None:
        """Write the history entry of an MX change made outside mxroute, if the zone
        still differs from the last recorded MX set (the caller holds the lock)."""
        from mxroute.store.models import Change, Domain

        row = Domain.objects.get(name=zone)
        last = (
            Change.objects.filter(domain_name=zone, mx_after__isnull=False)
            .order_by("-at", "-id")
            .first()
        )
        snap = self.service.zones.read(zone)
        if last is None:
            return
        before = MXSet.from_list(last.mx_after or [])
        if before == snap.mx:
            return  # settling an interrupted change recorded it meanwhile
        effective = row.effective_mode.value
        Change.objects.create(
            domain=row,
            domain_name=zone,
            actor=doctor.name,
            interface=doctor.interface,
            token_name=doctor.token_name,
            action=Change.Action.EXTERNAL_CHANGE,
            summary=(
                f"The MX records were changed outside mxroute, from {mx_words(before)} to "
                f"{mx_words(snap.mx)} (recorded by the doctor)."
            ),
            mx_before=before.to_list(),
            mx_after=snap.mx.to_list(),
            mode_before=row.mode,
            mode_after=row.mode,
            effective_before=effective,
            effective_after=effective,
            serial_before=last.serial_after,
            serial_after=snap.serial,
        )

    # ----- keeping the verdicts ------------------------------------------------------------

    def _keep(self, checked: list[DomainReport], report: DoctorReport) -> None:
        """Keep each checked domain's remaining findings on its row, for the domain list."""
        from django.utils import timezone

        from mxroute.store.models import Domain

        now = timezone.now()
        after = {d.domain: d.remaining for d in report.domains}
        clean = [d.domain for d in checked if not after.get(d.domain)]
        for start in range(0, len(clean), _CHUNK):
            Domain.objects.filter(name__in=clean[start : start + _CHUNK]).update(
                findings=[], checked_at=now
            )
        for name, left in after.items():
            if left:
                Domain.objects.filter(name=name).update(
                    findings=[f.to_dict() for f in left], checked_at=now
                )
