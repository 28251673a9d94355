"""cPanel UAPI: ``/execute/Email/<function>``, answered as cPanel answers over HTTP.

The body is always ``{"status", "errors", "messages", "warnings", "metadata", "data"}``.
A call the function refused (bad input, a domain that is not the caller's) is HTTP 200
with ``status`` 0 and its reasons in ``errors``; 401 is only for missing or wrong
credentials, 429 for a caller throttled after too many failures.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from mxroute.api import cpanel
from mxroute.core.names import shown
from mxroute.errors import InvalidInput
from mxroute.service import Actor

log = logging.getLogger(__name__)

FUNCTIONS: dict[str, cpanel.Operation] = {
    "list_mxs": cpanel.list_mxs,
    "add_mx": cpanel.add_mx,
    "change_mx": cpanel.change_mx,
    "delete_mx": cpanel.delete_mx,
    "set_always_accept": cpanel.set_always_accept,
}


def body(status: int, data: Any = None, errors: list[str] | None = None) -> dict[str, Any]:
    """The UAPI result: cPanel sends null, not an empty list, where there is nothing."""
    return {
        "status": status,
        "errors": errors or None,
        "messages": None,
        "warnings": None,
        "metadata": {},
        "data": data,
    }


@csrf_exempt  # authenticated by the Authorization header only; no cookie is read
def execute(request: HttpRequest, module: str, function: str) -> JsonResponse:
    """Run one UAPI function for the caller."""
    if request.method not in ("GET", "POST"):
        refused = body(0, errors=["Call UAPI functions by GET or POST."])
        return JsonResponse(refused, status=405, headers={"Allow": "GET, POST"})

    def pick(params: cpanel.Params, actor: Actor) -> cpanel.Operation:
        operation = FUNCTIONS.get(function) if module == cpanel.MODULE else None
        if operation is None:
            offered = ", ".join(f"{cpanel.MODULE}::{name}" for name in FUNCTIONS)
            raise InvalidInput(
                f"{shown(module)}::{shown(function)} is not a function mxroute offers; it "
                f"offers {offered}.",
                code="unknown_function",
            )
        return operation

    outcome = cpanel.run(request, "uapi", pick)
    shaped = body(1, outcome.data) if outcome.error is None else body(0, errors=[outcome.error])
    return JsonResponse(shaped, status=outcome.status, headers=outcome.headers)
