"""The domain pages: the list, one domain's page, and its forms.

Thin, as everywhere in mxroute: parse the form, call one service function as the
logged-in user (so the service decides which domains they may see), show the result.
A domain the user may not manage answers 404 exactly like one that does not exist.
Every change form takes the one path of :mod:`mxroute.web.changes` (plan, confirm, apply).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any, overload
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mxroute.core.names import to_unicode
from mxroute.core.records import MXRecord, MXSet, parse_priority
from mxroute.core.routing import Mode
from mxroute.errors import InvalidInput, MxrouteError, NotFound
from mxroute.service import Actor, DomainState, DomainSummary, Service
from mxroute.web import pages
from mxroute.web.changes import RESULT_KEY, Change, confirmed, domain_missing
from mxroute.web.forms import (
    ChangeForm,
    DeleteForm,
    EditForm,
    PanelForm,
    RecordForm,
    RoutingForm,
    UndoForm,
)
from mxroute.web.svg import where_mail_goes

log = logging.getLogger(__name__)

DOMAINS_PER_PAGE = 50
HISTORY_ROWS = 25
DomainView = Callable[[HttpRequest, str], HttpResponse]


def service() -> Service:
    """The service over the configured data directory."""
    return Service(settings.MXROUTE)


def actor(request: HttpRequest) -> Actor:
    """The logged-in user, acting through the web panel."""
    return Actor.for_user(request.user, "web")


def error_page(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    """A page that says, in one sentence, why there is nothing to show."""
    context = {"title": title, "message": message}
    return render(request, "web/error.html", context, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal as a page in the panel's words (nothing was changed).

    A browser on HTTPS whose request reached mxroute as plain HTTP is not an expired
    form: a reverse proxy did not say the scheme, or mxroute does not believe it.
    """
    from mxroute.api.handlers import shaped

    # The API's own views take no cookie and skip the check; what else under an API
    # path (the docs page, the OpenAPI document) answers in that door's JSON.
    refused = shaped(request, 403, "forbidden", "This URL takes no form posts; use GET.")
    if refused is not None:
        return refused
    origin = request.META.get("HTTP_ORIGIN", "")
    if origin.startswith("https://") and not request.is_secure():
        return error_page(
            request,
            "Proxy not trusted",
            "This page was sent over HTTPS but reached mxroute as plain HTTP, so it could not "
            "be checked and nothing was changed; the reverse proxy must send "
            "X-Forwarded-Proto, and its address must be in [web] trusted_proxies.",
            403,
        )
    return error_page(
        request,
        "Form expired",
        "This form could not be checked (it was open too long, or cookies are blocked), so "
        "nothing was changed; reload the page and submit it again.",
        403,
    )


def scoped(view: DomainView) -> DomainView:
    """Answer 404 for a domain the user may not manage, and say why a page cannot show."""

    @wraps(view)
    def wrapper(request: HttpRequest, domain: str) -> HttpResponse:
        try:
            return view(request, domain)
        except MxrouteError as exc:
            if domain_missing(exc):
                return error_page(request, "Domain not found", exc.message, 404)
            # Reading the zone failed (a broken zone file, say): the operator must act.
            # The service tells owners whom to ask, not the server's paths.
            log.warning("cannot show %s to %s: %s", domain, request.user, exc.message)
            return error_page(request, "This domain cannot be shown", exc.message, 500)

    return wrapper


def _pop_result(request: HttpRequest, zone: str) -> Mapping[str, Any] | None:
    message = request.session.get(RESULT_KEY)
    if not isinstance(message, dict) or message.get("domain") != zone:
        return None
    del request.session[RESULT_KEY]
    return message


# ----- pages --------------------------------------------------------------------------


@login_required
@require_GET
def domains(request: HttpRequest) -> HttpResponse:
    """The domains the user may manage, a page at a time, with routing and best exchanger."""
    query = request.GET.get("q", "").strip()
    flagged = request.GET.get("findings", "") == "1"
    who = actor(request)
    paginator = Paginator(DomainRows(service(), query, who, flagged), DOMAINS_PER_PAGE)
    current = paginator.page(page_number(request.GET.get("page", ""), paginator.num_pages))
    rows = [
        {
            "name": d.domain,
            "shown": to_unicode(d.domain),
            "owner": d.owner,
            "effective": d.effective.value,
            "chosen": d.mode.value,
            "best": _best(d.mx),
            "findings": pages.findings_note(d.findings, d.checked_at),
        }
        for d in current
    ]
    context = {
        "rows": rows,
        "q": query,
        "admin": who.admin,
        "page": current,
        "previous": _page_link(query, current.number - 1, flagged)
        if current.has_previous()
        else "",
        "next": _page_link(query, current.number + 1, flagged) if current.has_next() else "",
        "flagged": flagged,
        "flagged_link": _list_link(query, flagged=True),
        "all_link": _list_link(query),
    }
    return render(request, "web/domains.html", context)


