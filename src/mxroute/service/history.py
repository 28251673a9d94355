"""The history: one row per change, written from a plan's data; and reading it back.

:func:`record_store_step` is the last step of every change (and of a change that the
next start finds half-done): the domain's row and its history row, in the caller's
transaction, from the plan's data alone, so a crash recovery writes exactly what the
change would have written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mxroute.service.actor import Actor, user_named
from mxroute.service.results import HistoryEntry


def actor_data(actor: Actor) -> dict[str, Any]:
    """The parts of an actor the history keeps."""
    return {"name": actor.name, "interface": actor.interface, "token_name": actor.token_name}


def record_store_step(
    data: dict[str, Any],
    actor: dict[str, Any],
    serial_after: int | None,
    at: datetime | None = None,
) -> None:
    """Write the domain row and the history row that the plan ``data`` calls for
    (``at``: when the change was made, for one completed after a crash)."""
    from django.utils import timezone

    from mxroute.store.models import Change, Domain

    action, zone = data["action"], data["domain"]
    now = timezone.now()
    row: Domain | None
    if action == "remove_domain":
        Domain.objects.filter(name=zone).delete()
        row = None
    elif action == "add_domain":
        owner = user_named(data["owner"]) if data.get("owner") else None
        row = Domain.objects.create(
            name=zone,
            owner=owner,
            mode=data["mode_after"],
            detected_mode=data["detected_after"],
            detected_at=now,
            detection_certain=data["detection_certain"],
        )
    else:
        Domain.objects.filter(name=zone).update(
            mode=data["mode_after"],
            detected_mode=data["detected_after"],
            detection_certain=data["detection_certain"],
            detected_at=now,
            updated_at=now,
        )
        row = Domain.objects.get(name=zone)
    if data.get("changed", True):
        fields = history_fields(data, actor, serial_after, row)
        if at is not None:
            fields["at"] = at
        Change.objects.create(**fields)


def history_fields(
    data: dict[str, Any], actor: dict[str, Any], serial_after: int | None, row: Any
) -> dict[str, Any]:
    """The columns of the history row for the plan ``data``."""
    action = data["action"]
    touches_mx = action != "remove_domain"
    mx_before, serial_before = data["mx_before"], data["serial_before"]
    if action == "add_domain":  # the records the domain came with, before and after
        mx_before, serial_before = data["mx_after"], serial_after
    return {
        "domain": row,
        "domain_name": data["domain"],
        "actor": actor["name"],
        "interface": actor["interface"],
        "token_name": actor["token_name"],
        "action": action,
        "summary": data["summary"],
        "mx_before": mx_before if touches_mx else None,
        "mx_after": data["mx_after"] if touches_mx else None,
        "mode_before": data["mode_before"],
        "mode_after": data["mode_after"],
        "effective_before": data["effective_before"],
        "effective_after": data["effective_after"],
        "serial_before": serial_before if touches_mx else None,
        "serial_after": serial_after if touches_mx else None,
        "warnings": [f["message"] for f in data["findings"]],
        "undoes_id": data.get("undoes"),
    }


def entries(rows: Any, limit: int) -> list[HistoryEntry]:
    """History rows (a Change queryset) as entries, newest first."""
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
            c.pk,
            c.undoes_id,
        )
        for c in rows.order_by("-at", "-id")[:limit]
    ]


def record_step(step: str, ok: bool, message: str = "") -> None:
    """Keep how the last run of ``step`` (a reload) went, for the health check."""
    from django.utils import timezone

    from mxroute.store.models import StepStatus

    now = timezone.now()
    if not StepStatus.objects.filter(step=step).update(ok=ok, message=message, at=now):
        StepStatus.objects.create(step=step, ok=ok, message=message, at=now)
