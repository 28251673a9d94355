"""The ``mxroute`` command: parse arguments, call one service function, render the result.

Exit codes: 0 done; 1 refused (invalid input, conflict, failed check or reload,
missing data directory); 2 usage error; 3 unexpected internal error (a bug).
Django, dnspython and Rich are imported only by the commands that need them, so
``mxroute --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mxroute import __version__
from mxroute.errors import MxrouteError

if TYPE_CHECKING:
    from mxroute.service import Actor, ChangeResult, Service

EXIT_REFUSED = 1
EXIT_FINDINGS = 1  # mxroute doctor found something wrong (or left it so)
EXIT_USAGE = 2
EXIT_INTERNAL = 3

# "-1" is a priority the core should refuse with its reason, not an unknown option.
NUMBERS_AS_ARGUMENTS = {"ignore_unknown_options": True}
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def _service(*, settle: bool = True) -> Service:
    from mxroute import djangoapp
    from mxroute.config import load
    from mxroute.errors import ConfigError
    from mxroute.service import Service

    settings = load()
    if not settings.config_path.exists():
        raise ConfigError(
            f"There is no mxroute data directory at {settings.home}; run 'mxroute init' "
            "first or set MXROUTE_HOME."
        )
    djangoapp.setup(settings.home)
    djangoapp.check_ready()
    service = Service(settings)
    # A change that a killed command or server left half-done is settled first (not
    # before the doctor, which reports it, and settles it with --fix).
    for line in service.reconcile() if settle else ():
        click.echo(line, err=True)
    return service


def _actor() -> Actor:
    from mxroute.service import Actor

    return Actor(f"cli:{getpass.getuser()}", "cli")


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mxroute")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="MXROUTE_HOME",
    help="Data directory (default: $MXROUTE_HOME, else ~/.local/share/mxroute).",
)
def cli(home: str | None) -> None:
    """Manage the MX records and email routing of the domains hosted on this mail server."""
    if home:
        os.environ["MXROUTE_HOME"] = os.path.abspath(home)


@cli.command()
@click.option("--demo", is_flag=True, help="Also add example domains in each routing mode.")
def init(demo: bool) -> None:
    """Create the data directory: mxroute.toml, database, zones/ and routing lists."""
    from mxroute.datadir import initialise

    home, added, fixed = initialise(demo=demo, actor=_actor())
    for sentence in fixed:
        click.echo(f"Made private: {sentence}")
    click.echo(f"mxroute data directory ready at {home}")
    for name in added:
        click.echo(f"  added demo domain {name}")


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write the data directory (store, settings, zones, routing lists) to FILE."""
    from mxroute import backup

    service = _service()
    done = backup.backup(service.settings, file)
    click.echo(
        f"Backed up {done.domains} domain(s), {done.zone_files} zone file(s), {done.lists} "
        f"routing list(s), the store and the settings to {file} (mode 0600: it holds secrets)."
    )


@cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore_command(file: Path) -> None:
    """Recreate the data directory (MXROUTE_HOME, which must be new) from a backup FILE."""
    from mxroute import backup, djangoapp
    from mxroute.config import load
    from mxroute.service import Service

    home = load().home
    done = backup.restore(file, home)
    djangoapp.setup(home)
    djangoapp.migrate()
    for line in Service(load(home)).reconcile():
        click.echo(line, err=True)
    click.echo(
        f"Restored {done.domains} domain(s), {done.zone_files} zone file(s) and {done.lists} "
        f"routing list(s) into {home}."
    )


# ----- domains ----------------------------------------------------------------------


force_option = click.option(
    "--force",
    is_flag=True,
    help="Make the change even though its findings say it would stop mail.",
)


@cli.group()
def domain() -> None:
    """Add, list and remove managed domains."""


@domain.command("add")
@click.argument("name")
@click.option("--owner", help="User who owns the domain.")
@click.option(
    "--mode",
    default="auto",
    show_default=True,
    help="Routing mode: auto, local, backup (secondary) or remote.",
)
@click.option(
    "--mx",
    "mx",
    multiple=True,
    metavar="'PRIORITY EXCHANGER'",
    help="MX record for a new zone (repeatable), e.g. --mx '10 mail.example.com'.",
)
@force_option
def domain_add(name: str, owner: str | None, mode: str, mx: tuple[str, ...], force: bool) -> None:
    """Manage domain NAME; creates a minimal zone for it when none exists."""
    from mxroute.core.records import parse_record_text

    records = [parse_record_text(item) for item in mx]
    result = _service().add_domain(
        name, actor=_actor(), owner=owner, mode=mode, mx=records, force=force
    )
    _render_change(result)


