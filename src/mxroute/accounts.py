"""The accounts use-cases: users, API tokens, and the throttling of failed log-ins.

Every door uses these: the command line manages users and tokens, the web panel logs
people in and shows their tokens, the HTTP API authenticates each call. Passwords are
hashed by Django (Argon2, see settings); a token is shown once and stored only as its
SHA-256 digest. Failed log-ins are counted in the store, so every server process and
every door throttle the same failures.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mxroute.core.names import parse_domain
from mxroute.errors import InvalidInput, NotFound, Throttled, Unauthenticated

if TYPE_CHECKING:
    from mxroute.store.models import ApiToken

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
TOKEN_ALPHABET = string.ascii_uppercase + string.digits
TOKEN_LENGTH = 32  # the shape of a cPanel API token: 32 capitals and digits (165 bits)
_TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_EXPIRY = re.compile(r"(\d{1,5})([hdw])")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
WRONG_CREDENTIALS = "The user name or password is wrong."
WRONG_TOKEN = "The API token is wrong, expired or revoked; create a new one."


@dataclass(frozen=True)
class UserSummary:
    """One user as the user list shows it."""

    username: str
    admin: bool
    domains: int
    tokens: int
    last_login: datetime | None


@dataclass(frozen=True)
class TokenSummary:
    """One API token, without its secret."""

    username: str
    name: str
    domains: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @property
    def expired(self) -> bool:
        """True once the expiry time has passed."""
        return self.expires_at is not None and self.expires_at <= _now()


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is shown once and never stored."""

    summary: TokenSummary
    secret: str


@dataclass(frozen=True)
class Authenticated:
    """Who a request proved to be: the user, and the token used (if any)."""

    user: Any
    token_name: str = ""
    domains: tuple[str, ...] = ()


# ----- users ---------------------------------------------------------------------------


def add_user(username: str, password: str, *, admin: bool = False) -> UserSummary:
    """Create a user; refuse a taken or badly formed name and a weak password."""
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError, transaction

    model = get_user_model()
    name = _valid_username(username)
    if model.objects.filter(username=name).exists():
        raise InvalidInput(f"There is already a user named '{name}'.", code="user_exists")
    user = model(username=name, is_superuser=admin, is_staff=admin)
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvalidInput(f"There is already a user named '{name}'.", code="user_exists") from None
    return _user_summary(user)


def set_password(username: str, password: str) -> None:
    """Give a user a new password (checked by Django's validators)."""
    user = find_user(username)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])


def list_users() -> list[UserSummary]:
    """Every user, by name, with how many domains and live tokens they have."""
    from django.contrib.auth import get_user_model

    return [_user_summary(u) for u in get_user_model().objects.order_by("username")]


def remove_user(username: str) -> None:
    """Delete a user and their tokens; refused while they still own domains."""
    user = find_user(username)
    owned = sorted(user.domains.values_list("name", flat=True))
    if owned:
        shown = ", ".join(owned[:3]) + (", …" if len(owned) > 3 else "")
        raise InvalidInput(
            f"'{user.get_username()}' still owns {len(owned)} domain(s) ({shown}); give "
            "them to another user with 'mxroute domain owner' first.",
            code="user_owns_domains",
        )
    user.delete()


def _valid_username(username: str) -> str:
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError

    name = username.strip()
    try:
        if not name or len(name) > 150:
            raise ValidationError("bad length")
        UnicodeUsernameValidator()(name)
    except ValidationError:
        raise InvalidInput(
            "A user name must be 1 to 150 letters, digits and the characters @ . + - _ only.",
            code="invalid_username",
            field="username",
        ) from None
    return name


def _check_password(password: str, user: Any) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        reasons = "; ".join(_reason(m) for m in exc.messages)
        raise InvalidInput(
            f"The password was refused ({reasons}); choose another one.",
            code="weak_password",
            field="password",
        ) from None


def _reason(message: str) -> str:
    """Django's "This password is too short. It must…" as "too short, it must…"."""
    for lead in ("This password is ", "The password is ", "Your password "):
        if message.startswith(lead):
            message = message[len(lead) :]
    message = message.rstrip(".").replace(". It ", ", it ").replace(". ", ", ")
    return message[:1].lower() + message[1:]


def find_user(username: str) -> Any:
    """The user named ``username``; NotFound (one sentence) when there is none."""
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.get(username=username.strip())
    except get_user_model().DoesNotExist:
        raise NotFound(
            f"There is no user named '{username.strip()}'; see 'mxroute user list'.",
            code="user_not_found",
        ) from None


def _user_summary(user: Any) -> UserSummary:
    from django.db.models import Q

    live = user.api_tokens.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=_now()))
    return UserSummary(
        user.get_username(),
        bool(user.is_superuser),
        user.domains.count(),
        live.filter(revoked_at__isnull=True).count(),
        user.last_login,
    )


# ----- API tokens ------------------------------------------------------------------------


def create_token(
    username: str,
    name: str = "",
    *,
    domains: tuple[str, ...] | list[str] = (),
    expires: datetime | None = None,
) -> NewToken:
    """A new API token for ``username``, optionally limited to some of their domains."""
    from django.db import IntegrityError, transaction

    from mxroute.service import Actor
    from mxroute.store.models import ApiToken, Domain

    user = find_user(username)
    name = name.strip() or _unused_token_name(user)
    if not _TOKEN_NAME.fullmatch(name):
        raise InvalidInput(
            "A token name must be 1 to 100 letters, digits and . _ - , starting with a "
            "letter or digit.",
            code="invalid_token_name",
            field="name",
        )
    if expires is not None and expires <= _now():
        raise InvalidInput(
            "The expiry time is in the past; give a time in the future.",
            code="invalid_expiry",
            field="expires",
        )
    scope = Actor.for_user(user, "api")
    zones = tuple(dict.fromkeys(parse_domain(d) for d in domains))
    for zone in zones:
        row = Domain.objects.filter(name=zone).first()
        if row is None or not scope.may_manage(zone, row.owner_id):
            raise NotFound(
                f"{zone} is not among the domains '{user.get_username()}' manages, so a "
                "token cannot be limited to it.",
                code="domain_not_found",
            )
    secret = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user,
                name=name,
                digest=_digest(secret),
                domains=list(zones),
                expires_at=expires,
            )
    except IntegrityError:
        raise InvalidInput(
            f"'{user.get_username()}' already has a token named '{name}'; choose another "
            "name or revoke that token first.",
            code="token_exists",
            field="name",
        ) from None
    return NewToken(_token_summary(token), secret)


