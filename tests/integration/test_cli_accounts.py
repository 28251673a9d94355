"""The user, token and domain-owner commands, through the real ``mxroute`` command.

Prompts are tested in-process with click's CliRunner: a real terminal is needed for a
hidden prompt, and CliRunner stands in for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mxroute import accounts
from mxroute import cli as cli_module
from mxroute.errors import InvalidInput, NotFound, Unauthenticated
from mxroute.service import Service
from tests.integration.cli import Mxroute
from tests.service.conftest import make_settings

STRONG = "Plum-kettle-49-orbit"
OTHER = "Quiet-harbour-17-lantern"
GENERATED = re.compile(r"^Password \(shown once\): (\S+)$", re.MULTILINE)
TOKEN = re.compile(r"^Token \(shown once; store it now\): ([A-Z0-9]{32})$", re.MULTILINE)


@pytest.fixture(scope="module")
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-cli-accounts-"))
    cli = Mxroute(home, {})
    cli.ok("init", "--demo")
    yield cli
    shutil.rmtree(home, ignore_errors=True)


def _refused(mxroute: Mxroute, *args: str, input: str | None = None) -> str:
    """Run, require exit 1 and one line on stderr; the line."""
    done = mxroute.run(*args, input=input)
    assert done.returncode == 1, done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mxroute: ") and lines[0].endswith(".")
    return lines[0]


def _usage_error(mxroute: Mxroute, *args: str) -> str:
    """Run, require exit 2 (click's usage, then one error line); the error line."""
    done = mxroute.run(*args)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr + done.stdout
    assert done.stderr.startswith("Usage: mxroute ")
    return done.stderr.strip().splitlines()[-1]


def _users(mxroute: Mxroute) -> dict[str, Any]:
    return {u["username"]: u for u in mxroute.json("user", "list")}


def _stored(mxroute: Mxroute, query: str) -> list[tuple[Any, ...]]:
    """Rows of the data directory's database, read directly (faster than a command)."""
    path = mxroute.home / "mxroute.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return db.execute(query).fetchall()


def _token_names(mxroute: Mxroute, username: str) -> list[str]:
    rows = _stored(
        mxroute,
        "SELECT t.name FROM store_apitoken t JOIN auth_user u ON u.id = t.user_id "
        f"WHERE u.username = '{username}' ORDER BY t.name",
    )
    return [name for (name,) in rows]


def _usernames(mxroute: Mxroute) -> set[str]:
    return {name for (name,) in _stored(mxroute, "SELECT username FROM auth_user")}


def _add_user(mxroute: Mxroute, name: str, *more: str) -> None:
    mxroute.ok("user", "add", name, "--password", STRONG, *more)


def _add_domain(mxroute: Mxroute, zone: str, owner: str) -> None:
    mxroute.ok("domain", "add", zone, "--owner", owner, "--mx", "10 mail.shop.example")


def _database(mxroute: Mxroute) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(mxroute.home.glob("mxroute.sqlite3*")))


# ----- users ---------------------------------------------------------------------------


def test_users_are_added_and_listed(mxroute: Mxroute) -> None:
    done = mxroute.run("user", "add", "ann", "--password", STRONG)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Created user 'ann'.\n", "")
    assert mxroute.ok("user", "add", "boss", "--admin", "--password", STRONG) == (
        "Created administrator 'boss'.\n"
    )
    users = _users(mxroute)
    assert users["ann"] == {
        "username": "ann",
        "admin": False,
        "domains": 0,
        "tokens": 0,
        "last_login": None,
    }
    assert users["boss"]["admin"] is True
    table = mxroute.ok("user", "list")
    assert re.search(r"│ boss\s+│ yes\s+│ 0\s+│ 0\s+│ never\s+│", table), table
    assert STRONG.encode() not in _database(mxroute)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "too short"), ("password", "too common"), ("73910482615", "entirely numeric")],
)
def test_a_weak_password_is_refused_and_no_user_is_created(
    mxroute: Mxroute, password: str, reason: str
) -> None:
    line = _refused(mxroute, "user", "add", "weakling", "--password", password)
    assert line.startswith(f"mxroute: The password was refused ({reason}")
    assert line.endswith("; choose another one.")
    assert "weakling" not in _usernames(mxroute)


