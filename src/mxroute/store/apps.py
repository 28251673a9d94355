"""The Django app of the store."""

from __future__ import annotations

from django.apps import AppConfig


class StoreConfig(AppConfig):
    """Domains, their chosen and detected routing modes, and the change history."""

    name = "mxroute.store"
    label = "store"
    verbose_name = "mxroute store"
    default_auto_field = "django.db.models.BigAutoField"
