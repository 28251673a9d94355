"""Carrying out a plan: intent, routing entries, zone (compare-and-swap), store and history.

The order, and why:

1. Under the domain's lock, check that the zone and the domain's row are still what
   the plan was made from (Conflict otherwise: the caller plans again, or, when it
   pinned a serial or a fingerprint, is told).
2. Record the plan as a pending intent (a short write), so that a crash from here
   on is settled at the next start (:mod:`mxroute.service.intents`).
3. Change the domain's routing entries: a cheap step to put back.
4. Write the zone: its check and reload are the steps that fail most often, and the
   backend leaves the zone as it was when they do.
5. Verify (when a verifier is wired): ask the zone's name servers until they serve the
   new serial and MX set. If they do not within the timeout (named refused the file, or
   the reload loaded nothing), the previous records and routing entries are put back
   like any failed step, and the error says what the servers answered. The outcome is
   kept in the intent's data (``verification``), applied or abandoned.
6. In one short transaction: the domain's row, its history row, the intent applied.

No store write lock is held while a command runs or DNS is asked (verification waits
with no transaction open): only the domain's own lock, which no other domain, log-in or
read waits for. A writer killed while it waits leaves a pending intent whose zone holds
the new records: the next start completes it and has the zone loaded again. A failing
step undoes the steps before it, marks the intent abandoned, and its error names the step.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from mxroute.dns.base import Snapshot, ZoneStore
from mxroute.dns.verify import Verifier
from mxroute.errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    MxrouteError,
    NotServed,
    StepFailed,
    Unavailable,
)
from mxroute.mta.base import RoutingTarget
from mxroute.service.actor import Actor, not_managed
from mxroute.service.addresses import managed_in_store
from mxroute.service.history import actor_data, history_fields, record_step, record_store_step
from mxroute.service.intents import settle_domain
from mxroute.service.locks import DomainLocks
from mxroute.service.plans import ChangePlan, DomainFacts

log = logging.getLogger(__name__)

# Domains applied together by a batch: as many locks held at once (file descriptors).
BATCH_SIZE = 200
# The steps whose last outcome the health check reports.
ZONE_RELOAD = "zone_reload"
LISTS_RELOAD = "lists_reload"
VERIFY = "zone_verify"


@dataclass
class _Done:
    """What a change has done so far, to undo on failure."""

    routing: bool = False
    written: Snapshot | None = None
    created: Snapshot | None = None
    restored: bool = False  # the previous MX records were written back


_READ = object()  # "read the row now"


def _rows(domains: list[str]) -> dict[str, Any]:
    """The Domain rows of ``domains`` by name (one query)."""
    from mxroute.store.models import Domain

    return Domain.objects.in_bulk(domains, field_name="name")


def _with_pending_intents(domains: list[str]) -> set[str]:
    """Which of ``domains`` have a pending intent (one query)."""
    from mxroute.store.models import Intent

    pending = Intent.objects.filter(state=Intent.State.PENDING, domain_name__in=domains)
    return set(pending.values_list("domain_name", flat=True))


def _note_failed_reload(exc: BaseException) -> None:
    """Keep a failed reload for the health check (never failing the failure's report)."""
    if isinstance(exc, StepFailed) and exc.step in (ZONE_RELOAD, LISTS_RELOAD, VERIFY):
        try:
            # A zone not served after its reload is a reload that did not take.
            record_step(ZONE_RELOAD if exc.step == VERIFY else exc.step, False, exc.message)
        except Exception:
            log.warning("could not record the failed %s", exc.step, exc_info=True)


def facts_of(row: Any) -> DomainFacts:
    """The plan's view of a Domain row."""
    from mxroute.core.routing import Mode

    return DomainFacts(row.chosen_mode, Mode(row.detected_mode) if row.detected_mode else None)


def conflict(zone: str, expected: int | None, actual: int | None) -> Conflict:
    """The refusal for a zone that changed since it was read."""
    return Conflict(
        f"The MX records of {zone} changed since you read them (serial {expected}, now "
        f"{actual}); reload them and try again.",
    )


def plan_data(plan: ChangePlan, actor: Actor) -> dict[str, Any]:
    """What an intent stores: the plan's data, whether it is a change, and who made it."""
    return {**plan.to_data(), "changed": plan.changed, "actor": actor_data(actor)}


class Applier:
    """Applies plans against one set of backends."""

    def __init__(
        self,
        zones: ZoneStore,
        routing: RoutingTarget,
        locks: DomainLocks,
        verifier: Verifier | None = None,
    ) -> None:
        self.zones = zones
        self.routing = routing
        self.locks = locks
        self.verifier = verifier

    def apply(self, plan: ChangePlan, actor: Actor) -> Snapshot | None:
        """Carry out ``plan``; the zone's snapshot after it (None for a domain removed)."""
        from django.db import transaction
        from django.utils import timezone

        from mxroute.store.models import Intent

        with self.locks.hold(plan.domain):
            # Whoever held this lock before and died left its intent: settle it first,
            # so it is never replayed over this newer change. If settling changed the
            # zone's row, the check below refuses this plan (the caller plans again).
            settle_domain(plan.domain, self.zones, self.routing)
            self._check_unchanged(plan)
            if plan.mx_changed and not plan.creates_zone:
                self._refuse_shared(plan.domain, actor)
                self._refuse_maintained(plan.domain, actor)
            data = plan_data(plan, actor)
            if not plan.changed:
                # Only the detection's time (and certainty) to keep: no intent needed.
                with transaction.atomic():
                    record_store_step(data, data["actor"], plan.serial_before)
                return plan.snapshot
            intent = Intent.objects.create(domain_name=plan.domain, action=plan.action, plan=data)
            done = _Done()
            try:
                if plan.routing_changed:
                    self.routing.change({plan.domain: plan.effective_after})
                    done.routing = True
                after = plan.snapshot
                if plan.creates_zone:
                    after = done.created = self.zones.create(
                        plan.domain, plan.mx_after, plan.nameserver
                    )
                elif plan.mx_changed and plan.snapshot is not None:
                    after = done.written = self.zones.write(
                        plan.domain, plan.mx_after, expected=plan.snapshot
                    )
                    if self.verifier is not None:
                        data["verification"] = self._verify(plan.domain, after)
                with transaction.atomic():
                    record_store_step(data, data["actor"], after.serial if after else None)
                    if done.written is not None:
                        record_step(ZONE_RELOAD, True)
                    if done.routing:
                        record_step(LISTS_RELOAD, True)
                    Intent.objects.filter(pk=intent.pk).update(
                        state=Intent.State.APPLIED, settled_at=timezone.now(), plan=data
                    )
            except BaseException as exc:
                error = self._undo(plan, done, intent.pk, exc)
                if isinstance(exc, NotServed):
                    outcome = {**exc.outcome, "rolled_back": done.restored}
                    self._keep(intent.pk, {**data, "verification": outcome})
                if error is exc:
                    raise
                raise error from exc
        return None if plan.mode_after is None else after

    def apply_batch(
        self, plans: list[ChangePlan], actor: Actor
    ) -> tuple[list[ChangePlan], dict[str, str]]:
        """Apply plans that change no zone (a detection of many domains), in chunks.

        Each chunk of :data:`BATCH_SIZE` domains is applied as one change under their
        locks: a domain whose lock another change holds, or whose zone or row is no
        longer what its plan was made from, is left out (for the caller to detect on its
        own, waiting for that domain alone); then one intent,
        one change of the routing entries (every domain of the chunk, so entries that
        drifted are repaired), and one transaction for the rows, history and intent.
        Returns the plans applied and, per domain, why a chunk failed.
        """
        applied: list[ChangePlan] = []
        failures: dict[str, str] = {}
        if any(p.mx_changed for p in plans):
            raise ValueError("apply_batch takes plans that change no zone")
        for start in range(0, len(plans), BATCH_SIZE):
            with contextlib.ExitStack() as stack:
                # A domain another change holds is left out, not waited for (holding the
                # rest of the chunk meanwhile): the caller detects it on its own after.
                chunk = [
                    plan
                    for plan in plans[start : start + BATCH_SIZE]
                    if stack.enter_context(self.locks.hold(plan.domain, wait=False))
                ]
                for zone in _with_pending_intents([p.domain for p in chunk]):
                    settle_domain(zone, self.zones, self.routing)
                rows = _rows([p.domain for p in chunk])
                current = [p for p in chunk if self._still(p, rows.get(p.domain))]
                try:
                    self._apply_chunk(current, actor)
                except Exception as exc:
                    log.exception("detection of %d domains failed", len(current))
                    why = exc.message if isinstance(exc, MxrouteError) else f"{exc}"
                    failures.update(dict.fromkeys((p.domain for p in current), why))
                else:
                    applied += current
        return applied, failures

    def _still(self, plan: ChangePlan, row: Any) -> bool:
        """Under the domain's lock: its zone and row are what the plan was made from."""
        try:
            self._check_unchanged(plan, row)
        except MxrouteError:
            return False
        return True

    def _apply_chunk(self, plans: list[ChangePlan], actor: Actor) -> None:
        from django.db import transaction
        from django.utils import timezone

        from mxroute.store.models import Change, Domain, Intent

        if not plans:
            return
        intent = Intent.objects.create(
            domain_name="",
            action="detect",
            plan={"action": "detect", "domains": [p.domain for p in plans]},
        )
        try:
            self.routing.change({p.domain: p.effective_after for p in plans})
            who = actor_data(actor)
            now = timezone.now()
            # One UPDATE per outcome (a handful), not one per domain.
            outcomes: dict[tuple[str, bool], list[str]] = {}
            for plan in plans:
                assert plan.detection is not None
                key = (plan.detection.mode.value, plan.detection.certain)
                outcomes.setdefault(key, []).append(plan.domain)
            with transaction.atomic():
                for (mode, certain), domains in outcomes.items():
                    Domain.objects.filter(name__in=domains).update(
                        detected_mode=mode,
                        detection_certain=certain,
                        detected_at=now,
                        updated_at=now,
                    )
                changed = [p for p in plans if p.changed]
                rows = Domain.objects.in_bulk([p.domain for p in changed], field_name="name")
                Change.objects.bulk_create(
                    Change(
                        **history_fields(
                            plan_data(p, actor), who, p.serial_before, rows.get(p.domain)
                        )
                    )
                    for p in changed
                )
                record_step(LISTS_RELOAD, True)
                Intent.objects.filter(pk=intent.pk).update(
                    state=Intent.State.APPLIED, settled_at=timezone.now()
                )
        except BaseException as exc:
            _note_failed_reload(exc)
            # The routing step puts its own entries back when its reload fails; after a
            # store failure they are put back from the store. Should that fail too, the
            # intent stays pending and the next start repairs them.
            try:
                found = Domain.objects.filter(name__in=[p.domain for p in plans])
                stored = {row.name: row.effective_mode for row in found}
                self.routing.change({p.domain: stored.get(p.domain) for p in plans})
            except Exception:
                log.exception("could not put the routing entries back; the next start will")
                raise
            self._abandon(intent.pk)
            raise

    def _verify(self, zone: str, written: Snapshot) -> dict[str, Any]:
        """Wait for the name servers to serve ``written``; NotServed if they do not."""
        assert self.verifier is not None
        outcome = self.verifier.wait(zone, written)
        if not outcome.verified:
            raise NotServed(outcome.failure(), outcome=outcome.to_data())
        return outcome.to_data()

    def _refuse_maintained(self, zone: str, actor: Actor) -> None:
        """Never edit behind named's back a zone it maintains (dynamic, signed)."""
        try:
            self.zones.check_editable(zone)
        except ConfigError:
            if actor.is_operator or actor.admin:
                raise
            raise Unavailable(
                f"The DNS zone of {zone} cannot be changed right now; nothing was changed. "
                "Ask your hosting operator to check it."
            ) from None

    def _refuse_shared(self, zone: str, actor: Actor) -> None:
        """Never write through a link into the zone file of another managed domain."""
        other = self.zones.shared_with(zone, managed_in_store)
        if other is None:
            return
        if actor.is_operator or actor.admin:
            raise ConfigError(
                f"The zone file of {zone} is a link to the zone file of {other}, so this "
                f"change would change {other} too; nothing was changed. Give {zone} a zone "
                "file of its own.",
                code="zone_file_shared",
            )
        raise Unavailable(
            f"The DNS zone of {zone} cannot be changed right now; nothing was changed. Ask "
            "your hosting operator to check it."
        )

    def _check_unchanged(self, plan: ChangePlan, row: Any = _READ) -> None:
        """Conflict unless the zone and the row are still what the plan was made from
        (``row``: the domain's row if the caller read it already, None if absent)."""
        if row is _READ:
            row = _rows([plan.domain]).get(plan.domain)
        if plan.facts is None:
            if row is not None:
                raise InvalidInput(
                    f"mxroute already manages {plan.domain}.", code="domain_exists", field="domain"
                )
        elif row is None:
            raise not_managed(plan.domain)
        elif facts_of(row) != plan.facts:
            raise Conflict(
                f"The routing of {plan.domain} changed since you read it (now "
                f"{row.chosen_mode.value}); reload it and try again."
            )
        if plan.snapshot is not None:
            current = self.zones.read(plan.domain)
            if current != plan.snapshot:
                raise conflict(plan.domain, plan.serial_before, current.serial)

    def _undo(
        self, plan: ChangePlan, done: _Done, intent_id: int, exc: BaseException
    ) -> BaseException:
        """Put back what ``done`` holds and abandon the intent; the error to raise."""
        _note_failed_reload(exc)
        undone: list[str] = []
        problems: list[str] = []
        if isinstance(exc, StepFailed) and exc.undone:
            undone.append(exc.undone)
        if done.written is not None and plan.snapshot is not None:
            try:
                # A new serial again: secondaries that loaded the change must see it undone.
                restored = self.zones.write(plan.domain, plan.mx_before, expected=done.written)
                done.restored = True
                undone.append(
                    f"the MX records were put back as they were (zone serial now {restored.serial})"
                )
            except Exception as err:
                problems.append(
                    f"putting the MX records back failed too ({err}), so the zone keeps the "
                    "new records: check it and repeat the change"
                )
        if done.created is not None:
            try:
                self.zones.delete(plan.domain, done.created)
                undone.append("the new zone file was removed")
            except Exception as err:
                problems.append(f"the new zone file could not be removed ({err})")
        if done.routing:
            try:
                self.routing.change({plan.domain: plan.effective_before})
            except Exception as err:
                problems.append(
                    f"the routing lists could not be put back ({err}): fix that, then run "
                    "'mxroute detect --all' to write them again"
                )
        self._abandon(intent_id)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            log.error("interrupted; %s", "; ".join([*undone, *problems]) or "nothing changed")
            return exc
        only_refused = isinstance(exc, MxrouteError) and not isinstance(exc, StepFailed)
        if only_refused and not (undone or problems):
            return exc  # refused before anything was written: the message says why
        step = exc.step if isinstance(exc, StepFailed) else "store"
        first = (
            exc.message.rstrip(".")
            if isinstance(exc, MxrouteError)
            else f"Saving the change failed ({exc})"
        )
        if not (undone or problems) and "nothing was changed" not in first:
            first += ", so nothing was changed"
        rest = "".join(f"; {part}" for part in [*undone, *problems])
        return StepFailed(step, f"{first}{rest}.")

    @staticmethod
    def _keep(intent_id: int, data: dict[str, Any]) -> None:
        """Keep ``data`` (the plan and what the name servers answered) with the intent."""
        from mxroute.store.models import Intent

        try:
            Intent.objects.filter(pk=intent_id).update(plan=data)
        except Exception:
            log.warning("could not keep the outcome of intent %d", intent_id, exc_info=True)

    @staticmethod
    def _abandon(intent_id: int) -> None:
        from django.utils import timezone

        from mxroute.store.models import Intent

        try:
            Intent.objects.filter(pk=intent_id).update(
                state=Intent.State.ABANDONED, settled_at=timezone.now()
            )
        except Exception:  # the next start settles it from the zone
            log.warning("could not mark intent %d abandoned", intent_id, exc_info=True)
