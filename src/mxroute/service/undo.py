"""Undo: which history entry may be undone, what undoing it puts back, and when not.

An undo is an ordinary change (action ``undo``) planned through the one write path: it
puts back the MX set the entry found (for a change of the records) and the mode chosen
before it (for a change of the mode). It is refused, changing nothing, when the domain
changed since in a way the undo would overwrite: its MX set is no longer the one the
entry left, or its chosen mode is no longer the one the entry chose.

Entries of these actions are undone: ``add_mx``, ``change_mx``, ``delete_mx``,
``set_mode`` and ``undo`` (an undo of an undo is a redo). The others are refused with a
sentence saying what to do instead:

- ``add_domain``, ``remove_domain``: managing a domain or not is the operator's call,
  made with ``mxroute domain add``/``remove``; undo opens no second way to it;
- ``set_owner``: the history keeps no earlier owner to give the domain back to;
- ``detect``: a detection records what the MX records say; it changes nothing the user
  chose, so there is nothing to put back;
- any entry of a domain that mxroute stopped managing since (it was removed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mxroute.core.names import parse_domain
from mxroute.core.records import MXSet
from mxroute.core.routing import Mode
from mxroute.errors import Conflict, InvalidInput, NotFound
from mxroute.service.actor import Actor

UNDOABLE = frozenset({"add_mx", "change_mx", "delete_mx", "set_mode", "undo"})
"""The actions whose history entries can be undone."""

# Newer entries looked at to name the one in the way (a refusal names the newest).
NEWER_LOOKED_AT = 200
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Reversal:
    """What undoing one history entry puts back, and what must still hold for it.

    ``mx_before``/``mx_after`` are None when the entry did not change the MX set;
    ``mode_before``/``mode_after`` are None when it did not change the chosen mode.
    """

    change_id: int
    domain: str
    mx_before: MXSet | None
    mx_after: MXSet | None
    mode_before: Mode | None
    mode_after: Mode | None

    def check(self, mx_now: MXSet, mode_now: Mode) -> None:
        """Conflict (``undo_overwrites``) if the domain changed since in a way this undo
        would overwrite; says which newer change is in the way when one is."""
        if self.mx_after is not None and mx_now != self.mx_after:
            newer = _newer_change(self, mx=True)
            self._refuse_if_undone(newer)
            by = f" (by change {newer})" if newer else " outside mxroute (in the zone file)"
            first = f"; undo change {newer} first, or" if newer else "; instead,"
            raise Conflict(
                f"Change {self.change_id} cannot be undone: the MX records of {self.domain} "
                f"changed since{by}, and undoing it would overwrite that{first} change the "
                "records by hand.",
                code="undo_overwrites",
            )
        if self.mode_after is not None and mode_now is not self.mode_after:
            newer = _newer_change(self, mx=False)
            self._refuse_if_undone(newer)
            by = f" (by change {newer})" if newer else ""
            first = f"; undo change {newer} first, or" if newer else "; instead,"
            raise Conflict(
                f"Change {self.change_id} cannot be undone: the routing mode of {self.domain} "
                f"was changed since{by} to {mode_now.value}, and undoing it would overwrite "
                f"that{first} choose the mode by hand.",
                code="undo_overwrites",
            )

    def _refuse_if_undone(self, newer: int | None) -> None:
        """Conflict with its own words when the change in the way undid this one."""
        from mxroute.store.models import Change

        if newer is not None and Change.objects.filter(pk=newer, undoes_id=self.change_id):
            raise Conflict(
                f"Change {self.change_id} was already undone by change {newer}; undo change "
                f"{newer} to make it again.",
                code="undo_overwrites",
            )

    def mx_wanted(self, mx_now: MXSet) -> MXSet:
        """The MX set after the undo."""
        return mx_now if self.mx_before is None else self.mx_before

    def summary(self, mx_now: MXSet) -> str:
        """What the undo does, in one sentence (the planner adds the routing's words)."""
        parts = []
        if self.mx_before is not None:
            parts += [f"removed MX {r}" for r in mx_now if r not in self.mx_before]
            parts += [f"put back MX {r}" for r in self.mx_before if r not in mx_now]
        if self.mode_before is not None:
            parts.append(f"set routing back to {self.mode_before.value}")
        return f"Undid change {self.change_id}: {', '.join(parts) or 'nothing to put back'}."


def parse_change_id(value: object) -> int:
    """A history entry's id, as the doors receive it (a number, or its digits as text)."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    # ASCII digits only: "²" is a digit to str.isdigit, but no number to int().
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= _MAX_ID:
        raise InvalidInput(
            f"'{value}' is not a change id; give the number the history shows for the change.",
            code="invalid_change_id",
            field="change",
        )
    return int(text)


def find_change(change_id: object, actor: Actor, domain: str | None = None) -> Any:
    """The history row ``change_id`` if ``actor`` may undo it (and, when ``domain`` is
    given, it is that domain's); otherwise the same NotFound for absent and foreign rows.

    Operators and unscoped administrators reach every row; anyone else only the rows
    of the domains they manage now, as :meth:`Queries.history` shows them.
    """
    from mxroute.store.models import Change

    number = parse_change_id(change_id)
    row = Change.objects.select_related("domain").filter(pk=number).first()
    seen = row is not None and (
        actor.is_operator
        or (actor.admin and actor.only is None)
        or (row.domain is not None and actor.may_manage(row.domain.name, row.domain.owner_id))
    )
    if row is not None and domain is not None and row.domain_name != parse_domain(domain):
        seen = False
    if not seen:
        raise NotFound(
            f"There is no change {number} that you may undo; check its id in the domain's history.",
            code="change_not_found",
        )
    return row


def reversal_of(row: Any) -> Reversal:
    """What undoing the history row ``row`` puts back; InvalidInput (``not_undoable``)
    with what to do instead when it cannot be undone."""
    n, zone, action = row.pk, row.domain_name, row.action
    if action == "remove_domain":
        raise _not_undoable(
            f"Change {n} stopped mxroute managing {zone}, which undo does not take back; an "
            f"operator adds it again with 'mxroute domain add {zone}' (its zone file was "
            "kept, with its MX records), then sets its owner and mode."
        )
    if row.domain_id is None:
        raise _not_undoable(
            f"Change {n} was made to {zone} before mxroute stopped managing it, so it cannot "
            "be undone; change the domain as it is now instead."
        )
    if action == "add_domain":
        raise _not_undoable(
            f"Change {n} added {zone} to mxroute, which undo does not take back; an operator "
            f"removes the domain with 'mxroute domain remove {zone}' (its zone file is kept)."
        )
    if action == "set_owner":
        raise _not_undoable(
            f"Change {n} gave {zone} to another owner, which undo does not take back; an "
            f"operator gives it back with 'mxroute domain owner {zone} USER'."
        )
    mx_before = MXSet.from_list(row.mx_before or [])
    mx_after = MXSet.from_list(row.mx_after or [])
    mx_changed = row.mx_before is not None and row.mx_after is not None and mx_before != mx_after
    mode_changed = bool(row.mode_before and row.mode_after) and row.mode_before != row.mode_after
    if action not in UNDOABLE or not (mx_changed or mode_changed):
        raise _not_undoable(
            f"Change {n} only recorded what the MX records of {zone} say (a detection) and "
            "changed nothing anyone chose, so there is nothing to undo; change the MX records "
            "or choose a routing mode instead."
        )
    return Reversal(
        n,
        zone,
        mx_before if mx_changed else None,
        mx_after if mx_changed else None,
        Mode(row.mode_before) if mode_changed else None,
        Mode(row.mode_after) if mode_changed else None,
    )


def chosen_mode(zone: str) -> Mode:
    """The mode chosen for ``zone`` now (one indexed read of its row)."""
    from mxroute.store.models import Domain

    return Mode(Domain.objects.values_list("mode", flat=True).get(name=zone))


def _newer_change(reversal: Reversal, *, mx: bool) -> int | None:
    """The newest later entry of the domain that changed its MX set (or its chosen mode)."""
    from mxroute.store.models import Change

    rows = Change.objects.filter(
        domain_name=reversal.domain, pk__gt=reversal.change_id, domain__isnull=False
    ).order_by("-pk")[:NEWER_LOOKED_AT]
    for row in rows:
        if mx and row.mx_before is not None and row.mx_after is not None:
            if MXSet.from_list(row.mx_before) != MXSet.from_list(row.mx_after):
                return int(row.pk)
        elif not mx and row.mode_before and row.mode_after and row.mode_before != row.mode_after:
            return int(row.pk)
    return None


def _not_undoable(message: str) -> InvalidInput:
    return InvalidInput(message, code="not_undoable", field="change")
