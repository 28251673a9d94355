"""cPanel API 2: ``/json-api/cpanel`` with ``cpanel_jsonapi_module=Email``, for old scripts.

Success: ``{"cpanelresult": {"apiversion": 2, "module", "func", "event": {"result": 1},
"data": [...]}}``. A refused call is HTTP 200 with ``event.result`` 0, the reason in
``error`` and ``event.reason``, and ``data`` one object with ``result``/``status`` 0 and
``reason``/``statusmsg``: the fields old scripts test, whichever they test. 401 is only
for missing or wrong credentials, 429 for a caller throttled after too many failures.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from mxroute.api import cpanel
from mxroute.core.names import shown
from mxroute.errors import Forbidden, InvalidInput, MxrouteError
from mxroute.service import Actor

log = logging.getLogger(__name__)

API_VERSION = 2
FUNCTIONS: dict[str, cpanel.Operation] = {
    "listmxs": cpanel.list_mxs,
    "listmx": cpanel.list_mxs,
    "addmx": cpanel.add_mx,
    "changemx": cpanel.change_mx,
    "delmx": cpanel.delete_mx,
    "setmxcheck": cpanel.set_always_accept,
    "setalwaysaccept": cpanel.set_always_accept,
    "getmxcheck": cpanel.get_always_accept,
    "getalwaysaccept": cpanel.get_always_accept,
}


def result(module: str, func: str, data: Any, error: str | None = None) -> dict[str, Any]:
    """The ``cpanelresult`` envelope; ``error`` set means the call was refused."""
    if error is None:
        return {
            "cpanelresult": {
                "apiversion": API_VERSION,
                "module": module,
                "func": func,
                "event": {"result": 1},
                "data": data if isinstance(data, list) else [data],
            }
        }
    failed = {**(data or {}), "result": 0, "reason": error, "status": 0, "statusmsg": error}
    return {
        "cpanelresult": {
            "apiversion": API_VERSION,
            "module": module,
            "func": func,
            "event": {"result": 0, "reason": error},
            "error": error,
            "data": [failed],
        }
    }


@csrf_exempt  # authenticated by the Authorization header only; no cookie is read
def json_api(request: HttpRequest) -> JsonResponse:
    """Run one API 2 Email function for the caller."""
    module, func = _sent(request, "cpanel_jsonapi_module"), _sent(request, "cpanel_jsonapi_func")
    if request.method not in ("GET", "POST"):
        refused = result(module, func, None, "Call API 2 functions by GET or POST.")
        return JsonResponse(refused, status=405, headers={"Allow": "GET, POST"})
    outcome = cpanel.run(request, "api2", _operation)
    answer = result(module, func, outcome.data, outcome.error)
    return JsonResponse(answer, status=outcome.status, headers=outcome.headers)


def _sent(request: HttpRequest, name: str) -> str:
    """A value as sent, for echoing in the answer (checked later, through Params)."""
    try:
        return cpanel.Params.of(request).first(name)
    except MxrouteError:  # the body cannot be read: run() refuses the call with the reason
        return str(request.GET.get(name) or "")


def _operation(params: cpanel.Params, actor: Actor) -> cpanel.Operation:
    """The function the call names, once the version, module and user are right."""
    if params.get("cpanel_jsonapi_apiversion") != str(API_VERSION):
        raise InvalidInput(
            "mxroute answers cPanel API 2 calls here; send cpanel_jsonapi_apiversion=2.",
            code="unsupported_api_version",
            field="cpanel_jsonapi_apiversion",
        )
    module = params.get("cpanel_jsonapi_module") or ""
    func = params.get("cpanel_jsonapi_func") or ""
    operation = FUNCTIONS.get(func) if module == cpanel.MODULE else None
    if operation is None:
        offered = ", ".join(FUNCTIONS)
        raise InvalidInput(
            f"{shown(module)}::{shown(func)} is not a function mxroute offers; it offers the "
            f"Email functions {offered}.",
            code="unknown_function",
            field="cpanel_jsonapi_func",
        )
    user = params.get("cpanel_jsonapi_user")
    if user is not None and user != actor.name:
        raise Forbidden(
            f"The call names the cPanel user '{shown(user)}' but its credentials are those of "
            f"'{actor.name}'; send your own user name, or none.",
            code="user_mismatch",
        )
    return operation
