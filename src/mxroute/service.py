"""The use-cases: list, add, change, delete, set the mode, detect. One flow for every door.

Each mutation reads a snapshot of the zone, plans the new MX set (the core validates
it) and detects the routing mode it gives. Then, holding the writers' lock, it records
the mode, regenerates the routing lists, writes the zone with compare-and-swap and
records the history, in one database transaction. A failing step undoes the steps
before it and its error names the step. Interfaces call these functions and only
decide how to show the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import idna

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
from mxroute.dns.base import DELEGATED, Backend, Snapshot
from mxroute.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    MxrouteError,
    NotFound,
    StepFailed,
    Unavailable,
)

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
    """Who asks, through which door, and which domains they may see and change.

    ``user_id`` None is the server's operator (the command line, the system): every
    domain. A user who is not an administrator sees only the domains they own; an API
    token may narrow that further to ``only`` (a set of domain names). Build actors for
    people with :meth:`for_user`, never by hand, so the scope cannot be forgotten.
    """

    name: str
    interface: str = "cli"
    token_name: str = ""
    user_id: int | None = None
    admin: bool = True
    only: frozenset[str] | None = None

    @classmethod
    def for_user(
        cls,
        user: Any,
        interface: str,
        *,
        token_name: str = "",
        only: Iterable[str] | None = None,
    ) -> Actor:
        """The actor for a Django user coming in through ``interface`` (web, api…)."""
        return cls(
            user.get_username(),
            interface,
            token_name,
            user.pk,
            bool(user.is_superuser),
            frozenset(only) if only else None,
        )

    @property
    def is_operator(self) -> bool:
        """True for the command line and the system: no user, no scope."""
        return self.user_id is None

    def may_manage(self, zone: str, owner_id: int | None) -> bool:
        """Whether this actor may see and change the domain ``zone`` owned by ``owner_id``."""
        if self.only is not None and zone not in self.only:
            return False
        return self.is_operator or self.admin or owner_id == self.user_id


SYSTEM = Actor("mxroute", "system")
OPERATOR = Actor("mxroute", "cli")
"""The unscoped reader: the command line's reads, and tests."""


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
    token_name: str = ""
    warnings: list[str] = field(default_factory=list)


Planner = Callable[[MXSet], tuple[MXSet, str]]


@dataclass
class _Undo:
    """What a change has done so far, for :meth:`Service._writing` to undo."""

    lists: dict[str, bytes] | None = None
    zone: str = ""
    before: Snapshot | None = None
    written: Snapshot | None = None
    created: Snapshot | None = None


