"""The demo domains ``mxroute init --demo`` adds, one in each routing mode.

The demo server is ``mail.mxroute-demo.example`` at 192.0.2.1; every demo exchanger
lives in a demo zone (RFC 2606 ``.example`` names, RFC 5737 addresses), so detection
needs no network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mxroute.atomic import write_atomically
from mxroute.core.routing import Mode
from mxroute.dns.zonefile import ZoneFileBackend
from mxroute.service import Actor, Service

log = logging.getLogger(__name__)

DEMO_SERVER = "mail.mxroute-demo.example"
DEMO_ADDRESS = "192.0.2.1"


@dataclass(frozen=True)
class DemoDomain:
    """A demo zone and the mode chosen for it."""

    name: str
    mode: Mode
    zone: str


def _zone(name: str, body: str) -> str:
    return f"""; Demo zone for {name}, written by 'mxroute init --demo'.
$TTL 3600
@   IN SOA ns1.{name}. hostmaster.{name}. (
        2026010101 ; serial
        7200       ; refresh
        3600       ; retry
        1209600    ; expire
        3600 )     ; negative caching TTL
    IN NS   ns1.{name}.
ns1 IN A    192.0.2.53
{body}"""


DEMO_DOMAINS = (
    DemoDomain(
        "mxroute-demo.example",
        Mode.AUTO,
        _zone(
            "mxroute-demo.example",
            "; The demo mail server's own domain.\n"
            "@    IN MX 10 mail.mxroute-demo.example.\n"
            f"mail IN A  {DEMO_ADDRESS}\n",
        ),
    ),
    DemoDomain(
        "shop.example",
        Mode.AUTO,
        _zone(
            "shop.example",
            "; This server (192.0.2.1) is the only exchanger: detected as local.\n"
            "@    IN MX 10 mail.shop.example.\n"
            "mail IN A  192.0.2.1\n"
            "www  IN A  192.0.2.80\n"
            "; Hosts ready to become backup exchangers of the shop:\n"
            "mx2  IN A  192.0.2.82\n"
            "mx3  IN A  192.0.2.83\n",
        ),
    ),
    DemoDomain(
        "partner.example",
        Mode.AUTO,
        _zone(
            "partner.example",
            "; The partner's own server first, this server as backup: detected as backup.\n"
            "@   IN MX 10 mx1.partner.example.\n"
            f"@   IN MX 20 {DEMO_SERVER}.\n"
            "mx1 IN A  198.51.100.10\n",
        ),
    ),
    DemoDomain(
        "elsewhere.example",
        Mode.AUTO,
        _zone(
            "elsewhere.example",
            "; Two equal exchangers elsewhere, sharing mail at random: detected as remote.\n"
            "@   IN MX 10 mx1.elsewhere.example.\n"
            "@   IN MX 10 mx2.elsewhere.example.\n"
            "mx1 IN A  203.0.113.10\n"
            "mx2 IN A  203.0.113.11\n",
        ),
    ),
    DemoDomain(
        "gateway.example",
        Mode.LOCAL,
        _zone(
            "gateway.example",
            "; A filtering gateway receives the mail and hands it to this server:\n"
            "; local is chosen by hand although the MX does not name this server.\n"
            "@      IN MX 10 filter.gateway.example.\n"
            "filter IN A  203.0.113.20\n",
        ),
    ),
    DemoDomain(
        "nomail.example",
        Mode.AUTO,
        _zone(
            "nomail.example",
            "; This domain sends but never receives mail (RFC 7505 Null MX).\n@ IN MX 0 .\n",
        ),
    ),
)


def add_demo_domains(service: Service, actor: Actor) -> list[str]:
    """Write the demo zones that are missing and manage their domains; the names added."""
    managed = {s.domain for s in service.list_domains()}
    added = []
    for demo in DEMO_DOMAINS:
        if demo.name in managed:
            continue
        if not service.zones.exists(demo.name):
            backend = service.zones
            assert isinstance(backend, ZoneFileBackend), "the demo writes zone files"
            write_atomically(backend.path(demo.name), demo.zone.encode("utf-8"))
        service.add_domain(demo.name, actor=actor, mode=demo.mode)
        added.append(demo.name)
    return added
