"""What cPanel's UAPI and API 2 share: parameters, the Email MX operations, their data.

Scripts written for cPanel call ``Email`` functions by UAPI (:mod:`mxroute.api.uapi`)
or API 2 (:mod:`mxroute.api.api2`); both land here. Each operation reads cPanel's
parameters, calls one service function as the caller's actor and returns the data
cPanel returns (mode names in cPanel's spelling: ``secondary`` for backup). Where
cPanel is unsafe, the service fixes the behaviour: the old record must match exactly,
an IP address is no exchanger, a priority is 0-65535 everywhere. See
docs/cpanel-compat.md for every decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from mxroute.core.names import shown
from mxroute.core.routing import Mode, parse_mode
from mxroute.errors import (
    Busy,
    ConfigError,
    InvalidInput,
    MxrouteError,
    Throttled,
    TooLarge,
    Unauthenticated,
)
from mxroute.service import Actor, ChangeResult, DomainSummary, Service

if TYPE_CHECKING:
    from django.http import HttpRequest

log = logging.getLogger(__name__)

MODULE = "Email"
# cPanel's legacy parameter names (API 2, older UAPI docs) and the names they stand for.
ALIASES = {
    "exchange": "exchanger",
    "newmx": "exchanger",
    "preference": "priority",
    "oldexchange": "oldexchanger",
    "oldmx": "oldexchanger",
    "oldpreference": "oldpriority",
}
# Browsers never prompt for these schemes, so they never cache credentials that a
# cross-site GET could then carry (these calls change things by GET, as cPanel's do).
_LEGACY_MODES = {"0": Mode.AUTO, "1": Mode.LOCAL}

Data = dict[str, Any]
Operation = Callable[[Service, Actor, "Params"], Any]


class Params:
    """One call's parameters: query and form body, legacy names folded into cPanel's own.

    An empty value counts as not sent. A parameter sent more than once (twice, in the
    query and the body, or under two of its names) must carry one value: a call that
    says two things is refused rather than guessed at.
    """

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[tuple[str, str]]] = {}
        for key, value in pairs:
            if value != "":
                self._values.setdefault(ALIASES.get(key, key), []).append((key, value))

    @classmethod
    def of(cls, request: HttpRequest) -> Params:
        """The parameters of ``request`` (GET query, then urlencoded or multipart body).

        TooLarge for a body or a number of fields beyond Django's limits; InvalidInput
        for a body that cannot be read as a form. Read once per request: Django reports
        a broken body only the first time it is read.
        """
        known = getattr(request, "_mxroute_params", None)
        if isinstance(known, MxrouteError):
            raise known
        if known is None:
            try:
                known = cls._read(request)
            except MxrouteError as exc:
                request._mxroute_params = exc  # type: ignore[attr-defined]
                raise
            request._mxroute_params = known  # type: ignore[attr-defined]
        return cast(Params, known)

    def first(self, name: str) -> str:
        """The first value sent for ``name`` as it was sent ("" when none), for echoing."""
        sent = self._values.get(name, [])
        return sent[0][1] if sent else ""

    @classmethod
    def _read(cls, request: HttpRequest) -> Params:
        from django.core.exceptions import (
            RequestDataTooBig,
            TooManyFieldsSent,
            TooManyFilesSent,
        )
        from django.http.multipartparser import MultiPartParserError

        try:
            pairs = [(k, v) for k, vs in request.GET.lists() for v in vs]
            if request.method == "POST":
                pairs += [(k, v) for k, vs in request.POST.lists() for v in vs]
        except (TooManyFieldsSent, TooManyFilesSent):
            raise TooLarge(
                "The call sends more parameters than this server takes (1,000); send only "
                "the ones the function uses."
            ) from None
        except RequestDataTooBig:
            raise TooLarge(
                "The call's body is larger than this server takes; send only the parameters "
                "the function uses."
            ) from None
        except MultiPartParserError:
            raise InvalidInput(
                "The call's body is not valid multipart form data (no boundary, or cut "
                "short); send the parameters URL-encoded or as a complete multipart form.",
                code="malformed_body",
            ) from None
        return cls(pairs)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Params:
        """Parameters from a plain mapping (one value each)."""
        return cls(list(values.items()))

    def get(self, name: str) -> str | None:
        """The value of ``name`` (or one of its legacy names); None when not sent."""
        sent = self._values.get(name, [])
        if len({value for _, value in sent}) > 1:
            keys = sorted({key for key, _ in sent})
            how = f"'{keys[0]}' more than once" if len(keys) == 1 else " and ".join(keys)
            raise InvalidInput(
                f"The call sends {how} with different values; send '{name}' once.",
                code="conflicting_parameters",
                field=name,
            )
        return sent[0][1] if sent else None

    def require(self, name: str) -> str:
        """The value of ``name``; InvalidInput naming the parameter when it is missing."""
        value = self.get(name)
        if value is None:
            raise InvalidInput(
                f"The parameter '{name}' is missing; send it with the call.",
                code="missing_parameter",
                field=name,
            )
        return value


def service() -> Service:
    """The service over the data directory the server runs with."""
    from django.conf import settings

    return Service(settings.MXROUTE)


BUSY_RETRY_SECONDS = 5


def authenticate(request: HttpRequest, interface: str) -> Actor:
    """The caller's actor (``uapi`` or ``api2``); Unauthenticated or Throttled otherwise."""
    from mxroute.api import auth

    return auth.actor_for(auth.authenticate(request), interface)


