"""BIND zone files as a DNS backend: surgical edits of the apex MX lines and the serial.

A write changes only the zone's apex MX entries and the SOA serial token; every other
byte of the file stays as it was. Two cases need more than that, and are documented
here because an operator will see them in the file:

* Owner continuation: a record with a blank owner inherits the owner of the entry
  before it. When a removed MX line was what gave such a record its owner, that
  record gets the zone's absolute name written in front of it (``example.com.`` +
  the line as it was), so it keeps its owner. This is the only change outside MX
  lines and the serial, and it is made only when needed.
* TTL: the new MX lines keep the TTL the old apex MX lines had. When an old line
  states its own TTL, every new line gets it (the first such line's). When none does
  and a ``$TTL`` precedes them, they state none either and take the file's ``$TTL``,
  as the old ones did. With no ``$TTL`` above them, a TTL-less line takes the last TTL
  stated before it, else the SOA's MINIMUM (RFC 1035 §5.1, as BIND and dnspython read
  it), so they get that TTL written out. The configured ``ttl`` is used only when that
  is not known (an ``$INCLUDE`` above may state a TTL). A TTL outside 1..2147483647
  (RFC 2181 §8) is refused.

New MX lines go where the first old apex MX entry was (right after the SOA record when
there was none), each as ``<zone>.  [ttl]  IN  MX  <priority> <exchanger>.``: absolute
owner and exchanger, so they mean the same under any ``$ORIGIN``. Before the file is
replaced, dnspython reads the new lines back (owner, TTL, class, type and data must be
what was meant); the rest of the zone is not re-parsed, which would cost seconds.

Failing to lock, read or write a zone file (permissions, a full disk, a directory where
the file should be) is :class:`~mxroute.errors.StepFailed` with step ``zone``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import ipaddress
import logging
import os
import re
import time
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
import dns.ttl
import dns.zonefile

from mxroute.atomic import flocked, staged, write_atomically
from mxroute.core.names import is_subdomain, parse_domain, parse_host
from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import IPAddress, Resolution
from mxroute.core.serial import next_serial
from mxroute.dns.base import DELEGATED, Snapshot
from mxroute.dns.index import Managed
from mxroute.dns.masterfile import (
    Directive,
    Entry,
    MasterFileError,
    Record,
    Token,
    absolute,
    scan,
    split_lines,
)
from mxroute.errors import ConfigError, Conflict, InvalidInput, NotFound, StepFailed
from mxroute.hooks import run_hook

log = logging.getLogger(__name__)

MAX_INCLUDE_DEPTH = 16
# A snapshot is reused only for a file unchanged for this long (a rewrite in place
# within one tick of the file system's clock could otherwise go unseen).
SETTLED_SECONDS = 2
CACHE_ZONES = 200_000  # snapshots kept per process (each a few hundred bytes)
# The last snapshot read from each zone file, with the file's identity then.
_SNAPSHOTS: dict[tuple[str, Path], tuple[tuple[int, int, int, int, int], Snapshot]] = {}
MAX_ALIAS_CHAIN = 8
MAX_TTL = 2**31 - 1  # RFC 2181 §8: a TTL with the top bit set is read as zero
NEW_FILE_MODE = 0o644  # named runs as its own user and must read the zone
# Zone files are mostly ASCII; surrogateescape carries any other byte through untouched.
# An MX rdata as nearly every zone writes it (a decimal preference and a plain name):
# read without dnspython's general rdata parser, which dominates a cold detect --all.
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?|[.@]")
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
    plain = _plain_mx(record)
    if plain is not None:
        preference, target = plain
        try:
            return MXRecord.parse(preference, target if target == "." else target[:-1])
        except InvalidInput:
            pass  # the general parser below gives the refusal its own words
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


def _plain_mx(record: Record) -> tuple[int, str] | None:
    """The preference and absolute lower-case exchanger of a plainly written MX rdata,
    or None when it needs the general parser (escapes, quotes, odd numbers, long names)."""
    if len(record.rdata) != 2:
        return None
    preference, exchange = record.rdata[0].text, record.rdata[1].text
    if not (preference.isascii() and preference.isdigit() and len(preference) <= 5):
        return None
    if int(preference) > 65535 or not _PLAIN_NAME.fullmatch(exchange):
        return None
    if exchange == "@":
        target = record.origin
    elif exchange.endswith("."):
        target = exchange
    else:
        target = exchange + "." + record.origin if record.origin != "." else exchange + "."
    if len(target) > 254:
        return None
    return int(preference), target.lower()


def _mx_lines(apex: str, mx: MXSet, ttl: int | None) -> list[str]:
    """The new MX lines (without line endings), read back by dnspython before use."""
    if ttl is not None and not 1 <= ttl <= MAX_TTL:
        raise ValueError(f"TTL {ttl} is outside 1..{MAX_TTL}")  # callers check first
    ttl_field = f"{ttl}\t" if ttl is not None else ""
    lines = [
        f"{apex}\t{ttl_field}IN\tMX\t{r.priority} {'.' if r.is_null else r.exchanger + '.'}"
        for r in mx
    ]
    if lines:
        _read_back(apex, mx, ttl, lines)
    return lines


def _read_back(apex: str, mx: MXSet, ttl: int | None, lines: list[str]) -> None:
    """Refuse new MX lines that dnspython does not read as exactly ``mx`` at ``apex``."""
    wanted = {(r.priority, dns.name.from_text(r.exchanger)) for r in mx}  # "." is the root
    try:
        # A TTL-less line takes 0 here (the file's $TTL in the zone); a stated one its own.
        rrsets = dns.zonefile.read_rrsets(
            "\n".join(lines), rdclass=None, default_ttl=0 if ttl is None else None
        )
    except dns.exception.DNSException as exc:
        why = str(exc)
    else:
        found = {
            (rrset.name, rrset.ttl, rrset.rdclass, rdata.preference, rdata.exchange)
            for rrset in rrsets
            for rdata in rrset
            if isinstance(rdata, dns.rdtypes.mxbase.MXBase)
        }
        meant = {(dns.name.from_text(apex), ttl or 0, dns.rdataclass.IN, *pair) for pair in wanted}
        fine = found == meant and sum(len(rrset) for rrset in rrsets) == len(lines)
        why = "" if fine else "read back as " + "; ".join(rrset.to_text() for rrset in rrsets)
    if why:
        raise StepFailed(
            "zone",
            f"The new MX lines for {apex} were not what dnspython reads back ({why}), so the "
            "zone file was left as it was; this is a bug in mxroute, please report it.",
        )


def _configured_ttl(ttl: int) -> int:
    if not 1 <= ttl <= MAX_TTL:
        raise ConfigError(
            f"The configured TTL {ttl} is outside 1..{MAX_TTL} seconds (RFC 2181); set "
            "[dns] ttl to a number of seconds in that range.",
            code="zone_ttl",
        )
    return ttl


def _stated_ttl(token: Token, where: str) -> int:
    """The TTL a line of the zone file states, in seconds, when new MX lines may take it."""
    try:
        ttl = dns.ttl.from_text(token.text)
    except dns.exception.DNSException:
        ttl = -1
    if not 1 <= ttl <= MAX_TTL:
        raise ConfigError(
            f"{where}: the TTL {token.text}, which the new MX records would keep, is outside "
            f"1..{MAX_TTL} seconds; fix it in the zone file.",
            code="zone_ttl",
        )
    return ttl


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _is_a_directory(zone: str, path: Path) -> StepFailed:
    return StepFailed(
        "zone",
        f"The zone file of {zone}, {path}, is a directory; move it out of the way or change "
        "the zone file template.",
    )


def _write_failure(path: Path, exc: OSError) -> StepFailed:
    return StepFailed(
        "zone",
        f"Could not write the zone file {path} ({_reason(exc)}); check that mxroute may "
        f"write to {path.parent} and that its disk has free space, then try again.",
    )


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
        self._resolved_base: Path | None = None
        self.check_command = check_command
        self.reload_command = reload_command
        self.ttl = ttl
        self.today = today

    # -- files -----------------------------------------------------------------------

    def path(self, zone: str) -> Path:
        """The zone's file: a validated domain through the template, inside zones_dir."""
        name = parse_domain(zone)
        base = self._base()
        relative = self.file_template.format(zone=name)
        candidate = base / relative
        # A file named straight in the resolved directory and not a link is its own
        # resolved path: no walk over every component of it (a stat per domain, not four).
        if "/" in relative or os.path.islink(candidate):
            candidate = candidate.resolve()
        if not candidate.is_relative_to(base) or candidate == base:
            raise ConfigError(
                f"The zone file for {name} would be {candidate}, outside the zones directory "
                f"{base}; check the zone file template and symbolic links.",
                code="zone_path_outside",
            )
        return candidate

    def _base(self) -> Path:
        """The zones directory, resolved (once it exists, once for the store's life)."""
        if self._resolved_base is not None:
            return self._resolved_base
        base = self.zones_dir.resolve()
        if base.is_dir():
            self._resolved_base = base
        return base

    def shared_with(self, zone: str, managed: Managed, *, thorough: bool = False) -> str | None:
        """The other managed domain whose zone file this zone's file is, if any.

        A zone file that is a symbolic link into another domain's file is found with the
        one lstat :meth:`path` makes anyway. ``thorough`` (when a domain is added) also
        finds hard links and other domains' links to this file, in one pass over the
        directory's entries (names and inode numbers: a stat only for each link).
        """
        zone = parse_domain(zone)
        path = self.path(zone)
        own = self._base() / self.file_template.format(zone=zone)
        others: set[str] = set()
        if path != own:
            others.add(self._zone_of(path) or "")
        if thorough:
            others |= self._same_file(path, own)
        others -= {zone, ""}
        return min(managed(others), default=None)

    def _same_file(self, path: Path, own: Path) -> set[str]:
        """The zones whose file (in ``own``'s directory) is the file at ``path``."""
        try:
            target = path.stat()
        except FileNotFoundError:
            return set()
        found: set[str] = set()
        with os.scandir(own.parent) as entries:
            for entry in entries:
                try:
                    if entry.is_symlink():
                        info = entry.stat()  # of the target
                        same = (info.st_dev, info.st_ino) == (target.st_dev, target.st_ino)
                    else:
                        same = target.st_nlink > 1 and entry.inode() == target.st_ino
                except OSError:
                    continue  # a dangling link: no one's file
                if same:
                    found.add(self._zone_of(Path(entry.path)) or "")
        return found

    def _zone_of(self, path: Path) -> str | None:
        """The zone whose file the template puts at ``path`` (None: no zone's)."""
        prefix, _, suffix = self.file_template.partition("{zone}")
        try:
            relative = str(path.relative_to(self._base()))
        except ValueError:
            return None
        if not (relative.startswith(prefix) and relative.endswith(suffix)):
            return None
        try:
            return parse_domain(relative[len(prefix) : len(relative) - len(suffix)])
        except InvalidInput:
            return None

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
        except IsADirectoryError:
            raise _is_a_directory(zone, path) from None
        except OSError as exc:
            raise StepFailed(
                "zone",
                f"Could not read the zone file {path} ({_reason(exc)}); check that mxroute "
                "may read it and the directories above it.",
            ) from exc

    @staticmethod
    @contextlib.contextmanager
    def _gc_paused() -> Iterator[None]:
        """Pause the cyclic garbage collector while a zone is scanned and used.

        A big zone makes a million small tuples; with the collector on, each batch of
        allocations re-traverses all of them, doubling the time. They hold no cycles.
        The block must drop them before it ends: the first collection after it would
        otherwise traverse every one that is still alive (150-200 ms at 100k records).
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()

    def lock_file(self, path: Path) -> Path:
        """The lock file of the zone file ``path`` (as :meth:`path` resolves it)."""
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:24]
        return self.locks_dir / f"zone-file-{digest}.lock"

    @contextlib.contextmanager
    def _lock(self, zone: str, path: Path) -> Iterator[None]:
        """An exclusive lock on the zone's file that holds across processes (flock).

        Named after the file, not the zone: two zones whose files resolve to one file
        (a symbolic link) must not write it at the same time.
        """
        lock = self.lock_file(path)

        def failure(exc: OSError) -> StepFailed:
            return StepFailed(
                "zone",
                f"Could not lock the zone {zone} with {lock} ({_reason(exc)}); check that "
                f"{self.locks_dir} is a directory mxroute may write to.",
            )

        with flocked(lock, failure=failure):
            yield

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
        """The zone's SOA serial and apex MX set (MX records in included files count).

        A zone read before whose file is still the same file (device, inode, size and
        modification time) is not scanned again. A file changed within the last
        :data:`SETTLED_SECONDS` is always scanned: a rewrite in place within the file
        system's clock tick could keep all four; nor is a zone with $INCLUDE cached,
        whose included files may change under an unchanged main file.
        """
        zone = parse_domain(zone)
        path = self.path(zone)
        identity = _identity(path)
        cached = _SNAPSHOTS.get((zone, path))
        if identity is not None and cached is not None and cached[0] == identity:
            return cached[1]
        with self._gc_paused():
            state = self._scan(zone, path)
            snapshot = state.snapshot()  # the scan is dropped before the end
            includes = any(isinstance(e, Directive) and e.name == "$INCLUDE" for e in state.entries)
            del state
        if (
            identity is not None
            and time.time_ns() - max(identity[3], identity[4]) > SETTLED_SECONDS * 10**9
            and not includes
            and _identity(path) == identity
        ):
            if len(_SNAPSHOTS) >= CACHE_ZONES:
                _SNAPSHOTS.clear()
            _SNAPSHOTS[(zone, path)] = (identity, snapshot)
        return snapshot

    def write(self, zone: str, mx: MXSet, expected: Snapshot) -> Snapshot:
        """Replace the apex MX records if the zone still matches ``expected``."""
        zone = parse_domain(zone)
        path = self.path(zone)
        with self._lock(zone, path):
            with self._gc_paused():
                data, undo, serial = self._edit(zone, path, mx, expected)
            self._replace(zone, path, data, undo, next_serial(serial, self.today()))
        log.info("wrote %d MX record(s) to %s, serial %d", len(mx), path, serial)
        return Snapshot(zone, serial, mx)

    def delete(self, zone: str, expected: Snapshot) -> None:
        """Remove the zone file if it still matches ``expected`` (to undo a create)."""
        zone = parse_domain(zone)
        path = self.path(zone)
        with self._lock(zone, path):
            if self.read(zone) != expected:
                raise Conflict(f"The zone {zone} changed since it was created; it was kept.")
            try:
                path.unlink()
            except OSError as exc:
                raise _write_failure(path, exc) from exc
        log.info("removed zone file %s", path)

    def _edit(
        self, zone: str, path: Path, mx: MXSet, expected: Snapshot
    ) -> tuple[bytes, bytes, int]:
        """The new file, its undo and the new serial, if ``expected`` still holds.

        The undo is the current file with a serial after the new one: should the reload
        fail after named did load the change, putting the old records back must still
        look newer to named and to secondaries.
        """
        state = self._scan(zone, path)
        self._refuse_includes(state)
        current = state.snapshot()
        if current.serial != expected.serial or current.mx != expected.mx:
            _SNAPSHOTS.pop((zone, path), None)  # whatever it said, the file says otherwise
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
        undo = _edited(state, current.mx, next_serial(serial, self.today()), 0, keep_mx=True)
        return text.encode(_ENCODING, _ERRORS), undo.encode(_ENCODING, _ERRORS), serial

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
        ttl = _configured_ttl(self.ttl)
        day = self.today()
        serial = int(day.strftime("%Y%m%d")) * 100 + 1
        lines = [
            f"; Zone {zone}, created by mxroute on {day.isoformat()}.",
            f"$TTL {ttl}",
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
        lines += _mx_lines(zone + ".", mx, None)
        data = ("\n".join(lines) + "\n").encode("ascii")
        exists = InvalidInput(
            f"The zone {zone} already exists ({path}); edit its MX records instead.",
            code="zone_exists",
            field="domain",
        )
        with self._lock(zone, path):
            if path.is_dir():
                raise _is_a_directory(zone, path)
            if path.exists():
                raise exists
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # exclusive: fails instead of replacing a file made meanwhile
                with staged(
                    path,
                    data,
                    mode=NEW_FILE_MODE,
                    keep_existing=False,
                    exclusive=True,
                    locked=True,
                ) as temp:
                    self._check(zone, temp)
            except OSError as exc:
                if isinstance(exc, FileExistsError) and path.exists():
                    raise exists from None
                raise _write_failure(path, exc) from exc
        log.info("created zone %s in %s, serial %d", zone, path, serial)
        return Snapshot(zone, serial, mx)

    def lookup(self, zone: str, name: str) -> Resolution:
        """The A/AAAA addresses of ``name`` as the zone file publishes them (see lookup_many)."""
        return self.lookup_many(zone, [name])[name]

    def lookup_many(self, zone: str, names: Iterable[str]) -> dict[str, Resolution]:
        """The A/AAAA addresses of each of ``names``, from one pass over the zone file.

        A CNAME sets ``alias_of`` (its first target) and is followed inside the zone; an
        alias leaving the zone gives status ``nodata`` (resolve ``alias_of`` elsewhere).
        A name at or below a zone cut (an owner other than the apex with NS records: a
        delegation) gives status ``delegated`` (:data:`~mxroute.dns.base.DELEGATED`),
        directly or through an alias: this zone is not authoritative there, and its
        records there are only glue, so resolve the name elsewhere (with DNS).
        Wildcards and empty non-terminals count; names made by $GENERATE are not seen.
        """
        zone = parse_domain(zone)
        wanted = {name: name.lower().rstrip(".") for name in names}
        for name, plain in wanted.items():
            if not is_subdomain(plain, zone):
                raise InvalidInput(
                    f"The name {name} is not in the zone {zone}.", code="not_in_zone", field="name"
                )
        path = self.path(zone)
        with self._gc_paused():
            return self._lookup(zone, path, wanted)  # the index is dropped before the end

    def _lookup(self, zone: str, path: Path, wanted: dict[str, str]) -> dict[str, Resolution]:
        state = _Zone(zone, zone + ".", path, b"", [])
        raw = self._read_bytes(path, zone)
        lines = split_lines(raw.decode(_ENCODING, _ERRORS))
        by_owner: dict[str, list[tuple[Path, Record]]] = {}
        cuts: set[str] = set()

        def visit(source: Path, entry: Entry) -> None:
            if isinstance(entry, Record) and (
                entry.rrclass is None or entry.rrclass.text.upper() == "IN"
            ):
                by_owner.setdefault(entry.owner, []).append((source, entry))
                if entry.rrtype == "NS" and entry.owner != state.apex:
                    cuts.add(entry.owner)

        self._walk(path, lines, state.apex, None, 0, visit)
        return {
            name: _resolve(state, by_owner, cuts, plain + ".") for name, plain in wanted.items()
        }

    # -- replacing the file ----------------------------------------------------------

    def _check(self, zone: str, file: Path) -> None:
        if self.check_command:
            run_hook(
                "zone_check", self.check_command, cwd=self.zones_dir, zone=zone, file=str(file)
            )

    def publish(self, zone: str) -> None:
        """Have the name server load the zone file as it is (its reload command, if any):
        for a change completed after its writer died between the rename and the reload."""
        zone = parse_domain(zone)
        if self.reload_command:
            self._reload(zone, self.path(zone))

    def _reload(self, zone: str, path: Path) -> None:
        run_hook("zone_reload", self.reload_command, cwd=self.zones_dir, zone=zone, file=str(path))

    def _replace(self, zone: str, path: Path, data: bytes, undo: bytes, undo_serial: int) -> None:
        """Check, atomically install, reload; a failed reload installs ``undo`` and reloads.

        The new file keeps the mode and owner of the file it replaces.
        """
        try:
            with staged(path, data, locked=True) as temp:
                self._check(zone, temp)
        except OSError as exc:
            raise _write_failure(path, exc) from exc
        if not self.reload_command:
            return
        try:
            self._reload(zone, path)
        except StepFailed as failed:
            log.warning("reload of %s failed; putting the previous zone file back", zone)
            try:
                write_atomically(path, undo, locked=True)
            except OSError as exc:
                raise StepFailed(
                    "zone",
                    f"The reload of {zone} failed ({failed.message}) and the previous zone "
                    f"file could not be put back in {path} ({_reason(exc)}); restore it by "
                    "hand and reload the zone.",
                ) from exc
            # Best effort: if named loaded the change, it must load the undo too.
            with contextlib.suppress(StepFailed):
                self._reload(zone, path)
            raise StepFailed(
                failed.step,
                failed.message,
                undone=f"the previous MX records were put back under serial {undo_serial}",
            ) from failed


def _identity(path: Path) -> tuple[int, int, int, int, int] | None:
    """Device, inode, size, modification and change time (ns) of ``path``; None when
    absent. The change time cannot be set back (``touch -r`` sets only the others)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _edited(state: _Zone, mx: MXSet, serial: int, ttl: int, *, keep_mx: bool = False) -> str:
    """The zone's text with the new MX set and serial; every other byte as it was.

    MX lines whose record stays are kept as written (comments included); the records
    that go are removed, and the new ones are inserted after the last kept MX line (or
    where the first old one was, or after the SOA). With ``keep_mx`` only the serial
    changes.
    """
    assert state.soa is not None
    lines = state.lines
    old = [] if keep_mx else [record for _, record in state.mx]
    wanted = set(mx)
    kept = [r for r in old if _mx_record(r, state.where(state.path, r.first_line)) in wanted]
    staying = {_mx_record(r, state.where(state.path, r.first_line)) for r in kept}
    removed: set[int] = set()
    for record in old:
        if record not in kept:
            removed.update(range(record.first_line, record.last_line + 1))
    if kept:
        at = kept[-1].last_line + 1
    else:
        at = old[0].first_line if old else state.soa[1].last_line + 1

    eol = "\r" if lines and lines[0].endswith("\r") else ""
    block: list[str] = []
    prefixed: dict[int, str] = {}
    if not keep_mx:
        adding = MXSet(tuple(r for r in mx if r not in staying))
        new_ttl = _new_ttl(state, old, at, ttl) if len(adding) else None
        block = [line + eol for line in _mx_lines(state.apex, adding, new_ttl)]
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


