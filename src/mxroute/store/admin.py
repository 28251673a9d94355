"""The Django admin for the store: a window on the data, not a way around the service.

Every change to a domain (its owner and mode included) must go through the service,
which rewrites the mail server's routing lists and records the history, so both
admins here only show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from mxroute.store.models import Change, Domain

if TYPE_CHECKING:  # ModelAdmin is generic only in django-stubs, not at run time
    DomainModelAdmin = admin.ModelAdmin[Domain]
    ChangeModelAdmin = admin.ModelAdmin[Change]
else:
    DomainModelAdmin = ChangeModelAdmin = admin.ModelAdmin


class ReadOnly:
    """Admin permissions that allow looking and nothing else."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Domain)
class DomainAdmin(ReadOnly, DomainModelAdmin):
    """Domains, read-only: every change goes through the service, which keeps the history."""

    list_display = ("name", "owner", "mode", "detected_mode", "effective", "updated_at")
    list_filter = ("mode", "detected_mode")
    search_fields = ("name", "owner__username")
    readonly_fields = (
        "name",
        "mode",
        "detected_mode",
        "detected_at",
        "detection_certain",
        "created_at",
        "updated_at",
    )
    list_select_related = ("owner",)

    @admin.display(description="Effective mode")
    def effective(self, obj: Domain) -> str:
        """The mode the mail server uses."""
        return obj.effective_mode.value


@admin.register(Change)
class ChangeAdmin(ReadOnly, ChangeModelAdmin):
    """The history, read-only."""

    list_display = ("at", "domain_name", "action", "actor", "interface", "summary")
    list_filter = ("action", "interface")
    search_fields = ("domain_name", "actor", "summary")
    date_hierarchy = "at"
