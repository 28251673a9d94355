"""Users, API tokens and the throttling of failed log-ins (mxroute.accounts)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone as django_timezone

from mxroute import accounts
from mxroute.core.records import MXRecord
from mxroute.errors import InvalidInput, NotFound, Throttled, Unauthenticated
from mxroute.service import Actor, Service
from mxroute.store.models import ApiToken, AuthFailure
from tests.service.conftest import ACTOR, ZONE

STRONG = "Plum-kettle-49-orbit"
OTHER = "Quiet-harbour-17-lantern"
HERE = "192.0.2.10"
THERE = "198.51.100.20"


class Clock:
    """The time accounts sees; tests move it forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = django_timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(accounts, "_now", clock)
    yield clock


@pytest.fixture
def alice(db: None) -> Any:
    accounts.add_user("alice", STRONG)
    return get_user_model().objects.get(username="alice")


@pytest.fixture
def bob(db: None) -> Any:
    accounts.add_user("bob", OTHER)
    return get_user_model().objects.get(username="bob")


def _users() -> list[str]:
    return list(get_user_model().objects.order_by("username").values_list("username", flat=True))


def _every_stored_value() -> str:
    """Every row of every table, as text."""
    return "\n".join(repr(list(m._default_manager.values())) for m in apps.get_models())


def _own(service: Service, zone: str, owner: str | None) -> None:
    service.add_domain(zone, actor=ACTOR, owner=owner, mx=[MXRecord(10, "mx.self.test")])


# ----- users ---------------------------------------------------------------------------


def test_a_new_user_can_log_in_with_their_password(db: None) -> None:
    created = accounts.add_user("alice", STRONG)
    assert (created.username, created.admin, created.domains, created.tokens) == (
        "alice",
        False,
        0,
        0,
    )
    user = accounts.authenticate_password("alice", STRONG, HERE)
    assert user.get_username() == "alice"
    assert STRONG not in _every_stored_value()


def test_an_administrator_may_use_the_django_admin_too(db: None) -> None:
    assert accounts.add_user("root", STRONG, admin=True).admin
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.is_staff