@domain.command("list")
@click.option("--search", default="", help="Show only domains whose name contains this text.")
@click.option("--mx", "with_mx", is_flag=True, help="Also show each domain's MX records.")
@click.option(
    "--with-findings",
    is_flag=True,
    help="Show only the domains in which 'mxroute doctor' last found something wrong.",
)
@json_option
def domain_list(search: str, with_mx: bool, with_findings: bool, as_json: bool) -> None:
    """List managed domains with their routing modes (and what the doctor last found)."""
    from mxroute.present import summary_data

    found = _service().list_domains(search, with_mx=with_mx, with_findings=with_findings)
    rows = [summary_data(s) for s in found]
    if as_json:
        _emit_json(rows)
        return
    from mxroute import render

    render.domain_table(rows, search)


@domain.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def domain_remove(name: str, yes: bool) -> None:
    """Stop managing domain NAME (its zone file is kept)."""
    if not yes:
        click.confirm(f"Stop managing {name}? Its zone file stays in place.", abort=True)
    removed = _service().remove_domain(name, actor=_actor())
    click.echo(f"Removed {removed} from mxroute; its zone file was kept.")


@domain.command("owner")
@click.argument("name")
@click.argument("username", metavar="USER", required=False)
@click.option("--none", "no_owner", is_flag=True, help="Leave the domain to administrators only.")
def domain_owner(name: str, username: str | None, no_owner: bool) -> None:
    """Give domain NAME to USER (or, with --none, to administrators only)."""
    if bool(username) == no_owner:
        raise click.UsageError("Give either a USER or --none.")
    click.echo(_service().set_owner(name, username, actor=_actor()))


# ----- users and API tokens ---------------------------------------------------------


@cli.group()
def user() -> None:
    """Add, list and remove the users who log in to the web panel and the API."""


def _new_password(given: str | None, generate: bool) -> tuple[str, bool]:
    """The password from --password, a generated one, or asked twice (never echoed)."""
    if given is not None and generate:
        raise click.UsageError("Give either --password or --generate-password, not both.")
    if generate:
        import secrets

        return secrets.token_urlsafe(15), True
    if given is not None:
        return given, False
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


password_option = click.option(
    "--password", help="The password (asked for, hidden, when not given)."
)
generate_option = click.option(
    "--generate-password", "generate", is_flag=True, help="Make a random password; print it once."
)


@user.command("add")
@click.argument("username", metavar="USER")
@click.option("--admin", is_flag=True, help="An administrator: sees and manages every domain.")
@password_option
@generate_option
def user_add(username: str, admin: bool, password: str | None, generate: bool) -> None:
    """Create USER; weak passwords are refused."""
    from mxroute import accounts

    _service()
    secret, generated = _new_password(password, generate)
    created = accounts.add_user(username, secret, admin=admin)
    kind = "administrator" if created.admin else "user"
    click.echo(f"Created {kind} '{created.username}'.")
    if generated:
        click.echo(f"Password (shown once): {secret}")


@user.command("passwd")
@click.argument("username", metavar="USER")
@password_option
@generate_option
def user_passwd(username: str, password: str | None, generate: bool) -> None:
    """Set a new password for USER."""
    from mxroute import accounts

    _service()
    accounts.find_user(username)  # before asking for a password
    secret, generated = _new_password(password, generate)
    accounts.set_password(username, secret)
    click.echo(f"Changed the password of '{username.strip()}'.")
    if generated:
        click.echo(f"Password (shown once): {secret}")


@user.command("list")
@json_option
def user_list(as_json: bool) -> None:
    """List users: administrator or not, domains owned, live API tokens."""
    from mxroute import accounts
    from mxroute.present import user_data

    _service()
    rows = [user_data(u) for u in accounts.list_users()]
    if as_json:
        _emit_json(rows)
        return
    from mxroute import render

    render.user_table(rows)


@user.command("remove")
@click.argument("username", metavar="USER")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def user_remove(username: str, yes: bool) -> None:
    """Delete USER and their API tokens (refused while they own domains)."""
    from mxroute import accounts

    _service()
    accounts.find_user(username)  # before asking for confirmation
    if not yes:
        click.confirm(f"Delete user {username} and their API tokens?", abort=True)
    accounts.remove_user(username)
    click.echo(f"Removed user '{username.strip()}'.")


