"""The one place that picks concrete backends from the settings.

The rest of the service knows only the protocols: ``ZoneStore`` (zones), ``RoutingTarget``
(what the mail server reads) and the ``AddressSource``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mxroute.config import Settings, server_address
from mxroute.core.routing import ServerIdentity
from mxroute.dns.base import ZoneStore
from mxroute.dns.resolver import Resolver
from mxroute.dns.verify import Verifier
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
    # Asks the name servers whether they serve a written zone (None: changes are not
    # verified; see Settings.verifying).
    verifier: Verifier | None = None


def build(
    settings: Settings,
    *,
    zones: ZoneStore | None = None,
    routing: RoutingTarget | None = None,
    resolver: Resolver | None = None,
) -> Backends:
    """Zone files, Exim-style routing lists and the configured resolver (or the
    ``zones`` and ``routing`` given: other backends, or in-memory ones in tests)."""
    from mxroute.dns.memory import MemoryZones
    from mxroute.dns.zonefile import ZoneFileBackend
    from mxroute.mta.lists import RoutingLists

    zones = zones or ZoneFileBackend(
        settings.zones_dir,
        settings.locks_dir,
        file_template=settings.zone_file,
        check_command=settings.zone_check_command,
        reload_command=settings.zone_reload_command,
        ttl=settings.zone_ttl,
        freeze_command=settings.zone_freeze_command,
        thaw_command=settings.zone_thaw_command,
        named_conf=settings.named_conf,
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
        # Zones in memory are served by nobody: nothing to ask.
        None if isinstance(zones, MemoryZones) else verifier_of(settings),
    )


def verifier_of(settings: Settings) -> Verifier | None:
    """The verifier the settings call for: ``[dns] verify_servers``, else the
    ``[resolver]`` server, else the name server on this machine (127.0.0.1:53)."""
    if not settings.verifying:
        return None
    if settings.verify_servers:
        servers = [server_address(text) for text in settings.verify_servers]
    elif settings.resolver_server:
        servers = [(settings.resolver_server, settings.resolver_port)]
    else:
        servers = [("127.0.0.1", 53)]
    return Verifier(servers, settings.verify_timeout)