def test_user_names_are_stripped_and_may_use_the_allowed_punctuation(db: None) -> None:
    assert accounts.add_user("  a.b+c-d_e@f  ", STRONG).username == "a.b+c-d_e@f"
    assert _users() == ["a.b+c-d_e@f"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1-x", "too short, it must contain at least 8 characters"),
        ("password", "too common"),
        ("73910482615", "entirely numeric"),
        ("1234", "too short, it must contain at least 8 characters; too common; entirely numeric"),
        ("margaret1", "too similar to the username"),
        ("", "too short"),
    ],
)
def test_a_weak_password_is_refused_in_one_sentence_and_nothing_is_created(
    db: None, password: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user("margaret", password)
    assert refused.value.code == "weak_password"
    assert refused.value.field == "password"
    message = refused.value.message
    assert message.startswith(f"The password was refused ({reason}")
    assert message.endswith("); choose another one.")
    assert "\n" not in message and message.count(". ") == 0
    assert _users() == []


def test_a_taken_user_name_is_refused_and_the_first_user_keeps_their_password(
    alice: Any,
) -> None:
    for name in ("alice", " alice "):
        with pytest.raises(InvalidInput, match="There is already a user named 'alice'") as taken:
            accounts.add_user(name, OTHER, admin=True)
        assert taken.value.code == "user_exists"
    assert _users() == ["alice"]
    assert not get_user_model().objects.get(username="alice").is_superuser
    assert accounts.authenticate_password("alice", STRONG, HERE).get_username() == "alice"


@pytest.mark.parametrize(
    "name",
    ["", "   ", "alice:admin", "with space", "tab\tname", "semi;colon", "a/b", "x" * 151, "é:"],
)
def test_a_badly_formed_user_name_is_refused(db: None, name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.add_user(name, STRONG)
    assert refused.value.code == "invalid_username"
    assert refused.value.message == (
        "A user name must be 1 to 150 letters, digits and the characters @ . + - _ only."
    )
    assert _users() == []


def test_a_new_password_replaces_the_old_one(alice: Any) -> None:
    accounts.set_password("alice", OTHER)
    assert accounts.authenticate_password("alice", OTHER, HERE).get_username() == "alice"
    with pytest.raises(Unauthenticated, match="The user name or password is wrong"):
        accounts.authenticate_password("alice", STRONG, HERE)


def test_a_weak_new_password_is_refused_and_the_old_one_still_works(alice: Any) -> None:
    with pytest.raises(InvalidInput, match=r"^The password was refused \(too common\)"):
        accounts.set_password("alice", "password")
    assert accounts.authenticate_password("alice", STRONG, HERE).get_username() == "alice"


def test_setting_the_password_of_an_unknown_user_says_where_to_look(db: None) -> None:
    with pytest.raises(NotFound, match="There is no user named 'nobody'; see 'mxroute user list'"):
        accounts.set_password("nobody", STRONG)


def test_the_user_list_counts_owned_domains_and_live_tokens(
    service: Service, alice: Any, bob: Any, clock: Clock
) -> None:
    _own(service, "alice.example", "alice")
    _own(service, "alice2.example", "alice")
    accounts.create_token("alice", "forever")
    accounts.create_token("alice", "brief", expires=clock() + timedelta(hours=1))
    accounts.create_token("alice", "gone")
    accounts.revoke_token("alice", "gone")
    rows = {u.username: u for u in accounts.list_users()}
    assert list(rows) == ["alice", "bob"]
    assert (rows["alice"].domains, rows["alice"].tokens) == (2, 2)
    assert (rows["bob"].domains, rows["bob"].tokens) == (0, 0)
    clock.advance(hours=2)
    assert {u.username: u.tokens for u in accounts.list_users()}["alice"] == 1


def test_a_user_who_owns_domains_cannot_be_removed_until_they_are_given_away(
    service: Service, alice: Any
) -> None:
    _own(service, "alice.example", "alice")
    with pytest.raises(InvalidInput) as refused:
        accounts.remove_user("alice")
    assert refused.value.code == "user_owns_domains"
    assert refused.value.message == (
        "'alice' still owns 1 domain(s) (alice.example); give them to another user with "
        "'mxroute domain owner' first."
    )
    assert _users() == ["alice"]
    service.set_owner("alice.example", None, actor=ACTOR)
    accounts.remove_user("alice")
    assert _users() == []


def test_a_refusal_to_remove_names_at_most_three_domains(service: Service, alice: Any) -> None:
    for zone in ("a.example", "b.example", "c.example", "d.example"):
        _own(service, zone, "alice")
    with pytest.raises(InvalidInput, match=r"owns 4 domain\(s\) \(a.example, b.example, c.exa"):
        accounts.remove_user("alice")


def test_removing_a_user_ends_their_tokens(alice: Any) -> None:
    secret = accounts.create_token("alice", "ci").secret
    accounts.remove_user("alice")
    assert ApiToken.objects.count() == 0
    with pytest.raises(Unauthenticated):
        accounts.authenticate_token(secret, HERE)


def test_removing_an_unknown_user_is_not_found(db: None) -> None:
    with pytest.raises(NotFound) as missing:
        accounts.remove_user("nobody")
    assert missing.value.code == "user_not_found"


# ----- API tokens ------------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_digest_is_stored(alice: Any) -> None:
    new = accounts.create_token("alice", "deploy")
    assert len(new.secret) == accounts.TOKEN_LENGTH
    assert set(new.secret) <= set(accounts.TOKEN_ALPHABET)
    row = ApiToken.objects.get()
    assert row.digest == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret not in _every_stored_value()
    assert new.secret not in repr(accounts.list_tokens())
    assert accounts.list_tokens("alice") == [new.summary]


def test_a_token_proves_who_holds_it(alice: Any) -> None:
    new = accounts.create_token("alice", "deploy")
    caller = accounts.authenticate_token(new.secret, HERE)
    assert (caller.user.get_username(), caller.token_name, caller.domains) == (
        "alice",
        "deploy",
        (),
    )
    # The cPanel form names the user, and a copied token keeps working with spaces around.
    named = accounts.authenticate_token(f"  {new.secret} ", HERE, username="alice")
    assert named.user.pk == alice.pk


def test_every_token_has_its_own_secret(alice: Any) -> None:
    secrets = {accounts.create_token("alice", f"t{n}").secret for n in range(5)}
    assert len(secrets) == 5


def test_a_token_named_after_another_user_is_refused(alice: Any, bob: Any) -> None:
    new = accounts.create_token("alice", "deploy")
    with pytest.raises(Unauthenticated) as refused:
        accounts.authenticate_token(new.secret, HERE, username="bob")
    assert refused.value.message == accounts.WRONG_TOKEN
    assert list(AuthFailure.objects.values_list("username", "address")) == [("", HERE)]


@pytest.mark.parametrize("secret", ["", "X" * 32, "not-a-token"])
def test_a_wrong_token_is_refused_and_counted_against_the_address(alice: Any, secret: str) -> None:
    accounts.create_token("alice", "deploy")
    with pytest.raises(Unauthenticated, match="The API token is wrong, expired or revoked"):
        accounts.authenticate_token(secret, HERE)
    assert list(AuthFailure.objects.values_list("username", "address")) == [("", HERE)]


def test_a_token_records_when_it_was_last_used_at_most_once_a_minute(
    alice: Any, clock: Clock
) -> None:
    new = accounts.create_token("alice", "deploy")
    assert ApiToken.objects.get().last_used_at is None
    accounts.authenticate_token(new.secret, HERE)
    first = clock()
    assert ApiToken.objects.get().last_used_at == first
    clock.advance(seconds=30)
    accounts.authenticate_token(new.secret, HERE)
    assert ApiToken.objects.get().last_used_at == first
    clock.advance(seconds=45)
    accounts.authenticate_token(new.secret, HERE)
    assert accounts.list_tokens("alice")[0].last_used_at == clock()


def test_an_expired_token_is_refused(alice: Any, clock: Clock) -> None:
    new = accounts.create_token("alice", "brief", expires=accounts.parse_expiry("12h"))
    accounts.authenticate_token(new.secret, HERE)
    clock.advance(hours=12)
    with pytest.raises(Unauthenticated, match="wrong, expired or revoked"):
        accounts.authenticate_token(new.secret, HERE)
    assert accounts.list_tokens("alice")[0].expired


def test_an_expiry_in_the_past_is_refused(alice: Any, clock: Clock) -> None:
    for moment in (clock(), clock() - timedelta(days=1)):
        with pytest.raises(InvalidInput, match="The expiry time is in the past") as refused:
            accounts.create_token("alice", "late", expires=moment)
        assert refused.value.code == "invalid_expiry"
    assert ApiToken.objects.count() == 0


def test_a_revoked_token_is_refused_and_no_longer_listed(alice: Any) -> None:
    kept = accounts.create_token("alice", "kept")
    gone = accounts.create_token("alice", "gone")
    accounts.revoke_token("alice", " gone ")
    with pytest.raises(Unauthenticated):
        accounts.authenticate_token(gone.secret, HERE)
    assert [t.name for t in accounts.list_tokens()] == ["kept"]
    assert accounts.authenticate_token(kept.secret, HERE).token_name == "kept"


def test_revoking_a_token_that_is_not_there_is_not_found(alice: Any, bob: Any) -> None:
    accounts.create_token("alice", "deploy")
    for user, name in (("alice", "other"), ("bob", "deploy")):
        with pytest.raises(NotFound, match=f"'{user}' has no token named '{name}'") as missing:
            accounts.revoke_token(user, name)
        assert missing.value.code == "token_not_found"
    assert [t.name for t in accounts.list_tokens("alice")] == ["deploy"]


def test_a_token_of_an_inactive_user_is_refused(alice: Any) -> None:
    new = accounts.create_token("alice", "deploy")
    alice.is_active = False
    alice.save()
    with pytest.raises(Unauthenticated):
        accounts.authenticate_token(new.secret, HERE)


def test_token_names_are_unique_per_user(alice: Any, bob: Any) -> None:
    accounts.create_token("alice", "deploy")
    with pytest.raises(InvalidInput, match="'alice' already has a token named 'deploy'") as taken:
        accounts.create_token("alice", "deploy")
    assert taken.value.code == "token_exists"
    accounts.create_token("bob", "deploy")
    assert [(t.username, t.name) for t in accounts.list_tokens()] == [
        ("alice", "deploy"),
        ("bob", "deploy"),
    ]


def test_unnamed_tokens_made_in_the_same_second_get_distinct_names(
    alice: Any, clock: Clock
) -> None:
    base = f"token-{clock():%Y%m%d-%H%M%S}"
    names = [accounts.create_token("alice").summary.name for _ in range(3)]
    assert names == [base, f"{base}-2", f"{base}-3"]


@pytest.mark.parametrize("name", ["-lead", "has space", "x" * 101, "a:b", "émoji"])
def test_a_badly_formed_token_name_is_refused(alice: Any, name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.create_token("alice", name)
    assert refused.value.code == "invalid_token_name"
    assert ApiToken.objects.count() == 0


def test_a_token_for_an_unknown_user_is_not_found(db: None) -> None:
    with pytest.raises(NotFound, match="There is no user named 'nobody'"):
        accounts.create_token("nobody", "x")


def test_a_token_may_be_limited_to_some_of_the_users_domains(service: Service, alice: Any) -> None:
    _own(service, "alice.example", "alice")
    _own(service, "alice2.example", "alice")
    new = accounts.create_token("alice", "one", domains=["Alice.Example.", "alice.example"])
    assert new.summary.domains == ("alice.example",)
    caller = accounts.authenticate_token(new.secret, HERE)
    assert caller.domains == ("alice.example",)
    actor = Actor.for_user(caller.user, "api", token_name=caller.token_name, only=caller.domains)
    assert [d.domain for d in service.list_domains(actor=actor)] == ["alice.example"]
    with pytest.raises(NotFound):
        service.show("alice2.example", actor=actor)


def test_a_token_cannot_be_limited_to_an_unknown_domain_or_to_another_users(
    service: Service, alice: Any, bob: Any
) -> None:
    _own(service, "bob.example", "bob")
    messages = []
    for zone in ("bob.example", "absent.example", ZONE):
        with pytest.raises(NotFound) as refused:
            accounts.create_token("alice", "t", domains=[zone])
        assert refused.value.code == "domain_not_found"
        messages.append(refused.value.message.replace(zone, "ZONE"))
    assert (
        messages
        == ["ZONE is not among the domains 'alice' manages, so a token cannot be limited to it."]
        * 3
    )
    assert ApiToken.objects.count() == 0


def test_an_administrators_token_may_be_limited_to_any_domain(service: Service, alice: Any) -> None:
    accounts.add_user("root", STRONG, admin=True)
    _own(service, "alice.example", "alice")
    new = accounts.create_token("root", "ops", domains=["alice.example", ZONE])
    assert new.summary.domains == ("alice.example", ZONE)


def test_a_badly_formed_domain_for_a_token_is_invalid_input(alice: Any) -> None:
    with pytest.raises(InvalidInput):
        accounts.create_token("alice", "t", domains=["not a domain"])
    assert ApiToken.objects.count() == 0


def test_a_token_limited_to_a_domain_given_away_sees_nothing(
    service: Service, alice: Any, bob: Any
) -> None:
    _own(service, "alice.example", "alice")
    caller = accounts.authenticate_token(
        accounts.create_token("alice", "one", domains=["alice.example"]).secret, HERE
    )
    service.set_owner("alice.example", "bob", actor=ACTOR)
    actor = Actor.for_user(caller.user, "api", only=caller.domains)
    assert service.list_domains(actor=actor) == []


# ----- expiry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        (" 7D ", timedelta(days=7)),
        ("99999w", timedelta(weeks=99999)),
    ],
)
def test_an_expiry_may_be_a_duration_from_now(clock: Clock, text: str, delta: timedelta) -> None:
    assert accounts.parse_expiry(text) == clock() + delta


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2027-01-31", datetime(2027, 2, 1, tzinfo=UTC)),  # valid through the 31st
        ("2027-01-31T12:30", datetime(2027, 1, 31, 12, 30, tzinfo=UTC)),
        ("2027-01-31 12:30:00+02:00", datetime(2027, 1, 31, 10, 30, tzinfo=UTC)),
    ],
)
def test_an_expiry_may_be_a_date_in_utc_unless_it_names_a_zone(text: str, moment: datetime) -> None:
    parsed = accounts.parse_expiry(text)
    assert parsed == moment and parsed.tzinfo is not None


