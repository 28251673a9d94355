"""Crash recovery: settle the intents that a killed writer left pending.

At the start of every command and of ``mxroute serve``, each pending intent whose
domain nobody is changing now (its lock is free) belonged to a writer that died:

- if its zone holds the planned MX set (a change that reached the zone, or a zone it
  created), the change happened: its store and history rows are written now, from
  the plan, and it is marked applied;
- otherwise (the zone is as before, or the change did not touch the zone) it did not
  happen: it is marked abandoned; a zone it meant to change is loaded again all the same
  (its writer may have died after putting the previous file back, before the reload, or
  while the zone was frozen);
- either way, the domain's routing entries are made to agree with the store.

A writer killed between writing its temp file and renaming it leaves the temp file;
the next writer of that zone (or of the lists) overwrites and renames it (it has one
fixed name per file: see :func:`mxroute.atomic.staged`).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from mxroute.core.records import MXSet
from mxroute.core.routing import Mode
from mxroute.dns.base import ZoneStore
from mxroute.errors import MxrouteError
from mxroute.mta.base import RoutingTarget
from mxroute.service.history import history_fields, record_store_step
from mxroute.service.locks import DomainLocks

log = logging.getLogger(__name__)


def pending_count() -> int:
    """How many intents are pending (one indexed query)."""
    from mxroute.store.models import Intent

    return Intent.objects.filter(state=Intent.State.PENDING).count()


def reconcile(zones: ZoneStore, routing: RoutingTarget, locks: DomainLocks) -> list[str]:
    """Settle every pending intent nobody is applying; the sentences saying what was done."""
    from mxroute.store.models import Intent

    said: list[str] = []
    pending = Intent.objects.filter(state=Intent.State.PENDING).order_by("id")
    for intent_id in list(pending.values_list("id", flat=True)):
        intent = Intent.objects.get(pk=intent_id)
        domains = intent.plan.get("domains") or [intent.domain_name]
        with contextlib.ExitStack() as stack:
            # A batch names at most BATCH_SIZE domains: this many locks at once is fine.
            if not all(stack.enter_context(locks.hold(d, wait=False)) for d in domains):
                continue  # a live writer holds it: its own change settles it
            said += settle_held(intent_id, zones, routing)
    for line in said:
        log.warning("%s", line)
    return said


def settle_domain(zone: str, zones: ZoneStore, routing: RoutingTarget) -> list[str]:
    """Settle the pending intents of ``zone``; the caller holds its lock (so they are dead)."""
    from mxroute.store.models import Intent

    said: list[str] = []
    pending = Intent.objects.filter(state=Intent.State.PENDING, domain_name=zone).order_by("id")
    for intent_id in list(pending.values_list("id", flat=True)):
        said += settle_held(intent_id, zones, routing)
    for line in said:
        log.warning("%s", line)
    return said


def settle_held(intent_id: int, zones: ZoneStore, routing: RoutingTarget) -> list[str]:
    """Settle one intent whose domains' locks the caller holds. Never raises: an intent
    that cannot be settled now is logged and left for the next start."""
    from mxroute.store.models import Intent

    try:
        intent = Intent.objects.get(pk=intent_id)
        if intent.state != Intent.State.PENDING:
            return []
        domains = intent.plan.get("domains") or [intent.domain_name]
        line = _settle(intent, zones)
        _sync_routing(domains, routing)
    except Exception:
        log.exception(
            "could not settle the interrupted change %d; it is tried again later", intent_id
        )
        return []
    return [line]


def _settle(intent: Any, zones: ZoneStore) -> str:
    """Complete the intent if its zone change happened, else drop it; one sentence."""
    from django.db import transaction
    from django.utils import timezone

    from mxroute.store.models import Change, Domain, Intent

    data = intent.plan
    zone = intent.domain_name
    reached, serial = _reached_zone(data, zones)
    with transaction.atomic():
        if reached:
            row = Domain.objects.filter(name=zone).first()
            # The history says when the change was made, not when it was settled.
            if _row_as_planned(data, row):
                record_store_step(data, data["actor"], serial, at=intent.created_at)
            else:
                # Someone changed the domain since: the zone change still happened, so
                # it is history, but the row keeps its newer state.
                fields = history_fields(data, data["actor"], serial, row)
                Change.objects.create(**fields, at=intent.created_at)
        state = Intent.State.APPLIED if reached else Intent.State.ABANDONED
        Intent.objects.filter(pk=intent.pk).update(state=state, settled_at=timezone.now())
    if reached:
        # The writer may have died between the rename and the reload: the name server
        # must serve what the history now says.
        try:
            zones.publish(zone)
        except MxrouteError as exc:
            return (
                f"An interrupted change of {zone} had reached its zone, so it was completed "
                f"({data['summary']}), but reloading the zone failed: {exc.message}"
            )
        return (
            f"An interrupted change of {zone} had reached its zone, so it was completed: "
            f"{data['summary']}"
        )
    who = zone or "several domains"
    dropped = f"An interrupted change of {who} had not reached its zone, so it was dropped"
    if zone and data.get("mx_before") != data.get("mx_after") and not data.get("creates_zone"):
        try:
            zones.publish(zone)
        except MxrouteError as exc:
            return f"{dropped}, but reloading the zone failed: {exc.message}"
    return f"{dropped}."


def _row_as_planned(data: dict[str, Any], row: Any) -> bool:
    """Whether the domain's row is still what the plan was made from."""
    if data["action"] == "add_domain":
        return row is None
    return (
        row is not None
        and row.mode == data["mode_before"]
        and row.detected_mode == data["detected_before"]
    )


def _reached_zone(data: dict[str, Any], zones: ZoneStore) -> tuple[bool, int | None]:
    """Whether the zone holds what the plan wanted to write, and its serial now."""
    touches = data.get("creates_zone") or data.get("mx_before") != data.get("mx_after")
    if not touches or not data.get("domain"):
        return False, None
    try:
        snap = zones.read(data["domain"])
    except MxrouteError:
        return False, None
    wanted = MXSet.from_list(data["mx_after"])
    moved = data.get("creates_zone") or snap.serial != data.get("serial_before")
    return (snap.mx == wanted and bool(moved)), snap.serial


def _sync_routing(domains: list[str], routing: RoutingTarget) -> None:
    """Make the domains' routing entries say what the store says."""
    from mxroute.store.models import Domain

    rows = {row.name: row.effective_mode for row in Domain.objects.filter(name__in=domains)}
    wanted: dict[str, Mode | None] = {d: rows.get(d) for d in domains}
    # Idempotent: entries that already agree are left alone, and nothing is reloaded.
    routing.change(wanted)
