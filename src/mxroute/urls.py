"""The project's URLs: the web panel, the HTTP API and the (read-only) Django admin.

The admin logs in through the panel's own log-in page (which throttles failures).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from mxroute.api import health

urlpatterns: list[URLPattern | URLResolver] = [
    # One log-in page for every door, so every failed log-in is counted and throttled.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="web:login", query_string=True, permanent=False),
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("", include("mxroute.api.urls")),
    path("", include("mxroute.web.urls")),
]

handler400 = "mxroute.api.handlers.bad_request"
handler404 = "mxroute.api.handlers.not_found"
handler500 = "mxroute.api.handlers.server_error"
