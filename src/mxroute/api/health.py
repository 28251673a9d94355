"""``GET /healthz``: is this server able to do its job, for load balancers and monitors.

No authentication and no data: whether the database answers, whether the zones and
lists directories can be written, and whether the last zone and lists reloads passed
(with their times, never their messages, which name domains). 200 when all is well,
503 otherwise, so a load balancer can act on the status alone.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from mxroute.service.apply import LISTS_RELOAD, ZONE_RELOAD


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The checks, each "ok" or what is wrong; 503 when any is not ok."""
    web = settings.MXROUTE
    checks: dict[str, Any] = {
        "zones_dir": "ok" if os.access(web.zones_dir, os.W_OK) else "not writable",
        "lists_dir": "ok" if os.access(web.lists_dir, os.W_OK) else "not writable",
    }
    checks.update(_store())
    healthy = all(
        value == "ok" or (isinstance(value, dict) and value["ok"]) or value is None
        for value in checks.values()
    )
    answer = {"status": "ok" if healthy else "failing", "checks": checks}
    return JsonResponse(
        answer, status=200 if healthy else 503, headers={"Cache-Control": "no-store"}
    )


def _store() -> dict[str, Any]:
    from django.db import DatabaseError

    from mxroute.store.models import StepStatus

    try:
        found = {row.step: row for row in StepStatus.objects.all()}
    except DatabaseError:
        return {"database": "unreachable"}
    last = {
        step: None
        if step not in found
        else {"ok": found[step].ok, "at": found[step].at.isoformat()}
        for step in (ZONE_RELOAD, LISTS_RELOAD)
    }
    return {"database": "ok", **last}
