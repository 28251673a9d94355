"""The project's URLs: the web panel, the HTTP API and the (read-only) Django admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("", include("mxroute.api.urls")),
    path("", include("mxroute.web.urls")),
]
