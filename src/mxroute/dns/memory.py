"""A ZoneStore in memory: fast unit tests of the service, and the contract's reference."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from mxroute.core.names import is_subdomain
from mxroute.core.records import MXSet
from mxroute.core.routing import Resolution
from mxroute.dns.base import Snapshot
from mxroute.dns.index import Managed
from mxroute.errors import Conflict, InvalidInput, NotFound


class MemoryZones:
    """Zones as snapshots in a dict, with addresses per name for lookups."""

    def __init__(self) -> None:
        self.zones: dict[str, Snapshot] = {}
        self.addresses: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def exists(self, zone: str) -> bool:
        """True when the zone is there."""
        return zone in self.zones

    def read(self, zone: str) -> Snapshot:
        """The zone's snapshot; NotFound when absent."""
        try:
            return self.zones[zone]
        except KeyError:
            raise NotFound(f"The zone {zone} does not exist.", code="zone_not_found") from None

    def write(self, zone: str, mx: MXSet, expected: Snapshot) -> Snapshot:
        """Replace the MX set if the zone is still ``expected``; a new serial."""
        with self._lock:
            if self.read(zone) != expected:
                raise Conflict(f"The MX records of {zone} changed since you read them.")
            after = Snapshot(zone, expected.serial + 1, mx)
            self.zones[zone] = after
            return after

    def create(self, zone: str, mx: MXSet, nameserver: str) -> Snapshot:
        """A new zone with serial 1; refuses an existing one."""
        with self._lock:
            if zone in self.zones:
                raise InvalidInput(f"The zone {zone} already exists.", code="zone_exists")
            self.zones[zone] = Snapshot(zone, 1, mx)
            return self.zones[zone]

    def delete(self, zone: str, expected: Snapshot) -> None:
        """Remove a zone still ``expected``."""
        with self._lock:
            if self.read(zone) != expected:
                raise Conflict(f"The zone {zone} changed since it was created; it was kept.")
            del self.zones[zone]

    def check_editable(self, zone: str) -> None:
        """Nothing to refuse: no one else maintains these zones."""

    def publish(self, zone: str) -> None:
        """Nothing to do: a write here is served at once."""

    def shared_with(self, zone: str, managed: Managed, *, thorough: bool = False) -> str | None:
        """Never: each zone here is its own."""
        return None

    def lookup_many(self, zone: str, names: Iterable[str]) -> dict[str, Resolution]:
        """Each name's addresses as set in :attr:`addresses`."""
        import ipaddress

        found = {}
        for name in names:
            if not is_subdomain(name, zone):
                raise InvalidInput(
                    f"The name {name} is not in the zone {zone}.", code="not_in_zone"
                )
            addresses = self.addresses.get(name, set())
            found[name] = Resolution(
                status="ok" if addresses else "nxdomain",
                addresses=frozenset(ipaddress.ip_address(a) for a in addresses),
            )
        return found
