"""Rich output for the CLI: tables and plain-words explanations of service results."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

# Piped output (grep, make run) is not squeezed into 80 columns, and its sentences are
# not cut into lines: names and messages stay whole for scripts.
_PIPED = not sys.stdout.isatty()
console = Console(highlight=False, width=200 if _PIPED else None, soft_wrap=_PIPED)
T = TypeVar("T")

_MODE_STYLE = {"local": "green", "backup": "yellow", "remote": "cyan", "auto": "magenta"}


def _table(*columns: str) -> Table:
    """A table whose cells wrap instead of being cut with an ellipsis."""
    table = Table(title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _mode(value: str | None) -> str:
    if not value:
        return "-"
    return f"[{_MODE_STYLE.get(value, 'white')}]{value}[/]"


def _warnings(warnings: list[str]) -> None:
    for warning in warnings:
        console.print(f"[bold yellow]Warning:[/] {escape(warning)}")


_SEVERITY = {"error": "[bold red]Error:[/]", "warning": "[bold yellow]Warning:[/]"}


def _findings(findings: list[dict[str, str]]) -> None:
    """Each finding once, with its severity and code."""
    for finding in findings:
        label = _SEVERITY.get(finding["severity"], "Note:")
        console.print(f"{label} {escape(finding['message'])} ({finding['code']})")


def mx_table(mx: list[dict[str, Any]], title: str = "MX records") -> Table:
    """Records by priority; equal priorities marked as sharing mail at random."""
    table = _table("Priority", "Exchanger", "Note")
    table.title = title
    for record in mx:
        shared = record.get("shared_with", 0)
        note = f"shares mail at random with {shared} other(s)" if shared else ""
        if record["exchanger"] == ".":
            note = "Null MX: the domain accepts no mail"
        table.add_row(str(record["priority"]), record["exchanger"], note)
    if not mx:
        table.add_row("-", "(no MX records)", "senders use the domain's own address")
    return table


def domain_table(rows: list[dict[str, Any]], search: str = "") -> None:
    """The domain list."""
    with_mx = any("mx" in row for row in rows)
    flagged = any(row.get("findings") for row in rows)
    columns = ("Domain", "Owner", "Chosen mode", "Effective", "Detected")
    table = _table(
        *columns,
        *(("MX records (priority exchanger)",) if with_mx else ()),
        *(("Doctor found",) if flagged else ()),
    )
    for row in rows:
        cells = [
            row["domain"],
            row["owner"] or "-",
            _mode(row["mode"]),
            _mode(row["effective_mode"]),
            _mode(row["detected_mode"]),
        ]
        if with_mx:
            records = row.get("mx")
            cells.append(
                "(zone unreadable)"
                if records is None
                else "\n".join(f"{r['priority']} {r['exchanger']}" for r in records) or "(none)"
            )
        if flagged:
            cells.append(_flag(row.get("findings") or []))
        table.add_row(*cells)
    if not rows:
        console.print(
            f"No domain matches '{escape(search)}'."
            if search
            else "No domains yet; add one with 'mxroute domain add DOMAIN'."
        )
        return
    console.print(table)


def _flag(findings: list[dict[str, Any]]) -> str:
    """The codes of a domain's findings, the worst in red ("" for none)."""
    codes = [
        f"[red]{f['code']}[/]" if f["severity"] == "error" else f"[yellow]{f['code']}[/]"
        for f in findings
    ]
    return "\n".join(dict.fromkeys(codes))


def doctor(data: dict[str, Any]) -> None:
    """A doctor run: each domain's findings (repaired or not), then the lists' own."""
    _doctor_findings("Routing lists", data["findings"], data["fix_errors"], data["fix"])
    for entry in data["domains"]:
        _doctor_findings(entry["domain"], entry["findings"], entry["fix_errors"], data["fix"])
    count = data["checked"]
    checked = f"Checked {count} domain{'s' if count != 1 else ''}"
    if not (data["domains"] or data["findings"]):
        console.print(f"[bold green]{checked}: nothing wrong.[/]")
    elif data["clean"]:
        console.print(f"[bold green]{checked}: everything found was repaired.[/]")
    else:
        left = [e for e in data["domains"] if any(not f["fixed"] for f in e["findings"])]
        lists = any(not f["fixed"] for f in data["findings"])
        what = f"{len(left)} with findings" + (", and the routing lists" if lists else "")
        console.print(f"[bold red]{checked}: {what}{' left' if data['fix'] else ''}.[/]")


def _doctor_findings(
    title: str, findings: list[dict[str, Any]], errors: list[str], fix: bool
) -> None:
    if not findings:
        return
    console.print(f"[bold]{escape(title)}[/]")
    style = {"error": "red", "warning": "yellow", "note": "cyan"}
    for f in findings:
        state = (
            (" [green](repaired)[/]" if f["fixed"] else " [red](not repaired)[/]") if fix else ""
        )
        # One line each (never folded), so grep and scripts see a whole finding.
        console.print(
            f"  [{style.get(f['severity'], 'white')}]{f['severity']}[/] {f['code']}{state}: "
            f"{escape(f['message'])}",
            soft_wrap=True,
        )
    for error in errors:
        console.print(f"  [red]repair failed:[/] {escape(error)}", soft_wrap=True)


def domain_state(data: dict[str, Any]) -> None:
    """A domain's records, serial and routing."""
    console.print(f"[bold]{data['domain']}[/]  serial {data['serial']}")
    console.print(mx_table(data["mx"]))
    routing(data, header=False)