def _new_ttl(state: _Zone, old: list[Record], at: int, configured: int) -> int | None:
    """The TTL the new MX lines state, None for none (the rules are in the module docstring)."""
    for record in old:
        if record.ttl is not None:
            return _stated_ttl(record.ttl, state.where(state.path, record.first_line))
    # The TTL a TTL-less line at ``at`` takes, as BIND and dnspython read the file.
    implicit: Token | None = None
    line = 0
    for entry in state.entries:
        if entry.first_line >= at:
            break
        if isinstance(entry, Directive):
            if entry.name == "$TTL":
                return None  # the old lines took the file's $TTL; so will the new ones
            if entry.name == "$INCLUDE":
                implicit = None  # the included file may state a TTL: not known here
        elif entry.ttl is not None:
            implicit, line = entry.ttl, entry.first_line
        elif entry.rrtype == "SOA" and implicit is None and len(entry.rdata) == 7:
            implicit, line = entry.rdata[6], entry.first_line  # its MINIMUM (RFC 1035)
    if implicit is None:
        return _configured_ttl(configured)
    return _stated_ttl(implicit, state.where(state.path, line))


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


def _resolve(
    state: _Zone, by_owner: dict[str, list[tuple[Path, Record]]], cuts: set[str], name: str
) -> Resolution:
    """Addresses of ``name`` (absolute) from the zone's records; follows in-zone CNAMEs."""
    first_alias: str | None = None
    for _ in range(MAX_ALIAS_CHAIN):
        if cuts and _delegated(state.apex, cuts, name):
            return Resolution(status=DELEGATED, alias_of=first_alias)
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


def _delegated(apex: str, cuts: set[str], name: str) -> bool:
    """True when ``name`` (absolute, inside the zone) is at or below one of the ``cuts``."""
    while name != apex and "." in name[:-1]:
        if name in cuts:
            return True
        name = name.split(".", 1)[1]
    return False


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