def refusal_status(exc: Unauthenticated) -> tuple[int, dict[str, str]]:
    """HTTP status and headers for failed credentials: 429 when throttled, else 401."""
    if isinstance(exc, Throttled):
        return 429, {"Retry-After": str(exc.retry_after)}
    from mxroute.api.auth import CHALLENGE

    return 401, {"WWW-Authenticate": CHALLENGE}


def failure_status(exc: MxrouteError) -> tuple[int, dict[str, str]]:
    """HTTP status and headers for a refused call: cPanel answers 200 with ``status`` 0,
    except when the domain is busy with another change (503, try again shortly), the
    request is too large (413), or only the operator can fix what failed (503)."""
    if isinstance(exc, Busy):
        return 503, {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if isinstance(exc, TooLarge):
        return 413, {}
    if isinstance(exc, ConfigError):
        return 503, {}
    return 200, {}


UNEXPECTED = "mxroute failed unexpectedly; the server's log has the details."
DATABASE_DOWN = "mxroute cannot reach its database right now; try again shortly."


@dataclass(frozen=True)
class Outcome:
    """What a cPanel call gives: its data, or the reason it failed; status and headers."""

    data: Any = None
    error: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def run(
    request: HttpRequest, interface: str, pick: Callable[[Params, Actor], Operation]
) -> Outcome:
    """Authenticate the caller, read the parameters, run the operation ``pick`` names.

    Every failure, a database that does not answer and a bug included, becomes a reason
    and a status, for the door to answer in its own JSON shape.
    """
    from django.db import DatabaseError

    try:
        actor = authenticate(request, interface)
        params = Params.of(request)
        return Outcome(pick(params, actor)(service(), actor, params))
    except Unauthenticated as exc:
        status, headers = refusal_status(exc)
        return Outcome(error=exc.message, status=status, headers=headers)
    except MxrouteError as exc:
        status, headers = failure_status(exc)
        return Outcome(error=exc.message, status=status, headers=headers)
    except DatabaseError:
        log.exception("%s call failed: the database did not answer", interface)
        return Outcome(error=DATABASE_DOWN, status=503, headers={"Retry-After": "5"})
    except Exception:
        log.exception("%s call failed", interface)
        return Outcome(error=UNEXPECTED, status=500)


def parse_cpanel_mode(value: str, field: str) -> Mode:
    """A mode as cPanel scripts send it: auto, local, secondary (= backup), remote, 0, 1."""
    text = value.strip().lower()
    if text in _LEGACY_MODES:
        return _LEGACY_MODES[text]
    try:
        return parse_mode(text, field=field)
    except InvalidInput:
        raise InvalidInput(
            f"The routing mode '{shown(value)}' is not known; send auto, local, secondary "
            "(or backup) or remote, or the legacy 0 (auto) or 1 (local).",
            code="invalid_mode",
            field=field,
        ) from None


# ----- data in cPanel's shape -------------------------------------------------------------


def _flags(effective: Mode) -> Data:
    return {
        "local": int(effective is Mode.LOCAL),
        "secondary": int(effective is Mode.BACKUP),
        "remote": int(effective is Mode.REMOTE),
    }


def domain_data(summary: DomainSummary) -> Data:
    """One domain of ``list_mxs``: chosen and effective mode, records by priority."""
    records = list(summary.mx or ())
    readable = summary.mx is not None
    return {
        "domain": summary.domain,
        "mxcheck": summary.mode.cpanel,
        "detected": summary.effective.cpanel,
        "alwaysaccept": int(summary.effective is Mode.LOCAL),
        **_flags(summary.effective),
        "status": int(readable),
        "statusmsg": (
            f"Listed the MX records of {summary.domain}."
            if readable
            else f"The zone of {summary.domain} cannot be read now; ask list_mxs for this "
            "domain alone to see why."
        ),
        # Without records, mail goes to the domain itself (the implicit MX of RFC 5321).
        "mx": records[0].exchanger if records else (summary.domain if readable else ""),
        "entries": [
            {
                "domain": summary.domain,
                "mx": record.exchanger,
                "priority": record.priority,
                "entrycount": count,
                "row": "odd" if count % 2 else "even",
            }
            for count, record in enumerate(records, start=1)
        ],
    }


def checkmx(result: ChangeResult) -> Data:
    """cPanel's ``checkmx``: the setting, the mode in effect, what the records say."""
    return {
        "changed": int(result.changed),
        "detected": result.effective_after.cpanel,
        "isprimary": int(result.detection.mode is Mode.LOCAL),
        "issecondary": int(result.detection.mode is Mode.BACKUP),
        **_flags(result.effective_after),
        "mxcheck": result.mode.cpanel,
        "warnings": list(result.warnings),
    }


def change_data(result: ChangeResult) -> Data:
    """What ``add_mx``, ``change_mx``, ``delete_mx`` and ``set_always_accept`` return; a
    dry run (mxroute's own ``dry_run=1``) adds what would change and its fingerprint."""
    data: Data = {
        "checkmx": checkmx(result),
        "results": result.summary,
        "status": 1,
        "statusmsg": result.summary,
    }
    if result.dry_run:
        from mxroute.present import change_data as plan_data

        planned = plan_data(result)
        data["statusmsg"] = f"Dry run, nothing was changed: {result.summary}"
        data["dry_run"] = 1
        data.update(
            {
                key: planned[key]
                for key in (
                    "zone_lines_removed",
                    "zone_lines_added",
                    "lists_before",
                    "lists_after",
                    "findings",
                    "refused_unless_forced",
                    "fingerprint",
                )
            }
        )
    return data


def preview(params: Params) -> dict[str, Any]:
    """``dry_run``, ``fingerprint`` and ``force`` for a change, from mxroute's own
    ``dry_run=1``, ``plan=...`` and ``force=1``."""
    return {
        "dry_run": _flag(params, "dry_run", "preview"),
        "fingerprint": params.get("plan"),
        "force": _flag(params, "force", "make a change that would stop mail"),
    }


def _flag(params: Params, name: str, meaning: str) -> bool:
    flag = (params.get(name) or "0").strip().lower()
    if flag not in ("0", "1", "true", "false", "yes", "no"):
        raise InvalidInput(
            f"The parameter '{name}' is '{shown(flag)}'; send 1 to {meaning}, or 0.",
            code=f"invalid_{name}",
            field=name,
        )
    return flag in ("1", "true", "yes")


# ----- the operations -------------------------------------------------------------------


def list_mxs(svc: Service, actor: Actor, params: Params) -> list[Data]:
    """Every domain the caller manages, or the one named by ``domain``."""
    domain = params.get("domain")
    if domain is None:
        return [domain_data(s) for s in svc.list_domains(with_mx=True, actor=actor)]
    return [domain_data(svc.summary(domain, with_mx=True, actor=actor))]


def add_mx(svc: Service, actor: Actor, params: Params) -> Data:
    """Add one record; ``alwaysaccept``, when sent, sets the routing mode in the same change."""
    domain, exchanger = params.require("domain"), params.require("exchanger")
    priority = params.require("priority")
    mode = _optional_mode(params, "alwaysaccept")
    result = svc.add_mx(domain, priority, exchanger, actor=actor, mode=mode, **preview(params))
    return change_data(result)


def change_mx(svc: Service, actor: Actor, params: Params) -> Data:
    """Replace the record named by ``oldexchanger`` (and ``oldpriority``), matched exactly."""
    domain, exchanger = params.require("domain"), params.require("exchanger")
    priority, old = params.require("priority"), params.require("oldexchanger")
    old_priority = params.get("oldpriority")
    mode = _optional_mode(params, "alwaysaccept")
    result = svc.change_mx(
        domain, old, old_priority, priority, exchanger, actor=actor, mode=mode, **preview(params)
    )
    return change_data(result)


def delete_mx(svc: Service, actor: Actor, params: Params) -> Data:
    """Delete the record with this exchanger and priority."""
    domain, exchanger = params.require("domain"), params.require("exchanger")
    priority = params.require("priority")
    return change_data(svc.delete_mx(domain, priority, exchanger, actor=actor, **preview(params)))


def set_always_accept(svc: Service, actor: Actor, params: Params) -> Data:
    """Choose the routing mode, sent as ``mxcheck`` or its alias ``alwaysaccept``."""
    domain = params.require("domain")
    sent = {_optional_mode(params, "mxcheck"), _optional_mode(params, "alwaysaccept")}
    modes = {mode for mode in sent if mode is not None}
    if not modes:
        raise InvalidInput(
            "The parameter 'mxcheck' is missing; send auto, local, secondary or remote.",
            code="missing_parameter",
            field="mxcheck",
        )
    if len(modes) > 1:
        raise InvalidInput(
            "The call sends mxcheck and alwaysaccept with different modes "
            f"({' and '.join(sorted(m.cpanel for m in modes))}); send only mxcheck.",
            code="conflicting_parameters",
            field="mxcheck",
        )
    (mode,) = modes
    return change_data(svc.set_mode(domain, mode, actor=actor, **preview(params)))


def get_always_accept(svc: Service, actor: Actor, params: Params) -> Data:
    """The stored setting of one domain: ``mxcheck`` and whether it is local now."""
    summary = svc.summary(params.require("domain"), with_mx=False, actor=actor)
    return {
        "domain": summary.domain,
        "mxcheck": summary.mode.cpanel,
        "alwaysaccept": int(summary.effective is Mode.LOCAL),
    }


def _optional_mode(params: Params, name: str) -> Mode | None:
    value = params.get(name)
    return None if value is None else parse_cpanel_mode(value, name)
