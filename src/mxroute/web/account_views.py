"""Logging in and out, and the user's own API tokens.

Passwords are checked by :func:`mxroute.accounts.authenticate_password`, which counts
failures in the store and throttles a user name (or address) that failed too often,
for the web panel and the API alike.
"""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from mxroute import accounts
from mxroute.api.auth import client_address
from mxroute.core.names import to_unicode
from mxroute.errors import InvalidInput, MxrouteError, NotFound, Throttled, Unauthenticated
from mxroute.web.forms import LoginForm, TokenForm
from mxroute.web.views import actor, error_page, service

NOTICE_KEY = "mxroute.notice"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The log-in form; on success, go where the user was going (if it is on this site)."""
    if request.method == "GET":
        if request.user.is_authenticated:
            return redirect(_next(request, request.GET.get("next", "")))
        form = LoginForm(initial={"next": request.GET.get("next", "")})
        return render(request, "web/login.html", {"form": form})
    form = LoginForm(request.POST)
    try:
        user = accounts.authenticate_password(
            form.text("username"), form["password"].value() or "", client_address(request)
        )
    except Unauthenticated as exc:
        form.add_error(None, exc.message)
        status = 429 if isinstance(exc, Throttled) else 400
        response = render(request, "web/login.html", {"form": form}, status=status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    login(request, user)
    return redirect(_next(request, form.text("next")))


def _next(request: HttpRequest, target: str) -> str:
    """``target`` when it stays on this site; the domain list otherwise."""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("web:domains")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out (a POST, so another site cannot log the user out with a link)."""
    logout(request)
    return redirect("web:login")


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens; a new one is shown once, on the page that created it."""
    username = request.user.get_username()
    form = TokenForm(request.POST if request.method == "POST" else None)
    created = None
    status = 200
    if request.method == "POST":
        try:
            expires = form.text("expires")
            created = accounts.create_token(
                username,
                form.text("name"),
                domains=form.domains_chosen(),
                expires=accounts.parse_expiry(expires) if expires else None,
            )
            form = TokenForm()
        except MxrouteError as exc:
            field = exc.field if isinstance(exc, InvalidInput) else None
            if isinstance(exc, NotFound):
                field = "domains"
            form.add_error(field if field in form.fields else None, exc.message)
            status = 400
    choices = [
        (d.domain, to_unicode(d.domain)) for d in service().list_domains(actor=actor(request))
    ]
    context = {
        "form": form,
        "created": created,
        "tokens": accounts.list_tokens(username),
        "choices": choices,
        "chosen": form.domains_chosen() if form.is_bound else [],
        "notice": request.session.pop(NOTICE_KEY, None),
    }
    response = render(request, "web/tokens.html", context, status=status)
    add_never_cache_headers(response)  # the new token must not stay in any cache
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, name: str) -> HttpResponse:
    """Revoke one of the user's tokens."""
    try:
        accounts.revoke_token(request.user.get_username(), name)
    except NotFound as exc:
        return error_page(request, "Token not found", exc.message, 404)
    request.session[NOTICE_KEY] = f"Revoked the token {name}; calls made with it now fail."
    return redirect("web:tokens")