def _unused_token_name(user: Any) -> str:
    """``token-YYYYmmdd-HHMMSS``, with ``-2``, ``-3``… when a script makes several a second."""
    base = f"token-{_now():%Y%m%d-%H%M%S}"
    taken = set(user.api_tokens.filter(name__startswith=base).values_list("name", flat=True))
    name, count = base, 1
    while name in taken:
        count += 1
        name = f"{base}-{count}"
    return name


def list_tokens(username: str | None = None) -> list[TokenSummary]:
    """The tokens of one user, or of every user; revoked ones are gone."""
    from mxroute.store.models import ApiToken

    rows = ApiToken.objects.select_related("user").filter(revoked_at__isnull=True)
    if username is not None:
        rows = rows.filter(user=find_user(username))
    return [_token_summary(t) for t in rows]


def revoke_token(username: str, name: str) -> None:
    """Revoke (delete) a user's token: calls made with it fail from now on."""
    from mxroute.store.models import ApiToken

    user = find_user(username)
    deleted, _ = ApiToken.objects.filter(user=user, name=name.strip()).delete()
    if not deleted:
        raise NotFound(
            f"'{user.get_username()}' has no token named '{name.strip()}'; see "
            "'mxroute token list'.",
            code="token_not_found",
        )


def parse_expiry(text: str) -> datetime:
    """``30d``, ``12h``, ``2w`` from now, or an ISO date/time (UTC when no zone is given).

    A date alone means the end of that day: a token "valid until 2027-01-31" works on
    the 31st.
    """
    from datetime import UTC

    text = text.strip()
    relative = _EXPIRY.fullmatch(text.lower())
    if relative:
        count, unit = relative.groups()
        return _now() + timedelta(**{_UNITS[unit]: int(count)})
    try:
        if _DATE_ONLY.fullmatch(text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC) + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"'{text}' is not an expiry: give a duration such as 30d, 12h or 2w, or a date "
            "such as 2027-01-31.",
            code="invalid_expiry",
            field="expires",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _token_summary(token: ApiToken) -> TokenSummary:
    return TokenSummary(
        token.user.get_username(),
        token.name,
        tuple(token.domains or ()),
        token.created_at,
        token.expires_at,
        token.last_used_at,
    )


# ----- authentication and throttling --------------------------------------------------------


def authenticate_password(username: str, password: str, address: str) -> Any:
    """The active user with this password; Unauthenticated (or Throttled) otherwise."""
    from django.contrib.auth import authenticate

    check_throttle(username, address)
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        record_failure(username, address)
        raise Unauthenticated(WRONG_CREDENTIALS)
    clear_failures(username)
    return user


def authenticate_token(secret: str, address: str, username: str | None = None) -> Authenticated:
    """Who holds this API token; ``username`` must match when the caller names one."""
    from mxroute.store.models import ApiToken

    # Only the address counts: a token is 165 random bits, not a guessable password, and
    # counting failures per user name would let anyone lock out an owner's scripts.
    check_throttle("", address)
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret.strip()), revoked_at__isnull=True)
        .first()
    )
    now = _now()
    if (
        token is None
        or not token.user.is_active
        or (token.expires_at is not None and token.expires_at <= now)
        or (username is not None and token.user.get_username() != username)
    ):
        record_failure("", address)
        raise Unauthenticated(WRONG_TOKEN)
    # One write a minute at most: a busy script must not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Authenticated(token.user, token.name, tuple(token.domains or ()))


def check_throttle(username: str, address: str) -> None:
    """Throttled when this user name or address failed too often in the last minutes."""
    from mxroute.store.models import AuthFailure

    since = _now() - THROTTLE_WINDOW
    recent = AuthFailure.objects.filter(at__gt=since)
    for rows, limit in (
        (recent.filter(username=username) if username else None, MAX_FAILURES_PER_USER),
        (recent.filter(address=address) if address else None, MAX_FAILURES_PER_ADDRESS),
    ):
        if rows is None:
            continue
        times = list(rows.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            # Rounded up, never beyond the window: 900 s left is "15 minutes", not 16.
            wait = max(1, math.ceil((times[-1] + THROTTLE_WINDOW - _now()).total_seconds()))
            minutes = math.ceil(wait / 60)
            raise Throttled(
                f"Too many failed log-ins; wait {minutes} minute{'s' if minutes > 1 else ''} "
                "and try again.",
                retry_after=wait,
            )


def record_failure(username: str, address: str) -> None:
    """Count one failed log-in (and forget the ones older than the throttle window)."""
    from mxroute.store.models import AuthFailure

    now = _now()
    AuthFailure.objects.filter(at__lte=now - THROTTLE_WINDOW).delete()
    AuthFailure.objects.create(username=username[:150], address=address[:45], at=now)


def clear_failures(username: str) -> None:
    """Forget a user's failed log-ins after a successful one (the address keeps its count)."""
    from mxroute.store.models import AuthFailure

    AuthFailure.objects.filter(username=username).delete()


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()
