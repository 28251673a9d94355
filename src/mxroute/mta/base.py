"""The contract every routing target keeps (the lists or maps a mail server reads).

A target holds, for each hosted domain, the effective mode the mail server uses. It
changes by entries: :meth:`RoutingTarget.change` touches only the domains it is given,
so its cost never grows with the number of domains beyond rewriting files as bytes.
A reader (the MTA) must never see a domain in a state that gives neither its old nor
its new mode, and never in no list at all while it is hosted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from mxroute.core.routing import Mode


class RoutingTarget(Protocol):
    """Where the mail server reads each domain's effective mode from."""

    def change(self, modes: Mapping[str, Mode | None]) -> bool:
        """Give each domain its new effective mode (None: not hosted); True if any changed.

        A failed reload puts the entries back as they were and raises StepFailed.
        """
        ...

    def modes(self, domains: Iterable[str]) -> dict[str, Mode | None]:
        """The effective mode the mail server reads now for each of ``domains``."""
        ...

    def read(self) -> dict[str, Mode]:
        """Every domain the mail server reads a mode for, with that mode (the doctor
        compares them with the store)."""
        ...

    def write(self, modes: Mapping[str, Mode]) -> bool:
        """Replace everything with ``modes`` (every hosted domain): init and repairs only."""
        ...
