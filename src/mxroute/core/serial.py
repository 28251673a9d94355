"""SOA serial arithmetic (RFC 1982) and the YYYYMMDDnn convention (RFC 1912 §2.2)."""

from __future__ import annotations

from datetime import date

from mxroute.core.names import shown
from mxroute.errors import InvalidInput

SERIAL_BITS = 32
_MODULUS = 1 << SERIAL_BITS
_HALF = 1 << (SERIAL_BITS - 1)


def serial_gt(a: int, b: int) -> bool:
    """RFC 1982 §3.2: ``a`` is greater than ``b`` in 32-bit serial number arithmetic."""
    diff = (a - b) % _MODULUS
    return 0 < diff < _HALF


def check_serial(value: object) -> int:
    """RFC 1982 §2 / RFC 1035 §3.3.13: a serial is an unsigned 32-bit integer."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MODULUS:
        raise InvalidInput(
            f"The SOA serial {shown(repr(value))} is not a number from 0 to {_MODULUS - 1}; "
            "fix the zone's SOA record.",
            code="serial_out_of_range",
            field="serial",
        )
    return value


def next_serial(old: int, today: date) -> int:
    """The serial after ``old``: max(YYYYMMDD00, old + 1) under RFC 1982, never 0.

    The date form is used only when it is a legal single step forward (less than 2^31
    ahead); otherwise the serial simply counts up, wrapping past 2^32 - 1 as RFC 1982
    allows. 0 is skipped because RFC 2136 §4.2 gives it a special meaning.
    """
    check_serial(old)
    step = (old + 1) % _MODULUS
    dated = (today.year * 10000 + today.month * 100 + today.day) * 100 % _MODULUS
    new = dated if serial_gt(dated, step) and serial_gt(dated, old) else step
    return new if new != 0 else 1
