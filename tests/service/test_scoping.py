"""Who may see and change which domain: the service scopes every call by its actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from mxroute.core.records import MXRecord
from mxroute.errors import Forbidden, NotFound
from mxroute.service import Actor, Service
from mxroute.store.models import Change, Domain
from tests.service.conftest import ACTOR, ZONE, state_of


def _user(name: str, admin: bool = False) -> Any:
    # No password: hashing one (Argon2) would only slow these tests down.
    return get_user_model().objects.create_user(name, is_superuser=admin, is_staff=admin)


@pytest.fixture
def people(service: Service) -> dict[str, Actor]:
    """alice owns alice.example, bob owns bob.example; example.test is nobody's."""
    actors = {
        name: Actor.for_user(_user(name, admin=name == "root"), "web")
        for name in ("alice", "bob", "root")
    }
    for owner in ("alice", "bob"):
        service.add_domain(
            f"{owner}.example", actor=ACTOR, owner=owner, mx=[MXRecord(10, "mx.self.test")]
        )
    service.add_mx("alice.example", 20, "mx2.example.test", actor=ACTOR)
    service.add_mx("bob.example", 20, "mx2.example.test", actor=ACTOR)
    return actors


def _listed(service: Service, actor: Actor, search: str = "") -> list[str]:
    return [d.domain for d in service.list_domains(search, actor=actor)]


