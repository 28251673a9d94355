"""Undo: a change of its own that puts back what a history entry changed, refused when
the domain changed since in a way it would overwrite, scoped to the caller's domains."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from mxroute.core.routing import Mode
from mxroute.errors import Conflict, InvalidInput, NotFound
from mxroute.service import Actor, Service
from mxroute.store.models import Change, Domain
from tests.service.conftest import ACTOR, ZONE, add_fixture_domain, state_of


def _records(service: Service) -> list[str]:
    return [str(r) for r in service.show(ZONE).snapshot.mx]


def _last(service: Service) -> Change:
    row = Change.objects.order_by("-id").first()
    assert row is not None
    return row


def _id_of_last(service: Service) -> int:
    return _last(service).pk


def test_undoing_an_added_record_takes_it_out_with_a_newer_serial(service: Service) -> None:
    added = service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    undone = service.undo(change, actor=ACTOR)
    assert _records(service) == ["10 mx.self.test"]
    assert undone.action == "undo" and undone.changed
    assert undone.serial_after > added.serial_after
    assert undone.summary == (
        f"Undid change {change}: removed MX 20 mx2.example.test. Routing stays local."
    )
    row = _last(service)
    assert (row.action, row.undoes_id) == ("undo", change)
    assert row.mx_before == [
        {"priority": 10, "exchanger": "mx.self.test"},
        {"priority": 20, "exchanger": "mx2.example.test"},
    ]
    assert row.mx_after == [{"priority": 10, "exchanger": "mx.self.test"}]
    [entry, *_] = service.history(ZONE)
    assert (entry.id, entry.undoes, entry.action) == (row.pk, change, "undo")


def test_undoing_a_changed_record_puts_the_old_one_back(service: Service) -> None:
    service.add_mx(ZONE, 20, "ns1.example.test", actor=ACTOR)
    service.change_mx(ZONE, "ns1.example.test", 20, 5, "ns1.example.test", actor=ACTOR)
    change = _id_of_last(service)
    assert service.show(ZONE).effective is Mode.BACKUP
    undone = service.undo(change, actor=ACTOR)
    assert _records(service) == ["10 mx.self.test", "20 ns1.example.test"]
    assert undone.summary.startswith(
        f"Undid change {change}: removed MX 5 ns1.example.test, put back MX 20 ns1.example.test."
    )
    assert service.show(ZONE).effective is Mode.LOCAL


def test_undoing_a_deleted_record_puts_it_back(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    service.delete_mx(ZONE, 10, "mx.self.test", actor=ACTOR)
    service.undo(_id_of_last(service), actor=ACTOR)
    assert _records(service) == ["10 mx.self.test", "20 mx2.example.test"]


def test_undoing_a_mode_choice_chooses_the_mode_before_and_leaves_the_zone(
    service: Service,
) -> None:
    service.add_mx(ZONE, 5, "mx1.example.test", actor=ACTOR)  # this server is the backup
    serial = service.show(ZONE).snapshot.serial
    service.set_mode(ZONE, "remote", actor=ACTOR)
    change = _id_of_last(service)
    undone = service.undo(change, actor=ACTOR)
    assert Domain.objects.get(name=ZONE).mode == "auto"
    assert undone.summary == (
        f"Undid change {change}: set routing back to auto. Routing changed from remote to backup."
    )
    assert service.show(ZONE).snapshot.serial == serial
    assert (_last(service).mode_before, _last(service).mode_after) == ("remote", "auto")


def test_a_change_undone_already_says_so(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    service.undo(change, actor=ACTOR)
    undo = _id_of_last(service)
    with pytest.raises(Conflict) as refused:
        service.undo(change, actor=ACTOR)
    assert refused.value.code == "undo_overwrites"
    assert refused.value.message == (
        f"Change {change} was already undone by change {undo}; undo change {undo} to make it again."
    )


def test_undo_of_an_undo_makes_the_change_again(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    service.undo(_id_of_last(service), actor=ACTOR)
    redo = _id_of_last(service)
    service.undo(redo, actor=ACTOR)
    assert _records(service) == ["10 mx.self.test", "20 mx2.example.test"]
    assert _last(service).undoes_id == redo


def test_a_dry_run_of_an_undo_writes_nothing_and_its_plan_applies(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    before = state_of(service)
    preview = service.undo(change, actor=ACTOR, dry_run=True)
    assert preview.dry_run and preview.zone_lines_removed == ("@ IN MX 20 mx2.example.test.",)
    assert state_of(service) == before
    applied = service.undo(change, actor=ACTOR, fingerprint=preview.fingerprint, force=True)
    assert applied.fingerprint == preview.fingerprint
    assert _records(service) == ["10 mx.self.test"]


def test_an_undo_that_would_overwrite_a_newer_record_change_is_refused(
    service: Service,
) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    service.add_mx(ZONE, 30, "mx3.example.test", actor=ACTOR)
    newer = _id_of_last(service)
    service.set_mode(ZONE, "local", actor=ACTOR)  # changes no record: not the one in the way
    before = state_of(service)
    with pytest.raises(Conflict) as refused:
        service.undo(change, actor=ACTOR)
    assert refused.value.code == "undo_overwrites"
    assert refused.value.message == (
        f"Change {change} cannot be undone: the MX records of {ZONE} changed since (by change "
        f"{newer}), and undoing it would overwrite that; undo change {newer} first, or change "
        "the records by hand."
    )
    assert state_of(service) == before
    # Once the newer change is undone, so can this one be.
    service.undo(newer, actor=ACTOR)
    service.undo(change, actor=ACTOR)
    assert _records(service) == ["10 mx.self.test"]


def test_a_hand_edit_of_the_zone_since_refuses_the_undo(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    zone_file = service.settings.zones_dir / f"{ZONE}.zone"
    zone_file.write_text(zone_file.read_text() + "@ IN MX 40 hand.example.test.\n")
    with pytest.raises(Conflict, match=r"changed since outside mxroute \(in the zone file\)"):
        service.undo(change, actor=ACTOR)


def test_an_undo_that_would_overwrite_a_newer_mode_choice_is_refused(service: Service) -> None:
    service.add_mx(ZONE, 5, "mx1.example.test", actor=ACTOR)  # this server is the backup
    service.set_mode(ZONE, "remote", actor=ACTOR)
    change = _id_of_last(service)
    service.set_mode(ZONE, "backup", actor=ACTOR)
    newer = _id_of_last(service)
    with pytest.raises(Conflict) as refused:
        service.undo(change, actor=ACTOR)
    assert refused.value.message == (
        f"Change {change} cannot be undone: the routing mode of {ZONE} was changed since (by "
        f"change {newer}) to backup, and undoing it would overwrite that; undo change {newer} "
        "first, or choose the mode by hand."
    )
    assert Domain.objects.get(name=ZONE).mode == "backup"


def test_a_record_change_undone_after_a_mode_change_keeps_the_mode(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    service.set_mode(ZONE, "local", actor=ACTOR)
    service.undo(change, actor=ACTOR)
    assert _records(service) == ["10 mx.self.test"]
    assert Domain.objects.get(name=ZONE).mode == "local"


def _nothing(service: Service) -> None:
    """The last entry is the domain's own add_domain."""


