"""The one place that picks concrete backends from the settings.

The rest of the service knows only the protocols: ``ZoneStore`` (zones), ``RoutingTarget``
(what the mail server reads) and the ``AddressSource``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mxroute.config import Settings
from mxroute.core.routing import ServerIdentity
from mxroute.dns.base import ZoneStore
from mxroute.dns.resolver import Resolver
from mxroute.mta.base import RoutingTarget
from mxroute.service.addresses import AddressSource
from mxroute.service.locks import DomainLocks


@dataclass
class Backends:
    """The backends one service works with."""

    zones: ZoneStore
    routing: RoutingTarget
    addresses: AddressSource
    locks: DomainLocks
    identity: ServerIdentity


def build(
    settings: Settings,
    *,
    zones: ZoneStore | None = None,
    routing: RoutingTarget | None = None,
    resolver: Resolver | None = None,
) -> Backends:
    """Zone files, Exim-style routing lists and the configured resolver (or the
    ``zones`` and ``routing`` given: other backends, or in-memory ones in tests)."""
    from mxroute.dns.zonefile import ZoneFileBackend
    from mxroute.mta.lists import RoutingLists

    zones = zones or ZoneFileBackend(
        settings.zones_dir,
        settings.locks_dir,
        file_template=settings.zone_file,
        check_command=settings.zone_check_command,
        reload_command=settings.zone_reload_command,
        ttl=settings.zone_ttl,
    )
    routing = routing or RoutingLists(
        settings.lists_dir, settings.locks_dir, settings.lists_reload_command
    )
    resolver = resolver or Resolver(
        settings.resolver_server, settings.resolver_port, settings.resolver_timeout
    )
    identity = ServerIdentity.of(settings.server_names, settings.server_addresses)
    return Backends(
        zones,
        routing,
        AddressSource(zones, resolver, identity),
        DomainLocks(settings.locks_dir, settings.wait_seconds),
        identity,
    )