@cli.group()
def token() -> None:
    """Create, list and revoke API tokens."""


@token.command("create")
@click.argument("username", metavar="USER")
@click.option("--name", default="", help="A name to tell the token apart (default: the time).")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    help="Limit the token to this domain of the user (repeatable).",
)
@click.option("--expires", help="Expiry: a duration (30d, 12h, 2w) or a date (2027-01-31).")
@json_option
def token_create(
    username: str, name: str, domains: tuple[str, ...], expires: str | None, as_json: bool
) -> None:
    """Create an API token for USER; it is printed once and stored only as a hash."""
    from mxroute import accounts
    from mxroute.present import token_data

    _service()
    when = accounts.parse_expiry(expires) if expires is not None else None
    new = accounts.create_token(username, name, domains=domains, expires=when)
    if as_json:
        _emit_json({**token_data(new.summary), "token": new.secret})
        return
    click.echo(f"Created token '{new.summary.name}' for '{new.summary.username}'.")
    click.echo(f"Token (shown once; store it now): {new.secret}")


@token.command("list")
@click.argument("username", metavar="USER", required=False)
@json_option
def token_list(username: str | None, as_json: bool) -> None:
    """List API tokens (of USER, or of everyone), without their secrets."""
    from mxroute import accounts
    from mxroute.present import token_data

    _service()
    rows = [token_data(t) for t in accounts.list_tokens(username)]
    if as_json:
        _emit_json(rows)
        return
    from mxroute import render

    render.token_table(rows)


@token.command("revoke")
@click.argument("username", metavar="USER")
@click.argument("name")
def token_revoke(username: str, name: str) -> None:
    """Revoke USER's token NAME: calls made with it fail from now on."""
    from mxroute import accounts

    _service()
    accounts.revoke_token(username, name)
    click.echo(f"Revoked token '{name.strip()}' of '{username.strip()}'.")


# ----- the web panel and HTTP API -----------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(1, 65535))
@click.option("--cert", type=click.Path(dir_okay=False, exists=True), help="TLS certificate (PEM).")
@click.option("--key", type=click.Path(dir_okay=False, exists=True), help="TLS private key (PEM).")
def serve(host: str, port: int, cert: str | None, key: str | None) -> None:
    """Serve the web panel and the HTTP API (uvicorn; HTTPS with --cert and --key)."""
    from mxroute import web_server

    if bool(cert) != bool(key):
        raise click.UsageError("Give both --cert and --key for HTTPS, or neither.")
    if cert:
        # Before Django starts (in _service): the settings read it once, for secure-only
        # cookies and HSTS.
        os.environ["MXROUTE_WEB_TLS"] = "1"
    _service()
    web_server.serve(host, port, cert=cert, key=key, echo=click.echo)


# ----- MX records -------------------------------------------------------------------


@cli.group()
def mx() -> None:
    """List, add, edit and delete a domain's MX records."""


serial_option = click.option(
    "--serial",
    type=click.IntRange(1, 2**32 - 1),
    default=None,
    help="Refuse the change unless the zone still has this serial (as shown by 'mx list').",
)


dry_run_option = click.option(
    "--dry-run",
    is_flag=True,
    help="Show what the change would do (zone lines, routing lists, findings); change nothing.",
)
plan_option = click.option(
    "--plan",
    "fingerprint",
    metavar="FINGERPRINT",
    help="Apply only if the change is still exactly the one a --dry-run showed.",
)


def preview_options(function: Callable[..., None]) -> Callable[..., None]:
    """--dry-run and --plan, which every changing command takes."""
    return dry_run_option(plan_option(function))


def record_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """An ``mx`` command taking DOMAIN PRIORITY EXCHANGER, --serial, --json, --dry-run,
    --plan and --force."""

    def decorate(function: Callable[..., None]) -> click.Command:
        for option in (json_option, serial_option, preview_options, force_option):
            function = option(function)
        for argument in ("exchanger", "priority"):
            function = click.argument(argument)(function)
        function = click.argument("domain_name", metavar="DOMAIN")(function)
        return mx.command(name, context_settings=NUMBERS_AS_ARGUMENTS)(function)

    return decorate


@mx.command("list")
@click.argument("domain_name", metavar="DOMAIN")
@json_option
def mx_list(domain_name: str, as_json: bool) -> None:
    """Show DOMAIN's MX records, serial and routing."""
    _show(domain_name, as_json, records=True)


