"""The Django admin shows the store and edits nothing: changes go through the service."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mxroute.store.models import Action, Change, Domain, Interface

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="not used here 42"))
    return client


@pytest.fixture
def change() -> Change:
    domain = Domain.objects.create(name="example.test", mode="backup")
    return Change.objects.create(
        domain=domain,
        domain_name=domain.name,
        actor="cli:root",
        interface=Interface.CLI,
        action=Action.SET_MODE,
        summary="Set the routing of example.test to backup.",
    )


def test_the_domain_list_shows_each_domain_with_its_effective_mode(
    admin_client: Client, change: Change
) -> None:
    page = admin_client.get("/admin/store/domain/")
    assert page.status_code == 200
    assert b"example.test" in page.content and b"backup" in page.content


def test_the_history_can_be_read(admin_client: Client, change: Change) -> None:
    page = admin_client.get(f"/admin/store/change/{change.pk}/change/")
    assert page.status_code == 200
    assert b"Set the routing of example.test to backup." in page.content


def test_the_history_cannot_be_edited_or_deleted(admin_client: Client, change: Change) -> None:
    edit = admin_client.post(f"/admin/store/change/{change.pk}/change/", {"summary": "forged"})
    delete = admin_client.post(f"/admin/store/change/{change.pk}/delete/", {"post": "yes"})
    assert (edit.status_code, delete.status_code) == (403, 403)
    change.refresh_from_db()
    assert change.summary == "Set the routing of example.test to backup."


def test_domains_cannot_be_added_or_deleted_behind_the_services_back(
    admin_client: Client, change: Change
) -> None:
    domain = Domain.objects.get()
    add = admin_client.post("/admin/store/domain/add/", {"name": "other.test", "mode": "auto"})
    delete = admin_client.post(f"/admin/store/domain/{domain.pk}/delete/", {"post": "yes"})
    assert (add.status_code, delete.status_code) == (403, 403)
    assert list(Domain.objects.values_list("name", flat=True)) == ["example.test"]


def test_neither_owner_nor_mode_can_be_changed_without_a_history_row(
    admin_client: Client, change: Change
) -> None:
    domain = Domain.objects.get()
    bob = User.objects.create_user("bob")
    page = admin_client.post(
        f"/admin/store/domain/{domain.pk}/change/", {"owner": bob.pk, "mode": "remote"}
    )
    assert page.status_code == 403
    domain.refresh_from_db()
    assert (domain.owner, domain.mode) == (None, "backup")
