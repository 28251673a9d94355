"""The store's models on SQLite: what the database accepts, refuses and keeps."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from mxroute.core.routing import Mode
from mxroute.store.models import MAX_SERIAL, Action, Change, Domain, Interface

pytestmark = pytest.mark.django_db


def _change(domain: Domain | None, **fields: Any) -> Change:
    values: dict[str, Any] = {
        "domain": domain,
        "domain_name": domain.name if domain else "gone.test",
        "actor": "cli:root",
        "interface": Interface.CLI,
        "action": Action.ADD_MX,
        "summary": "Added mx1.example.test with priority 10.",
    }
    values.update(fields)
    return Change.objects.create(**values)


def test_a_domain_name_can_be_stored_only_once() -> None:
    Domain.objects.create(name="example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(name="example.test")
    assert Domain.objects.count() == 1


@pytest.mark.parametrize("name", ["Example.test", "example.test.", ""])
def test_a_domain_name_that_is_not_normalised_is_refused(name: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(name=name)
    assert not Domain.objects.exists()


def test_a_new_domain_is_on_auto_and_never_detected() -> None:
    domain = Domain.objects.create(name="example.test")
    domain.refresh_from_db()
    assert (domain.chosen_mode, domain.detected_mode, domain.detected_at) == (Mode.AUTO, None, None)
    assert domain.detection_certain is False
    assert domain.created_at is not None and domain.updated_at is not None


def test_an_unknown_mode_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(name="example.test", mode="primary")
    domain = Domain.objects.create(name="example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.filter(pk=domain.pk).update(detected_mode="auto")


@pytest.mark.parametrize(
    ("mode", "detected", "effective"),
    [
        ("auto", None, Mode.LOCAL),
        ("auto", "backup", Mode.BACKUP),
        ("auto", "remote", Mode.REMOTE),
        ("local", "remote", Mode.LOCAL),
        ("backup", None, Mode.BACKUP),
        ("remote", "local", Mode.REMOTE),
    ],
)
def test_the_effective_mode_is_the_chosen_one_unless_auto(
    mode: str, detected: str | None, effective: Mode
) -> None:
    Domain.objects.create(name="example.test", mode=mode, detected_mode=detected)
    assert Domain.objects.get(name="example.test").effective_mode is effective


def test_a_user_who_owns_domains_cannot_be_deleted() -> None:
    owner = User.objects.create_user("alice")
    Domain.objects.create(name="example.test", owner=owner)
    with pytest.raises(ProtectedError), transaction.atomic():
        owner.delete()
    assert Domain.objects.get(name="example.test").owner == owner


def test_the_history_keeps_the_domain_name_after_the_domain_is_deleted() -> None:
    domain = Domain.objects.create(name="example.test")
    change = _change(domain)
    domain.delete()
    change.refresh_from_db()
    assert (change.domain, change.domain_name) == (None, "example.test")
    assert Change.objects.filter(domain_name="example.test").count() == 1


def test_serial_fields_take_the_largest_32_bit_serial() -> None:
    change = _change(None, serial_before=MAX_SERIAL - 1, serial_after=4294967295)
    change.refresh_from_db()
    assert (change.serial_before, change.serial_after) == (4294967294, 4294967295)


def test_a_serial_beyond_32_bits_is_refused() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _change(None, serial_after=MAX_SERIAL + 1)
    assert not Change.objects.exists()


def test_mx_sets_and_warnings_read_back_as_they_were_written() -> None:
    mx = [
        {"priority": 10, "exchanger": "mx1.example.test"},
        {"priority": 20, "exchanger": "mx2.example.test"},
    ]
    change = _change(None, mx_before=[], mx_after=mx, warnings=["mx2 does not resolve."])
    change.refresh_from_db()
    assert (change.mx_before, change.mx_after, change.warnings) == (
        [],
        mx,
        ["mx2 does not resolve."],
    )


def test_a_change_that_did_not_touch_the_mx_set_stores_none_and_no_warnings() -> None:
    change = _change(None, action=Action.SET_MODE, mode_before="auto", mode_after="local")
    change.refresh_from_db()
    assert (change.mx_before, change.mx_after, change.warnings) == (None, None, [])
    assert change.token_name == ""


def test_an_unknown_action_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _change(None, action="reboot")


def test_the_history_lists_the_newest_change_first() -> None:
    now = timezone.now()
    old = _change(None, at=now - timedelta(days=1))
    new = _change(None, at=now)
    same_time = _change(None, at=now)
    assert list(Change.objects.all()) == [same_time, new, old]
    assert Change.objects.latest() == same_time


def test_an_undo_points_at_the_change_it_reverted() -> None:
    done = _change(None)
    undo = _change(None, action=Action.UNDO, undoes=done)
    assert list(done.undone_by.all()) == [undo]


def test_the_migrations_match_the_models() -> None:
    out = StringIO()
    call_command("makemigrations", "store", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
