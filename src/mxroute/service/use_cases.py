"""The changes: add, change and delete MX records, set the mode, detect, add and remove
domains. Each reads, makes a :class:`~mxroute.service.plans.ChangePlan`, and applies it.

Without a serial pinned by the caller, a change that finds the zone changed by hand
under it is planned again on the fresh zone: the caller's intent ("add this record")
still holds. Writers of one domain queue on its lock instead of conflicting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from mxroute.config import Settings
from mxroute.core.names import parse_domain
from mxroute.core.records import MXRecord, MXSet, parse_exchanger, parse_priority
from mxroute.core.routing import Mode, detect, parse_mode
from mxroute.dns.base import Snapshot
from mxroute.errors import Conflict, InvalidInput, MxrouteError, Risky
from mxroute.service.actor import SYSTEM, Actor, operators_only, user_named
from mxroute.service.addresses import managed_in_store
from mxroute.service.apply import Applier, conflict, facts_of
from mxroute.service.intents import pending_count, reconcile, settle_domain
from mxroute.service.plans import ChangePlan, DomainFacts, plan_change
from mxroute.service.queries import Queries
from mxroute.service.results import ChangeResult
from mxroute.service.undo import chosen_mode, find_change, reversal_of
from mxroute.service.wiring import Backends, build

log = logging.getLogger(__name__)

# A hand edit between read and write is rare: a few fresh plans settle it.
PLANS_PER_CHANGE = 5
_DETECTED = "Detected the routing mode."

Edit = Callable[[MXSet], tuple[MXSet, str]]


@dataclass(frozen=True)
class Preview:
    """How a change is wanted: only planned (``dry_run``), or applied only if its plan
    still has the ``fingerprint`` a preview showed."""

    dry_run: bool = False
    fingerprint: str | None = None
    force: bool = False


class Service(Queries):
    """The use-cases over one data directory's backends and store."""

    def __init__(self, settings: Settings, backends: Backends | None = None) -> None:
        wired = backends or build(settings)
        self.settings = settings
        self.zones = wired.zones
        self.routing = wired.routing
        self.addresses = wired.addresses
        self.locks = wired.locks
        self.identity = wired.identity
        self.applier = Applier(self.zones, self.routing, self.locks, wired.verifier)

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
        dry_run: bool = False,
        fingerprint: str | None = None,
        force: bool = False,
    ) -> ChangeResult:
        """Add one MX record; choose the routing ``mode`` in the same change when given.

        Every change takes ``dry_run`` (plan only: the result says what would change)
        and ``fingerprint`` (apply only if the plan is still the one previewed).
        """
        record = MXRecord.parse(priority, exchanger)
        chosen = None if mode is None else parse_mode(mode)

        def edit(mx: MXSet) -> tuple[MXSet, str]:
            return mx.adding(record), f"Added MX {record}.{_mode_words(chosen)}"

        return self._change(
            domain,
            "add_mx",
            edit,
            actor,
            expected_serial,
            chosen,
            Preview(dry_run, fingerprint, force),
        )

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
        dry_run: bool = False,
        fingerprint: str | None = None,
        force: bool = False,
    ) -> ChangeResult:
        """Replace the record matching the old exchanger (and old priority when given);
        choose the routing ``mode`` in the same change when given."""
        old_name = parse_exchanger(old_exchanger, field="oldexchanger")
        old_prio = (
            None if old_priority is None else parse_priority(old_priority, field="oldpriority")
        )
        new = MXRecord.parse(priority, exchanger)
        chosen = None if mode is None else parse_mode(mode)

        def edit(mx: MXSet) -> tuple[MXSet, str]:
            old = mx.find(old_prio, old_name)
            if old == new:
                return mx, f"MX {old} is unchanged.{_mode_words(chosen)}"
            return mx.replacing(old, new), f"Changed MX {old} to {new}.{_mode_words(chosen)}"

        return self._change(
            domain,
            "change_mx",
            edit,
            actor,
            expected_serial,
            chosen,
            Preview(dry_run, fingerprint, force),
        )

    def delete_mx(
        self,
        domain: str,
        priority: object | None,
        exchanger: object,
        *,
        actor: Actor,
        expected_serial: int | None = None,
        dry_run: bool = False,
        fingerprint: str | None = None,
        force: bool = False,
    ) -> ChangeResult:
        """Delete the record with this exchanger (and priority, when given)."""
        name = parse_exchanger(exchanger)
        prio = None if priority is None else parse_priority(priority)

        def edit(mx: MXSet) -> tuple[MXSet, str]:
            old = mx.find(prio, name)
            return mx.removing(old), f"Deleted MX {old}."

        return self._change(
            domain,
            "delete_mx",
            edit,
            actor,
            expected_serial,
            None,
            Preview(dry_run, fingerprint, force),
        )

    # ----- mode ---------------------------------------------------------------------

    def set_mode(
        self,
        domain: str,
        mode: object,
        *,
        actor: Actor,
        dry_run: bool = False,
        fingerprint: str | None = None,
        force: bool = False,
    ) -> ChangeResult:
        """Choose the routing mode (auto, local, backup, remote)."""
        chosen = parse_mode(mode)

        def edit(mx: MXSet) -> tuple[MXSet, str]:
            return mx, f"Set routing to {chosen.value}."

        return self._change(
            domain, "set_mode", edit, actor, None, chosen, Preview(dry_run, fingerprint, force)
        )

    def detect(
        self,
        domain: str,
        *,
        actor: Actor = SYSTEM,
        dry_run: bool = False,
        fingerprint: str | None = None,
    ) -> ChangeResult:
        """Detect the mode from the MX records now, record it, update the routing lists."""

        def edit(mx: MXSet) -> tuple[MXSet, str]:
            return mx, _DETECTED

        return self._change(
            domain, "detect", edit, actor, None, None, Preview(dry_run, fingerprint)
        )

    def detect_all(
        self, *, actor: Actor = SYSTEM, progress: Callable[[str], None] | None = None
    ) -> tuple[list[ChangeResult], dict[str, str]]:
        """Detect every domain as one batch: the results, and why each failure failed.

        Each zone is read once; exchangers in managed zones are answered from them, all
        others asked of DNS once each, concurrently; rows, history and routing entries
        are then written together (:meth:`Applier.apply_batch`).
        """
        from mxroute.store.models import Domain

        rows = list(Domain.objects.order_by("name").values_list("name", "mode", "detected_mode"))
        managed = {name for name, _, _ in rows}
        snaps: dict[str, Snapshot] = {}
        failures: dict[str, str] = {}
        for name, _, _ in rows:
            try:
                snaps[name] = self.zones.read(name)
            except MxrouteError as exc:
                failures[name] = exc.message
        names = {r.exchanger for s in snaps.values() for r in s.mx if not r.is_null}
        names |= {z for z, s in snaps.items() if len(s.mx) == 0}
        found = self.addresses.resolve(names, managed=lambda c: managed & set(c), bulk=True)
        plans: list[ChangePlan] = []
        for name, mode, detected in rows:
            snap = snaps.get(name)
            if snap is None:
                continue
            facts = DomainFacts(Mode(mode), Mode(detected) if detected else None)
            detection = detect(name, snap.mx, self.identity, found, facts.detected)
            plans.append(
                plan_change(
                    "detect",
                    name,
                    _DETECTED,
                    snapshot=snap,
                    mx_after=snap.mx,
                    facts=facts,
                    mode_after=facts.mode,
                    detection=detection,
                    limit=self.settings.max_mx_records,
                )
            )
        applied, failed = self.applier.apply_batch(plans, actor)
        failures.update(failed)
        results = []
        for plan in applied:
            results.append(_result(plan, plan.snapshot))
            if progress:
                progress(plan.domain)
        done = {p.domain for p in applied}
        for plan in plans:
            if plan.domain not in done and plan.domain not in failed:
                # Changed meanwhile: detect it on its own, from its zone now.
                try:
                    results.append(self.detect(plan.domain, actor=actor))
                except MxrouteError as exc:
                    failures[plan.domain] = exc.message
                if progress:
                    progress(plan.domain)
        if progress:
            for _ in failures:
                progress("")
        results.sort(key=lambda r: r.domain)
        return results, failures

    # ----- undo ---------------------------------------------------------------------

    def undo(
        self,
        change_id: object,
        *,
        actor: Actor,
        dry_run: bool = False,
        fingerprint: str | None = None,
        force: bool = False,
        domain: str | None = None,
    ) -> ChangeResult:
        """Undo the history entry ``change_id``: a change of its own (action ``undo``) that
        puts back the MX set and the chosen mode the entry changed.

        Refused (Conflict ``undo_overwrites``) when the domain changed since in a way the
        undo would overwrite; InvalidInput ``not_undoable`` for an entry that cannot be
        undone (see :mod:`mxroute.service.undo`); NotFound for an id ``actor`` may not
        undo, or (with ``domain``) one of another domain.
        """
        reversal = reversal_of(find_change(change_id, actor, domain))

        def edit(mx: MXSet) -> tuple[MXSet, str]:
            reversal.check(mx, chosen_mode(reversal.domain))
            return reversal.mx_wanted(mx), reversal.summary(mx)

        return self._change(
            reversal.domain,
            "undo",
            edit,
            actor,
            None,
            reversal.mode_before,
            Preview(dry_run, fingerprint, force),
            undoes=reversal.change_id,
        )

    # ----- domains ------------------------------------------------------------------

    def add_domain(
        self,
        domain: str,
        *,
        actor: Actor,
        owner: str | None = None,
        mode: object = Mode.AUTO,
        mx: Sequence[MXRecord] = (),
        force: bool = False,
    ) -> ChangeResult:
        """Manage a domain; create a minimal zone for it (with ``mx``) when none exists.

        A new zone whose MX records would stop mail is refused unless ``force``; an
        existing zone is adopted as it is (its findings are shown, not refused)."""
        from mxroute.store.models import Domain

        operators_only(actor, "add domains")
        zone = parse_domain(domain)
        chosen = parse_mode(mode)
        wanted = MXSet.of(mx)
        if Domain.objects.filter(name=zone).exists():
            raise _already_managed(zone)
        if owner:
            user_named(owner)
        with self.locks.hold(zone):
            settle_domain(zone, self.zones, self.routing)
            if Domain.objects.filter(name=zone).exists():
                raise _already_managed(zone)
            existing = self.zones.read(zone) if self.zones.exists(zone) else None
            other = self.zones.shared_with(zone, managed_in_store, thorough=True)
            if existing is not None and other is not None:
                raise InvalidInput(
                    f"The zone file of {zone} is also the zone file of {other} (a link), so "
                    f"a change to one would change the other; give {zone} a zone file of "
                    "its own, then add it.",
                    code="zone_file_shared",
                    field="domain",
                )
            if existing is not None and mx:
                raise InvalidInput(
                    f"{zone} already has a zone file, whose MX records mxroute keeps; add the "
                    "domain without MX records, then change them with 'mx add' or 'mx edit'.",
                    code="zone_exists",
                    field="mx",
                )
            records = existing.mx if existing else wanted
            detection = self.detection_of(zone, records, None)
            plan = plan_change(
                "add_domain",
                zone,
                f"Added domain {zone}" + (" with a new zone." if existing is None else "."),
                snapshot=existing,
                mx_after=records,
                facts=None,
                mode_after=chosen,
                detection=detection,
                limit=self.settings.max_mx_records,
                creates_zone=existing is None,
                owner=owner,
                nameserver=self.settings.nameserver,
            )
            if existing is not None:
                plan = replace(plan, blocking=())
            after = self.applier.apply(_checked(plan, force), actor)
        result = _result(plan, after)
        # Adding a domain over an existing zone changes no records.
        return replace(
            result,
            changed=plan.creates_zone,
            mx_before=result.mx_after,
            serial_before=result.serial_after,
            effective_before=result.effective_after,
        )

    def remove_domain(self, domain: str, *, actor: Actor) -> str:
        """Stop managing a domain: its zone file stays, it leaves the routing lists."""
        operators_only(actor, "remove domains")
        row = self._domain(domain, actor)
        with self.locks.hold(row.name):
            settle_domain(row.name, self.zones, self.routing)
            row = self._domain(domain, actor)
            plan = plan_change(
                "remove_domain",
                row.name,
                f"Removed domain {row.name} from mxroute (its zone file was kept).",
                snapshot=None,
                mx_after=MXSet(),
                facts=facts_of(row),
                mode_after=None,
                detection=None,
                limit=self.settings.max_mx_records,
            )
            self.applier.apply(plan, actor)
        return row.name

    def set_owner(self, domain: str, owner: str | None, *, actor: Actor) -> str:
        """Give the domain to the user ``owner`` (None: administrators only); its summary.

        The owner is the store's alone (no zone, no routing): one short transaction.
        """
        from django.db import transaction

        from mxroute.store.models import Change

        operators_only(actor, "change a domain's owner")
        row = self._domain(domain, actor)
        user = user_named(owner) if owner else None
        before = row.owner.get_username() if row.owner else None
        after = user.get_username() if user else None
        if before == after:
            return f"{row.name} already belongs to {_owner_words(after)}."
        summary = f"Gave {row.name} to {_owner_words(after)} (was {_owner_words(before)})."
        with transaction.atomic():
            row.owner = user
            row.save(update_fields=["owner", "updated_at"])
            Change.objects.create(
                domain=row,
                domain_name=row.name,
                actor=actor.name,
                interface=actor.interface,
                token_name=actor.token_name,
                action="set_owner",
                summary=summary,
                mode_before=row.mode,
                mode_after=row.mode,
                effective_before=row.effective_mode.value,
                effective_after=row.effective_mode.value,
            )
        return summary

    def resync_lists(self) -> None:
        """Rewrite the routing lists from the store (after init, or a repair by hand)."""
        from mxroute.store.models import Domain

        self.routing.write({row.name: row.effective_mode for row in Domain.objects.all()})

    def reconcile(self) -> list[str]:
        """Settle the changes a killed writer left half-done; what was done, in sentences."""
        if not pending_count():
            return []
        return reconcile(self.zones, self.routing, self.locks)

    # ----- the one write path ---------------------------------------------------------

    def plan(
        self,
        domain: str,
        action: str,
        edit: Edit,
        actor: Actor,
        expected_serial: int | None = None,
        new_mode: Mode | None = None,
        *,
        undoes: int | None = None,
    ) -> ChangePlan:
        """Read the domain and its zone, then plan the change (a dry run stops here)."""
        row = self._domain(domain, actor)
        snap = self._read(row.name, actor)
        if expected_serial is not None and snap.serial != expected_serial:
            raise conflict(row.name, expected_serial, snap.serial)
        mx_after, summary = edit(snap.mx)
        facts = facts_of(row)
        before, after = self.detections_of(row.name, (snap.mx, mx_after), facts.detected)
        return plan_change(
            action,
            row.name,
            summary,
            snapshot=snap,
            mx_after=mx_after,
            facts=facts,
            mode_after=new_mode or facts.mode,
            detection=after,
            limit=self.settings.max_mx_records,
            pinned=expected_serial is not None,
            detection_before=before,
            undoes=undoes,
        )

    def apply(self, plan: ChangePlan, actor: Actor) -> ChangeResult:
        """Carry out a plan made by :meth:`plan` (Conflict if the domain changed since)."""
        return _result(plan, self.applier.apply(plan, actor))

    def _change(
        self,
        domain: str,
        action: str,
        edit: Edit,
        actor: Actor,
        expected_serial: int | None,
        new_mode: Mode | None = None,
        preview: Preview = Preview(),
        *,
        undoes: int | None = None,
    ) -> ChangeResult:
        """Plan, then apply; if another change got in first, plan again holding the lock.

        The first plan is made without the domain's lock, so its DNS lookups hold up no
        other writer; a change that lost a race plans again under the lock, so it loses
        at most once. A caller that pinned a serial is told instead (Conflict). A dry
        run stops at the plan; a previewed plan is applied only if planning again now
        gives the same fingerprint.
        """
        zone = self._domain(domain, actor).name
        if preview.dry_run:
            plan = self.plan(zone, action, edit, actor, expected_serial, new_mode, undoes=undoes)
            return _result(plan, plan.snapshot, dry_run=True)
        if preview.fingerprint is not None:
            with self.locks.hold(zone):
                plan = self.plan(
                    zone, action, edit, actor, expected_serial, new_mode, undoes=undoes
                )
                if plan.fingerprint != preview.fingerprint:
                    raise Conflict(
                        f"The change to {zone} you previewed is no longer what it would do (the "
                        "zone, the routing or what its exchangers resolve to changed since); "
                        "preview it again.",
                        code="plan_changed",
                    )
                return self.apply(_checked(plan, preview.force), actor)
        plan = self.plan(zone, action, edit, actor, expected_serial, new_mode, undoes=undoes)
        try:
            return self.apply(_checked(plan, preview.force), actor)
        except Conflict:
            if plan.pinned:
                raise
            log.info("%s changed under us; planning %s again under its lock", zone, action)
        with self.locks.hold(zone):
            for attempt in range(1, PLANS_PER_CHANGE + 1):
                plan = self.plan(
                    zone, action, edit, actor, expected_serial, new_mode, undoes=undoes
                )
                try:
                    return self.apply(_checked(plan, preview.force), actor)
                except Conflict:
                    if attempt == PLANS_PER_CHANGE:
                        raise
        raise AssertionError("unreachable")


