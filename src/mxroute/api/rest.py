"""The REST API under /api/v1/: domains, MX records, routing, detection, history.

Each view authenticates the caller by the request's Authorization header (no session,
no CSRF), calls one service function as that caller (interface ``api``, with the
token's name and domain limit) and returns a typed body. Every refusal has the same
JSON shape, ``{"errors": [{"code", "field", "message"}]}``, one entry per problem:

- 400 invalid input (bad JSON, a missing or malformed field, a rule the core enforces);
  413 a body larger than ``[web] max_body_bytes``; 415 a body that is not sent as
  ``application/json``; a JSON object naming one field twice is refused (400);
- 401 missing or wrong credentials (with ``WWW-Authenticate``), 429 too many failed
  log-ins (with ``Retry-After``);
- 404 a domain the caller may not see, absent or another owner's alike, a record the
  domain does not have, or a path that is no endpoint; 405 a method an endpoint does
  not take;
- 409 the zone changed since the serial the caller sent (or kept changing);
- 422 the zone check refused the new zone; 503 another step (reload, routing lists,
  store) failed and was undone, or something only the operator can fix (a zone file
  that cannot be read) stops the request;
- 500 an unexpected error, logged, answered with one sentence and no traceback.

The OpenAPI document is at /api/v1/openapi.json and the docs page at /api/v1/docs;
the page's scripts and styles come from mxroute itself (django-ninja's static files).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI, P, PathEx, QueryEx, Status, Swagger
from ninja.errors import HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from ninja.security.base import AuthBase

from mxroute import accounts, present
from mxroute.api import answers, handlers, schemas
from mxroute.api.auth import CHALLENGE, actor_for, authenticate
from mxroute.core.records import parse_exchanger, parse_priority
from mxroute.core.routing import MODE_MEANING, parse_mode
from mxroute.errors import (
    Busy,
    ConfigError,
    Conflict,
    Forbidden,
    InvalidInput,
    MxrouteError,
    NotFound,
    Risky,
    StepFailed,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from mxroute.service import Actor, Service

log = logging.getLogger(__name__)

INTERFACE = "api"
UNEXPECTED = "mxroute met an unexpected error; its log has the details for your operator."
NO_ENDPOINT = handlers.NOT_FOUND[answers.REST]

# ----- authentication ------------------------------------------------------------------


class _Credentials(AuthBase):
    """The caller proved by the Authorization header, whichever of the three schemes.

    The API lists three security schemes so the OpenAPI document and the docs page
    show them all; each one checks the header the same way (mxroute.api.auth).
    """

    def __call__(self, request: HttpRequest) -> accounts.Authenticated:
        if request.body and request.content_type != "application/json":
            # A JSON body sent as text/plain or a form needs no CORS preflight, so a
            # page elsewhere could send it with a browser's stored credentials.
            raise InvalidInput(
                f"The request body is {request.content_type or 'untyped'}; send JSON with "
                "'Content-Type: application/json'.",
                code="unsupported_media_type",
            )
        return authenticate(request)


class BearerToken(_Credentials):
    """``Authorization: Bearer TOKEN`` with an API token."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_description = "An API token: `Authorization: Bearer TOKEN`."


class CpanelToken(_Credentials):
    """``Authorization: cpanel USER:TOKEN``, as cPanel's clients send it."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "Authorization"
    openapi_description = "cPanel's form: `Authorization: cpanel USER:TOKEN`."


class BasicPassword(_Credentials):
    """HTTP Basic with the user's own password."""

    openapi_type = "http"
    openapi_scheme = "basic"
    openapi_description = "HTTP Basic with the user name and password."


# ----- the API object ----------------------------------------------------------------------


class DuplicateKey(ValueError):
    """A JSON object that names one key twice: which value was meant is unknown."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(key)
        found[key] = value
    return found


class StrictJson(Parser):
    """JSON bodies, refusing an object with a key twice (json.loads keeps the last)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, object_pairs_hook=_object))

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        """Query parameters, refusing one sent twice with two values (Django keeps the last)."""
        for key in data:
            if key not in list_fields and len(set(data.getlist(key))) > 1:
                raise InvalidInput(
                    f"The query sends '{key}' more than once with different values; send it once.",
                    code="duplicate_field",
                    field=key,
                )
        return super().parse_querydict(data, list_fields, request)


