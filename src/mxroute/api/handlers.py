"""Django's error handlers: in an API door's JSON shape under its paths, the usual
pages elsewhere (the web panel).

Views answer their own refusals; these are for what no view answered: a URL under a
door that matches no function, a request Django refused before any view (a body it
cannot read), and a failure that escaped a view.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from mxroute.api import answers

log = logging.getLogger(__name__)

NOT_FOUND = {
    answers.REST: "There is no such endpoint in this API; see /api/v1/docs for the list.",
    answers.UAPI: "Call UAPI functions as /execute/Email/FUNCTION, such as "
    "/execute/Email/list_mxs.",
    answers.API2: "Call API 2 functions as /json-api/cpanel with cpanel_jsonapi_module=Email.",
}
BAD_REQUEST = "The request cannot be read (its body or headers are malformed); correct it."
UNEXPECTED = "mxroute failed unexpectedly; the server's log has the details."


def shaped(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse | None:
    """The error in the JSON shape of the door ``request`` came through (None: the panel)."""
    which = answers.door(request.path)
    if which is None:
        return None
    data, content_type = answers.encoded(
        request.path, request.META.get("QUERY_STRING", ""), code, message
    )
    return HttpResponse(data, status=status, content_type=content_type.decode())


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: the door's JSON, or the panel's page."""
    which = answers.door(request.path)
    message = NOT_FOUND.get(which or "", "")
    answer = shaped(request, 404, "no_endpoint", message)
    return answer or defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 for what Django refused before any view (too many fields, a broken body)."""
    answer = shaped(request, 400, "bad_request", BAD_REQUEST)
    return answer or defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: one sentence in the door's JSON (the traceback is in the log), or the page."""
    answer = shaped(request, 500, "internal_error", UNEXPECTED)
    return answer or defaults.server_error(request)
