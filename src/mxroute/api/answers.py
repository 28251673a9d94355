"""An error answer in each HTTP door's own JSON shape, by the request's path.

The doors' views shape their own answers; this is for the answers made outside them:
the ASGI guard in front of Django (a body too large, too many requests at once) and
Django's error handlers (no such URL, a failure no view caught). A script that speaks
REST, UAPI or API 2 must always get JSON it can read, never an HTML page.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

REST = "/api/v1/"
UAPI = "/execute/"
API2 = "/json-api/"


def door(path: str) -> str | None:
    """Which API door ``path`` belongs to (None: the web panel)."""
    for prefix in (REST, UAPI, API2):
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return prefix
    return None


def body(path: str, query: str, code: str, message: str) -> dict[str, Any] | None:
    """The JSON error body for ``path``'s door (None for the web panel)."""
    which = door(path)
    if which == REST:
        return {"errors": [{"code": code, "field": None, "message": message}]}
    if which == UAPI:
        from mxroute.api import uapi

        return uapi.body(0, errors=[message])
    if which == API2:
        from mxroute.api import api2

        sent = parse_qs(query)
        module = (sent.get("cpanel_jsonapi_module") or [""])[0]
        func = (sent.get("cpanel_jsonapi_func") or [""])[0]
        return api2.result(module, func, None, message)
    return None


def encoded(path: str, query: str, code: str, message: str) -> tuple[bytes, bytes]:
    """The error as bytes and their content type: the door's JSON, or plain text."""
    shaped = body(path, query, code, message)
    if shaped is None:
        return message.encode() + b"\n", b"text/plain; charset=utf-8"
    return json.dumps(shaped).encode(), b"application/json"