def _show(domain_name: str, as_json: bool, *, records: bool) -> None:
    from mxroute.present import state_data

    data = state_data(_service().show(domain_name))
    if as_json:
        _emit_json(data)
        return
    from mxroute import render

    if records:
        render.domain_state(data)
    else:
        render.routing(data)


@record_command("add")
def mx_add(
    domain_name: str,
    priority: str,
    exchanger: str,
    serial: int | None,
    as_json: bool,
    dry_run: bool,
    fingerprint: str | None,
    force: bool,
) -> None:
    """Add the MX record PRIORITY EXCHANGER to DOMAIN."""
    result = _service().add_mx(
        domain_name, priority, exchanger, **_how(serial, dry_run, fingerprint, force)
    )
    _render_change(result, as_json)


@mx.command("edit", context_settings=NUMBERS_AS_ARGUMENTS)
@click.argument("domain_name", metavar="DOMAIN")
@click.argument("old_priority")
@click.argument("old_exchanger")
@click.option("--priority", "new_priority", help="New priority (default: unchanged).")
@click.option("--exchanger", "new_exchanger", help="New exchanger (default: unchanged).")
@serial_option
@json_option
@preview_options
@force_option
def mx_edit(
    domain_name: str,
    old_priority: str,
    old_exchanger: str,
    new_priority: str | None,
    new_exchanger: str | None,
    serial: int | None,
    as_json: bool,
    dry_run: bool,
    fingerprint: str | None,
    force: bool,
) -> None:
    """Change DOMAIN's record OLD_PRIORITY OLD_EXCHANGER (matched exactly)."""
    if new_priority is None and new_exchanger is None:
        raise click.UsageError("Give --priority, --exchanger or both.")
    result = _service().change_mx(
        domain_name,
        old_exchanger,
        old_priority,
        new_priority if new_priority is not None else old_priority,
        new_exchanger if new_exchanger is not None else old_exchanger,
        **_how(serial, dry_run, fingerprint, force),
    )
    _render_change(result, as_json)


@record_command("delete")
def mx_delete(
    domain_name: str,
    priority: str,
    exchanger: str,
    serial: int | None,
    as_json: bool,
    dry_run: bool,
    fingerprint: str | None,
    force: bool,
) -> None:
    """Delete DOMAIN's record PRIORITY EXCHANGER."""
    result = _service().delete_mx(
        domain_name, priority, exchanger, **_how(serial, dry_run, fingerprint, force)
    )
    _render_change(result, as_json)


def _how(serial: int | None, dry_run: bool, fingerprint: str | None, force: bool) -> dict[str, Any]:
    """The keyword arguments every MX change takes from the command line."""
    return {
        "actor": _actor(),
        "expected_serial": serial,
        "dry_run": dry_run,
        "fingerprint": fingerprint,
        "force": force,
    }


# ----- routing ----------------------------------------------------------------------


@cli.group()
def routing() -> None:
    """Show or choose a domain's email routing mode."""


@routing.command("show")
@click.argument("domain_name", metavar="DOMAIN")
@json_option
def routing_show(domain_name: str, as_json: bool) -> None:
    """Show where DOMAIN's mail goes, in plain words."""
    _show(domain_name, as_json, records=False)


@routing.command("set")
@click.argument("domain_name", metavar="DOMAIN")
@click.argument("mode")
@json_option
@preview_options
@force_option
def routing_set(
    domain_name: str,
    mode: str,
    as_json: bool,
    dry_run: bool,
    fingerprint: str | None,
    force: bool,
) -> None:
    """Choose DOMAIN's routing MODE: auto, local, backup (secondary) or remote."""
    result = _service().set_mode(
        domain_name, mode, actor=_actor(), dry_run=dry_run, fingerprint=fingerprint, force=force
    )
    _render_change(result, as_json)


@cli.command()
@click.argument("domain_name", metavar="DOMAIN", required=False)
@click.option("--all", "all_domains", is_flag=True, help="Detect every managed domain.")
@json_option
@preview_options
def detect(
    domain_name: str | None,
    all_domains: bool,
    as_json: bool,
    dry_run: bool,
    fingerprint: str | None,
) -> None:
    """Detect DOMAIN's routing mode from its MX records now (or --all)."""
    if bool(domain_name) == all_domains:
        raise click.UsageError("Give either a DOMAIN or --all.")
    if all_domains and (dry_run or fingerprint):
        raise click.UsageError("--dry-run and --plan take one DOMAIN, not --all.")
    service = _service()
    if domain_name:
        result = service.detect(
            domain_name, actor=_actor(), dry_run=dry_run, fingerprint=fingerprint
        )
        _render_change(result, as_json)
        return
    from mxroute import render
    from mxroute.present import change_data

    results, failures = render.with_progress(
        lambda advance: service.detect_all(actor=_actor(), progress=advance),
        total=len(service.list_domains()),
        quiet=as_json,
    )
    rows = [change_data(r) for r in results]
    if as_json:
        _emit_json({"detected": rows, "failed": failures})
    else:
        render.detections(rows)
    for name, reason in failures.items():
        click.echo(f"mxroute: {name}: {reason}", err=True)
    if failures:
        click.get_current_context().exit(EXIT_REFUSED)