_DETECTED = "Detected the routing mode."


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

    def list_domains(
        self,
        search: str = "",
        *,
        with_mx: bool = False,
        actor: Actor = OPERATOR,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[DomainSummary]:
        """The domains ``actor`` may manage, by name, with chosen and effective mode; MX set
        if asked. ``offset`` and ``limit`` take one page of them: only its zones are read."""
        rows = self._listed(search, actor)
        rows = rows[offset:] if limit is None else rows[offset : offset + limit]
        return [_summary(row, self._mx_or_none(row.name) if with_mx else None) for row in rows]

    def count_domains(self, search: str = "", *, actor: Actor = OPERATOR) -> int:
        """How many domains :meth:`list_domains` lists in all (no zone is read)."""
        return int(self._listed(search, actor).count())

    def _listed(self, search: str, actor: Actor) -> Any:
        """The Domain rows the list shows, by name: those ``actor`` may manage, searched."""
        from mxroute.store.models import Domain

        rows = _visible(Domain.objects.select_related("owner").order_by("name"), actor)
        if search.strip():
            rows = rows.filter(name__icontains=_searchable(search))
        return rows

    def summary(
        self, domain: str, *, with_mx: bool = False, actor: Actor = OPERATOR
    ) -> DomainSummary:
        """One domain's row of the list (with its MX set if asked; no detection)."""
        row = self._domain(domain, actor)
        return _summary(row, self._read(row.name, actor).mx if with_mx else None)

    def _mx_or_none(self, zone: str) -> MXSet | None:
        """The zone's MX set, or None when its file cannot be read (the list still shows)."""
        try:
            return self.backend.read(zone).mx
        except MxrouteError as exc:
            log.warning("cannot read the zone of %s: %s", zone, exc)
            return None

    def show(self, domain: str, *, actor: Actor = OPERATOR) -> DomainState:
        """Read the zone and detect afresh, without recording anything."""
        row = self._domain(domain, actor)
        snap = self._read(row.name, actor)
        detection = self._detect(row.name, snap.mx, _mode_or_none(row.detected_mode))
        return self._state(row, snap, detection)

    def history(
        self, domain: str | None = None, limit: int = 50, *, actor: Actor = OPERATOR
    ) -> list[HistoryEntry]:
        """Recorded changes, newest first, for one domain or all that ``actor`` may see.

        Operators and administrators see the history of removed domains too; an owner
        sees the changes of the domains they own now.
        """
        from mxroute.store.models import Change

        rows = Change.objects.all()
        if domain is not None:
            zone = parse_domain(domain)
            if actor.is_operator or (actor.admin and actor.only is None):
                rows = rows.filter(domain_name=zone)
            else:
                # This domain's rows only: not those of an earlier, removed domain of the
                # same name, which may have belonged to someone else.
                rows = rows.filter(domain_id=self._domain(zone, actor).pk)
        elif not actor.is_operator:
            if not actor.admin:
                rows = rows.filter(domain__owner_id=actor.user_id)
            if actor.only is not None:
                rows = rows.filter(domain_name__in=actor.only)
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
                c.token_name,
                list(c.warnings or []),
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
        mode: object | None = None,
    ) -> ChangeResult:
        """Add one MX record; choose the routing ``mode`` in the same change when given."""
        record = MXRecord.parse(priority, exchanger)
        chosen = None if mode is None else parse_mode(mode)

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            return mx.adding(record), f"Added MX {record}.{_mode_words(chosen)}"

        return self._change(domain, "add_mx", plan, actor, expected_serial, chosen)

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
        mode: object | None = None,
    ) -> ChangeResult:
        """Replace the record matching the old exchanger (and old priority when given);
        choose the routing ``mode`` in the same change when given."""
        old_name = parse_exchanger(old_exchanger, field="oldexchanger")
        old_prio = (
            None if old_priority is None else parse_priority(old_priority, field="oldpriority")
        )
        new = MXRecord.parse(priority, exchanger)
        chosen = None if mode is None else parse_mode(mode)

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            old = mx.find(old_prio, old_name)
            if old == new:
                return mx, f"MX {old} is unchanged.{_mode_words(chosen)}"
            return mx.replacing(old, new), f"Changed MX {old} to {new}.{_mode_words(chosen)}"

        return self._change(domain, "change_mx", plan, actor, expected_serial, chosen)

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

        return self._change(domain, "delete_mx", plan, actor, expected_serial)

    # ----- mode ---------------------------------------------------------------------

    def set_mode(self, domain: str, mode: object, *, actor: Actor) -> ChangeResult:
        """Choose the routing mode (auto, local, backup, remote)."""
        chosen = parse_mode(mode)

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            return mx, f"Set routing to {chosen.value}."

        return self._change(domain, "set_mode", plan, actor, None, chosen)

    def detect(self, domain: str, *, actor: Actor = SYSTEM) -> ChangeResult:
        """Detect the mode from the MX records now, record it, update the routing lists."""

        def plan(mx: MXSet) -> tuple[MXSet, str]:
            return mx, "Detected the routing mode."

        return self._change(domain, "detect", plan, actor, None)

    def detect_all(
        self, *, actor: Actor = SYSTEM, progress: Callable[[str], None] | None = None
    ) -> tuple[list[ChangeResult], dict[str, str]]:
        """Detect every domain: the results, and the reason for each domain that failed.

        Exchangers outside the managed zones are resolved once, concurrently; a domain
        that changes meanwhile is detected again on its own.
        """
        from mxroute.store.models import Domain

        zones = list(Domain.objects.order_by("name").values_list("name", flat=True))
        snaps: dict[str, Snapshot] = {}
        failures: dict[str, str] = {}
        for zone in zones:
            try:
                snaps[zone] = self.backend.read(zone)
            except MxrouteError as exc:
                failures[zone] = exc.message
        names = {r.exchanger for s in snaps.values() for r in s.mx if not r.is_null}
        names |= {z for z, s in snaps.items() if len(s.mx) == 0}
        cache = self._resolve_many(names, zones)
        results = []
        for zone, snap in snaps.items():
            try:
                results.append(
                    self._apply(zone, "detect", _DETECTED, actor, snap, snap.mx, None, cache)
                )
            except Conflict:
                try:
                    results.append(self.detect(zone, actor=actor))
                except MxrouteError as exc:
                    failures[zone] = exc.message
            except MxrouteError as exc:
                failures[zone] = exc.message
            if progress:
                progress(zone)
        return results, failures

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
        """Manage a domain; create a minimal zone for it (with ``mx``) when none exists."""
        from django.db import IntegrityError

        from mxroute.store.models import Domain

        _operators_only(actor, "add domains")
        zone = parse_domain(domain)
        chosen = parse_mode(mode)
        wanted = MXSet.of(mx)
        if Domain.objects.filter(name=zone).exists():
            raise _already_managed(zone)
        user = _user(owner) if owner else None
        existing = self.backend.read(zone) if self.backend.exists(zone) else None
        if existing is not None and mx:
            raise InvalidInput(
                f"{zone} already has a zone file, whose MX records mxroute keeps; add the "
                "domain without MX records, then change them with 'mx add' or 'mx edit'.",
                code="zone_exists",
                field="mx",
            )
        detection = self._detect(zone, existing.mx if existing else wanted, None)
        effective = effective_mode(chosen, detection)
        warnings = self._warnings(chosen, detection)
        summary = f"Added domain {zone}" + (" with a new zone." if existing is None else ".")
        with self._writing() as undo:
            try:
                row = Domain.objects.create(
                    name=zone,
                    owner=user,
                    mode=chosen.value,
                    detected_mode=detection.mode.value,
                    detected_at=_now(),
                    detection_certain=detection.certain,
                )
            except IntegrityError:
                raise _already_managed(zone) from None
            self._write_lists()
            # The new zone goes last: if anything before fails, no file is left behind.
            if existing is None:
                undo.zone = zone
                undo.created = self.backend.create(zone, wanted, self.settings.nameserver)
            snap = existing or undo.created
            assert snap is not None
            _record(
                actor,
                "add_domain",
                row,
                zone,
                summary,
                mx=(snap.mx, snap.mx),
                modes=(None, chosen),
                effective=(None, effective),
                serials=(snap.serial, snap.serial),
                warnings=warnings,
            )
        return ChangeResult(
            zone,
            "add_domain",
            summary,
            existing is None,
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
        _operators_only(actor, "remove domains")
        row = self._domain(domain, actor)
        with self._writing():
            _record(
                actor,
                "remove_domain",
                None,
                row.name,
                f"Removed domain {row.name} from mxroute (its zone file was kept).",
                mx=None,
                modes=(row.chosen_mode, None),
                effective=(row.effective_mode, None),
                serials=(None, None),
                warnings=(),
            )
            row.delete()
            self._write_lists()
        return row.name

    def set_owner(self, domain: str, owner: str | None, *, actor: Actor) -> str:
        """Give the domain to the user ``owner`` (None: administrators only); its summary."""
        _operators_only(actor, "change a domain's owner")
        row = self._domain(domain, actor)
        user = _user(owner) if owner else None
        before = row.owner.get_username() if row.owner else None
        after = user.get_username() if user else None
        if before == after:
            return f"{row.name} already belongs to {_owner_words(after)}."
        summary = f"Gave {row.name} to {_owner_words(after)} (was {_owner_words(before)})."
        with self._writing():
            row.owner = user
            row.save(update_fields=["owner", "updated_at"])
            _record(
                actor,
                "set_owner",
                row,
                row.name,
                summary,
                mx=None,
                modes=(row.chosen_mode, row.chosen_mode),
                effective=(row.effective_mode, row.effective_mode),
                serials=(None, None),
                warnings=(),
            )
        return summary

    def resync_lists(self) -> None:
        """Regenerate the routing lists from the store (after init, or a repair by hand)."""
        with self._writing():
            self._write_lists()

    # ----- the one write path ---------------------------------------------------------

    def _change(
        self,
        domain: str,
        action: str,
        plan: Planner,
        actor: Actor,
        expected_serial: int | None,
        new_mode: Mode | None = None,
    ) -> ChangeResult:
        """Read, plan, apply; plan again on a fresh read if another writer got in first."""
        zone = self._domain(domain, actor).name
        attempts = 1 if expected_serial is not None else RETRIES_ON_CONFLICT
        for attempt in range(1, attempts + 1):
            snap = self._read(zone, actor)
            if expected_serial is not None and snap.serial != expected_serial:
                raise _conflict(zone, expected_serial, snap.serial)
            new_mx, summary = plan(snap.mx)
            try:
                return self._apply(zone, action, summary, actor, snap, new_mx, new_mode)
            except Conflict:
                if attempt == attempts:
                    raise
                log.info("zone %s changed under us; planning %s again", zone, action)
        raise AssertionError("unreachable")

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
        """Write mode, lists, zone and history as one change; undo all of it on failure.

        Detection (which may wait on DNS) runs before the writers' lock. Under it, the
        zone must still be what ``snap`` says (Conflict otherwise), the lists are written
        before the zone, and the zone is written last: its check and reload are the steps
        that fail most often, and failing there leaves the zone file untouched.
        """
        from mxroute.store.models import Domain

        mx_changed = new_mx != snap.mx
        last_known = _mode_or_none(self._domain(zone).detected_mode)
        detection = self._detect(zone, new_mx, last_known, cache=cache)
        with self._writing() as undo:
            try:
                row = Domain.objects.select_for_update().get(name=zone)
            except Domain.DoesNotExist:
                raise _not_managed(zone) from None
            if not mx_changed:
                # Nothing below compares the zone: make sure the mode is detected from
                # the records that are there now.
                current = self.backend.read(zone)
                if current != snap:
                    raise _conflict(zone, snap.serial, current.serial)
            mode_before, effective_before = row.chosen_mode, row.effective_mode
            chosen = new_mode or mode_before
            effective_after = effective_mode(chosen, detection)
            warnings = self._warnings(chosen, detection)
            row.mode = chosen.value
            row.detected_mode = detection.mode.value
            row.detection_certain = detection.certain
            row.detected_at = _now()
            row.save()
            self._write_lists()
            after = snap
            if mx_changed:
                undo.zone, undo.before = zone, snap
                after = undo.written = self.backend.write(zone, new_mx, expected=snap)
            summary = _with_effective(summary, effective_before, effective_after)
            changed = mx_changed or chosen is not mode_before
            changed = changed or effective_after is not effective_before
            if changed:
                _record(
                    actor,
                    action,
                    row,
                    zone,
                    summary,
                    mx=(snap.mx, new_mx),
                    modes=(mode_before, chosen),
                    effective=(effective_before, effective_after),
                    serials=(snap.serial, after.serial),
                    warnings=warnings,
                )
        return ChangeResult(
            zone,
            action,
            summary,
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

    @contextmanager
    def _writing(self) -> Iterator[_Undo]:
        """The writers' lock and one transaction; on any failure, undo what was done.

        The store rolls back by itself; the routing lists are put back as they were when
        the lock was taken, an MX write is reverted (under a new serial) and a zone file
        the change created is removed. The error names the failed step, and says so when
        an undo failed too.
        """
        from django.db import transaction

        undo = _Undo()
        try:
            with transaction.atomic():
                _lock_writers()
                undo.lists = self.lists.snapshot()
                yield undo
        except BaseException as exc:
            done, problems = self._undo(undo)
            if isinstance(exc, StepFailed) and exc.undone:
                done.insert(0, exc.undone)
            if isinstance(exc, KeyboardInterrupt):
                log.error("interrupted; %s", "; ".join([*done, *problems]) or "nothing changed")
                raise
            untouched = not done and not problems
            if untouched and isinstance(exc, MxrouteError) and not isinstance(exc, StepFailed):
                raise  # refused before anything was written: the message says why
            step = exc.step if isinstance(exc, StepFailed) else "store"
            first = (
                exc.message.rstrip(".")
                if isinstance(exc, MxrouteError)
                else (f"Saving the change failed ({exc})")
            )
            if untouched and "nothing was changed" not in first:
                first += ", so nothing was changed"
            rest = "".join(f"; {part}" for part in [*done, *problems])
            raise StepFailed(step, f"{first}{rest}.") from exc

    def _undo(self, undo: _Undo) -> tuple[list[str], list[str]]:
        """Put back what ``undo`` holds: what was put back, and what could not be."""
        done: list[str] = []
        problems: list[str] = []
        if undo.lists is not None:
            try:
                self.lists.restore(undo.lists)
            except Exception as exc:
                problems.append(
                    f"the routing lists could not be put back ({exc}): fix that, then run "
                    "'mxroute detect --all' to write them again"
                )
        if undo.written is not None and undo.before is not None and undo.zone:
            try:
                # A new serial again: secondaries that loaded the change must see it undone.
                restored = self.backend.write(undo.zone, undo.before.mx, expected=undo.written)
                done.append(
                    f"the MX records were put back as they were (zone serial now {restored.serial})"
                )
            except Exception as exc:
                problems.append(
                    f"putting the MX records back failed too ({exc}), so the zone keeps the "
                    "new records: check it and repeat the change"
                )
        if undo.created is not None and undo.zone:
            try:
                self.backend.delete(undo.zone, undo.created)
                done.append("the new zone file was removed")
            except Exception as exc:
                problems.append(f"the new zone file could not be removed ({exc})")
        return done, problems

    def _write_lists(self) -> None:
        """Regenerate the routing lists from every domain's effective mode (under the lock)."""
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
            try:
                answers = self.backend.lookup_many(holder, inside)
            except MxrouteError as exc:
                # Another domain's broken zone must not stop this one: its names simply
                # cannot be resolved (a temporary failure: fixing the file fixes them).
                log.warning("cannot look up names in %s: %s", holder, exc)
                answers = {name: Resolution(status="servfail") for name in inside}
            for name, resolution in answers.items():
                # Below a zone cut the zone is not authoritative: ask DNS instead.
                if resolution.status == DELEGATED:
                    outside.append(name)
                else:
                    found[name] = resolution
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

    def _read(self, zone: str, actor: Actor) -> Snapshot:
        """The zone's snapshot. When the file cannot be read, owners are told whom to ask,
        not the server's paths and settings; operators and administrators get the reason."""
        try:
            return self.backend.read(zone)
        except MxrouteError as exc:
            if actor.is_operator or actor.admin:
                raise
            log.warning("cannot read the zone of %s for %s: %s", zone, actor.name, exc)
            raise Unavailable(
                f"The DNS zone of {zone} cannot be read right now; ask your hosting operator "
                "to check it."
            ) from None

    def _domain(self, domain: str, actor: Actor = OPERATOR) -> Domain:
        """The domain's row, if ``actor`` may manage it; otherwise the same NotFound as
        for a domain that does not exist, so nobody learns which domains others own."""
        from mxroute.store.models import Domain

        zone = parse_domain(domain)
        try:
            row = Domain.objects.select_related("owner").get(name=zone)
        except Domain.DoesNotExist:
            raise _not_managed(zone, actor) from None
        if not actor.may_manage(row.name, row.owner_id):
            raise _not_managed(zone, actor)
        return row

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


def exim_config(settings: Settings) -> str:
    """The Exim configuration that reads this data directory's routing lists."""
    from mxroute.mta.exim import render_exim_config

    return render_exim_config(settings.lists_dir, settings.server_names)


def _lock_writers() -> None:
    """Serialise writers across processes: SQLite's BEGIN IMMEDIATE does it; PostgreSQL here."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def _searchable(text: str) -> str:
    """Search text in the stored form: a Unicode name part becomes its A-labels."""
    text = text.strip().lower()
    if text.isascii():
        return text
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError:
        return text


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


def _record(
    actor: Actor,
    action: str,
    row: Domain | None,
    zone: str,
    summary: str,
    *,
    mx: tuple[MXSet, MXSet] | None,
    modes: tuple[Mode | None, Mode | None],
    effective: tuple[Mode | None, Mode | None],
    serials: tuple[int | None, int | None],
    warnings: Sequence[str],
) -> None:
    """One history row: who, through which door, what before and after."""
    from mxroute.store.models import Change

    Change.objects.create(
        domain=row,
        domain_name=zone,
        actor=actor.name,
        interface=actor.interface,
        token_name=actor.token_name,
        action=action,
        summary=summary,
        mx_before=mx[0].to_list() if mx else None,
        mx_after=mx[1].to_list() if mx else None,
        mode_before=modes[0].value if modes[0] else None,
        mode_after=modes[1].value if modes[1] else None,
        effective_before=effective[0].value if effective[0] else None,
        effective_after=effective[1].value if effective[1] else None,
        serial_before=serials[0],
        serial_after=serials[1],
        warnings=list(warnings),
    )


def _mode_words(chosen: Mode | None) -> str:
    return "" if chosen is None else f" Set routing to {chosen.value}."


def _owner_words(username: str | None) -> str:
    return f"user '{username}'" if username else "administrators only"


def _already_managed(zone: str) -> InvalidInput:
    return InvalidInput(f"mxroute already manages {zone}.", code="domain_exists", field="domain")


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


def _not_managed(zone: str, actor: Actor = OPERATOR) -> NotFound:
    if not actor.is_operator:
        return NotFound(
            f"{zone} is not among the domains you manage; check the name in your domain list.",
            code="domain_not_found",
        )
    return NotFound(
        f"mxroute does not manage {zone}; check the name with 'mxroute domain list', or add "
        f"it with 'mxroute domain add {zone}'.",
        code="domain_not_found",
    )


def _visible(rows: Any, actor: Actor) -> Any:
    """``rows`` (a Domain queryset) narrowed to the domains ``actor`` may manage."""
    if not actor.is_operator and not actor.admin:
        rows = rows.filter(owner_id=actor.user_id)
    if actor.only is not None:
        rows = rows.filter(name__in=actor.only)
    return rows


def _operators_only(actor: Actor, what: str) -> None:
    if not (actor.is_operator or actor.admin):
        raise Forbidden(f"Only an administrator may {what}; ask your hosting operator.")


def _conflict(zone: str, expected: int, actual: int) -> Conflict:
    return Conflict(
        f"The MX records of {zone} changed since you read them (serial {expected}, now "
        f"{actual}); reload them and try again.",
    )
