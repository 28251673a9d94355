"""Who acts, through which door, and what they may manage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mxroute.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    """Who asks, through which door, and which domains they may see and change.

    ``user_id`` None is the server's operator (the command line, the system): every
    domain. A user who is not an administrator sees only the domains they own; an API
    token may narrow that further to ``only`` (a set of domain names). Build actors for
    people with :meth:`for_user`, never by hand, so the scope cannot be forgotten.
    """

    name: str
    interface: str = "cli"
    token_name: str = ""
    user_id: int | None = None
    admin: bool = True
    only: frozenset[str] | None = None

    @classmethod
    def for_user(
        cls,
        user: Any,
        interface: str,
        *,
        token_name: str = "",
        only: Iterable[str] | None = None,
    ) -> Actor:
        """The actor for a Django user coming in through ``interface`` (web, api…)."""
        return cls(
            user.get_username(),
            interface,
            token_name,
            user.pk,
            bool(user.is_superuser),
            frozenset(only) if only else None,
        )

    @property
    def is_operator(self) -> bool:
        """True for the command line and the system: no user, no scope."""
        return self.user_id is None

    def may_manage(self, zone: str, owner_id: int | None) -> bool:
        """Whether this actor may see and change the domain ``zone`` owned by ``owner_id``."""
        if self.only is not None and zone not in self.only:
            return False
        return self.is_operator or self.admin or owner_id == self.user_id


SYSTEM = Actor("mxroute", "system")
OPERATOR = Actor("mxroute", "cli")
"""The unscoped reader: the command line's reads, and tests."""


def user_named(username: str) -> Any:
    """The Django user ``username``; NotFound with what to do when there is none."""
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise NotFound(
            f"There is no user named '{username}'; create the user first.", code="user_not_found"
        ) from None


def visible(rows: Any, actor: Actor) -> Any:
    """``rows`` (a Domain queryset) narrowed to the domains ``actor`` may manage."""
    if not actor.is_operator and not actor.admin:
        rows = rows.filter(owner_id=actor.user_id)
    if actor.only is not None:
        rows = rows.filter(name__in=actor.only)
    return rows


def operators_only(actor: Actor, what: str) -> None:
    """Forbidden unless ``actor`` is the operator or an administrator."""
    if not (actor.is_operator or actor.admin):
        raise Forbidden(f"Only an administrator may {what}; ask your hosting operator.")


def not_managed(zone: str, actor: Actor = OPERATOR) -> NotFound:
    """The refusal for a domain that is absent or not the actor's: the same for both."""
    if not actor.is_operator:
        return NotFound(
            f"{zone} is not among the domains you manage; check the name in your domain list.",
            code="domain_not_found",
        )
    return NotFound(
        f"mxroute does not manage {zone}; check the name with 'mxroute domain list', or add "
        f"it with 'mxroute domain add {zone}'.",
        code="domain_not_found",
    )