@cli.command(short_help="Undo a change, by its id in the history.")
@click.argument("change_id", metavar="CHANGE_ID")
@click.option(
    "--force", is_flag=True, help="Make the undo even if its plan has findings of error severity."
)
@json_option
@preview_options
def undo(
    change_id: str, force: bool, as_json: bool, dry_run: bool, fingerprint: str | None
) -> None:
    """Undo the change CHANGE_ID (the id 'mxroute history' shows): put back what it changed.

    Refused, changing nothing, if the domain changed since in a way the undo would
    overwrite.
    """
    result = _service().undo(
        change_id, actor=_actor(), dry_run=dry_run, fingerprint=fingerprint, force=force
    )
    _render_change(result, as_json)


@cli.command()
@click.argument("domain_name", metavar="DOMAIN", required=False)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@json_option
def history(domain_name: str | None, limit: int, as_json: bool) -> None:
    """Show recorded changes, newest first (for DOMAIN, or all)."""
    from mxroute.present import history_data

    rows = [history_data(h) for h in _service().history(domain_name, limit)]
    if as_json:
        _emit_json(rows)
        return
    from mxroute import render

    render.history(rows)


@cli.command()
@click.argument("domain_name", metavar="DOMAIN", required=False)
@click.option("--all", "all_domains", is_flag=True, help="Check every managed domain (default).")
@click.option(
    "--fix",
    is_flag=True,
    help="Also repair what can be repaired: record changes made outside mxroute, settle "
    "interrupted changes, detect again, reload zones, rewrite the routing lists.",
)
@json_option
def doctor(domain_name: str | None, all_domains: bool, fix: bool, as_json: bool) -> None:
    """Check DOMAIN (or every domain) for drift between its zone file, what its name
    server serves, the store and the routing lists. Exit 0 clean, 1 findings."""
    from mxroute.present import doctor_data
    from mxroute.service.doctor import Doctor

    if domain_name and all_domains:
        raise click.UsageError("Give either a DOMAIN or --all, not both.")
    report = Doctor(_service(settle=False)).run(domain_name, actor=_actor(), fix=fix)
    data = doctor_data(report)
    if as_json:
        _emit_json(data)
    else:
        from mxroute import render

        render.doctor(data)
    if not report.clean:
        click.get_current_context().exit(EXIT_FINDINGS)


@cli.command("exim-config")
def exim_config() -> None:
    """Print the Exim configuration that reads the routing lists (paths filled in)."""
    from mxroute.config import load
    from mxroute.service import exim_config

    click.echo(exim_config(load()), nl=False)


def _render_change(result: ChangeResult, as_json: bool = False) -> None:
    from mxroute.present import change_data

    data = change_data(result)
    if as_json:
        _emit_json(data)
    else:
        from mxroute import render

        render.change(data)
    if result.dry_run and result.blocking:
        click.get_current_context().exit(EXIT_REFUSED)  # it would be refused: scripts can tell


def _fail(message: str, code: int) -> int:
    click.echo(f"mxroute: {' '.join(message.split())}", err=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    run: Callable[..., Any] = cli.main
    try:
        code = run(args=argv, prog_name="mxroute", standalone_mode=False)
    except MxrouteError as exc:
        return _fail(exc.message, EXIT_REFUSED)
    except click.exceptions.Abort:
        return _fail("cancelled; nothing was changed.", EXIT_REFUSED)
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return _fail("interrupted.", EXIT_REFUSED)
    except Exception as exc:
        from mxroute.config import debug_enabled

        if debug_enabled():
            raise
        return _fail(
            f"unexpected error ({type(exc).__name__}: {exc}); run again with MXROUTE_DEBUG=1 "
            "for the details and report it.",
            EXIT_INTERNAL,
        )
    # Without standalone mode, click returns the code a command passed to ctx.exit().
    return code if isinstance(code, int) else 0
