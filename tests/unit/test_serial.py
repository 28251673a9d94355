"""SOA serials: RFC 1982 arithmetic, the YYYYMMDDnn convention, never 0, never backwards.

dnspython's ``dns.serial.Serial`` is the independent oracle for RFC 1982 comparisons.
"""

from __future__ import annotations

from datetime import date

import dns.serial
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mxroute.core.serial import check_serial, next_serial, serial_gt
from mxroute.errors import InvalidInput

TOP = 2**32 - 1
HALF = 2**31
SERIALS = st.one_of(
    st.integers(0, TOP),
    st.integers(TOP - 1000, TOP),  # near the wrap-around
    st.integers(HALF - 1000, HALF + 1000),  # near the half-way point
    st.integers(1_900_000_000, 2_200_000_000),  # near date-form serials
)
DATES = st.dates(min_value=date(1970, 1, 1), max_value=date(9999, 12, 31))


def dated(day: date) -> int:
    return (day.year * 10000 + day.month * 100 + day.day) * 100 % 2**32


def rfc1982_gt(a: int, b: int) -> bool:
    return bool(dns.serial.Serial(a) > dns.serial.Serial(b))


@settings(max_examples=400, deadline=None)
@given(SERIALS, DATES)
@example(TOP, date(2024, 1, 1))
@example(TOP, date(2200, 1, 1))
@example(0, date(2024, 1, 1))
@example(2024010199, date(2024, 1, 1))
def test_the_next_serial_is_always_rfc1982_greater_never_0_and_one_legal_step(
    old: int, today: date
) -> None:
    new = next_serial(old, today)
    assert 0 < new <= TOP
    assert rfc1982_gt(new, old)
    assert serial_gt(new, old)
    assert (new - old) % 2**32 < HALF  # one step adds at most 2^31 - 1
    assert not rfc1982_gt(old, new)  # never backwards


@settings(max_examples=400, deadline=None)
@given(SERIALS, DATES)
def test_the_next_serial_is_the_date_form_when_that_is_ahead_and_old_plus_1_otherwise(
    old: int, today: date
) -> None:
    new = next_serial(old, today)
    step = (old + 1) % 2**32
    if rfc1982_gt(dated(today), step) and rfc1982_gt(dated(today), old):
        assert new == dated(today)
    else:
        assert new == (step or 1)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, TOP), st.integers(0, TOP))
def test_serial_comparison_agrees_with_dnspython(a: int, b: int) -> None:
    assert serial_gt(a, b) == rfc1982_gt(a, b)


@pytest.mark.parametrize(
    ("old", "today", "new"),
    [
        (2024010105, date(2024, 1, 1), 2024010106),  # several changes today: count up
        (2023123199, date(2024, 1, 1), 2024010100),  # a new day: the date form
        (1, date(2024, 1, 1), 2024010100),
        (0, date(2024, 1, 1), 2024010100),
        (2024010199, date(2024, 1, 1), 2024010200),  # nn overflows into tomorrow's date
        (2030010100, date(2024, 1, 1), 2030010101),  # a serial from the future stays ahead
        (TOP, date(2024, 1, 1), 2024010100),  # wraps around to today's date form
        (TOP, date(2200, 1, 1), 1),  # wraps past 2^32 - 1 and skips 0
        (TOP - 1, date(2200, 1, 1), TOP),
    ],
)
def test_the_next_serial_in_worked_examples(old: int, today: date, new: int) -> None:
    assert next_serial(old, today) == new


def test_it_counts_up_when_the_date_form_is_exactly_half_the_circle_ahead() -> None:
    today = date(2024, 1, 1)
    old = (dated(today) - HALF) % 2**32  # RFC 1982 leaves this comparison undefined
    assert next_serial(old, today) == old + 1


def test_it_counts_up_when_a_smaller_number_is_ahead_of_the_date_form_by_wrap_around() -> None:
    today = date(2200, 1, 1)  # 2200010100 is past 2^31
    old = 10  # numerically smaller, yet RFC-1982-greater than the date form
    assert rfc1982_gt(old, dated(today))
    assert next_serial(old, today) == 11


@pytest.mark.parametrize("old", [-1, 2**32, 2**64, True, "2024010100", 1.0, None])
def test_it_refuses_an_old_serial_that_is_not_a_32_bit_unsigned_integer(old: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        next_serial(old, date(2024, 1, 1))  # type: ignore[arg-type]
    assert caught.value.code == "serial_out_of_range"
    assert caught.value.message.endswith(".")
    assert "\n" not in caught.value.message


def test_a_valid_serial_passes_the_check_unchanged() -> None:
    assert check_serial(0) == 0
    assert check_serial(TOP) == TOP
