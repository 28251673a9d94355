"""The routing lists a mail server reads: ``localdomains``, ``secondarymx``, ``remotedomains``.

This is cPanel's convention, which its Exim configuration reads with ``lsearch``: one
domain per line in three files of one directory, listing each hosted domain by its
effective mode:

=============  ============  ===========  =============
mode           localdomains  secondarymx  remotedomains
=============  ============  ===========  =============
local          listed        -            -
backup         -             listed       listed
remote         -             -            listed
=============  ============  ===========  =============

Exim reads ``localdomains`` as its local domains and ``secondarymx`` as the domains it
relays to (see :mod:`mxroute.mta.exim`); ``remotedomains`` is kept for cPanel's tools.

A change edits only the entries of the domains it names (:meth:`RoutingLists.change`).
When a domain moves, it is first added to the lists it enters, then removed from those
it leaves, each file replaced atomically: a reader sees it briefly in both, where the
precedence above (local, then backup, then remote) still gives the old or the new
mode, and never in no list.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from mxroute.atomic import flocked, fsync_dir, write_atomically
from mxroute.core.names import is_normalised_host
from mxroute.core.routing import Mode
from mxroute.errors import StepFailed
from mxroute.hooks import run_hook

log = logging.getLogger(__name__)

LOCAL_DOMAINS = "localdomains"
SECONDARY_MX = "secondarymx"
REMOTE_DOMAINS = "remotedomains"
FILES = (LOCAL_DOMAINS, SECONDARY_MX, REMOTE_DOMAINS)

# Which files list a domain of each effective mode (cPanel's table).
LISTED_IN: dict[Mode, tuple[str, ...]] = {
    Mode.LOCAL: (LOCAL_DOMAINS,),
    Mode.BACKUP: (SECONDARY_MX, REMOTE_DOMAINS),
    Mode.REMOTE: (REMOTE_DOMAINS,),
}

FILE_MODE = 0o644  # the mail server runs as its own user and must read the lists
LOCK_NAME = "routing-lists.lock"
RELOAD_STEP = "lists_reload"

# What a directory held: file name -> content, None when the file did not exist.
_Contents = dict[str, bytes | None]


def render(modes: Mapping[str, Mode]) -> dict[str, bytes]:
    """The content of the three files for ``{domain: effective mode}``.

    Raises ValueError for AUTO (the caller must detect first) and for a domain that
    is not a normalised host name: a newline or space in it would add entries.
    """
    listed: dict[str, list[str]] = {name: [] for name in FILES}
    for domain, mode in modes.items():
        if mode not in LISTED_IN:
            raise ValueError(f"{domain}: the routing lists take an effective mode, not {mode!r}")
        if not is_normalised_host(domain):
            raise ValueError(f"{domain!r} is not a normalised domain name")
        for name in LISTED_IN[mode]:
            listed[name].append(domain)
    return {name: "".join(f"{d}\n" for d in sorted(ds)).encode() for name, ds in listed.items()}


def parse(contents: Mapping[str, bytes]) -> dict[str, Mode]:
    """The effective modes that the three files' contents say.

    A domain in ``localdomains`` is local whatever else lists it (Exim tries local
    domains first); else one in ``secondarymx`` is backup; else one in ``remotedomains``
    is remote. Blank lines and ``#`` comments are skipped, as ``lsearch`` does.
    """
    sets = {name: _entries(contents.get(name, b"")) for name in FILES}
    modes = dict.fromkeys(sets[REMOTE_DOMAINS], Mode.REMOTE)
    modes.update(dict.fromkeys(sets[SECONDARY_MX], Mode.BACKUP))
    modes.update(dict.fromkeys(sets[LOCAL_DOMAINS], Mode.LOCAL))
    return dict(sorted(modes.items()))


def _files_for(domain: str, mode: Mode | None) -> set[str]:
    """The files that list ``domain`` in ``mode`` (None: none)."""
    if not is_normalised_host(domain):
        raise ValueError(f"{domain!r} is not a normalised domain name")
    if mode is None:
        return set()
    if mode not in LISTED_IN:
        raise ValueError(f"{domain}: the routing lists take an effective mode, not {mode!r}")
    return set(LISTED_IN[mode])


def _entry(line: bytes) -> str:
    """The key a line gives lsearch ("" for none: blank, comment, or a continuation line,
    which starts with white space)."""
    if line[:1].isspace():
        return ""
    words = line.decode("utf-8", "replace").strip().lower().split()
    return words[0].rstrip(":") if words and not words[0].startswith("#") else ""


# The keys of list contents read or written lately: a detection of many domains changes
# the lists chunk by chunk, and each chunk would otherwise parse every line again.
_KEYS: dict[bytes, list[str]] = {}
_KEYS_KEPT = 12


def _keys(data: bytes) -> list[str]:
    """The key of each line of ``data`` (a copy: callers may change it)."""
    keys = _KEYS.get(data)
    if keys is None:
        keys = _remember(data, [_entry(line) for line in data.splitlines()])
    return list(keys)


def _remember(data: bytes, keys: list[str]) -> list[str]:
    if len(_KEYS) >= _KEYS_KEPT:
        _KEYS.clear()
    _KEYS[data] = keys
    return keys


def _entries(data: bytes | None) -> set[str]:
    return set(_keys(data or b"")) - {""}


def _with_lines(data: bytes | None, domains: list[str]) -> bytes | None:
    """``data`` with a line for each of ``domains`` it lacks, in sorted place."""
    lines = (data or b"").splitlines(keepends=True)
    keys = _keys(data or b"")
    present = set(keys)
    missing = sorted(d for d in domains if d not in present)
    if not missing:
        return data
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    for domain in missing:
        at = bisect.bisect(keys, domain)
        keys.insert(at, domain)
        lines.insert(at, f"{domain}\n".encode())
    grown = b"".join(lines)
    _remember(grown, keys)
    return grown


def _without_lines(data: bytes | None, domains: list[str]) -> bytes | None:
    """``data`` without the lines of ``domains``."""
    if not data or not domains:
        return data
    gone = set(domains)
    pairs = zip(data.splitlines(keepends=True), _keys(data), strict=True)
    kept = [(line, key) for line, key in pairs if key not in gone]
    rest = b"".join(line for line, _ in kept)
    _remember(rest, [key for _, key in kept])
    return rest


class RoutingLists:
    """The three list files in ``directory``, rewritten under a lock in ``locks_dir``.

    ``reload_command`` (optional) runs after a change, through
    :func:`mxroute.hooks.run_hook` with ``{lists_dir}`` available as a placeholder.
    """

    def __init__(self, directory: Path, locks_dir: Path, reload_command: str = "") -> None:
        self.directory = Path(directory)
        self.locks_dir = Path(locks_dir)
        self.reload_command = reload_command

    def read(self) -> dict[str, Mode]:
        """``{domain: effective mode}`` as the files say now (a missing file is empty)."""
        with self._locked(shared=True):
            current = self._read_all()
        return parse({name: data or b"" for name, data in current.items()})

    def change(self, modes: Mapping[str, Mode | None]) -> bool:
        """Give each domain of ``modes`` its new effective mode (None: in no list).

        Only these domains' lines change; the others stay byte for byte. The reload
        command runs once, after the lock is released (a slow reload must not hold up
        another domain's change). If it fails, these domains' entries are put back as
        they were and :class:`StepFailed` is raised. ValueError for AUTO or a bad name.
        """
        wanted = {d: _files_for(d, m) for d, m in modes.items()}
        with self._locked(shared=False):
            before = self._read_all()
            present = {n: _entries(before[n]) for n in FILES}
            old = {d: {n for n in FILES if d in present[n]} for d in wanted}
            changed = self._move(before, wanted)
        if not changed:
            return False
        log.info("routing lists changed for %s", ", ".join(sorted(modes)))
        if self.reload_command:
            try:
                run_hook(RELOAD_STEP, self.reload_command, lists_dir=str(self.directory))
            except StepFailed:
                log.warning("reload failed; putting the previous routing entries back")
                with self._locked(shared=False):
                    self._move(self._read_all(), old)
                raise
        return True

    def modes(self, domains: Iterable[str]) -> dict[str, Mode | None]:
        """The effective mode the lists give each of ``domains`` now (None: in no list)."""
        with self._locked(shared=True):
            current = self._read_all()
        found = parse({name: data or b"" for name, data in current.items()})
        return {domain: found.get(domain) for domain in domains}

    def write(self, modes: Mapping[str, Mode]) -> bool:
        """Regenerate the files from ``modes`` (every hosted domain); True if any changed.

        Changed files are replaced atomically, then the reload command runs. If a
        replacement or the reload fails, every file is put back as it was (without a
        second reload: the failed one did not take the new files) and
        :class:`StepFailed` is raised. ValueError for AUTO or a malformed domain.
        """
        return self._apply(dict(render(modes)), undo_on_reload_failure=True)

    def snapshot(self) -> dict[str, bytes]:
        """The files' current contents, for :meth:`restore` (a missing file is left out)."""
        with self._locked(shared=True):
            current = self._read_all()
        return {name: data for name, data in current.items() if data is not None}

    def restore(self, snapshot: Mapping[str, bytes]) -> bool:
        """Put the files back as ``snapshot`` had them; True if any changed.

        Used to undo :meth:`write` when a later step of a change fails. The reload
        command runs when something changed; if it fails, the restored files stay (they
        are the state the rest of the system is being returned to) and StepFailed is raised.
        """
        unknown = set(snapshot) - set(FILES)
        if unknown:
            raise ValueError(f"not a routing list: {', '.join(sorted(unknown))}")
        wanted: _Contents = {name: snapshot.get(name) for name in FILES}
        return self._apply(wanted, undo_on_reload_failure=False)

    # -- internals -----------------------------------------------------------------

    def _move(self, before: _Contents, wanted: Mapping[str, set[str]]) -> bool:
        """Under the lock: add the entries ``wanted`` gains, then drop those it loses."""
        # A missing list is written empty: Exim defers on a list it cannot open.
        grown = {
            n: _with_lines(before[n] or b"", [d for d, fs in wanted.items() if n in fs])
            for n in FILES
        }
        adding = [n for n in FILES if grown[n] != before[n]]
        final = {
            n: _without_lines(grown[n], [d for d, fs in wanted.items() if n not in fs])
            for n in FILES
        }
        removing = [n for n in FILES if final[n] != grown[n]]
        try:
            self._replace_all(adding, grown)
            self._replace_all(removing, final)
        except OSError as exc:
            restored = self._put_back(list(FILES), before)
            raise _failure("write", self.directory, exc, restored=restored) from exc
        return bool(adding or removing)

    def _apply(self, wanted: _Contents, *, undo_on_reload_failure: bool) -> bool:
        with self._locked(shared=False):
            before = self._read_all()
            changed = [name for name in FILES if wanted[name] != before[name]]
            if not changed:
                log.debug("routing lists in %s unchanged", self.directory)
                return False
            try:
                self._replace_all(changed, wanted)
            except OSError as exc:
                restored = self._put_back(changed, before)
                raise _failure("write", self.directory, exc, restored=restored) from exc
            log.info("routing lists changed: %s", ", ".join(changed))
            if self.reload_command:
                try:
                    run_hook(RELOAD_STEP, self.reload_command, lists_dir=str(self.directory))
                except StepFailed:
                    if undo_on_reload_failure:
                        log.warning("reload failed; putting the previous routing lists back")
                        self._put_back(changed, before)
                    raise
            return True

    def _read_all(self) -> _Contents:
        contents: _Contents = {}
        for name in FILES:
            try:
                contents[name] = (self.directory / name).read_bytes()
            except FileNotFoundError:
                contents[name] = None
            except OSError as exc:
                raise _failure("read", self.directory, exc) from exc
        return contents

    def _replace_all(self, names: list[str], wanted: _Contents) -> None:
        """Replace each file atomically: the mail server sees the old or the new one.

        An existing file keeps the operator's mode and owner (e.g. 0640
        root:Debian-exim); a new one is 0644 so the mail server can read it.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        removed = False
        for name in names:
            data = wanted[name]
            if data is None:
                (self.directory / name).unlink(missing_ok=True)
                removed = True
            else:
                write_atomically(self.directory / name, data, mode=FILE_MODE, locked=True)
        if removed:
            fsync_dir(self.directory)

    def _put_back(self, names: list[str], before: _Contents) -> bool:
        """Best effort: restore ``names`` as ``before`` had them; True if they are so now."""
        try:
            self._replace_all(names, before)
        except OSError:
            log.exception("could not put the previous routing lists back in %s", self.directory)
            with contextlib.suppress(StepFailed):  # the failure may have come before any change
                current = self._read_all()
                return all(current[name] == before[name] for name in names)
            return False
        return True

    @contextlib.contextmanager
    def _locked(self, *, shared: bool) -> Iterator[None]:
        """An flock on one file in ``locks_dir``: processes (and threads) never interleave.

        flock locks belong to the open file, so two threads of one process that each
        open the lock file exclude each other too. Never nest: it would deadlock.
        """
        with flocked(
            self.locks_dir / LOCK_NAME,
            shared=shared,
            failure=lambda exc: _failure("lock", self.locks_dir, exc),
        ):
            yield


def _failure(verb: str, directory: Path, exc: OSError, *, restored: bool = True) -> StepFailed:
    """One sentence: what failed on which path, what state the lists are in, what to do."""
    state = (
        "so nothing was changed"
        if restored
        else "and the previous lists could not be put back, so check them by hand"
    )
    return StepFailed(
        "lists",
        f"Could not {verb} the routing lists ({exc.filename or directory}: "
        f"{exc.strerror or exc}), {state}; check that mxroute may read and write {directory} "
        "and that its disk has free space.",
    )