def _owner(service: Service) -> None:
    get_user_model().objects.create_user("carol", password="x")
    service.set_owner(ZONE, "carol", actor=ACTOR)


def _detected(service: Service) -> None:
    # A detection that changed the routing (an exchanger's address moved): as recorded.
    Change.objects.create(
        domain=Domain.objects.get(name=ZONE),
        domain_name=ZONE,
        actor="mxroute",
        interface="system",
        action="detect",
        summary="Detected the routing mode. Routing changed from remote to local.",
        mx_before=[{"priority": 10, "exchanger": "mx.self.test"}],
        mx_after=[{"priority": 10, "exchanger": "mx.self.test"}],
        mode_before="auto",
        mode_after="auto",
    )


NOT_UNDOABLE = {
    "add_domain": (_nothing, f"added {ZONE} to mxroute, which undo does not take back"),
    "set_owner": (_owner, f"mxroute domain owner {ZONE} USER"),
    "detect": (_detected, "(a detection) and changed nothing anyone chose"),
}


@pytest.mark.parametrize("action", list(NOT_UNDOABLE))
def test_entries_that_cannot_be_undone_say_what_to_do_instead(
    service: Service, action: str
) -> None:
    make, words = NOT_UNDOABLE[action]
    make(service)
    assert _last(service).action == action
    before = state_of(service)
    with pytest.raises(InvalidInput) as refused:
        service.undo(_id_of_last(service), actor=ACTOR)
    assert refused.value.code == "not_undoable"
    assert words in refused.value.message
    assert state_of(service) == before