def test_a_taken_user_name_is_refused(mxroute: Mxroute) -> None:
    _add_user(mxroute, "twin")
    line = _refused(mxroute, "user", "add", "twin", "--admin", "--password", OTHER)
    assert line == "mxroute: There is already a user named 'twin'."
    assert _stored(mxroute, "SELECT is_superuser FROM auth_user WHERE username='twin'") == [(0,)]


@pytest.mark.parametrize("name", ["ann:admin", "with space", "semi;colon", " "])
def test_a_badly_formed_user_name_is_refused(mxroute: Mxroute, name: str) -> None:
    line = _refused(mxroute, "user", "add", name, "--password", STRONG)
    assert line == (
        "mxroute: A user name must be 1 to 150 letters, digits and the characters @ . + - _ only."
    )
    assert name not in _usernames(mxroute) and name.strip() not in _usernames(mxroute)


def test_a_password_and_a_generated_one_together_are_a_usage_error(mxroute: Mxroute) -> None:
    line = _usage_error(mxroute, "user", "add", "both", "--password", STRONG, "--generate-password")
    assert line == "Error: Give either --password or --generate-password, not both."


def test_a_generated_password_is_printed_once(mxroute: Mxroute) -> None:
    out = mxroute.ok("user", "add", "gen", "--generate-password")
    found = GENERATED.findall(out)
    assert len(found) == 1 and len(found[0]) >= 20
    assert out.count(found[0]) == 1
    assert found[0] not in mxroute.ok("user", "list") + mxroute.ok("user", "list", "--json")
    again = GENERATED.findall(mxroute.ok("user", "passwd", "gen", "--generate-password"))
    assert len(again) == 1 and again != found


def test_a_password_is_changed_only_when_strong_enough(mxroute: Mxroute) -> None:
    _add_user(mxroute, "pat")
    assert mxroute.ok("user", "passwd", "pat", "--password", OTHER) == (
        "Changed the password of 'pat'.\n"
    )
    line = _refused(mxroute, "user", "passwd", "pat", "--password", "password")
    assert line.startswith("mxroute: The password was refused (too common)")
    line = _refused(mxroute, "user", "passwd", "nobody", "--password", OTHER)
    assert line == "mxroute: There is no user named 'nobody'; see 'mxroute user list'."


def test_a_user_who_owns_a_domain_is_removed_only_after_giving_it_away(mxroute: Mxroute) -> None:
    _add_user(mxroute, "dave")
    _add_domain(mxroute, "dave.example", "dave")
    line = _refused(mxroute, "user", "remove", "dave", "--yes")
    assert line == (
        "mxroute: 'dave' still owns 1 domain(s) (dave.example); give them to another user "
        "with 'mxroute domain owner' first."
    )
    assert "dave" in _usernames(mxroute)
    assert mxroute.ok("domain", "owner", "dave.example", "--none") == (
        "Gave dave.example to administrators only (was user 'dave').\n"
    )
    assert mxroute.ok("user", "remove", "dave", "--yes") == "Removed user 'dave'.\n"
    assert "dave" not in _usernames(mxroute)
    line = _refused(mxroute, "user", "remove", "dave", "--yes")
    assert line == "mxroute: There is no user named 'dave'; see 'mxroute user list'."


def test_removing_a_user_asks_first(mxroute: Mxroute) -> None:
    _add_user(mxroute, "erin")
    done = mxroute.run("user", "remove", "erin", input="n\n")
    assert done.returncode == 1
    assert done.stdout == "Delete user erin and their API tokens? [y/N]: "
    assert done.stderr == "mxroute: cancelled; nothing was changed.\n"
    assert "erin" in _usernames(mxroute)
    done = mxroute.run("user", "remove", "erin", input="y\n")
    assert done.returncode == 0, done.stderr
    assert "erin" not in _usernames(mxroute)


# ----- domain owners ---------------------------------------------------------------------