def test_an_expiry_with_an_offset_keeps_it() -> None:
    parsed = accounts.parse_expiry("2027-01-31T12:30+02:00")
    assert parsed.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)


@pytest.mark.parametrize(
    "text", ["", "30", "d", "-1d", "30m", "1y", "3 d", "tomorrow", "2027-13-01", "123456d"]
)
def test_an_unreadable_expiry_is_refused_with_examples(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.parse_expiry(text)
    assert refused.value.code == "invalid_expiry"
    assert refused.value.message == (
        f"'{text.strip()}' is not an expiry: give a duration such as 30d, 12h or 2w, or a "
        "date such as 2027-01-31."
    )


# ----- throttling ------------------------------------------------------------------------


def _fail_password(username: str, address: str = HERE, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated) as refused:
            accounts.authenticate_password(username, "wrong password", address)
        assert not isinstance(refused.value, Throttled)


def test_the_sixth_attempt_is_throttled_even_with_the_right_password(
    alice: Any, clock: Clock
) -> None:
    _fail_password("alice", times=accounts.MAX_FAILURES_PER_USER)
    with pytest.raises(Throttled) as throttled:
        accounts.authenticate_password("alice", STRONG, HERE)
    assert 0 < throttled.value.retry_after <= 15 * 60 + 1
    assert throttled.value.message == "Too many failed log-ins; wait 15 minutes and try again."
    assert throttled.value.code == "throttled"


def test_failures_count_per_user_name_whatever_the_address(alice: Any, clock: Clock) -> None:
    for n in range(accounts.MAX_FAILURES_PER_USER):
        _fail_password("alice", address=f"203.0.113.{n}")
    with pytest.raises(Throttled):
        accounts.authenticate_password("alice", STRONG, THERE)


def test_the_throttle_lifts_when_the_failures_are_old_enough(alice: Any, clock: Clock) -> None:
    _fail_password("alice", times=accounts.MAX_FAILURES_PER_USER)
    clock.advance(minutes=10)
    with pytest.raises(Throttled) as throttled:
        accounts.authenticate_password("alice", STRONG, HERE)
    assert 0 < throttled.value.retry_after <= 5 * 60 + 1
    assert "wait 5 minutes" in throttled.value.message
    clock.advance(minutes=5, seconds=1)
    assert accounts.authenticate_password("alice", STRONG, HERE).pk == alice.pk


def test_a_success_clears_the_users_failures(alice: Any, clock: Clock) -> None:
    _fail_password("alice", times=accounts.MAX_FAILURES_PER_USER - 1)
    accounts.authenticate_password("alice", STRONG, HERE)
    # Without the clearing, the fifth failure below would throttle the log-in after it.
    _fail_password("alice", times=accounts.MAX_FAILURES_PER_USER - 1)
    assert accounts.authenticate_password("alice", STRONG, HERE).pk == alice.pk


def test_another_users_failures_do_not_throttle_alice(alice: Any, bob: Any, clock: Clock) -> None:
    _fail_password("bob", times=accounts.MAX_FAILURES_PER_USER)
    assert accounts.authenticate_password("alice", STRONG, HERE).pk == alice.pk
    with pytest.raises(Throttled):
        accounts.authenticate_password("bob", OTHER, THERE)


def test_an_address_that_fails_too_often_is_throttled_for_every_user(
    alice: Any, clock: Clock
) -> None:
    for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
        _fail_password(f"guess{n}")
    with pytest.raises(Throttled):
        accounts.authenticate_password("alice", STRONG, HERE)
    assert accounts.authenticate_password("alice", STRONG, THERE).pk == alice.pk


def test_wrong_tokens_throttle_the_address_even_for_a_right_token(alice: Any, clock: Clock) -> None:
    secret = accounts.create_token("alice", "deploy").secret
    for _ in range(accounts.MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(Unauthenticated):
            accounts.authenticate_token("Y" * 32, HERE)
    with pytest.raises(Throttled):
        accounts.authenticate_token(secret, HERE)
    assert accounts.authenticate_token(secret, THERE).token_name == "deploy"


def test_failures_named_for_a_user_do_not_lock_out_that_users_tokens(
    alice: Any, clock: Clock
) -> None:
    # Anyone can send "cpanel alice:GARBAGE" or a wrong Basic password for alice: that
    # must not stop her scripts, whose tokens are not guessable anyway.
    secret = accounts.create_token("alice", "deploy").secret
    for n in range(accounts.MAX_FAILURES_PER_USER):
        with pytest.raises(Unauthenticated):
            accounts.authenticate_token("Y" * 32, f"203.0.113.{n}", username="alice")
    _fail_password("alice", times=accounts.MAX_FAILURES_PER_USER)
    caller = accounts.authenticate_token(secret, THERE, username="alice")
    assert caller.token_name == "deploy"
    assert accounts.authenticate_token(secret, HERE).token_name == "deploy"


def test_failures_older_than_the_window_are_forgotten(alice: Any, clock: Clock) -> None:
    _fail_password("alice", times=3)
    clock.advance(minutes=16)
    _fail_password("bob")
    assert list(AuthFailure.objects.values_list("username", flat=True)) == ["bob"]