def routing(data: dict[str, Any], header: bool = True) -> None:
    """Where the domain's mail goes, in plain words."""
    if header:
        console.print(f"[bold]{data['domain']}[/]")
    detected = (
        data["detected_mode"]
        if data["detection"]["certain"]
        else f"unknown, {data['detected_mode']} kept"
    )
    console.print(
        f"Routing: {_mode(data['effective_mode'])} (chosen: {data['mode']}, detected from MX: "
        f"{detected})"
    )
    for line in data["explanation"]:
        console.print(f"  {escape(line)}")
    _warnings(data["warnings"])


def change(data: dict[str, Any]) -> None:
    """What a change did, in DNS and in routing (or, for a dry run, would do)."""
    if data["dry_run"]:
        preview(data)
        return
    console.print(f"[bold green]{data['domain']}:[/] {escape(data['summary'])}")
    if data["serial_before"] != data["serial_after"]:
        console.print(f"Zone serial {data['serial_before']} -> {data['serial_after']}")
    console.print(mx_table(data["mx_after"]))
    for line in data["explanation"]:
        console.print(f"  {escape(line)}")
    _findings(data["findings"])


def preview(data: dict[str, Any]) -> None:
    """A dry run: the zone lines and routing lists before and after, the findings."""
    console.print(f"[bold yellow]Dry run, nothing was changed.[/] {data['domain']}:")
    console.print(f"  Planned: {escape(data['summary'])}")
    console.print(f"  Zone {data['domain']} (serial {data['serial_before']}):")
    if not (data["zone_lines_removed"] or data["zone_lines_added"]):
        console.print("    no MX line changes")
    for line in data["zone_lines_removed"]:
        console.print(f"    [red]- {escape(line)}[/]")
    for line in data["zone_lines_added"]:
        console.print(f"    [green]+ {escape(line)}[/]")
    before = ", ".join(data["lists_before"]) or "no list"
    after = ", ".join(data["lists_after"]) or "no list"
    console.print(
        f"  Routing: {data['effective_mode_before']} -> {data['effective_mode']} "
        f"(routing lists: {before} -> {after})"
    )
    for line in data["explanation"]:
        console.print(f"  {escape(line)}")
    _findings(data["findings"])
    if data["refused_unless_forced"]:
        console.print(
            "  [bold red]This change would be refused[/] (it would stop mail: "
            f"{', '.join(data['refused_unless_forced'])}); add --force to make it anyway."
        )
    console.print(f"  Apply exactly this with --plan {data['fingerprint']}")


def detections(rows: list[dict[str, Any]]) -> None:
    """Results of detecting every domain."""
    table = _table("Domain", "Detected", "Effective", "Changed", "Warnings")
    for row in rows:
        table.add_row(
            row["domain"],
            _mode(row["detected_mode"]),
            _mode(row["effective_mode"]),
            "yes" if row["effective_mode_before"] != row["effective_mode"] else "",
            str(len(row["warnings"])) if row["warnings"] else "",
        )
    console.print(table)
    for row in rows:
        _warnings(row["warnings"])


def history(rows: list[dict[str, Any]]) -> None:
    """The change history."""
    table = _table("Id", "When (UTC)", "Domain", "Who", "Via", "What", "Serial")
    for row in rows:
        serial = (
            f"{row['serial_before']} -> {row['serial_after']}"
            if row["serial_before"] != row["serial_after"]
            else str(row["serial_after"] or "")
        )
        table.add_row(
            str(row["id"]),
            row["at"][:19].replace("T", " "),
            row["domain"],
            row["actor"],
            row["interface"],
            row["summary"],
            serial,
        )
    if not rows:
        console.print("No changes recorded yet.")
        return
    console.print(table)
    console.print("Undo a change with 'mxroute undo ID'.")


def user_table(rows: list[dict[str, Any]]) -> None:
    """The users."""
    if not rows:
        console.print("No users yet; add one with 'mxroute user add USER'.")
        return
    table = _table("User", "Administrator", "Domains", "API tokens", "Last log-in (UTC)")
    for row in rows:
        table.add_row(
            row["username"],
            "yes" if row["admin"] else "",
            str(row["domains"]),
            str(row["tokens"]),
            (row["last_login"] or "never")[:19].replace("T", " "),
        )
    console.print(table)


def token_table(rows: list[dict[str, Any]]) -> None:
    """The API tokens (never their secrets)."""
    if not rows:
        console.print("No API tokens; create one with 'mxroute token create USER'.")
        return
    table = _table("User", "Name", "Domains", "Created (UTC)", "Expires", "Last used")
    for row in rows:
        expires = (row["expires_at"] or "never")[:19].replace("T", " ")
        table.add_row(
            row["username"],
            row["name"],
            ", ".join(row["domains"]) or "all of the user's",
            row["created_at"][:19].replace("T", " "),
            f"{expires} (expired)" if row["expired"] else expires,
            (row["last_used_at"] or "never")[:19].replace("T", " "),
        )
    console.print(table)


def with_progress(work: Callable[[Callable[[str], None]], T], total: int, quiet: bool) -> T:
    """Run ``work(advance)`` under a progress bar, drawn only on a terminal and not ``quiet``."""
    if quiet or not sys.stderr.isatty():
        return work(lambda _name: None)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Detecting", total=total)
        return work(lambda name: progress.update(task, advance=1, description=name))