class RestApi(NinjaAPI):
    """django-ninja's API, with the request's values kept for error messages and a JSON
    answer when a method is not allowed."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        # Ninja drops each error's input; the core's parsers need it to say what is wrong.
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            source = context.model.__ninja_param_source__
            for error in context.pydantic_validation_error.errors(include_url=False):
                errors.append({**error, "loc": (source, *error["loc"])})
        return ValidationError(errors)

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                if pattern.name == "api-root":
                    # Ninja needs this URL (by name) only to know its own prefix.
                    pattern.callback = _root
                pattern.callback = _json_not_allowed(pattern.callback)
        return patterns


api = RestApi(
    title="mxroute REST API",
    version="1",
    description=(
        "MX records and email routing of the domains hosted on this mail server. "
        "Authenticate every call with an API token (`mxroute token create USER`) as "
        "`Authorization: Bearer TOKEN` or `Authorization: cpanel USER:TOKEN`, or with "
        'HTTP Basic. Errors answer `{"errors": [{"code", "field", "message"}]}`.'
    ),
    urls_namespace="rest",
    parser=StrictJson(),
    auth=[BearerToken(), CpanelToken(), BasicPassword()],
    # No request to an online validator: the page loads nothing from outside.
    docs=Swagger(settings={"validatorUrl": None}),
)


def _json_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Answer 405 in the API's error shape (Ninja's own is an empty HTML response)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        answer = _errors(
            request,
            405,
            "method_not_allowed",
            f"This endpoint does not take {request.method}; it takes {allowed}.",
        )
        answer["Allow"] = allowed
        return answer

    return wrapper


def _root(request: HttpRequest) -> HttpResponse:
    return _errors(request, 404, "no_endpoint", NO_ENDPOINT)


# ----- errors ----------------------------------------------------------------------------

READ_ERRORS: dict[int, Any] = {400: schemas.Errors, 401: schemas.Errors, 429: schemas.Errors}
DOMAIN_ERRORS: dict[int, Any] = {**READ_ERRORS, 404: schemas.Errors, 503: schemas.Errors}
CHANGE_ERRORS: dict[int, Any] = {
    **DOMAIN_ERRORS,
    415: schemas.Errors,
    409: schemas.Errors,
    422: schemas.Errors,
    503: schemas.Errors,
}


def _errors(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    return _answer(request, status, [{"code": code, "field": field, "message": message}])


def _answer(request: HttpRequest, status: int, problems: list[dict[str, Any]]) -> HttpResponse:
    return api.create_response(request, {"errors": problems}, status=status)


def _status(exc: MxrouteError) -> int:
    if exc.code == "unsupported_media_type":
        return 415
    if isinstance(exc, Throttled):
        return 429
    if isinstance(exc, Unauthenticated):
        return 401
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, Unavailable | ConfigError):
        return 503
    if isinstance(exc, TooLarge):
        return 413
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Risky):
        return 422
    if isinstance(exc, StepFailed):
        # A zone the checker refuses is this change's fault; any other failed step
        # is the server's, and was undone.
        return 422 if exc.step == "zone_check" else 503
    return 400


@api.exception_handler(MxrouteError)
def _refused(request: HttpRequest, exc: MxrouteError) -> HttpResponse:
    if isinstance(exc, ConfigError):
        # Only the operator can fix it (a broken zone file, a missing directory); the
        # service tells owners no more than that, and operators the reason.
        log.warning("%s %s: %s", request.method, request.path, exc.message)
    status = _status(exc)
    field = exc.field if isinstance(exc, InvalidInput) else None
    problems = [{"code": exc.code, "field": field, "message": exc.message}]
    if isinstance(exc, Risky):
        # Then each finding that refused it, so a script can tell which.
        problems += [{"code": f.code, "field": None, "message": f.message} for f in exc.findings]
    response = _answer(request, status, problems)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Busy):
        response["Retry-After"] = "5"
    elif status == 401:
        response["WWW-Authenticate"] = CHALLENGE
    return response


@api.exception_handler(DatabaseError)
def _database_down(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    log.error("%s %s: the database failed", request.method, request.path, exc_info=exc)
    response = _errors(
        request,
        503,
        "database_unavailable",
        "mxroute cannot reach its database right now; try again shortly.",
    )
    response["Retry-After"] = "5"
    return response


@api.exception_handler(TooManyFieldsSent)
def _too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
    return _errors(
        request,
        413,
        "too_large",
        "The request sends more parameters than this server takes (1,000); send only the "
        "ones the call uses.",
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _answer(request, 400, [_problem(error) for error in exc.errors])


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 401:
        return _refused(request, Unauthenticated(accounts.WRONG_CREDENTIALS))
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _errors(
            request,
            413,
            "too_large",
            "The request body is larger than this server takes; send a smaller one.",
        )
    if isinstance(exc.__cause__, DuplicateKey):
        return _errors(
            request,
            400,
            "duplicate_field",
            f"The request body sends the field '{exc.__cause__.key}' more than once; send "
            "each field once.",
            exc.__cause__.key,
        )
    if exc.status_code == 400:
        # Ninja's only 400 of its own: a body it cannot parse.
        return _errors(
            request,
            400,
            "invalid_json",
            'The request body is not valid JSON; send an object such as {"priority": 10, '
            '"exchanger": "mx1.example.com"}.',
        )
    return _errors(request, exc.status_code, "http_error", f"{exc.message.rstrip('.')}.")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.error("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return _errors(request, 500, "internal_error", UNEXPECTED)


# The core's own parser says best what is wrong with these fields.
_CORE_PARSERS: dict[str, Callable[[object, str], object]] = {
    "priority": lambda value, field: parse_priority(value, field=field),
    "exchanger": lambda value, field: parse_exchanger(value, field=field),
    "mode": lambda value, field: parse_mode(value, field=field),
}
# Other pydantic error types: the code, and the rest of the sentence about the field.
_PYDANTIC_WORDS = {
    "missing": ("missing", "is missing; send it."),
    "extra_forbidden": (
        "unknown_field",
        "is not one this call takes; remove it or correct its name.",
    ),
    "literal_error": ("invalid_choice", "must be one of {expected}."),
    "string_type": ("not_text", "must be text."),
    "string_too_short": ("empty", "must not be empty."),
    "string_too_long": ("too_long", "must be at most {max_length} characters long."),
}
_NOT_AN_OBJECT = ("model_type", "model_attributes_type", "dict_type")


def _problem(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error as ``{code, field, message}``, in the core's words when it can."""
    kind = str(error.get("type", ""))
    loc = [part for part in error.get("loc", ()) if isinstance(part, str)]
    source = loc[0] if loc else "body"
    # The location is (source, parameter name, field...): a body's fields come after
    # the name of the view's body parameter.
    names = loc[2:] if source == "body" else loc[1:]
    field = ".".join(names) or None
    if field is None or kind in _NOT_AN_OBJECT:
        message = "The request body must be a JSON object with the fields this call takes."
        return {"code": "invalid_body", "field": field, "message": message}
    parser = _CORE_PARSERS.get(names[-1])
    if parser is not None and kind != "missing":
        try:
            parser(error.get("input"), field)
        except InvalidInput as exc:
            return {"code": exc.code, "field": field, "message": exc.message}
    # Codes named like the core's (priority_not_integer, priority_out_of_range).
    if kind.startswith("int_"):
        code = f"{names[-1]}_not_integer"
        words = "must be a whole number" + (" (a JSON number)." if source == "body" else ".")
    elif kind in ("greater_than_equal", "less_than_equal"):
        low, high = _RANGES.get(names[-1], ("its minimum", "its maximum"))
        code, words = f"{names[-1]}_out_of_range", f"is out of range; send {low} to {high}."
    else:
        code, words = _PYDANTIC_WORDS.get(kind, ("invalid", "is not valid."))
        words = words.format_map({"expected": "the listed values", **(error.get("ctx") or {})})
    what = f"The field '{field}'" if source == "body" else f"The {source} parameter '{field}'"
    return {"code": code, "field": field, "message": f"{what} {words}"}