class DomainRows(Sequence[DomainSummary]):
    """The user's domain list as Django's Paginator pages it: its length is counted in
    the store, and a slice reads the zone files of its own rows only."""

    def __init__(self, svc: Service, search: str, who: Actor, flagged: bool = False) -> None:
        self.svc, self.search, self.who, self.flagged = svc, search, who, flagged
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.svc.count_domains(
                self.search, actor=self.who, with_findings=self.flagged
            )
        return self._count

    @overload
    def __getitem__(self, index: int) -> DomainSummary: ...
    @overload
    def __getitem__(self, index: slice) -> list[DomainSummary]: ...
    def __getitem__(self, index: int | slice) -> DomainSummary | list[DomainSummary]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("domain pages are contiguous")
        return self.svc.list_domains(
            self.search,
            with_mx=True,
            actor=self.who,
            offset=start,
            limit=max(stop - start, 0),
            with_findings=self.flagged,
        )


def page_number(raw: str, last: int) -> int:
    """The page asked for, or the nearest one there is: 1 for anything not a number."""
    match = re.fullmatch(r"([+-]?)0*(\d+)", raw.strip(), re.ASCII)
    if match is None or match[1] == "-":
        return 1
    # Compared by length first: a thousand-digit number is past the end, not an error.
    if len(match[2]) > len(str(last)):
        return last
    return min(max(int(match[2]), 1), last)


def _page_link(query: str, number: int, flagged: bool = False) -> str:
    """The list's address for page ``number``, keeping the search (and the filter)."""
    params = {"q": query, "page": number} if query else {"page": number}
    if flagged:
        params["findings"] = 1
    return f"{reverse('web:domains')}?{urlencode(params)}"


def _list_link(query: str, *, flagged: bool = False) -> str:
    """The list's first page, keeping the search: every domain, or those with findings."""
    params: dict[str, str | int] = {"q": query} if query else {}
    if flagged:
        params["findings"] = 1
    return f"{reverse('web:domains')}?{urlencode(params)}" if params else reverse("web:domains")


def _best(mx: MXSet | None) -> str:
    if mx is None:
        return "(the zone cannot be read)"
    if mx.is_null:
        return "none: accepts no mail (Null MX)"
    best = mx.most_preferred()
    if not best:
        return "none: the domain's own address"
    names = ", ".join(pages.shown_name(r.exchanger) for r in best)
    return f"{names} (priority {best[0].priority})"


@login_required
@require_GET
@scoped
def domain(request: HttpRequest, domain: str) -> HttpResponse:
    """The domain page: Email Routing, MX Records, Add, Where mail goes, History."""
    return domain_page(request, domain)


