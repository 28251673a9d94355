"""The panel's forms: they only carry what was typed and the errors to show beside it.

Every rule (what a priority or an exchanger may be, which mode exists) lives in the
core and is applied by the service; its refusals are added to these forms by field.
So every field is optional here: an empty one is refused by the core, in its words.
A change form also asks the core about each field people type before the service
runs, so that every field's refusal is shown at once, not only the first one met.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms

from mxroute.core.records import parse_exchanger, parse_priority
from mxroute.core.routing import parse_mode
from mxroute.errors import InvalidInput


class PanelForm(forms.Form):
    """A form whose inputs have the field's own name as id (``priority``, ``exchanger``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def text(self, name: str) -> str:
        """The submitted text of ``name`` (stripped), "" when absent or refused by Django."""
        self.is_valid()
        return str(self.cleaned_data.get(name) or "")

    def zone_serial(self) -> int:
        """The zone serial the page was read at, as the hidden field carries it."""
        value = self.text("serial")
        # ASCII digits only: "²" is a digit to str.isdigit, but no number to int().
        if not (value.isascii() and value.isdigit()) or int(value) >= 1 << 32:
            raise InvalidInput(
                "The form does not say which version of the zone it was read from; reload "
                "the page and try again.",
                code="serial_missing",
            )
        return int(value)


def _text() -> forms.CharField:
    return forms.CharField(required=False)


def _hidden() -> forms.CharField:
    """A value the page carries along; refusals about it are shown above the form."""
    return forms.CharField(required=False, widget=forms.HiddenInput)


class LoginForm(PanelForm):
    """User name and password; ``next`` is where to go afterwards."""

    username = _text()
    password = forms.CharField(required=False, strip=False)
    next = _hidden()


class ChangeForm(PanelForm):
    """A form that changes a domain, confirmed on a page when the plan has findings.

    ``plan`` is the fingerprint of the plan the confirmation page showed (empty on the
    first post); ``force`` is its checkbox for a plan with error findings.
    """

    plan = _hidden()
    force = forms.BooleanField(required=False)
    # The core's parser of each field people type, to refuse them all at once.
    checks: ClassVar[tuple[tuple[str, Callable[[str], object]], ...]] = ()

    def clean(self) -> dict[str, Any]:
        """Each typed field checked by the core; its refusal put beside it."""
        cleaned = super().clean() or {}
        for name, check in self.checks:
            try:
                check(str(cleaned.get(name) or ""))
            except InvalidInput as exc:
                self.add_error(name, exc.message)
        return cleaned

    def forced(self) -> bool:
        """The confirmation page's "make the change anyway" box was ticked."""
        self.is_valid()
        return bool(self.cleaned_data.get("force"))

    def carried(self) -> list[tuple[str, str]]:
        """The fields as posted, for the confirmation page to send again (hidden)."""
        return [
            (name, str(self[name].value() or ""))
            for name in self.fields
            if name not in ("plan", "force")
        ]


class RoutingForm(ChangeForm):
    """The Email Routing choice."""

    mode = _text()
    checks = (("mode", parse_mode),)


class RecordForm(ChangeForm):
    """A record to add (or the new values of an edited one), pinned to a zone serial."""

    priority = _text()
    exchanger = _text()
    serial = _hidden()
    checks = (("priority", parse_priority), ("exchanger", parse_exchanger))


class EditForm(RecordForm):
    """An edit: the record as it was, and its new values."""

    old_priority = _hidden()
    old_exchanger = _hidden()


class DeleteForm(ChangeForm):
    """A confirmed deletion: the record and the zone serial, all carried by the page."""

    priority = _hidden()
    exchanger = _hidden()
    serial = _hidden()


class UndoForm(ChangeForm):
    """An Undo button of the History: the id of the change to undo (confirmed like any
    change when its plan has findings)."""

    change = _hidden()


class TokenForm(PanelForm):
    """A new API token: its name, the domains it is limited to, when it expires."""

    name = _text()
    domains = forms.Field(required=False, widget=forms.SelectMultiple)
    expires = _text()

    def domains_chosen(self) -> list[str]:
        """The domains picked in the multi-select."""
        self.is_valid()
        return [str(d) for d in self.cleaned_data.get("domains") or []]
