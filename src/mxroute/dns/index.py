"""Which managed zone holds a name: a lookup of the name's few suffixes, never a scan.

A name of n labels has at most n enclosing zones; asking which of those are managed
is one indexed query (or set lookups), whatever the number of managed zones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

# Given candidate zone names, the ones that are managed.
Managed = Callable[[Collection[str]], Collection[str]]


def suffixes(name: str) -> list[str]:
    """``a.b.example`` -> ``[a.b.example, b.example, example]`` (longest first)."""
    labels = name.lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]


def holders(names: Iterable[str], managed: Managed) -> dict[str, str | None]:
    """For each name, the most specific managed zone at or above it (None: outside)."""
    wanted = {name: suffixes(name) for name in names}
    found = set(managed({s for cands in wanted.values() for s in cands}))
    return {name: next((s for s in cands if s in found), None) for name, cands in wanted.items()}