def test_a_domain_is_given_to_a_user_and_the_history_says_so(mxroute: Mxroute) -> None:
    _add_user(mxroute, "olga")
    assert mxroute.ok("domain", "owner", "partner.example", "olga") == (
        "Gave partner.example to user 'olga' (was administrators only).\n"
    )
    listed = {d["domain"]: d for d in mxroute.json("domain", "list")}
    assert listed["partner.example"]["owner"] == "olga"
    newest = mxroute.json("history", "partner.example")[0]
    assert (newest["action"], newest["summary"]) == (
        "set_owner",
        "Gave partner.example to user 'olga' (was administrators only).",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shop.example", "boss", "--none"), "Error: Give either a USER or --none."),
        (("shop.example",), "Error: Give either a USER or --none."),
    ],
)
def test_an_owner_and_none_together_or_neither_is_a_usage_error(
    mxroute: Mxroute, args: tuple[str, ...], message: str
) -> None:
    assert _usage_error(mxroute, "domain", "owner", *args) == message


def test_an_unknown_owner_or_domain_is_refused(mxroute: Mxroute) -> None:
    line = _refused(mxroute, "domain", "owner", "shop.example", "nobody")
    assert line == "mxroute: There is no user named 'nobody'; create the user first."
    line = _refused(mxroute, "domain", "owner", "absent.example", "--none")
    assert line.startswith("mxroute: mxroute does not manage absent.example;")
    line = _refused(
        mxroute, "domain", "add", "orphan.example", "--owner", "nobody", "--mx", "10 a.example"
    )
    assert line == "mxroute: There is no user named 'nobody'; create the user first."
    assert "orphan.example" not in {d["domain"] for d in mxroute.json("domain", "list")}
    assert not (mxroute.home / "zones" / "orphan.example.zone").exists()


# ----- API tokens ------------------------------------------------------------------------


def test_a_token_is_printed_once_and_stored_only_as_its_digest(mxroute: Mxroute) -> None:
    _add_user(mxroute, "tess")
    out = mxroute.ok("token", "create", "tess", "--name", "deploy")
    assert out.startswith("Created token 'deploy' for 'tess'.\n")
    secret = TOKEN.findall(out)[0]
    database = _database(mxroute)
    assert hashlib.sha256(secret.encode()).hexdigest().encode() in database
    assert secret.encode() not in database
    listed = mxroute.json("token", "list", "tess")
    assert [(t["name"], t["domains"], t["expires_at"]) for t in listed] == [("deploy", [], None)]
    assert secret not in mxroute.ok("token", "list") + mxroute.ok("token", "list", "--json")
    assert _users(mxroute)["tess"]["tokens"] == 1


def test_a_token_as_json_carries_its_secret_once(mxroute: Mxroute) -> None:
    _add_user(mxroute, "jay")
    _add_domain(mxroute, "jay.example", "jay")
    made = mxroute.json(
        "token", "create", "jay", "--name", "ci", "--domain", "Jay.Example", "--expires", "30d"
    )
    assert re.fullmatch(r"[A-Z0-9]{32}", made["token"])
    assert (made["username"], made["name"], made["domains"]) == ("jay", "ci", ["jay.example"])
    assert made["expires_at"] is not None and made["expired"] is False
    table = mxroute.ok("token", "list", "jay")
    assert "jay.example" in table and made["token"] not in table


def test_a_token_cannot_be_limited_to_an_unknown_domain_or_to_another_users(
    mxroute: Mxroute,
) -> None:
    _add_user(mxroute, "kim")
    for zone in ("shop.example", "absent.example"):
        line = _refused(mxroute, "token", "create", "kim", "--domain", zone)
        assert line == (
            f"mxroute: {zone} is not among the domains 'kim' manages, so a token cannot be "
            "limited to it."
        )
    assert _token_names(mxroute, "kim") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--expires", "soon"),
            "mxroute: 'soon' is not an expiry: give a duration such as 30d, 12h or 2w, or a "
            "date such as 2027-01-31.",
        ),
        (("--expires", "2001-01-01"), "mxroute: The expiry time is in the past; give a time"),
        (("--name", "has space"), "mxroute: A token name must be 1 to 100 letters"),
    ],
)
def test_a_bad_expiry_or_name_is_refused(
    mxroute: Mxroute, args: tuple[str, ...], message: str
) -> None:
    if "lee" not in _usernames(mxroute):
        _add_user(mxroute, "lee")
    assert _refused(mxroute, "token", "create", "lee", *args).startswith(message)
    assert _token_names(mxroute, "lee") == []


