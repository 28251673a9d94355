"""The contract every DNS backend keeps.

A backend reads a zone's apex MX set and SOA serial as a :class:`Snapshot`, and
writes a new MX set only when the zone still matches the snapshot the caller read
(compare-and-swap): otherwise it raises :class:`mxroute.errors.Conflict` and changes
nothing. A failed check or reload leaves the zone as it was and raises
:class:`mxroute.errors.StepFailed` with the command's own message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from mxroute.core.records import MXSet
from mxroute.core.routing import Resolution
from mxroute.dns.index import Managed

# The Resolution status of a name that a zone delegates (a zone cut at or above it):
# the zone is not authoritative for it, so resolve it elsewhere (with DNS).
DELEGATED = "delegated"


@dataclass(frozen=True)
class Snapshot:
    """What a zone said when it was read: its SOA serial and apex MX set."""

    zone: str
    serial: int
    mx: MXSet


class ZoneStore(Protocol):
    """A place where zones live (zone files, later a DNS server via RFC 2136)."""

    def exists(self, zone: str) -> bool:
        """True when the zone is there to be read."""
        ...

    def read(self, zone: str) -> Snapshot:
        """The zone's serial and apex MX set; NotFound when the zone does not exist."""
        ...

    def write(self, zone: str, mx: MXSet, expected: Snapshot) -> Snapshot:
        """Replace the apex MX set if the zone still matches ``expected``; the new snapshot."""
        ...

    def create(self, zone: str, mx: MXSet, nameserver: str) -> Snapshot:
        """Create a minimal valid zone (SOA, NS, the MX set); refuses an existing zone."""
        ...

    def delete(self, zone: str, expected: Snapshot) -> None:
        """Remove a zone that still matches ``expected`` (undoing a create); Conflict if not."""
        ...

    def check_editable(self, zone: str) -> None:
        """Refuse, before anything changes, a zone this store must not edit (one a name
        server maintains itself and that cannot be frozen: ConfigError ``zone_dynamic``)."""
        ...

    def publish(self, zone: str) -> None:
        """Make the DNS server serve the zone as it is now (reload it); StepFailed if it
        cannot. Nothing to do where every write is served at once."""
        ...

    def shared_with(self, zone: str, managed: Managed, *, thorough: bool = False) -> str | None:
        """The other managed domain (of those ``managed`` keeps) stored in the same place
        as ``zone`` (a zone file that is a link to another's), if any; ``thorough`` also
        looks for links the other way (when a domain is added)."""
        ...

    def lookup_many(self, zone: str, names: Iterable[str]) -> dict[str, Resolution]:
        """The addresses of each name as this zone (which contains them all) publishes them.

        A name the zone delegates (a zone cut at or above it, even through an alias) has
        status :data:`DELEGATED`: resolve it elsewhere.
        """
        ...
