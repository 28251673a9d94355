"""The use-cases: list, add, change, delete, set the mode, detect. One flow for every door.

Each mutation reads a snapshot of the zone, plans the new MX set (the core validates
it), then, holding the store's write lock: detects the routing mode, writes the zone
with compare-and-swap, records the mode and the history, and regenerates the routing
lists. If any step fails, the steps already done are undone and the error names the
step. Interfaces call these functions and only decide how to show the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mxroute.config import Settings
from mxroute.core.names import is_subdomain, parse_domain
from mxroute.core.records import MXRecord, MXSet, parse_exchanger, parse_priority
from mxroute.core.routing import (
    Detection,
    Mode,
    Resolution,
    ServerIdentity,
    detect,
    effective_mode,
    explain,
    mode_findings,
    parse_mode,
)
from mxroute.dns.base import Backend, Snapshot
from mxroute.errors import Conflict, InvalidInput, MxrouteError, NotFound, StepFailed

if TYPE_CHECKING:
    from mxroute.dns.resolver import Resolver
    from mxroute.mta.lists import RoutingLists
    from mxroute.store.models import Domain

log = logging.getLogger(__name__)

# Without a serial pinned by the caller, a change that lost a race is planned again
# on the fresh zone: the caller's intent ("add this record") still holds.
RETRIES_ON_CONFLICT = 3
_PG_LOCK_KEY = 0x6D78726F  # "mxro": one advisory lock serialises writers on PostgreSQL


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and through which door."""

    name: str
    interface: str = "cli"
    token_name: str = ""


SYSTEM = Actor("mxroute", "system")


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


Planner = Callable[[MXSet], tuple[MXSet, str]]


