"""The web panel as a Django app, so its templates and static files are found."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    """mxroute's pages: templates in ``templates/web``, static files in ``static/web``."""

    name = "mxroute.web"
    label = "web"
    verbose_name = "mxroute web panel"