def test_entries_of_a_removed_domain_cannot_be_undone(service: Service) -> None:
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    added = _id_of_last(service)
    service.remove_domain(ZONE, actor=ACTOR)
    removed = _id_of_last(service)
    with pytest.raises(InvalidInput, match=f"mxroute domain add {ZONE}"):
        service.undo(removed, actor=ACTOR)
    with pytest.raises(InvalidInput, match="before mxroute stopped managing it"):
        service.undo(added, actor=ACTOR)


@pytest.mark.parametrize("change", ["abc", "0", "-3", "²", "99999999999999999999", True])
def test_an_id_that_is_no_id_is_refused(service: Service, change: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.undo(change, actor=ACTOR)
    assert refused.value.code == "invalid_change_id"


def test_an_owner_undoes_only_their_own_domains_changes(service: Service) -> None:
    users = get_user_model().objects
    alice = users.create_user("alice", password="x")
    users.create_user("bob", password="x")
    service.set_owner(ZONE, "alice", actor=ACTOR)
    add_fixture_domain(service, "bob.test", owner="bob", mode=Mode.LOCAL)
    service.add_mx("bob.test", 20, "mx2.bob.test", actor=ACTOR)
    bobs = _id_of_last(service)
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    alices = _id_of_last(service)
    as_alice = Actor.for_user(alice, "web")
    before = state_of(service)
    for change in (bobs, 10_000):
        with pytest.raises(NotFound) as refused:
            service.undo(change, actor=as_alice)
        assert refused.value.code == "change_not_found"
        assert refused.value.message == (
            f"There is no change {change} that you may undo; check its id in the domain's history."
        )
    # Named through another domain (the panel's undo form posts to a domain's page).
    with pytest.raises(NotFound):
        service.undo(alices, actor=as_alice, domain="bob.test")
    assert state_of(service) == before
    service.undo(alices, actor=as_alice, domain=ZONE)
    assert _last(service).actor == "alice"


def test_a_token_limited_to_other_domains_cannot_undo(service: Service) -> None:
    admin = get_user_model().objects.create_user("root", password="x", is_superuser=True)
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    limited = Actor.for_user(admin, "api", token_name="t", only=["other.test"])
    with pytest.raises(NotFound):
        service.undo(_id_of_last(service), actor=limited)


def test_an_undo_completed_after_a_crash_still_says_what_it_undid(service: Service) -> None:
    from mxroute.service.apply import plan_data
    from mxroute.service.history import history_fields

    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    change = _id_of_last(service)
    plan = service.plan(
        ZONE, "undo", lambda mx: (mx, "Undid."), ACTOR, undoes=change
    )  # what the intent stores, and what settling it writes, come from this data alone
    data = plan_data(plan, ACTOR)
    assert data["undoes"] == change
    fields = history_fields(data, data["actor"], plan.serial_before, None)
    assert fields["undoes_id"] == change
    other = service.plan(ZONE, "detect", lambda mx: (mx, "Detected."), ACTOR)
    assert "undoes" not in other.to_data()  # other plans' fingerprints are unchanged