class Service:
    """The use-cases over one data directory's backends and store."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend | None = None,
        lists: RoutingLists | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        from mxroute.dns.resolver import Resolver
        from mxroute.dns.zonefile import ZoneFileBackend
        from mxroute.mta.lists import RoutingLists

        self.settings = settings
        self.backend: Backend = backend or ZoneFileBackend(
            settings.zones_dir,
            settings.locks_dir,
            file_template=settings.zone_file,
            check_command=settings.zone_check_command,
            reload_command=settings.zone_reload_command,
            ttl=settings.zone_ttl,
        )
        self.lists = lists or RoutingLists(
            settings.lists_dir, settings.locks_dir, settings.lists_reload_command
        )
        self.resolver = resolver or Resolver(
            settings.resolver_server, settings.resolver_port, settings.resolver_timeout
        )
        self.identity = ServerIdentity.of(settings.server_names, settings.server_addresses)

    # ----- reads -------------------------------------------------------------------

    def list_domains(self, search: str = "", *, with_mx: bool = False) -> list[DomainSummary]:
        """Every managed domain with its chosen and effective mode; its MX set if asked."""
        from mxroute.store.models import Domain

        rows = Domain.objects.select_related("owner").order_by("name")
        if search:
            rows = rows.filter(name__icontains=search.strip().lower())
        return [_summary(row, self._mx_or_none(row.name) if with_mx else None) for row in rows]

    def _mx_or_none(self, zone: str) -> MXSet | None:
        """The zone's MX set, or None when its file cannot be read (the list still shows)."""
        try:
            return self.backend.read(zone).mx
        except MxrouteError as exc:
            log.warning("cannot read the zone of %s: %s", zone, exc)
            return None

    def show(self, domain: str) -> DomainState:
        """Read the zone and detect afresh, without recording anything."""
        row = self._domain(domain)
        snap = self.backend.read(row.name)
        detection = self._detect(row.name, snap.mx, _mode_or_none(row.detected_mode))
        return self._state(row, snap, detection)

    list_mxs = show

    def history(self, domain: str | None = None, limit: int = 50) -> list[HistoryEntry]:
        """Recorded changes, newest first, for one domain or all."""
        from mxroute.store.models import Change

        rows = Change.objects.all()
        if domain is not None:
            rows = rows.filter(domain_name=parse_domain(domain))
        return [
            HistoryEntry(
                c.at,
                c.domain_name,
                c.actor,
                c.interface,
                c.action,
                c.summary,
                list(c.mx_before or []),
                list(c.mx_after or []),
                c.mode_before,
                c.mode_after,
                c.serial_before,
                c.serial_after,
            )
            for c in rows.order_by("-at", "-id")[:limit]
        ]

    # ----- MX mutations -------------------------------------------------------------

    def add_mx(
        self,
        domain: str,
        priority: object,
        exchanger: object,
        *,
        actor: Actor,
        expected_serial: int | None = None,
    ) -> ChangeResult:
        """Add one MX record."""
        record = MXRecord.parse(priority, exchanger)

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            return mx.adding(record), f"Added MX {record}."

        return self._change_mx(domain, "add_mx", plan, actor, expected_serial)

    def change_mx(
        self,
        domain: str,
        old_exchanger: object,
        old_priority: object | None,
        priority: object,
        exchanger: object,
        *,
        actor: Actor,
        expected_serial: int | None = None,
    ) -> ChangeResult:
        """Replace the record matching the old exchanger (and old priority when given)."""
        old_name = parse_exchanger(old_exchanger, field="oldexchanger")
        old_prio = (
            None if old_priority is None else parse_priority(old_priority, field="oldpriority")
        )
        new = MXRecord.parse(priority, exchanger)

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            old = mx.find(old_prio, old_name)
            if old == new:
                return mx, f"MX {old} is unchanged."
            return mx.replacing(old, new), f"Changed MX {old} to {new}."

        return self._change_mx(domain, "change_mx", plan, actor, expected_serial)

    def delete_mx(
        self,
        domain: str,
        priority: object | None,
        exchanger: object,
        *,
        actor: Actor,
        expected_serial: int | None = None,
    ) -> ChangeResult:
        """Delete the record with this exchanger (and priority, when given)."""
        name = parse_exchanger(exchanger)
        prio = None if priority is None else parse_priority(priority)

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            old = mx.find(prio, name)
            return mx.removing(old), f"Deleted MX {old}."

        return self._change_mx(domain, "delete_mx", plan, actor, expected_serial)

    def _change_mx(
        self,
        domain: str,
        action: str,
        plan: Planner,
        actor: Actor,
        expected_serial: int | None,
    ) -> ChangeResult:
        zone = self._domain(domain).name
        attempts = 1 if expected_serial is not None else RETRIES_ON_CONFLICT
        for attempt in range(1, attempts + 1):
            snap = self.backend.read(zone)
            if expected_serial is not None and snap.serial != expected_serial:
                raise _conflict(zone, expected_serial, snap.serial)
            new_mx, summary = plan(snap.mx)
            try:
                return self._apply(zone, action, summary, actor, snap, new_mx, None)
            except Conflict:
                if attempt == attempts:
                    raise
                log.info("zone %s changed under us; planning %s again", zone, action)
        raise AssertionError("unreachable")

    # ----- mode ---------------------------------------------------------------------

    def set_mode(self, domain: str, mode: object, *, actor: Actor) -> ChangeResult:
        """Choose the routing mode (auto, local, backup, remote)."""
        chosen = parse_mode(mode)
        zone = self._domain(domain).name
        snap = self.backend.read(zone)
        summary = f"Set routing to {chosen.value}."
        return self._apply(zone, "set_mode", summary, actor, snap, snap.mx, chosen)

    def detect(self, domain: str, *, actor: Actor = SYSTEM) -> ChangeResult:
        """Detect the mode from the MX records now, record it, update the routing lists."""
        zone = self._domain(domain).name
        snap = self.backend.read(zone)
        return self._apply(zone, "detect", "Detected the routing mode.", actor, snap, snap.mx, None)

    def detect_all(
        self, *, actor: Actor = SYSTEM, progress: Callable[[str], None] | None = None
    ) -> list[ChangeResult]:
        """Detect every domain; exchangers outside managed zones are resolved concurrently."""
        from mxroute.store.models import Domain

        zones = list(Domain.objects.order_by("name").values_list("name", flat=True))
        snaps = {zone: self.backend.read(zone) for zone in zones}
        names = {r.exchanger for s in snaps.values() for r in s.mx if not r.is_null} | {
            z for z, s in snaps.items() if len(s.mx) == 0
        }
        cache = self._resolve_many(names, zones)
        results = []
        for zone in zones:
            results.append(
                self._apply(
                    zone,
                    "detect",
                    "Detected the routing mode.",
                    actor,
                    snaps[zone],
                    snaps[zone].mx,
                    None,
                    cache=cache,
                )
            )
            if progress:
                progress(zone)
        return results

    # ----- domains ------------------------------------------------------------------

    def add_domain(
        self,
        domain: str,
        *,
        actor: Actor,
        owner: str | None = None,
        mode: object = Mode.AUTO,
        mx: Sequence[MXRecord] = (),
    ) -> ChangeResult:
        """Manage a domain; create a minimal zone for it when none exists."""
        from django.db import IntegrityError, transaction

        from mxroute.store.models import Change, Domain

        zone = parse_domain(domain)
        chosen = parse_mode(mode)
        if Domain.objects.filter(name=zone).exists():
            raise InvalidInput(
                f"mxroute already manages {zone}.", code="domain_exists", field="domain"
            )
        user = _user(owner) if owner else None
        created = False
        if self.backend.exists(zone):
            snap = self.backend.read(zone)
        else:
            snap = self.backend.create(zone, MXSet.of(mx), self.settings.nameserver)
            created = True
        detection = self._detect(zone, snap.mx, None)
        effective = effective_mode(chosen, detection)
        lists_before = self.lists.snapshot()
        try:
            with transaction.atomic():
                _lock_writers()
                row = Domain.objects.create(
                    name=zone,
                    owner=user,
                    mode=chosen.value,
                    detected_mode=detection.mode.value,
                    detected_at=_now(),
                    detection_certain=detection.certain,
                )
                warnings = self._warnings(chosen, detection)
                summary = f"Added domain {zone}" + (" with a new zone." if created else ".")
                Change.objects.create(
                    domain=row,
                    domain_name=zone,
                    actor=actor.name,
                    interface=actor.interface,
                    token_name=actor.token_name,
                    action="add_domain",
                    summary=summary,
                    mx_before=snap.mx.to_list(),
                    mx_after=snap.mx.to_list(),
                    mode_before=None,
                    mode_after=chosen.value,
                    effective_before=None,
                    effective_after=effective.value,
                    serial_before=snap.serial,
                    serial_after=snap.serial,
                    warnings=list(warnings),
                )
                self.write_lists()
        except IntegrityError as exc:
            self._restore_lists(lists_before, exc)
            raise InvalidInput(
                f"mxroute already manages {zone}.", code="domain_exists", field="domain"
            ) from None
        except Exception as exc:
            self._restore_lists(lists_before, exc)
            raise
        return ChangeResult(
            zone,
            "add_domain",
            summary,
            created,
            snap.mx,
            snap.mx,
            snap.serial,
            snap.serial,
            chosen,
            effective,
            effective,
            detection,
            warnings,
            tuple(explain(detection, chosen)),
        )

    def remove_domain(self, domain: str, *, actor: Actor) -> str:
        """Stop managing a domain: its zone file stays, it leaves the routing lists."""
        from django.db import transaction

        from mxroute.store.models import Change

        row = self._domain(domain)
        lists_before = self.lists.snapshot()
        try:
            with transaction.atomic():
                _lock_writers()
                Change.objects.create(
                    domain=None,
                    domain_name=row.name,
                    actor=actor.name,
                    interface=actor.interface,
                    token_name=actor.token_name,
                    action="remove_domain",
                    summary=f"Removed domain {row.name} from mxroute (its zone file was kept).",
                    mx_before=[],
                    mx_after=[],
                    mode_before=row.mode,
                    mode_after=None,
                    effective_before=row.effective_mode.value,
                    effective_after=None,
                    warnings=[],
                )
                row.delete()
                self.write_lists()
        except Exception as exc:
            self._restore_lists(lists_before, exc)
            raise
        return row.name

    # ----- the one write path ---------------------------------------------------------

    def _apply(
        self,
        zone: str,
        action: str,
        summary: str,
        actor: Actor,
        snap: Snapshot,
        new_mx: MXSet,
        new_mode: Mode | None,
        cache: dict[str, Resolution] | None = None,
    ) -> ChangeResult:
        """Write zone, mode, history and lists as one change; undo all of it on failure."""
        from django.db import transaction

        from mxroute.store.models import Change, Domain

        mx_changed = new_mx != snap.mx
        # Resolving may wait on DNS: do it before taking the writers' lock.
        last_known = _mode_or_none(self._domain(zone).detected_mode)
        detection = self._detect(zone, new_mx, last_known, cache=cache)
        lists_before = self.lists.snapshot()
        written: Snapshot | None = None
        try:
            with transaction.atomic():
                _lock_writers()
                try:
                    row = Domain.objects.select_for_update().get(name=zone)
                except Domain.DoesNotExist:
                    raise _not_managed(zone) from None
                mode_before = row.chosen_mode
                effective_before = row.effective_mode
                chosen = new_mode or mode_before
                effective_after = effective_mode(chosen, detection)
                warnings = self._warnings(chosen, detection)
                row.mode = chosen.value
                row.detected_mode = detection.mode.value
                row.detection_certain = detection.certain
                row.detected_at = _now()
                row.save()
                changed = (
                    mx_changed
                    or chosen is not mode_before
                    or (effective_after is not effective_before)
                )
                self.write_lists()
                # The zone goes last: its check and reload are what fail most often, and
                # failing there leaves the file untouched, so only the lists need undoing.
                if mx_changed:
                    written = self.backend.write(zone, new_mx, expected=snap)
                after = written or snap
                if changed or action != "detect":
                    Change.objects.create(
                        domain=row,
                        domain_name=zone,
                        actor=actor.name,
                        interface=actor.interface,
                        token_name=actor.token_name,
                        action=action,
                        summary=_with_effective(summary, effective_before, effective_after),
                        mx_before=snap.mx.to_list(),
                        mx_after=new_mx.to_list(),
                        mode_before=mode_before.value,
                        mode_after=chosen.value,
                        effective_before=effective_before.value,
                        effective_after=effective_after.value,
                        serial_before=snap.serial,
                        serial_after=after.serial,
                        warnings=list(warnings),
                    )
        except Exception as exc:
            self._undo(zone, snap, written, lists_before, exc)
            if isinstance(exc, MxrouteError):
                raise
            raise StepFailed("store", f"Saving the change failed and was undone: {exc}") from exc
        return ChangeResult(
            zone,
            action,
            _with_effective(summary, effective_before, effective_after),
            changed,
            snap.mx,
            new_mx,
            snap.serial,
            after.serial,
            chosen,
            effective_before,
            effective_after,
            detection,
            warnings,
            tuple(explain(detection, chosen)),
        )

    def _undo(
        self,
        zone: str,
        snap: Snapshot,
        written: Snapshot | None,
        lists_before: dict[str, bytes],
        cause: BaseException,
    ) -> None:
        """Put the zone and the lists back after a failed step (the store rolls back itself)."""
        self._restore_lists(lists_before, cause)
        if written is None:
            return
        try:
            # The serial moves forward again: it must never go back (RFC 1982).
            self.backend.write(zone, snap.mx, expected=written)
        except Exception:
            log.exception("could not restore the MX records of %s after: %s", zone, cause)

    def _restore_lists(self, lists_before: dict[str, bytes], cause: BaseException) -> None:
        """Put the routing lists back; a failure here is logged so ``cause`` still shows."""
        try:
            self.lists.restore(lists_before)
        except Exception:
            log.exception("could not restore the routing lists after: %s", cause)

    def write_lists(self) -> None:
        """Regenerate the routing lists from every domain's effective mode in the store."""
        from mxroute.store.models import Domain

        self.lists.write({row.name: row.effective_mode for row in Domain.objects.all()})

    # ----- detection --------------------------------------------------------------------

    def _detect(
        self,
        zone: str,
        mx: MXSet,
        last_known: Mode | None,
        cache: dict[str, Resolution] | None = None,
    ) -> Detection:
        names = {r.exchanger for r in mx if not r.is_null} or ({zone} if not len(mx) else set())
        if cache is None:
            # The zone itself counts even while it is being added.
            cache = self._resolve_many(names, [*self._managed_zones(), zone])
        return detect(zone, mx, self.identity, cache, last_known)

    def _managed_zones(self) -> list[str]:
        from mxroute.store.models import Domain

        return list(Domain.objects.values_list("name", flat=True))

    def _resolve_many(self, names: Iterable[str], zones: Sequence[str]) -> dict[str, Resolution]:
        """Addresses for each name: from the managed zone holding it, else from DNS."""
        found: dict[str, Resolution] = {}
        outside: list[str] = []
        by_zone: dict[str, list[str]] = {}
        for name in sorted(set(names)):
            if name in self.identity.names:
                found[name] = Resolution(status="ok")
                continue
            holder = max((z for z in zones if is_subdomain(name, z)), key=len, default=None)
            if holder is not None and self.backend.exists(holder):
                by_zone.setdefault(holder, []).append(name)
            else:
                outside.append(name)
        for holder, inside in by_zone.items():
            found.update(self.backend.lookup_many(holder, inside))
        if len(outside) == 1:
            found[outside[0]] = self.resolver.addresses(outside[0])
        elif outside:
            found.update(asyncio.run(self._resolve_outside(outside)))
        return found

    async def _resolve_outside(self, names: list[str]) -> dict[str, Resolution]:
        answers = await asyncio.gather(*(self.resolver.addresses_async(n) for n in names))
        return dict(zip(names, answers, strict=True))

    def _warnings(self, chosen: Mode, detection: Detection) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*detection.warnings, *mode_findings(chosen, detection)]))

    # ----- helpers ----------------------------------------------------------------------

    def _domain(self, domain: str) -> Domain:
        from mxroute.store.models import Domain

        zone = parse_domain(domain)
        try:
            return Domain.objects.select_related("owner").get(name=zone)
        except Domain.DoesNotExist:
            raise _not_managed(zone) from None

    def _state(self, row: Domain, snap: Snapshot, detection: Detection) -> DomainState:
        chosen = row.chosen_mode
        return DomainState(
            row.name,
            row.owner.get_username() if row.owner else None,
            chosen,
            effective_mode(chosen, detection),
            snap,
            detection,
            tuple(explain(detection, chosen)),
            self._warnings(chosen, detection),
        )


def _lock_writers() -> None:
    """Serialise writers across processes: SQLite's BEGIN IMMEDIATE does it; PostgreSQL here."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def _mode_or_none(value: str | None) -> Mode | None:
    return Mode(value) if value else None


def _summary(row: Domain, mx: MXSet | None) -> DomainSummary:
    return DomainSummary(
        row.name,
        row.owner.get_username() if row.owner else None,
        row.chosen_mode,
        row.effective_mode,
        _mode_or_none(row.detected_mode),
        row.detected_at,
        mx,
    )


def _with_effective(summary: str, before: Mode, after: Mode) -> str:
    if before is after:
        return f"{summary} Routing stays {after.value}."
    return f"{summary} Routing changed from {before.value} to {after.value}."


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise NotFound(
            f"There is no user named '{username}'; create the user first.", code="user_not_found"
        ) from None


def _not_managed(zone: str) -> NotFound:
    return NotFound(
        f"mxroute does not manage {zone}; add it first with 'mxroute domain add {zone}'.",
        code="domain_not_found",
    )


def _conflict(zone: str, expected: int, actual: int) -> Conflict:
    return Conflict(
        f"The MX records of {zone} changed since you read them (serial {expected}, now "
        f"{actual}); reload them and try again.",
    )
