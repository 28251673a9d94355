"""Host and domain names: parsing, IDNA, and one small validator per rule.

A name that leaves this module is normalised: lower case, A-labels (IDNA 2008),
no final dot. Every rule is a function that raises :class:`InvalidInput` with a
stable code and one sentence; :func:`parse_host` applies them in a fixed order so
the first reason a user sees is the most basic one.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata

import idna

from mxroute.errors import InvalidInput

MAX_NAME_OCTETS = 253
MAX_LABEL_OCTETS = 63

# Characters that could break out of a zone-file field or a shell/SQL context.
_FORBIDDEN = set(" \t\r\n\v\f\"'`;()\\$@,<>|&*?!#%{}[]^~=+/")
_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
# Scripts whose letters pass for Latin ones; a label mixing them is a look-alike.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})


def _fail(code: str, message: str, field: str) -> InvalidInput:
    return InvalidInput(message, code=code, field=field)


def shown(text: str) -> str:
    """The input as it is safe to echo in a message: invisible characters escaped, cut at 80."""
    visible = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return visible if len(visible) <= 80 else visible[:77] + "..."


def check_not_empty(text: str, what: str, field: str) -> None:
    """A name must be given at all."""
    if not text.strip():
        raise _fail(
            "empty", f"The {what} is empty; enter a host name such as mail.example.com.", field
        )


def check_characters(text: str, what: str, field: str) -> None:
    """No whitespace, control characters or zone-file/shell syntax (RFC 1035 §5.1 specials)."""
    for ch in text:
        if ch in _FORBIDDEN or unicodedata.category(ch).startswith(("C", "Z")):
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            raise _fail(
                "forbidden_character",
                f"The {what} '{shown(text)}' contains a character that is not allowed in a "
                f"host name ({name}); use only letters, digits, hyphens and dots.",
                field,
            )


def check_not_ip_literal(text: str, what: str, field: str) -> None:
    """RFC 5321 §5.1: an MX names a host, never an address literal (IPv4, IPv6, [..])."""
    candidate = text.strip("[]")
    if candidate.lower().startswith("ipv6:"):
        candidate = candidate[5:]
    try:
        ipaddress.ip_address(candidate.rstrip("."))
    except ValueError:
        return
    raise _fail(
        "ip_literal",
        f"The {what} '{shown(text)}' is an IP address; it must be a host name "
        "(for example mail.example.com) that has that address.",
        field,
    )


def check_labels_not_empty(labels: list[str], text: str, what: str, field: str) -> None:
    """RFC 1035 §3.1: no empty label (two dots in a row, or a leading dot)."""
    if any(label == "" for label in labels):
        raise _fail(
            "empty_label",
            f"The {what} '{shown(text)}' has an empty label (two dots in a row or a "
            "leading dot); remove the extra dot.",
            field,
        )


def check_fully_qualified(labels: list[str], text: str, what: str, field: str) -> None:
    """A mail host must be a fully qualified name: at least two labels."""
    if len(labels) < 2:
        raise _fail(
            "not_fully_qualified",
            f"The {what} '{shown(text)}' is not a fully qualified domain name; "
            "write the whole name, such as mail.example.com.",
            field,
        )


def check_no_confusables(label: str, text: str, what: str, field: str) -> None:
    """A label must not mix Latin with Cyrillic, Greek or other look-alike letters (UTS #39)."""
    scripts = set()
    for ch in label:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
            if script in _CONFUSABLE_SCRIPTS:
                scripts.add(script)
    if len(scripts) > 1:
        raise _fail(
            "confusable",
            f"The {what} '{shown(text)}' mixes letters of different scripts "
            f"({', '.join(sorted(s.title() for s in scripts))}) that look alike; "
            "type the name again in one script.",
            field,
        )


def check_no_compatibility_lookalikes(label: str, text: str, what: str, field: str) -> None:
    """UTS #39 / RFC 5892: no fullwidth or other compatibility form of an ASCII character.

    IDNA 2008 disallows these code points; naming the look-alike tells the user why.
    """
    for ch in label:
        plain = unicodedata.normalize("NFKC", ch)
        if not ch.isascii() and plain.isascii() and plain.isprintable():
            raise _fail(
                "confusable",
                f"The {what} '{shown(text)}' contains {unicodedata.name(ch, 'a character')}, "
                f"a look-alike of '{plain}'; type the name again with plain letters and digits.",
                field,
            )


def check_a_label_length(label: str, text: str, what: str, field: str) -> None:
    """RFC 5890 §2.3.2.1: an internationalised label's xn-- form must fit in 63 octets."""
    # An A-label is at least 4 + one octet per character longer than its U-label.
    if len(label) + 4 > MAX_LABEL_OCTETS or (
        len("xn--" + label.encode("punycode").decode("ascii")) > MAX_LABEL_OCTETS
    ):
        raise _fail(
            "label_too_long",
            f"The {what} '{shown(text)}' has an internationalised label longer than "
            f"{MAX_LABEL_OCTETS} characters in its xn-- form; shorten that part of the name.",
            field,
        )


def to_a_label(label: str, text: str, what: str, field: str) -> str:
    """RFC 5891 (IDNA 2008): an internationalised label becomes its xn-- A-label."""
    if label.isascii():
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except idna.IDNAError:
                raise _fail(
                    "invalid_idn",
                    f"The {what} '{shown(text)}' has a label '{label}' that is not valid "
                    "punycode; check the name.",
                    field,
                ) from None
        return label
    check_no_compatibility_lookalikes(label, text, what, field)
    check_no_confusables(label, text, what, field)
    label = unicodedata.normalize("NFC", label)
    check_a_label_length(label, text, what, field)
    try:
        return idna.encode(label).decode("ascii")
    except idna.IDNAError as exc:
        raise _fail(
            "invalid_idn",
            f"The {what} '{shown(text)}' is not a valid internationalised domain name "
            f"({exc}); check the name.",
            field,
        ) from None


def check_label(label: str, text: str, what: str, field: str, *, allow_underscore: bool) -> None:
    """RFC 1123 §2.1 / RFC 952: 1-63 octets of letters, digits and inner hyphens."""
    if len(label) > MAX_LABEL_OCTETS:
        raise _fail(
            "label_too_long",
            f"The {what} '{shown(text)}' has a label of {len(label)} characters; "
            f"each part between dots may have at most {MAX_LABEL_OCTETS}.",
            field,
        )
    probe = label.replace("_", "a") if allow_underscore else label
    if "_" in label and not allow_underscore:
        raise _fail(
            "underscore",
            f"The {what} '{shown(text)}' contains an underscore, which a mail host name "
            "may not have; use a hyphen instead.",
            field,
        )
    if not _LDH_LABEL.fullmatch(probe):
        if probe.startswith("-") or probe.endswith("-"):
            raise _fail(
                "label_hyphen",
                f"The {what} '{shown(text)}' has a label that starts or ends with a hyphen; "
                "hyphens are allowed only inside a label.",
                field,
            )
        raise _fail(
            "bad_label_character",
            f"The {what} '{shown(text)}' contains a character other than letters, digits, "
            "hyphens and dots; remove it.",
            field,
        )


def check_length(name: str, text: str, what: str, field: str) -> None:
    """RFC 1035 §2.3.4: the whole name is at most 253 octets in text form."""
    if len(name) > MAX_NAME_OCTETS:
        raise _fail(
            "name_too_long",
            f"The {what} '{shown(text)}' is {len(name)} characters long; a host name may "
            f"have at most {MAX_NAME_OCTETS}.",
            field,
        )


def check_tld_not_numeric(labels: list[str], text: str, what: str, field: str) -> None:
    """RFC 3696 §2: a top-level label is never all digits (so 1.2.3.999 is no name)."""
    if labels[-1].isdigit():
        raise _fail(
            "numeric_tld",
            f"The {what} '{shown(text)}' ends in a number, so it is neither a host name "
            "nor a valid IP address; write the host's full name.",
            field,
        )


def parse_host(text: object, *, what: str = "exchanger", field: str = "exchanger") -> str:
    """Parse and normalise a host name; raise :class:`InvalidInput` on the first broken rule."""
    if not isinstance(text, str):
        raise _fail("not_text", f"The {what} must be given as text.", field)
    return _parse_host(text, what, field)


# Names are parsed again at every step of a change and of a detection of thousands of
# domains; the rules are a pure function of the text (refusals are not cached).
@functools.lru_cache(maxsize=1 << 16)
def _parse_host(text: str, what: str, field: str) -> str:
    check_not_empty(text, what, field)
    check_not_ip_literal(text, what, field)
    check_characters(text, what, field)
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    check_labels_not_empty(labels, text, what, field)
    labels = [to_a_label(label.lower(), text, what, field) for label in labels]
    for label in labels:
        check_label(label, text, what, field, allow_underscore=False)
    normalised = ".".join(labels)
    check_length(normalised, text, what, field)
    check_fully_qualified(labels, text, what, field)
    check_tld_not_numeric(labels, text, what, field)
    return normalised


def parse_domain(text: object) -> str:
    """Parse a hosted domain's name (same rules as a host: it names the zone and its files)."""
    return parse_host(text, what="domain", field="domain")


def is_normalised_host(name: str) -> bool:
    """True when ``name`` is already what :func:`parse_host` would return for it."""
    try:
        return parse_host(name) == name
    except InvalidInput:
        return False


def to_unicode(name: str) -> str:
    """The U-label form of a normalised name, for display; falls back to the A-label form."""
    try:
        return idna.decode(name)
    except idna.IDNAError:
        return name


def is_subdomain(name: str, zone: str) -> bool:
    """True when ``name`` is ``zone`` or lies below it (both normalised)."""
    return name == zone or name.endswith("." + zone)