# ----- views -------------------------------------------------------------------------------

MAX_HISTORY = 500
DomainPath = PathEx[str, P(description="The domain name.", example="example.com")]
PriorityPath = PathEx[
    int,
    P(ge=0, le=schemas.MAX_PRIORITY, description="The record's priority (preference).", example=10),
]
ExchangerPath = PathEx[
    str,
    P(
        description="The record's exchanger; the Null MX `.` is sent as `%2E`.",
        example="mx1.example.com",
    ),
]
Limit = QueryEx[int, P(ge=1, le=MAX_HISTORY, description="At most this many changes.")]
DryRunQuery = QueryEx[
    bool, P(description="Plan only: answer what the change would do and change nothing.")
]
ForceQuery = QueryEx[
    bool, P(description="Make the change even though it would stop mail (else 422).")
]
PlanQuery = QueryEx[
    str | None,
    P(
        max_length=64,
        description="The fingerprint a dry run answered: apply only that plan (else 409).",
    ),
]
_RANGES = {
    "id": (1, 2**63 - 1),
    "priority": (0, schemas.MAX_PRIORITY),
    "serial": (0, schemas.MAX_SERIAL),
    "limit": (1, MAX_HISTORY),
}


def _service() -> Service:
    return Service(settings.MXROUTE)


