"""The HTTP API's URLs: REST (/api/v1/), cPanel UAPI (/execute/) and API 2 (/json-api/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

# The REST API (mxroute.api.rest) and the cPanel compatibility views
# (mxroute.api.cpanel) add their patterns here.
urlpatterns: list[URLPattern | URLResolver] = []
