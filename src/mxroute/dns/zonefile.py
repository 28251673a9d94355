"""BIND zone files as a DNS backend: surgical edits of the apex MX lines and the serial.

A write changes only the zone's apex MX entries and the SOA serial token; every other
byte of the file stays as it was. Two cases need more than that, and are documented
here because an operator will see them in the file:

* Owner continuation: a record with a blank owner inherits the owner of the entry
  before it. When a removed MX line was what gave such a record its owner, that
  record gets the zone's absolute name written in front of it (``example.com.`` +
  the line as it was), so it keeps its owner. This is the only change outside MX
  lines and the serial, and it is made only when needed.
* TTL: the new MX lines carry an explicit TTL (the configured ``ttl``) when any old
  apex MX line had one, or when no ``$TTL`` precedes them in the file (where a
  TTL-less line would inherit the TTL of whatever record is above it). Otherwise they
  have none and take the file's ``$TTL``, as the old ones did.

New MX lines go where the first old apex MX entry was (right after the SOA record when
there was none), each as ``<zone>.  [ttl]  IN  MX  <priority> <exchanger>.``: absolute
owner and exchanger, so they mean the same under any ``$ORIGIN``.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import ipaddress
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.mxbase

from mxroute.core.names import is_subdomain, parse_domain, parse_host
from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import IPAddress, Resolution
from mxroute.core.serial import next_serial
from mxroute.dns.base import Snapshot
from mxroute.dns.masterfile import (
    Directive,
    Entry,
    MasterFileError,
    Record,
    absolute,
    scan,
    split_lines,
)
from mxroute.errors import ConfigError, Conflict, InvalidInput, NotFound, StepFailed
from mxroute.hooks import run_hook

log = logging.getLogger(__name__)

MAX_INCLUDE_DEPTH = 16
MAX_ALIAS_CHAIN = 8
# Zone files are mostly ASCII; surrogateescape carries any other byte through untouched.
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"


@dataclass
class _Zone:
    """One scan of a zone file (and the files it includes)."""

    zone: str
    apex: str  # absolute, final dot
    path: Path
    raw: bytes
    lines: list[str]
    entries: list[Entry] = field(default_factory=list)  # the zone's own file only
    soa: tuple[Path, Record] | None = None
    mx: list[tuple[Path, Record]] = field(default_factory=list)  # apex MX, every file
    # $INCLUDE lines (0-based) whose file starts with a blank-owner record.
    includes_inheriting: set[int] = field(default_factory=set)

    def where(self, path: Path, line: int) -> str:
        return f"{path.name} line {line + 1}"

    def serial(self) -> int:
        if self.soa is None:
            raise ConfigError(
                f"The zone file {self.path} has no SOA record for {self.zone}; add one "
                "(named cannot load the zone without it).",
                code="zone_no_soa",
            )
        path, soa = self.soa
        text = soa.rdata[2].text if len(soa.rdata) == 7 else ""
        if not (text.isascii() and text.isdigit()) or int(text) >= 1 << 32:
            raise ConfigError(
                f"{self.where(path, soa.first_line)}: the SOA record of {self.zone} has no "
                "valid serial number; fix the SOA record in the zone file.",
                code="zone_bad_soa",
            )
        return int(text)

    def mx_set(self) -> MXSet:
        records: set[MXRecord] = set()
        for path, record in self.mx:
            records.add(_mx_record(record, self.where(path, record.first_line)))
        try:
            return MXSet.of(records)
        except InvalidInput as exc:
            path, first = self.mx[0]
            raise ConfigError(
                f"{self.where(path, first.first_line)}: the MX records of {self.zone} break "
                f"a rule mxroute enforces ({exc.message}); fix them in the zone file.",
                code="zone_mx_unsupported",
            ) from None

    def snapshot(self) -> Snapshot:
        return Snapshot(self.zone, self.serial(), self.mx_set())


def _mx_record(record: Record, where: str) -> MXRecord:
    """An apex MX entry as an MXRecord (relative exchangers resolved against its origin)."""
    text = " ".join(token.text for token in record.rdata)
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.MX,
            text,
            origin=dns.name.from_text(record.origin),
            relativize=False,
        )
    except dns.exception.DNSException as exc:
        raise ConfigError(
            f"{where}: the MX record '{text}' cannot be read ({exc}); fix it in the zone file.",
            code="zone_syntax",
        ) from None
    assert isinstance(rdata, dns.rdtypes.mxbase.MXBase)
    target = rdata.exchange.to_text().lower()
    try:
        return MXRecord.parse(rdata.preference, target if target == "." else target[:-1])
    except InvalidInput as exc:
        raise ConfigError(
            f"{where}: the MX record '{text}' cannot be managed by mxroute "
            f"({exc.message}); fix it in the zone file.",
            code="zone_mx_unsupported",
        ) from None


def _format_mx(apex: str, record: MXRecord, ttl: int | None) -> str:
    """One new MX line (without its line ending), checked by dnspython."""
    rdata = f"{record.priority} {'.' if record.is_null else record.exchanger + '.'}"
    dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.MX, rdata)  # raises if malformed
    ttl_field = f"{ttl}\t" if ttl is not None else ""
    return f"{apex}\t{ttl_field}IN\tMX\t{rdata}"


class ZoneFileBackend:
    """Zones kept as BIND master files in ``zones_dir`` (one file per zone)."""

    def __init__(
        self,
        zones_dir: Path,
        locks_dir: Path,
        file_template: str = "{zone}.zone",
        check_command: str = "",
        reload_command: str = "",
        ttl: int = 3600,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.zones_dir = Path(zones_dir).absolute()
        self.locks_dir = Path(locks_dir).absolute()
        self.file_template = file_template
        self.check_command = check_command
        self.reload_command = reload_command
        self.ttl = ttl
        self.today = today

    # -- files -----------------------------------------------------------------------

    def path(self, zone: str) -> Path:
        """The zone's file: a validated domain through the template, inside zones_dir."""
        name = parse_domain(zone)
        base = self.zones_dir.resolve()
        candidate = (self.zones_dir / self.file_template.format(zone=name)).resolve()
        if not candidate.is_relative_to(base) or candidate == base:
            raise ConfigError(
                f"The zone file for {name} would be {candidate}, outside the zones directory "
                f"{base}; check the zone file template and symbolic links.",
                code="zone_path_outside",
            )
        return candidate

    def exists(self, zone: str) -> bool:
        """True when the zone's file exists."""
        return self.path(zone).is_file()

    def _include_path(self, name: str) -> Path:
        # named resolves relative $INCLUDE names against its working directory; mxroute's
        # convention (and the check command's cwd) is the zones directory.
        path = Path(name)
        return path if path.is_absolute() else self.zones_dir / path

    @staticmethod
    def _read_bytes(path: Path, zone: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                f"The zone {zone} has no zone file ({path}); create the zone first or "
                "check the zones directory.",
                code="zone_not_found",
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"The zone file {path} cannot be read ({exc.strerror}); check its permissions.",
                code="zone_unreadable",
            ) from None

    @staticmethod
    @contextlib.contextmanager
    def _gc_paused() -> Iterator[None]:
        """Pause the cyclic garbage collector while a zone is scanned.

        A big zone makes a million small tuples; with the collector on, each batch of
        allocations re-traverses all of them, doubling the time. They hold no cycles.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()

    @contextlib.contextmanager
    def _lock(self, zone: str) -> Iterator[None]:
        """An exclusive per-zone lock that holds across processes (flock on a lock file)."""
        self.locks_dir.mkdir(parents=True, exist_ok=True)
        with open(self.locks_dir / f"zone-{zone}.lock", "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield  # closing the file releases the lock

    # -- scanning --------------------------------------------------------------------

    def _walk(
        self,
        path: Path,
        lines: list[str],
        origin: str,
        owner: str | None,
        depth: int,
        visit: Callable[[Path, Entry], None],
    ) -> None:
        """Call ``visit`` for every entry of ``path`` and of the files it includes, in order."""
        try:
            for entry in scan(lines, origin, owner=owner):
                visit(path, entry)
                if entry.__class__ is Directive and entry[0] == "$INCLUDE":
                    assert isinstance(entry, Directive)
                    self._include(path, entry, depth, visit)
        except MasterFileError as exc:
            raise ConfigError(
                f"{path.name} line {exc.line + 1}: {exc.reason}; fix the zone file.",
                code="zone_syntax",
            ) from None

    def _include(
        self, path: Path, entry: Directive, depth: int, visit: Callable[[Path, Entry], None]
    ) -> None:
        where = f"{path.name} line {entry.first_line + 1}"
        if depth >= MAX_INCLUDE_DEPTH:
            raise ConfigError(
                f"{where}: $INCLUDE is nested more than {MAX_INCLUDE_DEPTH} deep (a loop?); "
                "fix the zone files.",
                code="zone_include_loop",
            )
        included = self._include_path(entry.include_file)
        try:
            raw = included.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"{where}: the included file {included} cannot be read ({exc.strerror}).",
                code="zone_include_unreadable",
            ) from None
        try:
            origin = entry.include_origin
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}.", code="zone_syntax") from None
        lines = split_lines(raw.decode(_ENCODING, _ERRORS))
        self._walk(included, lines, origin, entry.owner, depth + 1, visit)

    def _scan(self, zone: str, path: Path) -> _Zone:
        """Read the zone: its own entries, its SOA and apex MX records (in any file)."""
        raw = self._read_bytes(path, zone)
        lines = split_lines(raw.decode(_ENCODING, _ERRORS))
        apex = zone + "."
        state = _Zone(zone, apex, path, raw, lines)
        entries = state.entries
        include_line = -1  # the $INCLUDE whose first record has not been seen yet

        def visit(source: Path, entry: Entry) -> None:
            nonlocal include_line
            own = source is path
            if own:
                entries.append(entry)
            if isinstance(entry, Directive):
                if entry.name == "$INCLUDE" and own:
                    include_line = entry.first_line
                elif entry.name == "$GENERATE":
                    self._refuse_generated_mx(state, source, entry)
                return
            if include_line >= 0:
                if not own and entry.owner_token is None:
                    state.includes_inheriting.add(include_line)
                include_line = -1
            if entry.owner != apex or (
                entry.rrclass is not None and entry.rrclass.text.upper() != "IN"
            ):
                return
            if entry.rrtype == "MX":
                state.mx.append((source, entry))
            elif entry.rrtype == "SOA" and state.soa is None:
                state.soa = (source, entry)

        with self._gc_paused():
            self._walk(path, lines, apex, None, 0, visit)
        return state

    @staticmethod
    def _refuse_generated_mx(state: _Zone, source: Path, entry: Directive) -> None:
        """$GENERATE making apex MX records is beyond mxroute: one clear error."""
        words = [a.text for a in entry.args]
        lhs = words[1]
        kinds = {w.upper() for w in words[2:5]}
        if "MX" in kinds and "$" not in lhs and absolute(lhs, entry.origin) == state.apex:
            raise ConfigError(
                f"{state.where(source, entry.first_line)}: apex MX records made by $GENERATE "
                "cannot be managed by mxroute; write them as plain MX records.",
                code="zone_mx_unsupported",
            )

    # -- the Backend protocol --------------------------------------------------------

    def read(self, zone: str) -> Snapshot:
        """The zone's SOA serial and apex MX set (MX records in included files count)."""
        zone = parse_domain(zone)
        return self._scan(zone, self.path(zone)).snapshot()

    def write(self, zone: str, mx: MXSet, expected: Snapshot) -> Snapshot:
        """Replace the apex MX records if the zone still matches ``expected``."""
        zone = parse_domain(zone)
        path = self.path(zone)
        with self._lock(zone):
            state = self._scan(zone, path)
            self._refuse_includes(state)
            current = state.snapshot()
            if current.serial != expected.serial or current.mx != expected.mx:
                how = (
                    f"serial {expected.serial}, now {current.serial}"
                    if current.serial != expected.serial
                    else f"edited by hand, serial still {current.serial}"
                )
                raise Conflict(
                    f"The MX records of {zone} changed since you read them ({how}); "
                    "reload and try again."
                )
            serial = next_serial(current.serial, self.today())
            text = _edited(state, mx, serial, self.ttl)
            self._replace(zone, path, text.encode(_ENCODING, _ERRORS), state.raw)
        log.info("wrote %d MX record(s) to %s, serial %d", len(mx), path, serial)
        return Snapshot(zone, serial, mx)

    @staticmethod
    def _refuse_includes(state: _Zone) -> None:
        """mxroute edits only the zone's own file: apex MX or SOA elsewhere is refused."""
        elsewhere = [(p, r) for p, r in state.mx if p != state.path]
        if state.soa is not None and state.soa[0] != state.path:
            elsewhere.insert(0, state.soa)
        if elsewhere:
            path, record = elsewhere[0]
            raise ConfigError(
                f"The {record.rrtype} records of {state.zone} are in the included file "
                f"{path} (line {record.first_line + 1}); mxroute edits only the zone's own "
                f"file {state.path.name}, so move them there to manage them with mxroute.",
                code="zone_mx_in_include",
            )

    def create(self, zone: str, mx: MXSet, nameserver: str) -> Snapshot:
        """A minimal zone: $TTL, SOA (serial YYYYMMDD01), NS and the MX set.

        With no ``nameserver``, ``ns1.<zone>`` is used. A name server inside the zone
        needs an address in the zone (named refuses the zone otherwise); mxroute does
        not know it, so it writes 127.0.0.1 with a comment saying to replace it.
        The zone is not added to named's configuration, so no reload is run.
        """
        zone = parse_domain(zone)
        path = self.path(zone)
        ns = parse_host(nameserver, what="name server", field="nameserver") if nameserver else ""
        ns = ns or f"ns1.{zone}"
        day = self.today()
        serial = int(day.strftime("%Y%m%d")) * 100 + 1
        lines = [
            f"; Zone {zone}, created by mxroute on {day.isoformat()}.",
            f"$TTL {self.ttl}",
            f"@\tIN\tSOA\t{ns}. hostmaster.{zone}. (",
            f"\t\t\t{serial}\t; serial",
            "\t\t\t3600\t\t; refresh",
            "\t\t\t900\t\t; retry",
            "\t\t\t1209600\t\t; expire",
            "\t\t\t300 )\t\t; negative-caching TTL",
            f"@\tIN\tNS\t{ns}.",
        ]
        if is_subdomain(ns, zone):
            lines.append(
                f"{ns}.\tIN\tA\t127.0.0.1\t; placeholder: replace with the name server's address"
            )
        lines += [_format_mx(zone + ".", record, None) for record in mx]
        data = ("\n".join(lines) + "\n").encode("ascii")
        with self._lock(zone):
            if path.exists():
                raise InvalidInput(
                    f"The zone {zone} already exists ({path}); edit its MX records instead.",
                    code="zone_exists",
                    field="domain",
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._temp_file(path, data, 0o644, None)
            try:
                self._check(zone, tmp)
                os.link(tmp, path)  # fails instead of replacing a file made meanwhile
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(path.parent)
        log.info("created zone %s in %s, serial %d", zone, path, serial)
        return Snapshot(zone, serial, mx)

    def lookup(self, zone: str, name: str) -> Resolution:
        """The A/AAAA addresses of ``name`` as the zone file publishes them (see lookup_many)."""
        return self.lookup_many(zone, [name])[name]

    def lookup_many(self, zone: str, names: Iterable[str]) -> dict[str, Resolution]:
        """The A/AAAA addresses of each of ``names``, from one pass over the zone file.

        A CNAME sets ``alias_of`` (its first target) and is followed inside the zone; an
        alias leaving the zone gives status ``nodata`` (resolve ``alias_of`` elsewhere).
        Wildcards and empty non-terminals count; names made by $GENERATE are not seen.
        """
        zone = parse_domain(zone)
        wanted = {name: name.lower().rstrip(".") for name in names}
        for name, plain in wanted.items():
            if not is_subdomain(plain, zone):
                raise InvalidInput(
                    f"The name {name} is not in the zone {zone}.", code="not_in_zone", field="name"
                )
        state = _Zone(zone, zone + ".", self.path(zone), b"", [])
        raw = self._read_bytes(state.path, zone)
        lines = split_lines(raw.decode(_ENCODING, _ERRORS))
        by_owner: dict[str, list[tuple[Path, Record]]] = {}

        def visit(source: Path, entry: Entry) -> None:
            if isinstance(entry, Record) and (
                entry.rrclass is None or entry.rrclass.text.upper() == "IN"
            ):
                by_owner.setdefault(entry.owner, []).append((source, entry))

        with self._gc_paused():
            self._walk(state.path, lines, state.apex, None, 0, visit)
        return {name: _resolve(state, by_owner, plain + ".") for name, plain in wanted.items()}

    # -- replacing the file ----------------------------------------------------------

    def _check(self, zone: str, file: Path) -> None:
        if self.check_command:
            run_hook(
                "zone_check", self.check_command, cwd=self.zones_dir, zone=zone, file=str(file)
            )

    @staticmethod
    def _temp_file(target: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> Path:
        """A fsynced temp file beside ``target`` with ``data``, ``mode`` and ``owner``."""
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                if owner is not None:
                    try:
                        os.fchown(handle.fileno(), *owner)
                    except PermissionError:
                        # Only root may give a file away; mode alone must then do.
                        log.warning("cannot give %s the owner %d:%d", target, *owner)
                os.fsync(handle.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    def _replace(self, zone: str, path: Path, data: bytes, previous: bytes) -> None:
        """Check, atomically install, reload; a failed reload puts ``previous`` back."""
        info = path.stat()
        mode, owner = info.st_mode & 0o7777, (info.st_uid, info.st_gid)
        tmp = self._temp_file(path, data, mode, owner)
        try:
            self._check(zone, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        if not self.reload_command:
            return
        try:
            run_hook(
                "zone_reload", self.reload_command, cwd=self.zones_dir, zone=zone, file=str(path)
            )
        except StepFailed:
            log.warning("reload of %s failed; putting the previous zone file back", zone)
            back = self._temp_file(path, previous, mode, owner)
            try:
                os.replace(back, path)
            finally:
                back.unlink(missing_ok=True)
            _fsync_dir(path.parent)
            raise


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the directory that holds the file."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _edited(state: _Zone, mx: MXSet, serial: int, ttl: int) -> str:
    """The zone's text with the new MX lines and serial; every other byte as it was."""
    assert state.soa is not None
    lines = state.lines
    old = [record for _, record in state.mx]
    removed: set[int] = set()
    for record in old:
        removed.update(range(record.first_line, record.last_line + 1))
    at = old[0].first_line if old else state.soa[1].last_line + 1

    ttl_seen = any(
        isinstance(e, Directive) and e.name == "$TTL" and e.first_line < at for e in state.entries
    )
    explicit = any(record.ttl is not None for record in old) or not ttl_seen
    eol = "\r" if lines and lines[0].endswith("\r") else ""
    block = [_format_mx(state.apex, record, ttl if explicit else None) + eol for record in mx]

    prefixed = _owner_fixes(state, removed, at, bool(block))
    serial_token = state.soa[1].rdata[2]

    out: list[str] = []
    for index, line in enumerate(lines):
        if index == at:
            out.extend(block)
        if index in removed:
            continue
        if index == serial_token.line:
            line = line[: serial_token.start] + str(serial) + line[serial_token.end :]
        if index in prefixed:
            line = prefixed[index] + line
        out.append(line)
    if at >= len(lines):
        out.extend(block)
    return "\n".join(out)


def _owner_fixes(state: _Zone, removed: set[int], at: int, inserting: bool) -> dict[int, str]:
    """Blank-owner entries whose inherited owner the edit would change -> name to prefix.

    Walks the zone's own entries tracking the previous owner as it will be after the
    edit; a blank-owner entry that would inherit a different owner than before gets
    its own absolute owner written in front of it.
    """
    fixes: dict[int, str] = {}
    previous: str | None = None
    passed_insertion = False
    for entry in state.entries:
        if not passed_insertion and entry.first_line >= at:
            passed_insertion = True
            if inserting:
                previous = state.apex
        if entry.first_line in removed:
            continue
        if isinstance(entry, Directive):
            if entry.first_line in state.includes_inheriting and entry.owner != previous:
                raise ConfigError(
                    f"{state.path.name} line {entry.first_line + 1}: the included file starts "
                    "with a record that inherits its owner from the MX record above it; give "
                    "that record an explicit owner so mxroute can edit the MX records.",
                    code="zone_mx_in_include",
                )
            continue
        if entry.owner_token is None and entry.owner != previous:
            fixes[entry.first_line] = entry.owner
        previous = entry.owner
    return fixes


def _resolve(state: _Zone, by_owner: dict[str, list[tuple[Path, Record]]], name: str) -> Resolution:
    """Addresses of ``name`` (absolute) from the zone's records; follows in-zone CNAMEs."""
    first_alias: str | None = None
    for _ in range(MAX_ALIAS_CHAIN):
        records = by_owner.get(name)
        if records is None:
            if any(owner.endswith("." + name) for owner in by_owner):  # empty non-terminal
                return Resolution(status="nodata", alias_of=first_alias)
            records = _wildcard(state, by_owner, name)
        if records is None:
            return Resolution(status="nxdomain", alias_of=first_alias)
        cname = [(p, r) for p, r in records if r.rrtype == "CNAME" and r.rdata]
        if cname:
            source, record = cname[0]
            try:
                target = absolute(record.rdata[0].text, record.origin)
            except ValueError as exc:
                raise ConfigError(
                    f"{state.where(source, record.first_line)}: {exc}.", code="zone_syntax"
                ) from None
            first_alias = first_alias or target.rstrip(".")
            if not is_subdomain(target.rstrip("."), state.zone):
                return Resolution(status="nodata", alias_of=first_alias)
            name = target
            continue
        addresses: set[IPAddress] = set()
        for source, record in records:
            if record.rrtype in ("A", "AAAA") and record.rdata:
                try:
                    addresses.add(ipaddress.ip_address(record.rdata[0].text))
                except ValueError:
                    raise ConfigError(
                        f"{state.where(source, record.first_line)}: '{record.rdata[0].text}' "
                        f"is not an IP address; fix the {record.rrtype} record.",
                        code="zone_syntax",
                    ) from None
        status = "ok" if addresses else "nodata"
        return Resolution(frozenset(addresses), status, first_alias)
    return Resolution(status="servfail", alias_of=first_alias)  # an alias loop


def _wildcard(
    state: _Zone, by_owner: dict[str, list[tuple[Path, Record]]], name: str
) -> list[tuple[Path, Record]] | None:
    """RFC 4592: the records of ``*.<closest encloser>``, if the zone has that wildcard."""
    labels = name.split(".")
    for cut in range(1, len(labels)):
        encloser = ".".join(labels[cut:])
        if not encloser or len(encloser) < len(state.apex):
            return None
        if encloser in by_owner or any(o.endswith("." + encloser) for o in by_owner):
            return by_owner.get("*." + encloser)
    return None