def _actor(request: HttpRequest) -> Actor:
    caller: accounts.Authenticated = getattr(request, "auth")  # noqa: B009 (set by Ninja)
    return actor_for(caller, INTERFACE)


@api.get(
    "/domains",
    response={200: schemas.DomainList, **READ_ERRORS},
    tags=["domains"],
    summary="List your domains",
)
def list_domains(
    request: HttpRequest,
    q: QueryEx[str, P(max_length=253, description="Part of the domain name.")] = "",
    with_findings: QueryEx[
        bool, P(description="Only the domains in which the doctor last found something wrong.")
    ] = False,
) -> dict[str, Any]:
    """The domains you manage (all of them for an administrator), with their modes and
    what the doctor last found."""
    rows = _service().list_domains(q, actor=_actor(request), with_findings=with_findings)
    return {"domains": [present.summary_data(row) for row in rows]}


@api.get(
    "/domains/{domain}",
    response={200: schemas.DomainState, **DOMAIN_ERRORS},
    tags=["domains"],
    summary="Show a domain",
)
def show_domain(request: HttpRequest, domain: DomainPath) -> dict[str, Any]:
    """The zone serial, MX records, chosen and effective mode, and where mail goes."""
    return present.state_data(_service().show(domain, actor=_actor(request)))


@api.get(
    "/domains/{domain}/mx",
    response={200: schemas.RecordList, **DOMAIN_ERRORS},
    tags=["mx"],
    summary="List MX records",
)
def list_mx(request: HttpRequest, domain: DomainPath) -> dict[str, Any]:
    """The records by priority, and the zone serial to send with a change."""
    state = _service().show(domain, actor=_actor(request))
    return {
        "domain": state.domain,
        "serial": state.snapshot.serial,
        "mx": present.mx_data(state.snapshot.mx),
    }


@api.post(
    "/domains/{domain}/mx",
    response={201: schemas.Change, 200: schemas.Change, **CHANGE_ERRORS},
    tags=["mx"],
    summary="Add an MX record",
)
def add_mx(
    request: HttpRequest, domain: DomainPath, record: schemas.RecordIn
) -> Status[dict[str, Any]]:
    """Add a record; with `serial`, only if the zone is still at that serial; with
    `dry_run`, only say what it would do (200)."""
    result = _service().add_mx(
        domain,
        record.priority,
        record.exchanger,
        actor=_actor(request),
        expected_serial=record.serial,
        dry_run=record.dry_run,
        fingerprint=record.plan,
        force=record.force,
    )
    return Status(200 if result.dry_run else 201, present.change_data(result))


@api.put(
    "/domains/{domain}/mx/{priority}/{exchanger}",
    response={200: schemas.Change, **CHANGE_ERRORS},
    tags=["mx"],
    summary="Change an MX record",
)
def change_mx(
    request: HttpRequest,
    domain: DomainPath,
    priority: PriorityPath,
    exchanger: ExchangerPath,
    record: schemas.RecordIn,
) -> dict[str, Any]:
    """Replace the record named by the path (exactly that priority and exchanger)."""
    result = _service().change_mx(
        domain,
        exchanger,
        priority,
        record.priority,
        record.exchanger,
        actor=_actor(request),
        expected_serial=record.serial,
        dry_run=record.dry_run,
        fingerprint=record.plan,
        force=record.force,
    )
    return present.change_data(result)


@api.delete(
    "/domains/{domain}/mx/{priority}/{exchanger}",
    response={200: schemas.Change, **CHANGE_ERRORS},
    tags=["mx"],
    summary="Delete an MX record",
)
def delete_mx(
    request: HttpRequest,
    domain: DomainPath,
    priority: PriorityPath,
    exchanger: ExchangerPath,
    serial: QueryEx[
        int | None,
        P(ge=0, le=schemas.MAX_SERIAL, description="Refuse (409) unless the zone is still here."),
    ] = None,
    dry_run: DryRunQuery = False,
    plan: PlanQuery = None,
    force: ForceQuery = False,
) -> dict[str, Any]:
    """Delete the record named by the path (exactly that priority and exchanger)."""
    result = _service().delete_mx(
        domain,
        priority,
        exchanger,
        actor=_actor(request),
        expected_serial=serial,
        dry_run=dry_run,
        fingerprint=plan,
        force=force,
    )
    return present.change_data(result)


