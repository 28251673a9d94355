"""Who is calling the HTTP API: the credentials of one request, checked by accounts.

Three headers are understood, as cPanel's clients send them:

- ``Authorization: cpanel USER:TOKEN`` (an API token, with the user it belongs to);
- ``Authorization: Bearer TOKEN`` (an API token alone);
- ``Authorization: Basic base64(USER:PASSWORD)`` (the user's own password).

Calls carry no cookie, so they are not subject to CSRF. Failures are counted and
throttled by :mod:`mxroute.accounts`, for the web panel and the API alike.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from mxroute import accounts
from mxroute.errors import Unauthenticated
from mxroute.service import Actor

if TYPE_CHECKING:
    from django.http import HttpRequest

NO_CREDENTIALS = (
    "This call needs credentials: send 'Authorization: Bearer TOKEN', "
    "'Authorization: cpanel USER:TOKEN' or HTTP Basic with your user name and password."
)
MALFORMED = (
    "The Authorization header is malformed; send 'cpanel USER:TOKEN', 'Bearer TOKEN' or Basic."
)
# No Basic challenge, though Basic is accepted: a browser that met one would prompt for
# a password and then send it with cross-site requests too.
CHALLENGE = 'cpanel realm="mxroute", Bearer realm="mxroute"'


def authenticate(request: HttpRequest) -> accounts.Authenticated:
    """The caller proved by the request's Authorization header; Unauthenticated otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    address = client_address(request)
    if not header:
        raise Unauthenticated(NO_CREDENTIALS)
    scheme, _, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and value:
        return accounts.authenticate_token(value, address)
    if scheme == "cpanel" and ":" in value:
        username, _, secret = value.partition(":")
        return accounts.authenticate_token(secret, address, username=username.strip())
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated(MALFORMED) from None
        username, colon, password = decoded.partition(":")
        if colon:
            user = accounts.authenticate_password(username, password, address)
            return accounts.Authenticated(user)
    raise Unauthenticated(MALFORMED)


def actor_for(caller: accounts.Authenticated, interface: str) -> Actor:
    """The service's actor for an authenticated caller coming in through ``interface``."""
    return Actor.for_user(
        caller.user, interface, token_name=caller.token_name, only=caller.domains or None
    )


def client_address(request: HttpRequest) -> str:
    """The peer's address (mxroute is reached directly or through a local proxy)."""
    return str(request.META.get("REMOTE_ADDR") or "")
