"""The panel's forms: they only carry what was typed and the errors to show beside it.

Every rule (what a priority or an exchanger may be, which mode exists) lives in the
core and is applied by the service; its refusals are added to these forms by field.
So every field is optional here: an empty one is refused by the core, in its words.
"""

from __future__ import annotations

from typing import Any

from django import forms

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


class RoutingForm(PanelForm):
    """The Email Routing choice."""

    mode = _text()


class RecordForm(PanelForm):
    """A record to add (or the new values of an edited one), pinned to a zone serial."""

    priority = _text()
    exchanger = _text()
    serial = _hidden()


class EditForm(RecordForm):
    """An edit: the record as it was, and its new values."""

    old_priority = _hidden()
    old_exchanger = _hidden()


class DeleteForm(PanelForm):
    """A confirmed deletion: the record and the zone serial, all carried by the page."""

    priority = _hidden()
    exchanger = _hidden()
    serial = _hidden()


class UndoForm(PanelForm):
    """An Undo button of the History: the id of the change to undo."""

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
