"""The AddressSource: what a name's addresses are, from the managed zones first, then DNS.

A name inside a zone this server manages is answered from that zone (what is about to
be published, not what caches still hold); any other name, or one below a delegation,
is asked of DNS, all at once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import replace

from mxroute.core.routing import Resolution, ServerIdentity
from mxroute.dns.base import DELEGATED, ZoneStore
from mxroute.dns.index import Managed, holders
from mxroute.dns.resolver import Resolver
from mxroute.errors import MxrouteError

log = logging.getLogger(__name__)


def managed_in_store(candidates: Collection[str]) -> Collection[str]:
    """The candidates that are managed domains (one indexed query)."""
    from mxroute.store.models import Domain

    return set(Domain.objects.filter(name__in=list(candidates)).values_list("name", flat=True))


class AddressSource:
    """Answers "what are this name's addresses" for detection."""

    def __init__(self, backend: ZoneStore, resolver: Resolver, identity: ServerIdentity) -> None:
        self.backend = backend
        self.resolver = resolver
        self.identity = identity

    def resolve(
        self,
        names: Iterable[str],
        managed: Managed = managed_in_store,
        also: str = "",
        *,
        bulk: bool = False,
    ) -> dict[str, Resolution]:
        """Addresses for each name; ``also`` counts as managed (a domain being added).

        ``bulk`` (detecting many domains) skips an exchanger's AAAA query when its A
        query answered and this server has no IPv6 address: detection then has what
        it needs (the name has an address, and whether it is this server's).
        """
        if also:
            base = managed

            def managed(candidates: Collection[str]) -> Collection[str]:
                return {*base(candidates), *({also} & set(candidates))}

        found: dict[str, Resolution] = {}
        outside: list[str] = []
        by_zone: dict[str, list[str]] = {}
        pending = sorted({n for n in names if n not in self.identity.names})
        found.update({n: Resolution(status="ok") for n in names if n in self.identity.names})
        for name, holder in holders(pending, managed).items():
            if holder is not None and self.backend.exists(holder):
                by_zone.setdefault(holder, []).append(name)
            else:
                outside.append(name)
        for holder, inside in by_zone.items():
            try:
                answers = self.backend.lookup_many(holder, inside)
            except MxrouteError as exc:
                # Another domain's broken zone must not stop this one: its names simply
                # cannot be resolved (a temporary failure: fixing the file fixes them).
                log.warning("cannot look up names in %s: %s", holder, exc)
                answers = {name: Resolution(status="servfail") for name in inside}
            for name, resolution in answers.items():
                # Below a zone cut the zone is not authoritative: ask DNS instead.
                if resolution.status == DELEGATED:
                    outside.append(name)
                else:
                    found[name] = replace(resolution, zone=holder)
        if len(outside) == 1:
            found[outside[0]] = self.resolver.addresses(outside[0])
        elif outside:
            lazy = bulk and not any(a.version == 6 for a in self.identity.addresses)
            found.update(self.resolver.addresses_many(outside, a_is_enough=lazy))
        return found
