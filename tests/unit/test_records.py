"""MX records and MX sets: priorities, exchangers, duplicates, Null MX, edits, round trips."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mxroute.core.records import (
    MAX_PRIORITY,
    NULL_EXCHANGER,
    MXRecord,
    MXSet,
    parse_exchanger,
    parse_priority,
)
from mxroute.errors import InvalidInput, MxrouteError, NotFound
from tests.unit.hostile_inputs import HOSTILE_NAMES, HOSTILE_PRIORITIES, Hostile
from tests.unit.hostile_inputs import message_problems as problems


def rec(priority: int, exchanger: str) -> MXRecord:
    return MXRecord.parse(priority, exchanger)


def mxset(*pairs: tuple[int, str]) -> MXSet:
    return MXSet.of(rec(p, e) for p, e in pairs)


def refusal(call: object, *args: object) -> MxrouteError:
    assert callable(call)
    with pytest.raises(MxrouteError) as caught:
        call(*args)
    error = caught.value
    assert problems(error.message, args[-1] if args else None) == []
    return error


# Priorities ---------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE_PRIORITIES, ids=lambda h: h.id)
def test_it_refuses_a_hostile_priority_with_its_code_and_one_clear_sentence(
    hostile: Hostile,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_priority(hostile.value)
    error = caught.value
    assert error.code == hostile.code
    assert error.field == "priority"
    assert problems(error.message, hostile.value) == []
    assert "0 to 65535" in error.message


@pytest.mark.parametrize("hostile", HOSTILE_PRIORITIES, ids=lambda h: h.id)
def test_a_record_with_a_hostile_priority_cannot_be_built(hostile: Hostile) -> None:
    with pytest.raises(InvalidInput) as caught:
        MXRecord.parse(hostile.value, "mx.example.com")
    assert caught.value.code == hostile.code


@pytest.mark.parametrize(
    ("given_priority", "number"),
    [(0, 0), (10, 10), (MAX_PRIORITY, 65535), ("0", 0), ("10", 10), ("65535", 65535)],
)
def test_it_accepts_a_priority_from_0_to_65535_as_int_or_plain_decimal_text(
    given_priority: object, number: int
) -> None:
    assert parse_priority(given_priority) == number


def test_it_reports_the_field_a_priority_came_from() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_priority("x", field="oldpriority")
    assert caught.value.field == "oldpriority"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=8))
def test_any_text_priority_is_a_plain_decimal_in_range_or_refused(text: str) -> None:
    plain = text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))
    try:
        number = parse_priority(text)
    except InvalidInput as error:
        assert not (plain and int(text) <= MAX_PRIORITY)
        assert problems(error.message, text) == []
    else:
        assert plain
        assert number == int(text)
        assert 0 <= number <= MAX_PRIORITY


# Exchangers and records ---------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile", [h for h in HOSTILE_NAMES if h.field == "exchanger"], ids=lambda h: h.id
)
def test_a_record_with_a_hostile_exchanger_cannot_be_built(hostile: Hostile) -> None:
    with pytest.raises(InvalidInput) as caught:
        MXRecord.parse(10, hostile.value)
    error = caught.value
    assert error.code == hostile.code
    assert error.field == "exchanger"
    assert problems(error.message, hostile.value) == []


def test_it_normalises_the_exchanger_of_a_parsed_record() -> None:
    assert MXRecord.parse("10", "MX.Bücher.Example.") == MXRecord(10, "mx.xn--bcher-kva.example")


def test_it_reads_a_lone_dot_as_the_null_mx_exchanger() -> None:
    assert parse_exchanger(".") == NULL_EXCHANGER
    assert MXRecord.parse(0, ".").is_null
    assert not rec(0, "mx.example.com").is_null


def test_it_reports_the_field_an_exchanger_came_from() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_exchanger("1.2.3.4", field="oldexchanger")
    assert caught.value.field == "oldexchanger"


def test_a_record_built_directly_must_already_be_normalised() -> None:
    error = refusal(MXRecord, 10, "MX.example.com")
    assert error.code == "not_normalised"
    assert refusal(MXRecord, 10, "mx.example.com.").code == "not_normalised"


def test_a_record_built_directly_gives_the_precise_reason_for_a_bad_exchanger() -> None:
    assert refusal(MXRecord, 10, "192.0.2.1").code == "ip_literal"
    assert refusal(MXRecord, 10, "mx.example.com\n").code == "forbidden_character"


@pytest.mark.parametrize(
    ("priority", "code"),
    [
        (True, "priority_not_integer"),
        ("10", "priority_not_integer"),
        (10.0, "priority_not_integer"),
        (None, "priority_not_integer"),
        (-1, "priority_out_of_range"),
        (65536, "priority_out_of_range"),
    ],
)
def test_a_record_built_directly_refuses_a_priority_that_is_not_a_16_bit_int(
    priority: object, code: str
) -> None:
    assert refusal(MXRecord, priority, "mx.example.com").code == code


def test_a_record_is_immutable() -> None:
    record = rec(10, "mx.example.com")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.priority = 20  # type: ignore[misc]


def test_a_record_renders_with_an_absolute_exchanger_in_zone_text() -> None:
    assert rec(10, "mx.example.com").to_text() == "10 mx.example.com."
    assert rec(0, ".").to_text() == "0 ."
    assert str(rec(10, "mx.example.com")) == "10 mx.example.com"


# Sets ---------------------------------------------------------------------------------


def test_a_set_is_ordered_by_priority_then_exchanger_whatever_the_input_order() -> None:
    pairs = [(20, "b.example.com"), (10, "z.example.com"), (10, "a.example.com"), (5, "m.ex.net")]
    expected = [
        (5, "m.ex.net"),
        (10, "a.example.com"),
        (10, "z.example.com"),
        (20, "b.example.com"),
    ]
    for order in itertools.permutations(pairs):
        assert [(r.priority, r.exchanger) for r in mxset(*order)] == expected


def test_a_set_groups_ties_most_preferred_first() -> None:
    s = mxset((20, "c.example.com"), (10, "b.example.com"), (10, "a.example.com"))
    assert s.groups() == [
        (10, (rec(10, "a.example.com"), rec(10, "b.example.com"))),
        (20, (rec(20, "c.example.com"),)),
    ]
    assert s.most_preferred() == (rec(10, "a.example.com"), rec(10, "b.example.com"))


def test_an_empty_set_has_no_groups_and_no_most_preferred() -> None:
    empty = MXSet()
    assert len(empty) == 0
    assert empty.groups() == []
    assert empty.most_preferred() == ()
    assert not empty.is_null


def test_a_set_supports_len_iteration_and_membership() -> None:
    s = mxset((10, "a.example.com"), (20, "b.example.com"))
    assert len(s) == 2
    assert list(s) == [rec(10, "a.example.com"), rec(20, "b.example.com")]
    assert rec(20, "b.example.com") in s
    assert rec(30, "b.example.com") not in s


def test_it_refuses_a_duplicate_record() -> None:
    with pytest.raises(InvalidInput) as caught:
        mxset((10, "mx.example.com"), (10, "MX.example.com."))
    assert caught.value.code == "duplicate"
    assert problems(caught.value.message, "") == []


def test_it_refuses_adding_a_record_that_is_already_there() -> None:
    s = mxset((10, "mx.example.com"))
    with pytest.raises(InvalidInput) as caught:
        s.adding(rec(10, "mx.example.com"))
    assert caught.value.code == "duplicate"


def test_the_same_exchanger_may_appear_at_two_priorities() -> None:
    s = mxset((10, "mx.example.com"), (20, "mx.example.com"))
    assert len(s) == 2


def test_it_accepts_a_lone_null_mx_of_priority_0() -> None:
    s = mxset((0, "."))
    assert s.is_null
    assert len(s) == 1


@pytest.mark.parametrize("priority", [1, 10, 65535])
def test_it_refuses_a_null_mx_whose_priority_is_not_0(priority: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        mxset((priority, "."))
    assert caught.value.code == "null_mx_priority"
    assert problems(caught.value.message, "") == []


def test_it_refuses_a_null_mx_beside_other_records() -> None:
    with pytest.raises(InvalidInput) as caught:
        mxset((0, "."), (10, "mx.example.com"))
    assert caught.value.code == "null_mx_not_alone"
    assert problems(caught.value.message, "") == []


def test_it_refuses_adding_a_null_mx_to_a_set_with_records() -> None:
    with pytest.raises(InvalidInput) as caught:
        mxset((10, "mx.example.com")).adding(rec(0, "."))
    assert caught.value.code == "null_mx_not_alone"


def test_it_refuses_adding_a_record_to_a_null_mx() -> None:
    with pytest.raises(InvalidInput) as caught:
        mxset((0, ".")).adding(rec(10, "mx.example.com"))
    assert caught.value.code == "null_mx_not_alone"


def test_it_refuses_two_null_mx_records() -> None:
    with pytest.raises(InvalidInput) as caught:
        MXSet((MXRecord(0, "."), MXRecord(0, ".")))
    assert caught.value.code in ("duplicate", "null_mx_not_alone")


def test_a_set_is_immutable_and_edits_return_new_sets() -> None:
    s = mxset((10, "a.example.com"))
    t = s.adding(rec(20, "b.example.com"))
    assert len(s) == 1 and len(t) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.records = ()  # type: ignore[misc]


# Finding and editing -------------------------------------------------------------------


def test_it_finds_a_record_by_exchanger_alone() -> None:
    s = mxset((10, "a.example.com"), (20, "b.example.com"))
    assert s.find(None, "b.example.com") == rec(20, "b.example.com")


def test_it_finds_a_record_by_exchanger_and_priority() -> None:
    s = mxset((10, "a.example.com"), (20, "a.example.com"))
    assert s.find(20, "a.example.com") == rec(20, "a.example.com")


def test_it_normalises_the_exchanger_it_is_asked_to_find() -> None:
    s = mxset((10, "a.example.com"))
    assert s.find(10, "A.Example.COM.") == rec(10, "a.example.com")


def test_it_reports_a_record_that_is_not_there() -> None:
    s = mxset((10, "a.example.com"))
    for priority, exchanger in [(None, "b.example.com"), (20, "a.example.com")]:
        with pytest.raises(NotFound) as caught:
            s.find(priority, exchanger)
        assert caught.value.code == "record_not_found"
        assert problems(caught.value.message, exchanger) == []


def test_it_asks_which_one_when_an_exchanger_appears_at_several_priorities() -> None:
    s = mxset((10, "a.example.com"), (20, "a.example.com"))
    with pytest.raises(InvalidInput) as caught:
        s.find(None, "a.example.com")
    assert caught.value.code == "record_ambiguous"
    assert caught.value.field == "oldpriority"


def test_it_refuses_to_find_with_a_hostile_exchanger() -> None:
    with pytest.raises(InvalidInput) as caught:
        mxset((10, "a.example.com")).find(None, "a.example.com\n@ IN NS evil.")
    assert caught.value.code == "forbidden_character"


def test_it_adds_a_record_in_priority_order() -> None:
    s = mxset((10, "a.example.com"), (30, "c.example.com")).adding(rec(20, "b.example.com"))
    assert [r.priority for r in s] == [10, 20, 30]


def test_it_replaces_a_record_and_keeps_the_order() -> None:
    s = mxset((10, "a.example.com"), (20, "b.example.com"))
    t = s.replacing(rec(10, "a.example.com"), rec(30, "c.example.com"))
    assert list(t) == [rec(20, "b.example.com"), rec(30, "c.example.com")]


def test_it_refuses_a_replacement_that_would_duplicate_another_record() -> None:
    s = mxset((10, "a.example.com"), (20, "b.example.com"))
    with pytest.raises(InvalidInput) as caught:
        s.replacing(rec(10, "a.example.com"), rec(20, "b.example.com"))
    assert caught.value.code == "duplicate"


def test_it_refuses_to_replace_a_record_that_is_not_there() -> None:
    s = mxset((10, "a.example.com"))
    with pytest.raises(NotFound):
        s.replacing(rec(20, "a.example.com"), rec(30, "c.example.com"))


def test_it_can_replace_the_records_by_a_null_mx_only_when_it_is_the_last_one() -> None:
    assert mxset((10, "a.example.com")).replacing(rec(10, "a.example.com"), rec(0, ".")).is_null
    with pytest.raises(InvalidInput):
        mxset((10, "a.example.com"), (20, "b.example.com")).replacing(
            rec(10, "a.example.com"), rec(0, ".")
        )


def test_it_removes_a_record() -> None:
    s = mxset((10, "a.example.com"), (20, "b.example.com"))
    assert list(s.removing(rec(10, "a.example.com"))) == [rec(20, "b.example.com")]
    assert len(s.removing(rec(10, "a.example.com")).removing(rec(20, "b.example.com"))) == 0


def test_it_refuses_to_remove_a_record_that_is_not_there() -> None:
    with pytest.raises(NotFound):
        mxset((10, "a.example.com")).removing(rec(10, "b.example.com"))


# Plain data round trip ----------------------------------------------------------------


def test_it_turns_a_set_into_plain_data_and_back() -> None:
    s = mxset((20, "b.example.com"), (10, "xn--bcher-kva.example"))
    data = s.to_list()
    assert data == [
        {"priority": 10, "exchanger": "xn--bcher-kva.example"},
        {"priority": 20, "exchanger": "b.example.com"},
    ]
    assert MXSet.from_list(data) == s


def test_a_null_mx_and_an_empty_set_survive_the_round_trip() -> None:
    for s in (mxset((0, ".")), MXSet()):
        assert MXSet.from_list(s.to_list()) == s


def test_plain_data_with_a_hostile_value_is_refused_on_the_way_back() -> None:
    with pytest.raises(InvalidInput) as caught:
        MXSet.from_list([{"priority": 10, "exchanger": "mx.example.com\n@ IN NS evil."}])
    assert caught.value.code == "forbidden_character"
    with pytest.raises(InvalidInput) as caught:
        MXSet.from_list([{"priority": "1e3", "exchanger": "mx.example.com"}])
    assert caught.value.code == "priority_not_integer"


_EXCHANGERS = st.sampled_from(
    ["a.example.com", "b.example.com", "mx.xn--bcher-kva.example", "mail.example.org"]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, MAX_PRIORITY), _EXCHANGERS), unique=True, max_size=6))
def test_any_valid_set_survives_the_round_trip_sorted(pairs: list[tuple[int, str]]) -> None:
    s = mxset(*pairs)
    assert MXSet.from_list(s.to_list()) == s
    assert [(r.priority, r.exchanger) for r in s] == sorted(pairs)
    assert [p for p, _ in s.groups()] == sorted({p for p, _ in pairs})


def test_a_record_typed_as_one_string_is_parsed_and_checked() -> None:
    from mxroute.core.records import parse_record_text

    assert parse_record_text(" 10   Mail.Example.com. ") == MXRecord(10, "mail.example.com")
    with pytest.raises(InvalidInput) as refused:
        parse_record_text("10")
    assert refused.value.code == "record_not_two_fields"
    with pytest.raises(InvalidInput) as refused:
        parse_record_text("10 192.0.2.1")
    assert refused.value.code == "ip_literal"
