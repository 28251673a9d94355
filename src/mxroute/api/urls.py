"""The HTTP API's URLs: REST (/api/v1/), cPanel UAPI (/execute/) and API 2 (/json-api/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from mxroute.api import api2, rest, uapi

# The REST API (mxroute.api.rest) and the cPanel compatibility views
# (mxroute.api.cpanel) add their patterns here.
urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", rest.api.urls),
    # cPanel clients call the exact path, without a trailing slash, and follow no redirect.
    re_path(r"^execute/(?P<module>\w+)/(?P<function>\w+)/?$", uapi.execute, name="uapi"),
    re_path(r"^json-api/cpanel/?$", api2.json_api, name="api2"),
]