@api.get(
    "/domains/{domain}/routing",
    response={200: schemas.Routing, **DOMAIN_ERRORS},
    tags=["routing"],
    summary="Show the routing mode",
)
def show_routing(request: HttpRequest, domain: DomainPath) -> dict[str, Any]:
    """The chosen and effective mode, what it means, and why."""
    state = _service().show(domain, actor=_actor(request))
    return {
        "domain": state.domain,
        "mode": state.mode.value,
        "effective_mode": state.effective.value,
        "detected_mode": state.detection.mode.value,
        "certain": state.detection.certain,
        "meaning": MODE_MEANING[state.effective],
        "explanation": list(state.explanation),
        "warnings": list(state.warnings),
    }


@api.put(
    "/domains/{domain}/routing",
    response={200: schemas.Change, **CHANGE_ERRORS},
    tags=["routing"],
    summary="Set the routing mode",
)
def set_routing(
    request: HttpRequest, domain: DomainPath, routing: schemas.RoutingIn
) -> dict[str, Any]:
    """Choose auto, local, backup (cPanel: secondary) or remote."""
    result = _service().set_mode(
        domain,
        routing.mode,
        actor=_actor(request),
        dry_run=routing.dry_run,
        fingerprint=routing.plan,
        force=routing.force,
    )
    return present.change_data(result)


@api.post(
    "/domains/{domain}/detect",
    response={200: schemas.Change, **CHANGE_ERRORS},
    tags=["routing"],
    summary="Detect the routing mode",
)
def detect(
    request: HttpRequest, domain: DomainPath, dry_run: DryRunQuery = False, plan: PlanQuery = None
) -> dict[str, Any]:
    """Detect the mode from the MX records now, record it, and explain it."""
    result = _service().detect(domain, actor=_actor(request), dry_run=dry_run, fingerprint=plan)
    return present.change_data(result)


@api.get(
    "/domains/{domain}/history",
    response={200: schemas.History, **DOMAIN_ERRORS},
    tags=["history"],
    summary="A domain's history",
)
def domain_history(request: HttpRequest, domain: DomainPath, limit: Limit = 50) -> dict[str, Any]:
    """The domain's recorded changes, newest first."""
    rows = _service().history(domain, limit, actor=_actor(request))
    return {"changes": [present.history_data(row) for row in rows]}


@api.get(
    "/history",
    response={200: schemas.History, **READ_ERRORS},
    tags=["history"],
    summary="All your history",
)
def history(request: HttpRequest, limit: Limit = 50) -> dict[str, Any]:
    """The recorded changes of every domain you manage, newest first."""
    rows = _service().history(None, limit, actor=_actor(request))
    return {"changes": [present.history_data(row) for row in rows]}


@api.post(
    "/changes/{id}/undo",
    response={200: schemas.Change, **CHANGE_ERRORS},
    tags=["history"],
    summary="Undo a change",
)
def undo(
    request: HttpRequest,
    id: PathEx[
        int,
        P(ge=1, le=2**63 - 1, description="The change's id, as the history lists it.", example=42),
    ],
    options: schemas.UndoIn | None = None,
) -> dict[str, Any]:
    """Put back what the change `id` changed, as a change of its own (action `undo`);
    409 `undo_overwrites` if the domain changed since in a way the undo would overwrite,
    400 `not_undoable` for a change that cannot be undone (the message says what to do)."""
    wanted = options or schemas.UndoIn()
    result = _service().undo(
        id,
        actor=_actor(request),
        dry_run=wanted.dry_run,
        fingerprint=wanted.plan,
        force=wanted.force,
    )
    return present.change_data(result)


@api.get(
    "/doctor",
    response={200: schemas.DoctorReport, **DOMAIN_ERRORS},
    tags=["doctor"],
    summary="Check your domains for drift",
)
def doctor(
    request: HttpRequest,
    domain: QueryEx[
        str | None, P(max_length=253, description="Check only this domain.", example="example.com")
    ] = None,
) -> dict[str, Any]:
    """Compare each domain's zone file with what its name server serves, the stored and
    detected modes, the routing lists and interrupted changes; each disagreement is a
    finding with a stable code. Repairs are made from the command line
    (`mxroute doctor --fix`)."""
    from mxroute.service.doctor import Doctor

    report = Doctor(_service()).run(domain, actor=_actor(request))
    return present.doctor_data(report)


@api.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    "/{path:rest}",
    auth=None,
    include_in_schema=False,
)
def no_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /api/v1/: a JSON 404 rather than Django's HTML page."""
    return _root(request)
