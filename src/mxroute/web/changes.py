"""The one way every panel change form goes: plan, show, confirm, apply.

A form's change is planned first (a dry run). A plan whose checks find nothing is
applied at once, by its fingerprint; one with a warning or an error is shown on the
confirmation page, whose form sends the same fields back with that fingerprint, so
only the plan shown is ever applied (an error only with "make the change anyway"
ticked). Refusals go beside their field, or at the top of the page the user lands on.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from mxroute.core.names import to_unicode
from mxroute.errors import InvalidInput, MxrouteError, NotFound, Risky
from mxroute.service import ChangeResult
from mxroute.web import pages
from mxroute.web.forms import ChangeForm, PanelForm
from mxroute.web.svg import where_mail_goes

RESULT_KEY = "mxroute.result"

# The panel's own words where the service's speak of doors the panel does not have.
PANEL_WORDS = {
    "plan_changed": "This change was not made: the zone, the routing or what its exchangers "
    "resolve to changed after it was shown to you for confirmation. The page shows the "
    "domain as it is now; make the change again if it is still what you want.",
}

Change = Callable[..., ChangeResult]
"""One service change, called with the keywords of a preview: ``dry_run=True``, or
``fingerprint=`` (and ``force=``) to apply the plan a preview gave."""


def confirmed(
    request: HttpRequest,
    form: ChangeForm,
    change: Change,
    refused: Callable[[], HttpResponse],
) -> HttpResponse:
    """Every panel change: plan it, then apply that plan at once when its checks found
    nothing, or show it on the confirmation page, whose form applies that plan only.

    A plan with error findings is applied only with the page's checkbox ticked. A
    refusal is put beside its field, or at the top of the page ``refused`` draws.
    """
    if not form.is_valid():
        return refused()
    try:
        if form.text("plan"):
            return done(request, change(fingerprint=form.text("plan"), force=form.forced()))
        plan = change(dry_run=True)
        if pages.to_confirm(plan):
            return confirmation(request, form, plan)
        return done(request, change(fingerprint=plan.fingerprint))
    except Risky as exc:
        # Confirmed without the checkbox: the same page again, saying why at its top.
        form.add_error(None, exc.message)
        try:
            return confirmation(request, form, change(dry_run=True), status=400)
        except MxrouteError as again:
            refuse(form, again)
            return refused()
    except MxrouteError as exc:
        refuse(form, exc)
        return refused()


def refuse(form: PanelForm, exc: MxrouteError) -> None:
    """Put a refusal beside its field, or above everything when it names none.

    A missing domain is not the form's business: it goes up to
    :func:`mxroute.web.views.scoped` (404).
    """
    if domain_missing(exc):
        raise exc
    field = exc.field if isinstance(exc, InvalidInput) else None
    visible = field in form.fields and not form[field].is_hidden
    form.add_error(field if visible else None, PANEL_WORDS.get(exc.code, exc.message))


def confirmation(
    request: HttpRequest, form: ChangeForm, plan: ChangeResult, status: int = 200
) -> HttpResponse:
    """The page that shows a planned change and its findings before anything is written."""
    context = {
        **pages.confirmation(plan),
        "shown": to_unicode(plan.domain),
        "refusals": form.non_field_errors(),
        "carried": form.carried(),
        # The drawing escapes every piece of text it holds (see mxroute.web.svg).
        "svg": mark_safe(where_mail_goes(plan.detection, plan.effective_after)),
        "action": request.get_full_path(),
        "cancel": reverse("web:domain", args=[plan.domain]),
    }
    return render(request, "web/confirm.html", context, status=status)


def done(request: HttpRequest, result: ChangeResult) -> HttpResponse:
    """POST/redirect/GET: the domain page shows what the change did, once."""
    request.session[RESULT_KEY] = pages.result_message(result)
    return redirect("web:domain", domain=result.domain)


def domain_missing(exc: MxrouteError) -> bool:
    """A domain that does not exist, may not be managed, or cannot even be a name."""
    if isinstance(exc, NotFound):
        return exc.code == "domain_not_found"
    return isinstance(exc, InvalidInput) and exc.field == "domain"
