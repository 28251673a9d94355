"""Which zones named maintains itself, read from its configuration (named.conf).

A zone that takes dynamic updates (``allow-update`` other than ``{ none; }``, or
``update-policy``) or that named signs (``inline-signing yes``) keeps changes in named's
memory and journal: its file may be out of date, and named may rewrite it at any time.
mxroute must not edit such a file behind named's back.

The reading is small and tolerant, not a validator: comments (``//``, ``#``, ``/* */``),
quoted strings, ``{ ... };`` blocks and ``include "file";`` (relative to named.conf's
directory, then to the ``directory`` option) are understood; ``zone "name" [class]``
statements are found at the top level and inside ``view`` blocks; ``allow-update`` and
``inline-signing`` given in ``options`` or a ``view`` count for the zones there that do not
set them. Anything else is skipped, and an include that cannot be read is passed over
(the zone's journal beside its file is checked as well). The result for each file set
is kept while none of the files changes.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mxroute.errors import ConfigError

log = logging.getLogger(__name__)

MAX_INCLUDE_DEPTH = 16
_TOKEN = re.compile(
    r"""
    \s+
    | //[^\n]* | \#[^\n]* | /\*.*?(?:\*/|\Z)
    | "(?P<string>(?:[^"\\]|\\.)*)"?
    | (?P<punct>[{};])
    | (?P<word>[^\s{};"]+)
    """,
    re.S | re.X,
)
_YES = {"yes", "true", "1"}
# What makes a zone named's own, as the refusal names it.
UPDATE_POLICY = "update-policy"
ALLOW_UPDATE = "allow-update"
INLINE_SIGNING = "inline-signing"


@dataclass
class _Statement:
    words: list[str] = field(default_factory=list)
    blocks: list[list[_Statement]] = field(default_factory=list)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(text, is_punctuation) for every token outside comments."""
    found: list[tuple[str, bool]] = []
    for match in _TOKEN.finditer(text):
        if match.group("string") is not None:
            found.append((match.group("string"), False))
        elif match.group("punct") is not None:
            found.append((match.group("punct"), True))
        elif match.group("word") is not None:
            found.append((match.group("word"), False))
    return found


def _parse(tokens: list[tuple[str, bool]]) -> list[_Statement]:
    """Statements and their nested blocks; unbalanced braces are tolerated."""
    top: list[_Statement] = []
    stack: list[tuple[list[_Statement], _Statement]] = []
    body, current = top, _Statement()
    for text, punct in tokens:
        if not punct:
            current.words.append(text)
        elif text == "{":
            block: list[_Statement] = []
            current.blocks.append(block)
            stack.append((body, current))
            body, current = block, _Statement()
        elif text == "}":
            if current.words or current.blocks:
                body.append(current)
            if not stack:
                current = _Statement()  # a stray brace: skip it
                continue
            body, current = stack.pop()
        elif current.words or current.blocks:  # ";" ends a statement
            body.append(current)
            current = _Statement()
    if current.words or current.blocks:
        body.append(current)
    while stack:  # an unclosed block: keep what it held
        body, current = stack.pop()
        body.append(current)
    return top


def _normal(zone: str) -> str:
    return zone.lower().rstrip(".")


@dataclass(frozen=True)
class _Defaults:
    """allow-update and inline-signing as options or a view set them."""

    allow_update: bool = False
    inline_signing: bool = False


def _settings(statements: list[_Statement], inherited: _Defaults) -> _Defaults:
    allow, inline = inherited.allow_update, inherited.inline_signing
    for statement in statements:
        key = statement.words[0].lower() if statement.words else ""
        if key == ALLOW_UPDATE:
            allow = _allows(statement)
        elif key == INLINE_SIGNING:
            inline = len(statement.words) > 1 and statement.words[1].lower() in _YES
    return _Defaults(allow, inline)


def _allows(statement: _Statement) -> bool:
    """An ``allow-update`` whose address list is anything but ``{ none; }`` or ``{ }``."""
    elements = [s.words for block in statement.blocks for s in block]
    return any(words != ["none"] for words in elements)


_READ: dict[Path, NamedConf] = {}  # one per named.conf, for the process's life
_KEYWORDS = (UPDATE_POLICY, ALLOW_UPDATE, INLINE_SIGNING)
# Patterns start with a literal, which Python's re finds fast in a big text (a leading
# \b costs 40 times more); where the word starts is checked after (_starts_word).
_INCLUDE = re.compile(r'include\s+"([^"]+)"\s*;')
_OPTIONS = re.compile(r"options\s*\{")
_VIEW = re.compile(r"view\s")
_ZONE_BEFORE = re.compile(r'(?:^|[\s;{}])zone\s+"?\Z')
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
Identity = tuple[int, int, int, int] | None
Text = tuple[str, str]  # a file's text, and the same with ASCII letters in lower case


def named_conf(path: Path) -> NamedConf:
    """The reading of ``path``, shared by every backend of this process."""
    path = Path(path).absolute()
    found = _READ.get(path)
    if found is None:
        found = _READ[path] = NamedConf(path)
    return found


class NamedConf:
    """The zones of one named.conf (and its includes) that named maintains itself.

    A change costs what its own zone costs, even with 100,000 zones in named.conf: a set
    of files without any of the three statements has no such zone; otherwise only the
    ``options`` block and the zone's own stanza are read (found by its name). Only files
    with ``view`` blocks, rare on a shared server, are read whole, once.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # The files read with their identity then, and their texts; replaced together
        # (threads share this reading).
        self._texts: tuple[dict[Path, Identity], list[Text]] = ({}, [])
        self._whole: tuple[list[Text], dict[str, str]] | None = None

    def reason(self, zone: str) -> str | None:
        """Why named maintains ``zone`` itself (the statement that says so), or None."""
        texts = self._read()
        if not any(word in lower for _, lower in texts for word in _KEYWORDS):
            return None
        if any(_found(lower, _VIEW) for _, lower in texts):
            return self._read_whole(texts).get(_normal(zone))
        defaults = _Defaults()
        for text in texts:
            for body in _blocks(text, _OPTIONS):
                defaults = _settings(body, defaults)
        name = _normal(zone)
        stanza = re.compile(re.escape(name) + r'\.?"?\s*(?:[a-z]+\s*)?\{')
        for text in texts:
            for body in _blocks(text, stanza, zone_name=True):
                reason = _zone_reason(body, defaults)
                if reason:
                    return reason
        return None

    def _read(self) -> list[Text]:
        seen_files, seen_texts = self._texts
        if seen_files and all(_identity(p) == seen for p, seen in seen_files.items()):
            return seen_texts
        files: dict[Path, Identity] = {}
        texts: list[Text] = []
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the named configuration {self.path} set in [dns] named_conf "
                f"({exc.strerror or exc}); make it readable for mxroute or change the setting.",
                code="named_conf_unreadable",
            ) from None
        files[self.path] = _identity(self.path)
        self._include(text, files, texts, 0)
        self._texts = (files, texts)
        return texts

    def _include(
        self, raw: str, files: dict[Path, Identity], texts: list[Text], depth: int
    ) -> None:
        """Add the text ``raw`` and, depth first, the files it includes."""
        text = (raw, raw.translate(_LOWER))
        texts.append(text)
        if depth >= MAX_INCLUDE_DEPTH:
            log.warning("includes in %s nest deeper than %d", self.path, MAX_INCLUDE_DEPTH)
            return
        directory = next(
            (
                Path(s.words[1])
                for body in _blocks(text, _OPTIONS)
                for s in body
                if s.words[:1] == ["directory"] and len(s.words) > 1
            ),
            None,
        )
        for match in _INCLUDE.finditer(text[1]):
            if not _starts_word(text[1], match.start()) or _commented(raw, match.start()):
                continue
            name = Path(raw[match.start(1) : match.end(1)])
            candidates = [name] if name.is_absolute() else [self.path.parent / name]
            if directory is not None and not name.is_absolute():
                candidates.append(directory / name)
            for candidate in candidates:
                try:
                    included = candidate.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                files[candidate] = _identity(candidate)
                self._include(included, files, texts, depth + 1)
                break
            else:
                log.info("skipping the include %s of %s: it cannot be read", name, self.path)

    def _read_whole(self, texts: list[Text]) -> dict[str, str]:
        """Every zone's reason, from a full reading of ``texts`` (kept while they last)."""
        whole = self._whole
        if whole is not None and whole[0] is texts:
            return whole[1]
        statements = [
            s for raw, _ in texts for s in _parse(_tokens(raw)) if s.words[:1] != ["include"]
        ]
        defaults = _Defaults()
        for statement in statements:
            if statement.words[:1] == ["options"] and statement.blocks:
                defaults = _settings(statement.blocks[0], defaults)
        reasons: dict[str, str] = {}
        _zones(statements, defaults, reasons)
        self._whole = (texts, reasons)
        return reasons


def _commented(text: str, at: int) -> bool:
    """Whether position ``at`` is inside a comment (a close guess: quotes are not tracked)."""
    line = text[text.rfind("\n", 0, at) + 1 : at]
    return "//" in line or "#" in line or text.rfind("/*", 0, at) > text.rfind("*/", 0, at)


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "-_.")


def _found(text: str, pattern: re.Pattern[str]) -> bool:
    return any(
        _starts_word(text, m.start()) and not _commented(text, m.start())
        for m in pattern.finditer(text)
    )


def _blocks(
    text: Text, opening: re.Pattern[str], *, zone_name: bool = False
) -> list[list[_Statement]]:
    """The body of each block that ``opening`` (ending at its ``{``) starts in ``text``
    (with ``zone_name``: only where ``zone`` and maybe a quote come just before it)."""
    raw, lower = text
    bodies: list[list[_Statement]] = []
    for match in opening.finditer(lower):
        at = match.start()
        if zone_name:
            if not _ZONE_BEFORE.search(lower, max(0, at - 64), at):
                continue
        elif not _starts_word(lower, at):
            continue
        if _commented(raw, at):
            continue
        tokens: list[tuple[str, bool]] = []
        depth = 0
        for token in _TOKEN.finditer(raw, match.end() - 1):
            punct = token.group("punct")
            if punct is not None:
                depth += {"{": 1, "}": -1}.get(punct, 0)
                tokens.append((punct, True))
                if depth == 0:
                    break
            elif token.group("string") is not None:
                tokens.append((token.group("string"), False))
            elif token.group("word") is not None:
                tokens.append((token.group("word"), False))
        parsed = _parse(tokens)  # one statement with no words: the block
        if parsed and parsed[0].blocks:
            bodies.append(parsed[0].blocks[0])
    return bodies


def _zones(statements: list[_Statement], defaults: _Defaults, reasons: dict[str, str]) -> None:
    """Put in ``reasons`` each zone of ``statements`` (views included) named maintains."""
    for statement in statements:
        key = statement.words[0].lower() if statement.words else ""
        if key == "view" and statement.blocks:
            inner = statement.blocks[0]
            _zones(inner, _settings(inner, defaults), reasons)
        elif key == "zone" and len(statement.words) > 1 and statement.blocks:
            reason = _zone_reason(statement.blocks[0], defaults)
            if reason:
                reasons.setdefault(_normal(statement.words[1]), reason)


def _zone_reason(body: list[_Statement], defaults: _Defaults) -> str | None:
    if any(s.words[:1] and s.words[0].lower() == UPDATE_POLICY for s in body):
        return UPDATE_POLICY
    own = _settings(body, defaults)
    if own.allow_update:
        return ALLOW_UPDATE
    if own.inline_signing:
        return INLINE_SIGNING
    return None


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