def test_a_token_name_is_used_once_per_user_and_revoked_once(mxroute: Mxroute) -> None:
    _add_user(mxroute, "max")
    mxroute.ok("token", "create", "max", "--name", "ci")
    line = _refused(mxroute, "token", "create", "max", "--name", "ci")
    assert line.startswith("mxroute: 'max' already has a token named 'ci';")
    assert mxroute.ok("token", "revoke", "max", "ci") == "Revoked token 'ci' of 'max'.\n"
    assert mxroute.json("token", "list", "max") == []
    line = _refused(mxroute, "token", "revoke", "max", "ci")
    assert line == "mxroute: 'max' has no token named 'ci'; see 'mxroute token list'."


def test_tokens_of_an_unknown_user_are_not_found(mxroute: Mxroute) -> None:
    for args in (("list", "nobody"), ("create", "nobody"), ("revoke", "nobody", "ci")):
        line = _refused(mxroute, "token", *args)
        assert line == "mxroute: There is no user named 'nobody'; see 'mxroute user list'."


# ----- prompts, in-process ---------------------------------------------------------------


@pytest.fixture
def runner(db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI in this process, over pytest-django's test database."""
    service = Service(make_settings(tmp_path))
    monkeypatch.setattr(cli_module, "_service", lambda: service)
    return CliRunner()


def test_a_password_is_asked_twice_without_echo(runner: CliRunner) -> None:
    result = runner.invoke(cli_module.cli, ["user", "add", "una"], input=f"{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Password: \nRepeat for confirmation: \nCreated user 'una'.\n"
    assert accounts.authenticate_password("una", STRONG, "192.0.2.10").get_username() == "una"


def test_a_mistyped_confirmation_asks_again(runner: CliRunner) -> None:
    typed = f"{OTHER}\n{OTHER}x\n{STRONG}\n{STRONG}\n"
    result = runner.invoke(cli_module.cli, ["user", "add", "una"], input=typed)
    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    assert OTHER not in result.output and STRONG not in result.output
    assert accounts.authenticate_password("una", STRONG, "192.0.2.10").get_username() == "una"


def test_a_weak_password_typed_at_the_prompt_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(cli_module.cli, ["user", "add", "una"], input="password\npassword\n")
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.code == "weak_password"
    assert accounts.list_users() == []


def test_a_generated_password_logs_the_user_in(runner: CliRunner) -> None:
    result = runner.invoke(cli_module.cli, ["user", "add", "gus", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = GENERATED.findall(result.output)[0]
    assert accounts.authenticate_password("gus", password, "192.0.2.10").get_username() == "gus"


def test_a_new_password_is_asked_for_and_replaces_the_old(runner: CliRunner) -> None:
    accounts.add_user("una", STRONG)
    result = runner.invoke(cli_module.cli, ["user", "passwd", "una"], input=f"{OTHER}\n{OTHER}\n")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("Changed the password of 'una'.\n")
    assert accounts.authenticate_password("una", OTHER, "192.0.2.10").get_username() == "una"
    with pytest.raises(Unauthenticated):
        accounts.authenticate_password("una", STRONG, "192.0.2.10")


def test_an_unknown_user_is_refused_before_any_prompt(runner: CliRunner) -> None:
    for args in (["user", "passwd", "nobody"], ["user", "remove", "nobody"]):
        result = runner.invoke(cli_module.cli, args, input="")
        assert isinstance(result.exception, NotFound)
        assert "Password" not in result.output and "Delete" not in result.output


def test_an_empty_expiry_is_refused_not_taken_as_never(mxroute: Mxroute) -> None:
    _add_user(mxroute, "ned")
    line = _refused(mxroute, "token", "create", "ned", "--name", "blank", "--expires", "")
    assert line.startswith("mxroute: '' is not an expiry")
    assert mxroute.json("token", "list", "ned") == []