def _refusal(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(NotFound) as refused:
        call()
    return refused.value.code, refused.value.message


# ----- reads -----------------------------------------------------------------------------


def test_an_owner_lists_only_their_own_domains(service: Service, people: dict[str, Actor]) -> None:
    assert _listed(service, people["alice"]) == ["alice.example"]
    assert _listed(service, people["bob"]) == ["bob.example"]
    assert _listed(service, people["alice"], search="example") == ["alice.example"]
    assert _listed(service, people["alice"], search="bob") == []


def test_an_administrator_and_the_operator_list_every_domain(
    service: Service, people: dict[str, Actor]
) -> None:
    every = ["alice.example", "bob.example", ZONE]
    assert _listed(service, people["root"]) == every
    assert _listed(service, ACTOR) == every
    assert [d.domain for d in service.list_domains()] == every


def test_a_token_scope_narrows_but_never_widens(service: Service, people: dict[str, Actor]) -> None:
    root = get_user_model().objects.get(username="root")
    alice = get_user_model().objects.get(username="alice")
    narrowed = Actor.for_user(root, "api", only=["bob.example"])
    assert _listed(service, narrowed) == ["bob.example"]
    wider = Actor.for_user(alice, "api", only=["alice.example", "bob.example", ZONE])
    assert _listed(service, wider) == ["alice.example"]
    # A token limited to no domain in particular is limited by its owner alone.
    assert Actor.for_user(alice, "api", only=[]).only is None


def test_may_manage_follows_owner_administrator_and_scope(people: dict[str, Actor]) -> None:
    alice, root = people["alice"], people["root"]
    assert alice.may_manage("alice.example", alice.user_id)
    assert not alice.may_manage("bob.example", people["bob"].user_id)
    assert not alice.may_manage(ZONE, None)
    assert root.may_manage(ZONE, None)
    assert ACTOR.may_manage(ZONE, None)
    scoped = Actor("root", "api", "t", root.user_id, True, frozenset({"alice.example"}))
    assert scoped.may_manage("alice.example", alice.user_id)
    assert not scoped.may_manage(ZONE, None)


def test_another_users_domain_is_not_found_exactly_like_an_absent_one(
    service: Service, people: dict[str, Actor]
) -> None:
    alice = people["alice"]
    absent = _refusal(lambda: service.show("absent.example", actor=alice))
    assert absent == (
        "domain_not_found",
        "absent.example is not among the domains you manage; check the name in your domain list.",
    )
    for zone in ("bob.example", ZONE, "BOB.Example."):
        code, message = _refusal(lambda z=zone: service.show(z, actor=alice))  # type: ignore[misc]
        name = zone.lower().rstrip(".")
        assert (code, message.replace(name, "absent.example")) == absent
    assert _refusal(lambda: service.history("absent.example", actor=alice)) == absent
    code, message = _refusal(lambda: service.history("bob.example", actor=alice))
    assert (code, message.replace("bob.example", "absent.example")) == absent


def test_an_owner_sees_their_domain(service: Service, people: dict[str, Actor]) -> None:
    state = service.show("alice.example", actor=people["alice"])
    assert state.owner == "alice"
    assert [str(r) for r in state.snapshot.mx] == ["10 mx.self.test", "20 mx2.example.test"]


def test_an_owners_history_holds_only_their_domains(
    service: Service, people: dict[str, Actor]
) -> None:
    alice, root = people["alice"], people["root"]
    assert {h.domain for h in service.history(actor=alice)} == {"alice.example"}
    assert [h.action for h in service.history("alice.example", actor=alice)] == [
        "add_mx",
        "add_domain",
    ]
    assert {h.domain for h in service.history(actor=root)} == {
        "alice.example",
        "bob.example",
        ZONE,
    }
    scoped = Actor.for_user(
        get_user_model().objects.get(username="root"), "api", only=["bob.example"]
    )
    assert {h.domain for h in service.history(actor=scoped)} == {"bob.example"}
    with pytest.raises(NotFound):
        service.history(ZONE, actor=scoped)


def test_the_history_of_a_removed_domain_is_for_administrators(
    service: Service, people: dict[str, Actor]
) -> None:
    service.remove_domain("alice.example", actor=ACTOR)
    assert service.history(actor=people["alice"]) == []
    with pytest.raises(NotFound):
        service.history("alice.example", actor=people["alice"])
    kept = service.history("alice.example", actor=people["root"])
    assert [h.action for h in kept] == ["remove_domain", "add_mx", "add_domain"]


def test_a_new_owner_sees_the_domains_earlier_history(
    service: Service, people: dict[str, Actor]
) -> None:
    service.set_owner("bob.example", "alice", actor=ACTOR)
    assert {h.domain for h in service.history(actor=people["alice"])} == {
        "alice.example",
        "bob.example",
    }
    assert service.history(actor=people["bob"]) == []


def test_an_owner_does_not_see_the_history_of_an_earlier_domain_of_the_same_name(
    service: Service, people: dict[str, Actor]
) -> None:
    # bob's domain is removed, then added again for alice: bob's changes stay his.
    service.set_mode("bob.example", "local", actor=people["bob"])
    service.remove_domain("bob.example", actor=ACTOR)
    service.add_domain("bob.example", actor=ACTOR, owner="alice")
    alices = service.history("bob.example", actor=people["alice"])
    assert [h.action for h in alices] == ["add_domain"]
    assert {h.domain for h in service.history(actor=people["alice"])} >= {"bob.example"}
    assert all(h.actor != "bob" for h in service.history(actor=people["alice"]))
    # Administrators still see all of it.
    kept = service.history("bob.example", actor=people["root"])
    assert [h.action for h in kept][:3] == ["add_domain", "remove_domain", "set_mode"]


# ----- mutations -------------------------------------------------------------------------

MUTATIONS: dict[str, Callable[[Service, str, Actor], object]] = {
    "add_mx": lambda s, z, a: s.add_mx(z, 30, "mx3.example.test", actor=a),
    "change_mx": lambda s, z, a: s.change_mx(
        z, "mx2.example.test", 20, 5, "mx2.example.test", actor=a
    ),
    "delete_mx": lambda s, z, a: s.delete_mx(z, 20, "mx2.example.test", actor=a),
    "set_mode": lambda s, z, a: s.set_mode(z, "local", actor=a),
    "detect": lambda s, z, a: s.detect(z, actor=a),
}


@pytest.mark.parametrize("action", sorted(MUTATIONS))
def test_an_owner_cannot_change_another_users_domain_and_nothing_changes(
    service: Service, people: dict[str, Actor], action: str
) -> None:
    alice = people["alice"]
    before = state_of(service)
    refusals = {
        zone: _refusal(lambda z=zone: MUTATIONS[action](service, z, alice))  # type: ignore[misc]
        for zone in ("bob.example", ZONE, "absent.example")
    }
    assert {(code, m.replace(z, "ZONE")) for z, (code, m) in refusals.items()} == {
        (
            "domain_not_found",
            "ZONE is not among the domains you manage; check the name in your domain list.",
        )
    }
    assert state_of(service) == before


@pytest.mark.parametrize("action", sorted(MUTATIONS))
def test_a_token_limited_to_one_domain_cannot_change_the_others(
    service: Service, people: dict[str, Actor], action: str
) -> None:
    service.add_domain(
        "alice2.example", actor=ACTOR, owner="alice", mx=[MXRecord(10, "mx.self.test")]
    )
    service.add_mx("alice2.example", 20, "mx2.example.test", actor=ACTOR)
    alice = get_user_model().objects.get(username="alice")
    scoped = Actor.for_user(alice, "api", token_name="one", only=["alice.example"])
    before = state_of(service)
    with pytest.raises(NotFound):
        MUTATIONS[action](service, "alice2.example", scoped)
    assert state_of(service) == before


@pytest.mark.parametrize("action", sorted(MUTATIONS))
def test_an_owner_changes_their_own_domain_under_their_name(
    service: Service, people: dict[str, Actor], action: str
) -> None:
    rows = Change.objects.count()
    MUTATIONS[action](service, "alice.example", people["alice"])
    newest = service.history("alice.example", actor=people["alice"])[0]
    if Change.objects.count() > rows:  # a detection that finds nothing new records nothing
        assert (newest.actor, newest.interface, newest.action) == ("alice", "web", action)
    else:
        assert action == "detect"


def test_a_tokens_change_records_the_token(service: Service, people: dict[str, Actor]) -> None:
    alice = get_user_model().objects.get(username="alice")
    scoped = Actor.for_user(alice, "api", token_name="deploy", only=["alice.example"])
    service.add_mx("alice.example", 30, "mx3.example.test", actor=scoped)
    newest = service.history("alice.example", actor=scoped)[0]
    assert (newest.actor, newest.interface, newest.token_name) == ("alice", "api", "deploy")


def test_an_administrator_changes_any_domain(service: Service, people: dict[str, Actor]) -> None:
    result = service.add_mx("bob.example", 30, "mx3.example.test", actor=people["root"])
    assert [str(r) for r in result.mx_after][-1] == "30 mx3.example.test"


# ----- operations for administrators only -------------------------------------------------


def test_only_administrators_add_remove_or_give_away_domains(
    service: Service, people: dict[str, Actor]
) -> None:
    alice = people["alice"]
    before = state_of(service)
    calls: list[tuple[str, Callable[[], object]]] = [
        ("add domains", lambda: service.add_domain("new.example", actor=alice)),
        ("remove domains", lambda: service.remove_domain("alice.example", actor=alice)),
        ("remove domains", lambda: service.remove_domain("bob.example", actor=alice)),
        ("change a domain's owner", lambda: service.set_owner("alice.example", "bob", actor=alice)),
        ("change a domain's owner", lambda: service.set_owner("bob.example", "alice", actor=alice)),
    ]
    for what, call in calls:
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.message == (
            f"Only an administrator may {what}; ask your hosting operator."
        )
        assert refused.value.code == "forbidden"
    assert state_of(service) == before


def test_an_administrator_user_adds_gives_and_removes_domains(
    service: Service, people: dict[str, Actor]
) -> None:
    root = people["root"]
    service.add_domain("new.example", actor=root, owner="alice", mx=[MXRecord(10, "mx.self.test")])
    assert "new.example" in _listed(service, people["alice"])
    service.set_owner("new.example", "bob", actor=root)
    assert "new.example" in _listed(service, people["bob"])
    service.remove_domain("new.example", actor=root)
    assert not Domain.objects.filter(name="new.example").exists()
    assert [h.actor for h in service.history("new.example", actor=root)] == ["root"] * 3


def test_giving_a_domain_away_records_it_in_the_history(
    service: Service, people: dict[str, Actor]
) -> None:
    summary = service.set_owner(ZONE, "alice", actor=ACTOR)
    assert summary == f"Gave {ZONE} to user 'alice' (was administrators only)."
    newest = service.history(ZONE)[0]
    assert (newest.action, newest.summary, newest.actor, newest.interface) == (
        "set_owner",
        summary,
        ACTOR.name,
        ACTOR.interface,
    )
    assert (newest.mx_before, newest.mx_after) == ([], [])
    assert Domain.objects.get(name=ZONE).owner.get_username() == "alice"  # type: ignore[union-attr]
    assert ZONE in _listed(service, people["alice"])


def test_taking_a_domain_from_its_owner_leaves_it_to_administrators(
    service: Service, people: dict[str, Actor]
) -> None:
    summary = service.set_owner("alice.example", None, actor=ACTOR)
    assert summary == "Gave alice.example to administrators only (was user 'alice')."
    assert _listed(service, people["alice"]) == []
    assert service.list_domains("alice", actor=ACTOR)[0].owner is None


def test_giving_a_domain_to_its_owner_again_records_nothing(
    service: Service, people: dict[str, Actor]
) -> None:
    rows = Change.objects.count()
    assert service.set_owner("alice.example", "alice", actor=ACTOR) == (
        "alice.example already belongs to user 'alice'."
    )
    assert Change.objects.count() == rows


def test_giving_a_domain_to_an_unknown_user_changes_nothing(
    service: Service, people: dict[str, Actor]
) -> None:
    before = state_of(service)
    with pytest.raises(NotFound) as missing:
        service.set_owner("alice.example", "nobody", actor=ACTOR)
    assert missing.value.code == "user_not_found"
    with pytest.raises(NotFound) as absent:
        service.set_owner("absent.example", "alice", actor=ACTOR)
    assert absent.value.code == "domain_not_found"
    assert state_of(service) == before
