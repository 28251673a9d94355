"""A RoutingTarget in memory: fast unit tests, and the contract's reference."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mxroute.core.routing import Mode


class MemoryRouting:
    """Each domain's effective mode in a dict; ``changes`` counts the calls that changed."""

    def __init__(self) -> None:
        self.entries: dict[str, Mode] = {}
        self.changes = 0

    def change(self, modes: Mapping[str, Mode | None]) -> bool:
        """Give each domain its mode (None: not hosted)."""
        for domain, mode in modes.items():
            if mode is Mode.AUTO:
                raise ValueError(f"{domain}: routing takes an effective mode, not auto")
        before = dict(self.entries)
        for domain, mode in modes.items():
            if mode is None:
                self.entries.pop(domain, None)
            else:
                self.entries[domain] = mode
        changed = before != self.entries
        self.changes += changed
        return changed

    def modes(self, domains: Iterable[str]) -> dict[str, Mode | None]:
        """The mode each domain has now."""
        return {d: self.entries.get(d) for d in domains}

    def read(self) -> dict[str, Mode]:
        """Every domain's mode."""
        return dict(sorted(self.entries.items()))

    def write(self, modes: Mapping[str, Mode]) -> bool:
        """Replace everything."""
        changed = dict(modes) != self.entries
        self.entries = dict(modes)
        return changed
