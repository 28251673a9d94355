"""MX records and MX sets: immutable values that are valid by construction.

An :class:`MXRecord` is a priority (RFC 1035 §3.3.9 preference) and an exchanger.
An :class:`MXSet` is a domain's whole apex MX RRset, kept sorted by priority; it
enforces the rules that concern the set as a whole (no duplicates, RFC 7505).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby, pairwise

from mxroute.core.names import is_normalised_host, parse_host, shown
from mxroute.errors import InvalidInput, NotFound

MAX_PRIORITY = 65535
NULL_EXCHANGER = "."
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_NEGATIVE = re.compile(r"-[1-9][0-9]*")


def parse_priority(value: object, *, field: str = "priority") -> int:
    """RFC 1035 §3.3.9: a 16-bit unsigned integer, given as int or plain decimal text.

    Text must be ASCII digits only, without sign, spaces, leading zeros, exponent or
    base prefix; a bool is not a number here.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        check_priority_range(value, field)
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        # Compare the length first, so that a huge number is never converted.
        number = int(value) if len(value) <= len(str(MAX_PRIORITY)) else MAX_PRIORITY + 1
        check_priority_range(number, field, text=value)
        return number
    if isinstance(value, str) and _NEGATIVE.fullmatch(value):
        check_priority_range(-1, field, text=value)
    shown_value = shown(value) if isinstance(value, str) else shown(repr(value))
    raise InvalidInput(
        f"The priority '{shown_value}' is not a plain whole number; enter a number from 0 to "
        f"{MAX_PRIORITY}, such as 10 (lower numbers are preferred).",
        code="priority_not_integer",
        field=field,
    )


def check_priority_range(number: int, field: str, *, text: str | None = None) -> None:
    """RFC 1035 §3.3.9: a preference is 16 bits, 0 to 65535."""
    if not 0 <= number <= MAX_PRIORITY:
        raise InvalidInput(
            f"The priority {shown(str(number) if text is None else text)} is out of range; "
            f"enter a number from 0 to {MAX_PRIORITY} (lower numbers are preferred).",
            code="priority_out_of_range",
            field=field,
        )


def parse_exchanger(value: object, *, field: str = "exchanger") -> str:
    """A normalised exchanger host name, or ``"."`` for a Null MX (RFC 7505)."""
    if value == NULL_EXCHANGER:
        return NULL_EXCHANGER
    return parse_host(value, what="exchanger", field=field)


def parse_record_text(text: str, *, field: str = "mx") -> MXRecord:
    """A record typed as one string, priority first: ``"10 mail.example.com"``."""
    parts = text.split()
    if len(parts) != 2:
        raise InvalidInput(
            f"The MX record '{shown(text)}' must be a priority and an exchanger, such as "
            "'10 mail.example.com'.",
            code="record_not_two_fields",
            field=field,
        )
    return MXRecord.parse(parts[0], parts[1])


@dataclass(frozen=True, order=True)
class MXRecord:
    """One MX record; construct with :meth:`parse` from untrusted input."""

    priority: int
    exchanger: str

    def __post_init__(self) -> None:
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise InvalidInput(
                f"The priority {shown(repr(self.priority))} is not a whole number; build the "
                "record with MXRecord.parse.",
                code="priority_not_integer",
                field="priority",
            )
        check_priority_range(self.priority, "priority")
        if self.exchanger != NULL_EXCHANGER and not is_normalised_host(self.exchanger):
            parse_exchanger(self.exchanger)  # raises with the precise reason
            raise InvalidInput(
                f"The exchanger '{shown(self.exchanger)}' is not in normal form (lower case, "
                "A-labels, no final dot); build the record with MXRecord.parse.",
                code="not_normalised",
                field="exchanger",
            )

    @classmethod
    def parse(cls, priority: object, exchanger: object) -> MXRecord:
        """Validate and normalise untrusted input into a record."""
        return cls(parse_priority(priority), parse_exchanger(exchanger))

    @property
    def is_null(self) -> bool:
        """True for the RFC 7505 Null MX ("this domain accepts no mail")."""
        return self.exchanger == NULL_EXCHANGER

    def to_text(self) -> str:
        """Presentation form with an absolute exchanger, as in a zone file."""
        target = "." if self.is_null else self.exchanger + "."
        return f"{self.priority} {target}"

    def __str__(self) -> str:
        # A bare "." would run into the full stop of the sentences that quote it.
        return (
            f"{self.priority} . (Null MX)" if self.is_null else f"{self.priority} {self.exchanger}"
        )


