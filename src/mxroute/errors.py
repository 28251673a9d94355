"""The one exception tree of mxroute: every error a user may see is one of these.

Each error carries a stable machine-readable ``code`` and a one-sentence ``message``
that says what was wrong and what to do. Interfaces render ``message``; the HTTP API
also returns ``code``. Nothing here imports Django or dnspython.
"""

from __future__ import annotations

from typing import Any


class MxrouteError(Exception):
    """Something mxroute refused or could not do."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(MxrouteError):
    """Input that breaks a rule; nothing was changed."""

    code = "invalid"

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFound(MxrouteError):
    """A domain or record that does not exist (or that the caller may not see)."""

    code = "not_found"


class Conflict(MxrouteError):
    """The zone changed between the caller's read and this write."""

    code = "conflict"


class Risky(MxrouteError):
    """A change whose error findings say it would stop mail; made only when forced."""

    code = "risky_change"

    def __init__(self, domain: str, findings: tuple[Any, ...]) -> None:
        words = " ".join(f.message for f in findings)
        super().__init__(
            f"{words} Nothing was changed in {domain}; to make this change anyway, force it "
            "(--force on the command line, force in the API, the checkbox in the panel).",
        )
        self.findings = findings


class StepFailed(MxrouteError):
    """A step of a change (zone check, reload, routing lists, store) failed and was undone."""

    code = "step_failed"

    def __init__(self, step: str, message: str, *, undone: str = "") -> None:
        super().__init__(message, code=f"{step}_failed")
        self.step = step
        # What the failing step already put back itself, e.g. "the previous MX records
        # were put back under serial N": then "nothing was changed" would be false.
        self.undone = undone


class NotServed(StepFailed):
    """The name servers did not serve a written zone in time (verified apply); ``outcome``
    is what they answered, as data for the record of the change."""

    def __init__(self, message: str, *, outcome: dict[str, object]) -> None:
        super().__init__("zone_verify", message)
        self.outcome = outcome


class Unavailable(MxrouteError):
    """Something only the operator can fix (an unreadable zone file) stops the request."""

    code = "zone_unavailable"


class Busy(Unavailable):
    """Another change of the same domain took longer than a writer may wait."""

    code = "busy"


class TooLarge(MxrouteError):
    """A request bigger than the server takes (its body, or its number of fields)."""

    code = "too_large"


class ConfigError(MxrouteError):
    """The configuration or data directory is missing or wrong."""

    code = "config"


class Forbidden(MxrouteError):
    """An operation only administrators may do (adding domains, managing users)."""

    code = "forbidden"


class Unauthenticated(MxrouteError):
    """Missing or wrong credentials (a password, an API token)."""

    code = "unauthenticated"


class Throttled(Unauthenticated):
    """Too many failed log-ins from this user or address: wait before trying again."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
