"""Two managed domains never share one zone file (a symbolic or hard link): refused when
the second is added, and a change never writes through a link into another's file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from mxroute import accounts
from mxroute.errors import ConfigError, InvalidInput, Unavailable
from mxroute.service import Actor, Service
from tests.service.conftest import ACTOR, ZONE, add_fixture_domain, state_of

ZONES = ("alias.test", "other.test")


def zone_file(service: Service, zone: str) -> Path:
    return Path(service.settings.zones_dir) / f"{zone}.zone"


def refused(service: Service, zone: str) -> str:
    before = state_of(service)
    with pytest.raises(InvalidInput) as refusal:
        service.add_domain(zone, actor=ACTOR)
    assert refusal.value.code == "zone_file_shared"
    assert state_of(service) == before  # nothing written, no row, no history
    return refusal.value.message


def test_a_zone_file_linking_to_a_managed_domains_file_is_refused(service: Service) -> None:
    zone_file(service, "alias.test").symlink_to(f"{ZONE}.zone")
    assert refused(service, "alias.test") == (
        f"The zone file of alias.test is also the zone file of {ZONE} (a link), so a change "
        "to one would change the other; give alias.test a zone file of its own, then add it."
    )


def test_a_hard_linked_zone_file_is_refused(service: Service) -> None:
    os.link(zone_file(service, ZONE), zone_file(service, "alias.test"))
    assert f"also the zone file of {ZONE}" in refused(service, "alias.test")


def test_a_managed_domains_link_to_this_file_is_found_too(service: Service) -> None:
    # other.test is managed with a link to a file no managed domain had, then that
    # file's own domain is added: the link is found from the other side.
    zone_file(service, "target.test").write_bytes(zone_file(service, ZONE).read_bytes())
    zone_file(service, "other.test").symlink_to("target.test.zone")
    service.add_domain("other.test", actor=ACTOR)
    assert "also the zone file of other.test" in refused(service, "target.test")


def test_a_change_never_writes_through_a_link_into_another_domains_file(
    service: Service,
) -> None:
    # The link was made by hand after both were added (or before this check existed).
    text = zone_file(service, ZONE).read_bytes()
    zone_file(service, "alias.test").write_bytes(text)
    accounts.add_user("owner", "Plum-kettle-49-orbit")
    service.add_domain("alias.test", actor=ACTOR, owner="owner")
    zone_file(service, "alias.test").unlink()
    zone_file(service, "alias.test").symlink_to(f"{ZONE}.zone")
    before = state_of(service)
    with pytest.raises(ConfigError, match=f"is a link to the zone file of {ZONE}"):
        service.add_mx("alias.test", 20, "mx2.alias.test", actor=ACTOR)
    owner = Actor.for_user(User.objects.get(username="owner"), "web")
    with pytest.raises(Unavailable, match="Ask your hosting operator"):
        service.add_mx("alias.test", 20, "mx2.alias.test", actor=owner)
    assert state_of(service) == before
    assert zone_file(service, ZONE).read_bytes() == text


def test_a_link_to_an_unmanaged_file_is_still_allowed(service: Service) -> None:
    # The usual parked-domain layout: each link's target is nobody else's file.
    target = Path(service.settings.zones_dir) / "parked.db"
    target.write_bytes(zone_file(service, ZONE).read_bytes().replace(b"example.test.", b"@"))
    zone_file(service, "alias.test").symlink_to(target)
    service.add_domain("alias.test", actor=ACTOR)
    service.add_mx("alias.test", 20, "mx2.alias.test", actor=ACTOR)
    assert [str(r) for r in service.show("alias.test").snapshot.mx] == [
        "10 mx.self.test",
        "20 mx2.alias.test",
    ]


def test_a_domain_with_its_own_file_is_not_held_up(service: Service) -> None:
    add_fixture_domain(service, "own.test")
    service.add_mx("own.test", 20, "mx2.own.test", actor=ACTOR)