@dataclass(frozen=True)
class MXSet:
    """A domain's apex MX records, sorted by priority then exchanger."""

    records: tuple[MXRecord, ...] = field(default=())

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.records))
        object.__setattr__(self, "records", ordered)
        check_no_duplicates(ordered)
        check_null_mx_alone(ordered)

    @classmethod
    def of(cls, records: Iterable[MXRecord]) -> MXSet:
        """Build a set from any iterable of records (validated as a whole)."""
        return cls(tuple(records))

    def __iter__(self) -> Iterator[MXRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, record: object) -> bool:
        return record in self.records

    @property
    def is_null(self) -> bool:
        """True when the set is exactly one Null MX: the domain accepts no mail."""
        return len(self.records) == 1 and self.records[0].is_null

    def groups(self) -> list[tuple[int, tuple[MXRecord, ...]]]:
        """Preference groups, most preferred first; a sender picks at random within one."""
        return [(p, tuple(rs)) for p, rs in groupby(self.records, key=lambda r: r.priority)]

    def most_preferred(self) -> tuple[MXRecord, ...]:
        """The records at the lowest priority number (empty for an empty set)."""
        groups = self.groups()
        return groups[0][1] if groups else ()

    def find(self, priority: int | None, exchanger: str) -> MXRecord:
        """The record with this exchanger (and priority, when given); NotFound otherwise.

        ``exchanger`` is normalised first, so ``MX.Example.COM.`` finds ``mx.example.com``.
        """
        exchanger = parse_exchanger(exchanger)
        matches = [
            r
            for r in self.records
            if r.exchanger == exchanger and (priority is None or r.priority == priority)
        ]
        if not matches:
            wanted = exchanger if priority is None else f"{priority} {exchanger}"
            raise NotFound(
                f"There is no MX record '{wanted}' for this domain; list the records and "
                "pick one that exists.",
                code="record_not_found",
            )
        if len(matches) > 1:
            raise InvalidInput(
                f"The exchanger {exchanger} appears at several priorities; say which one "
                "you mean with the old priority.",
                code="record_ambiguous",
                field="oldpriority",
            )
        return matches[0]

    def adding(self, record: MXRecord) -> MXSet:
        """This set with ``record`` added."""
        return MXSet((*self.records, record))

    def replacing(self, old: MXRecord, new: MXRecord) -> MXSet:
        """This set with ``old`` replaced by ``new``; NotFound when ``old`` is not in it."""
        self.find(old.priority, old.exchanger)
        return MXSet(tuple(new if r == old else r for r in self.records))

    def removing(self, record: MXRecord) -> MXSet:
        """This set without ``record``; NotFound when ``record`` is not in it."""
        self.find(record.priority, record.exchanger)
        return MXSet(tuple(r for r in self.records if r != record))

    def to_list(self) -> list[dict[str, object]]:
        """Plain data for JSON and the history."""
        return [{"priority": r.priority, "exchanger": r.exchanger} for r in self.records]

    @classmethod
    def from_list(cls, items: Iterable[dict[str, object]]) -> MXSet:
        """Inverse of :meth:`to_list`."""
        return cls(tuple(MXRecord.parse(i["priority"], i["exchanger"]) for i in items))


def check_no_duplicates(records: tuple[MXRecord, ...]) -> None:
    """RFC 2181 §5: an RRset holds each record once; a second identical MX is refused."""
    for a, b in pairwise(records):
        if a == b:
            raise InvalidInput(
                f"The MX record '{a}' is already in this domain's MX set, and a record "
                "may appear only once; choose another priority or exchanger.",
                code="duplicate",
                field="exchanger",
            )


def check_null_mx_alone(records: tuple[MXRecord, ...]) -> None:
    """RFC 7505 §3: a Null MX has priority 0 and must be the only MX of the domain."""
    nulls = [r for r in records if r.is_null]
    if not nulls:
        return
    if any(r.priority != 0 for r in nulls):
        raise InvalidInput(
            "A Null MX (exchanger '.') must have priority 0 (RFC 7505); set its priority to 0.",
            code="null_mx_priority",
            field="priority",
        )
    if len(records) > 1:
        raise InvalidInput(
            "A Null MX (exchanger '.', meaning the domain accepts no mail) must be the only "
            "MX record of the domain; delete the other records first, or delete the Null MX.",
            code="null_mx_not_alone",
            field="exchanger",
        )
