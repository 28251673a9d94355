"""Reads: the domain list, one domain, the history. Cheap at 100,000 domains.

A read of one domain costs one row and one zone (and the addresses of its
exchangers): never a scan of every domain or zone.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import idna

from mxroute.core.findings import Finding, Severity, messages
from mxroute.core.names import parse_domain
from mxroute.core.records import MXSet
from mxroute.core.routing import (
    Detection,
    Mode,
    ServerIdentity,
    detect,
    effective_mode,
    explain,
    mode_findings,
)
from mxroute.dns.base import Snapshot, ZoneStore
from mxroute.errors import MxrouteError, Unavailable
from mxroute.service.actor import OPERATOR, Actor, not_managed, visible
from mxroute.service.addresses import AddressSource
from mxroute.service.history import entries
from mxroute.service.results import DomainState, DomainSummary, HistoryEntry

if TYPE_CHECKING:
    from mxroute.store.models import Domain

log = logging.getLogger(__name__)


class Queries:
    """The read use-cases; :class:`mxroute.service.Service` adds the changes."""

    zones: ZoneStore
    addresses: AddressSource
    identity: ServerIdentity

    def list_domains(
        self,
        search: str = "",
        *,
        with_mx: bool = False,
        actor: Actor = OPERATOR,
        offset: int = 0,
        limit: int | None = None,
        with_findings: bool = False,
    ) -> list[DomainSummary]:
        """The domains ``actor`` may manage, by name, with chosen and effective mode; MX set
        if asked. ``offset`` and ``limit`` take one page of them: only its zones are read.
        ``with_findings``: only those the doctor last found something wrong with."""
        rows = self._listed(search, actor, with_findings)
        rows = rows[offset:] if limit is None else rows[offset : offset + limit]
        return [_summary(row, self._mx_or_none(row.name) if with_mx else None) for row in rows]

    def count_domains(
        self, search: str = "", *, actor: Actor = OPERATOR, with_findings: bool = False
    ) -> int:
        """How many domains :meth:`list_domains` lists in all (no zone is read)."""
        return int(self._listed(search, actor, with_findings).count())

    def _listed(self, search: str, actor: Actor, with_findings: bool = False) -> Any:
        """The Domain rows the list shows, by name: those ``actor`` may manage, searched."""
        from mxroute.store.models import Domain

        rows = visible(Domain.objects.select_related("owner").order_by("name"), actor)
        if search.strip():
            rows = rows.filter(name__icontains=_searchable(search))
        if with_findings:
            rows = rows.exclude(findings=[])
        return rows

    def summary(
        self, domain: str, *, with_mx: bool = False, actor: Actor = OPERATOR
    ) -> DomainSummary:
        """One domain's row of the list (with its MX set if asked; no detection)."""
        row = self._domain(domain, actor)
        return _summary(row, self._read(row.name, actor).mx if with_mx else None)

    def _mx_or_none(self, zone: str) -> MXSet | None:
        """The zone's MX set, or None when its file cannot be read (the list still shows)."""
        try:
            return self.zones.read(zone).mx
        except MxrouteError as exc:
            log.warning("cannot read the zone of %s: %s", zone, exc)
            return None

    def show(self, domain: str, *, actor: Actor = OPERATOR) -> DomainState:
        """Read the zone and detect afresh, without recording anything."""
        row = self._domain(domain, actor)
        snap = self._read(row.name, actor)
        detection = self.detection_of(row.name, snap.mx, _mode_or_none(row.detected_mode))
        return self._state(row, snap, detection)

    def history(
        self, domain: str | None = None, limit: int = 50, *, actor: Actor = OPERATOR
    ) -> list[HistoryEntry]:
        """Recorded changes, newest first, for one domain or all that ``actor`` may see.

        Operators and administrators see the history of removed domains too; an owner
        sees the changes of the domains they own now.
        """
        from mxroute.store.models import Change

        rows = Change.objects.all()
        if domain is not None:
            zone = parse_domain(domain)
            if actor.is_operator or (actor.admin and actor.only is None):
                rows = rows.filter(domain_name=zone)
            else:
                # This domain's rows only: not those of an earlier, removed domain of the
                # same name, which may have belonged to someone else.
                rows = rows.filter(domain_id=self._domain(zone, actor).pk)
        elif not actor.is_operator:
            if not actor.admin:
                rows = rows.filter(domain__owner_id=actor.user_id)
            if actor.only is not None:
                rows = rows.filter(domain_name__in=actor.only)
        return entries(rows, limit)

    def detection_of(self, zone: str, mx: MXSet, last_known: Mode | None) -> Detection:
        """Detect ``zone``'s mode from ``mx`` (its exchangers looked up now)."""
        return self.detections_of(zone, (mx,), last_known)[0]

    def detections_of(
        self, zone: str, sets: tuple[MXSet, ...], last_known: Mode | None
    ) -> tuple[Detection, ...]:
        """Detect ``zone``'s mode from each MX set (before and after a change), with one
        lookup of all their exchangers."""
        names: set[str] = set()
        for mx in sets:
            names |= {r.exchanger for r in mx if not r.is_null} or (
                {zone} if not len(mx) else set()
            )
        # The zone itself counts as managed even while it is being added.
        resolutions = self.addresses.resolve(names, also=zone)
        return tuple(detect(zone, mx, self.identity, resolutions, last_known) for mx in sets)

    # ----- helpers ----------------------------------------------------------------------

    def _read(self, zone: str, actor: Actor) -> Snapshot:
        """The zone's snapshot. When the file cannot be read, owners are told whom to ask,
        not the server's paths and settings; operators and administrators get the reason."""
        try:
            return self.zones.read(zone)
        except MxrouteError as exc:
            if actor.is_operator or actor.admin:
                raise
            log.warning("cannot read the zone of %s for %s: %s", zone, actor.name, exc)
            raise Unavailable(
                f"The DNS zone of {zone} cannot be read right now; ask your hosting operator "
                "to check it."
            ) from None

    def _domain(self, domain: str, actor: Actor = OPERATOR) -> Domain:
        """The domain's row, if ``actor`` may manage it; otherwise the same NotFound as
        for a domain that does not exist, so nobody learns which domains others own."""
        from mxroute.store.models import Domain

        zone = parse_domain(domain)
        try:
            row = Domain.objects.select_related("owner").get(name=zone)
        except Domain.DoesNotExist:
            raise not_managed(zone, actor) from None
        if not actor.may_manage(row.name, row.owner_id):
            raise not_managed(zone, actor)
        return row

    def _state(self, row: Domain, snap: Snapshot, detection: Detection) -> DomainState:
        chosen = row.chosen_mode
        return DomainState(
            row.name,
            row.owner.get_username() if row.owner else None,
            chosen,
            effective_mode(chosen, detection),
            snap,
            detection,
            tuple(explain(detection, chosen)),
            messages([*detection.findings, *mode_findings(chosen, detection)]),
        )


def _searchable(text: str) -> str:
    """Search text in the stored form: a Unicode name part becomes its A-labels."""
    text = text.strip().lower()
    if text.isascii():
        return text
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError:
        return text


def _mode_or_none(value: str | None) -> Mode | None:
    return Mode(value) if value else None


def _summary(row: Domain, mx: MXSet | None) -> DomainSummary:
    return DomainSummary(
        row.name,
        row.owner.get_username() if row.owner else None,
        row.chosen_mode,
        row.effective_mode,
        _mode_or_none(row.detected_mode),
        row.detected_at,
        mx,
        tuple(
            Finding(f["code"], Severity(f["severity"]), f["message"]) for f in row.findings or ()
        ),
        row.checked_at,
    )