def _checked(plan: ChangePlan, force: bool) -> ChangePlan:
    """The plan to apply: refused (:class:`Risky`) when it brings an error finding and
    was not forced; marked forced when it was. A detection is never refused: it only
    records what the MX records already say."""
    if not plan.blocking or plan.action == "detect":
        return plan
    if not force:
        raise Risky(plan.domain, plan.blocking)
    return replace(plan, forced=True)


def exim_config(settings: Settings) -> str:
    """The Exim configuration that reads this data directory's routing lists."""
    from mxroute.mta.exim import render_exim_config

    return render_exim_config(settings.lists_dir, settings.server_names)


def _result(plan: ChangePlan, after: Snapshot | None, *, dry_run: bool = False) -> ChangeResult:
    assert plan.detection is not None and plan.mode_after is not None
    assert plan.effective_after is not None
    serial_before = plan.serial_before
    serial_after = after.serial if after else serial_before
    return ChangeResult(
        plan.domain,
        plan.action,
        plan.summary,
        plan.changed,
        plan.mx_before,
        plan.mx_after,
        serial_before if serial_before is not None else (serial_after or 0),
        serial_after or 0,
        plan.mode_after,
        plan.effective_before or plan.effective_after,
        plan.effective_after,
        plan.detection,
        plan.warnings,
        plan.explanation,
        plan.findings,
        plan.fingerprint,
        dry_run,
        plan.zone_lines_removed,
        plan.zone_lines_added,
        plan.blocking,
        plan.forced,
    )


def _mode_words(chosen: Mode | None) -> str:
    return "" if chosen is None else f" Set routing to {chosen.value}."


def _owner_words(username: str | None) -> str:
    return f"user '{username}'" if username else "administrators only"


def _already_managed(zone: str) -> InvalidInput:
    return InvalidInput(f"mxroute already manages {zone}.", code="domain_exists", field="domain")