def domain_page(
    request: HttpRequest,
    domain: str,
    *,
    routing_form: RoutingForm | None = None,
    add_form: RecordForm | None = None,
    undo_form: UndoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the domain page (again, with a refused form's errors when given)."""
    svc, who = service(), actor(request)
    state = svc.show(domain, actor=who)
    history = svc.history(state.domain, HISTORY_ROWS, actor=who)
    chosen = routing_form.text("mode") if routing_form else state.mode.value
    context = {
        **_domain_context(state),
        "result": _pop_result(request, state.domain),
        "modes": pages.mode_choices(),
        "chosen": chosen,
        "refusals": (routing_form or add_form or undo_form or RoutingForm()).non_field_errors(),
        "routing_form": routing_form or RoutingForm(),
        "add_form": add_form or RecordForm(),
        "groups": pages.record_groups(state.domain, state.snapshot.mx),
        # The drawing escapes every piece of text it holds (see mxroute.web.svg).
        "svg": mark_safe(where_mail_goes(state.detection, state.effective)),
        "history": pages.history_rows(history),
        "undo_form": undo_form,
    }
    return render(request, "web/domain.html", context, status=status)


def _domain_context(state: DomainState) -> dict[str, Any]:
    return {
        "state": state,
        "zone": state.domain,
        "shown": to_unicode(state.domain),
        "serial": state.snapshot.serial,
        "effective_meaning": pages.MODE_PLAIN[state.effective],
        "detected": state.detection.mode.value,
        "auto": state.mode is Mode.AUTO,
    }


# ----- forms ----------------------------------------------------------------------------


@login_required
@require_POST
@scoped
def routing(request: HttpRequest, domain: str) -> HttpResponse:
    """Email Routing: choose auto, local, backup or remote."""
    form = RoutingForm(request.POST)
    return confirmed(
        request,
        form,
        lambda **preview: service().set_mode(
            domain, form.text("mode"), actor=actor(request), **preview
        ),
        lambda: domain_page(request, domain, routing_form=form, status=400),
    )


@login_required
@require_POST
@scoped
def mx_add(request: HttpRequest, domain: str) -> HttpResponse:
    """Add a New Record."""
    form = RecordForm(request.POST)
    return confirmed(
        request,
        form,
        lambda **preview: service().add_mx(
            domain,
            form.text("priority"),
            form.text("exchanger"),
            actor=actor(request),
            expected_serial=form.zone_serial(),
            **preview,
        ),
        lambda: domain_page(request, domain, add_form=form, status=400),
    )


@login_required
@require_http_methods(["GET", "POST"])
@scoped
def mx_edit(request: HttpRequest, domain: str) -> HttpResponse:
    """Edit one record's priority and destination."""

    def change(form: ChangeForm) -> Change:
        return lambda **preview: service().change_mx(
            domain,
            form.text("old_exchanger"),
            form.text("old_priority"),
            form.text("priority"),
            form.text("exchanger"),
            actor=actor(request),
            expected_serial=form.zone_serial(),
            **preview,
        )

    return _record_view(
        request,
        domain,
        "web/mx_edit.html",
        EditForm,
        lambda record: {
            "priority": record.priority,
            "exchanger": pages.shown_name(record.exchanger),
            "old_priority": record.priority,
            "old_exchanger": record.exchanger,
        },
        change,
        ("old_priority", "old_exchanger"),
    )


@login_required
@require_http_methods(["GET", "POST"])
@scoped
def mx_delete(request: HttpRequest, domain: str) -> HttpResponse:
    """Delete one record, after a confirmation page."""

    def change(form: ChangeForm) -> Change:
        return lambda **preview: service().delete_mx(
            domain,
            form.text("priority"),
            form.text("exchanger"),
            actor=actor(request),
            expected_serial=form.zone_serial(),
            **preview,
        )

    return _record_view(
        request,
        domain,
        "web/mx_delete.html",
        DeleteForm,
        lambda record: {"priority": record.priority, "exchanger": record.exchanger},
        change,
        ("priority", "exchanger"),
    )


@login_required
@require_POST
@scoped
def undo(request: HttpRequest, domain: str) -> HttpResponse:
    """An Undo button of the History: the domain page then says what the undo did, or at
    its top why it was refused."""
    form = UndoForm(request.POST)
    return confirmed(
        request,
        form,
        lambda **preview: service().undo(
            form.text("change"), actor=actor(request), domain=domain, **preview
        ),
        lambda: domain_page(request, domain, undo_form=form, status=400),
    )


def _record_view(
    request: HttpRequest,
    domain: str,
    template: str,
    form_class: type[ChangeForm],
    initial: Callable[[MXRecord], dict[str, object]],
    change: Callable[[ChangeForm], Change],
    names: tuple[str, str],
) -> HttpResponse:
    """The Edit or Delete page of one record: GET draws it for the record the link names;
    POST makes the change (through :func:`confirmed`), or draws the page again with the
    refusal. ``names`` are the form fields that name the record as it was (priority,
    exchanger)."""
    if request.method == "GET":
        state = service().show(domain, actor=actor(request))
        record, problem = _record(state.snapshot.mx, request.GET)
        if record is None:
            return error_page(request, "MX record not found", problem, 404)
        form = form_class(initial=initial(record))
        return _record_page(
            request, template, state, form, (record.priority, record.exchanger), 200
        )
    form = form_class(request.POST)

    def refused() -> HttpResponse:
        state = service().show(domain, actor=actor(request))
        shown = (form.text(names[0]), form.text(names[1]))
        return _record_page(request, template, state, form, shown, 400)

    return confirmed(request, form, change(form), refused)


def _record(mx: MXSet, query: Mapping[str, str]) -> tuple[MXRecord | None, str]:
    """The record the Edit or Delete link names, or why there is none."""
    try:
        return mx.find(parse_priority(query.get("priority", "")), query.get("exchanger", "")), ""
    except (InvalidInput, NotFound) as exc:
        return None, exc.message


def _record_page(
    request: HttpRequest,
    template: str,
    state: DomainState,
    form: PanelForm,
    record: tuple[object, object],
    status: int,
) -> HttpResponse:
    """The Edit or Delete page of ``record`` (priority, exchanger), pinned to the serial now.

    After a refusal (even "changed since you read them") the page shows the records as
    they are now, so the serial sent with the next attempt is the one the user sees.
    """
    priority, exchanger = record
    context = {
        **_domain_context(state),
        "form": form,
        "refusals": form.non_field_errors(),
        "record": f"{priority} {pages.shown_name(str(exchanger))}",
        "records": [f"{r.priority} {pages.shown_name(r.exchanger)}" for r in state.snapshot.mx],
        "action": request.get_full_path(),
        "cancel": reverse("web:domain", args=[state.domain]),
    }
    return render(request, template, context, status=status)
