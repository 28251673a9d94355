"""Host and domain names: hostile inputs refused with stable codes, good ones normalised."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mxroute.core.names import (
    MAX_LABEL_OCTETS,
    MAX_NAME_OCTETS,
    is_normalised_host,
    is_subdomain,
    parse_domain,
    parse_host,
    shown,
    to_unicode,
)
from mxroute.errors import InvalidInput
from tests.unit.hostile_inputs import (
    HOSTILE_INPUTS,
    HOSTILE_NAMES,
    KINDS,
    NAME_253,
    NAME_254,
    Hostile,
)
from tests.unit.hostile_inputs import message_problems as problems

SAFE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def refusal(value: object, *, as_domain: bool = False) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        if as_domain:
            parse_domain(value)
        else:
            parse_host(value)
    return caught.value


# The data module itself -------------------------------------------------------------


def test_the_hostile_list_is_large_and_covers_every_kind_asked_for() -> None:
    assert len(HOSTILE_INPUTS) >= 60
    for kind in (
        "zone_injection",
        "control",
        "path_traversal",
        "length",
        "empty",
        "ip_literal",
        "priority",
        "lookalike",
        "invisible",
        "single_label",
        "numeric_tld",
        "underscore",
        "hyphen",
        "bad_idn",
    ):
        assert kind in KINDS


def test_the_hostile_list_is_plain_data_without_duplicates() -> None:
    keys = [(h.field, repr(h.value)) for h in HOSTILE_INPUTS]
    assert len(keys) == len(set(keys))
    assert all(isinstance(h, Hostile) for h in HOSTILE_INPUTS)
    assert {h.field for h in HOSTILE_INPUTS} == {"exchanger", "domain", "priority"}


def test_the_sentence_check_catches_what_it_should() -> None:
    assert problems("The name 'a.b' is bad; fix it.", "a.b") == []
    assert problems("The name is bad. Fix it.", "x") == ["holds more than one sentence"]
    assert problems("The name is bad", "x") == ["does not end with a full stop"]
    assert "contains a control or invisible character" in problems("Bad \n name.", "x")


# Hostile names ----------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE_NAMES, ids=lambda h: h.id)
def test_it_refuses_a_hostile_name_with_its_code_and_one_clear_sentence(hostile: Hostile) -> None:
    error = refusal(hostile.value, as_domain=hostile.field == "domain")
    assert error.code == hostile.code
    assert error.field == hostile.field
    assert problems(error.message, hostile.value) == []
    assert str(error) == error.message


@pytest.mark.parametrize(
    "hostile", [h for h in HOSTILE_NAMES if h.field == "exchanger"], ids=lambda h: h.id
)
def test_a_domain_name_follows_the_same_rules_as_an_exchanger(hostile: Hostile) -> None:
    error = refusal(hostile.value, as_domain=True)
    assert error.code == hostile.code
    assert error.field == "domain"
    assert error.message.startswith("The domain")


@pytest.mark.parametrize(
    "hostile",
    [h for h in HOSTILE_NAMES if isinstance(h.value, str) and not h.value.isprintable()],
    ids=lambda h: h.id,
)
def test_a_refusal_never_echoes_a_raw_control_or_invisible_character(hostile: Hostile) -> None:
    assert isinstance(hostile.value, str)
    message = refusal(hostile.value).message
    for ch in hostile.value:
        if not ch.isprintable():
            assert ch not in message


def test_it_refuses_an_ip_literal_exchanger_and_says_to_use_a_host_name() -> None:
    error = refusal("[192.0.2.1]")
    assert error.code == "ip_literal"
    assert "host name" in error.message


def test_it_refuses_a_single_label_name_as_not_fully_qualified() -> None:
    error = refusal("localhost")
    assert error.code == "not_fully_qualified"
    assert "fully qualified domain name" in error.message


def test_it_names_the_forbidden_character() -> None:
    assert "SEMICOLON" in refusal("mx.example.com;").message
    assert "ZERO WIDTH SPACE" in refusal("exa\u200bmple.com").message


def test_it_names_the_mixed_scripts_of_a_lookalike() -> None:
    message = refusal("pаypal.com").message
    assert "Cyrillic" in message and "Latin" in message


def test_it_cuts_a_very_long_echo_of_the_input() -> None:
    error = refusal("x" * 100_000)
    assert len(error.message) < 300
    assert "..." in error.message


def test_the_safe_echo_escapes_what_cannot_be_seen() -> None:
    assert shown("a\nb") == "a\\nb"
    assert shown("plain.example") == "plain.example"
    assert len(shown("y" * 500)) == 80


# Normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_name", "normalised"),
    [
        ("mx.example.com", "mx.example.com"),
        ("MX.Example.COM", "mx.example.com"),
        ("mx.example.com.", "mx.example.com"),
        ("MX.EXAMPLE.COM.", "mx.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("bu\u0308cher.example", "xn--bcher-kva.example"),  # decomposed ü (NFD)
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE.", "xn--bcher-kva.example"),
        ("mail.bücher.example", "mail.xn--bcher-kva.example"),
        ("faß.de", "xn--fa-hia.de"),  # IDNA 2008 keeps ß (no mapping to "ss")
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),  # one script per label is fine
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("mx-1.example.com", "mx-1.example.com"),
        ("a--b.example.com", "a--b.example.com"),
        ("0mx.example.com", "0mx.example.com"),
        ("mx.example.c0m", "mx.example.c0m"),
        ("a.b", "a.b"),
    ],
)
def test_it_normalises_a_good_name(given_name: str, normalised: str) -> None:
    assert parse_host(given_name) == normalised
    assert parse_domain(given_name) == normalised
    assert is_normalised_host(normalised)


def test_a_normalised_name_is_recognised_and_an_unnormalised_one_is_not() -> None:
    assert is_normalised_host("mx.example.com")
    assert not is_normalised_host("MX.example.com")
    assert not is_normalised_host("mx.example.com.")
    assert not is_normalised_host("bücher.example")
    assert not is_normalised_host("192.0.2.1")


def test_it_shows_an_a_label_name_in_unicode_for_display() -> None:
    assert to_unicode("xn--bcher-kva.example") == "bücher.example"
    assert to_unicode("mx.example.com") == "mx.example.com"
    assert to_unicode("xn--zz.example") == "xn--zz.example"  # invalid: shown as is


def test_it_tells_whether_a_name_lies_in_a_zone() -> None:
    assert is_subdomain("example.com", "example.com")
    assert is_subdomain("mx.example.com", "example.com")
    assert not is_subdomain("badexample.com", "example.com")
    assert not is_subdomain("example.com", "mx.example.com")


# Lengths (RFC 1035 §2.3.4) -------------------------------------------------------------


def test_it_accepts_a_name_of_253_octets_with_or_without_the_final_dot() -> None:
    assert len(NAME_253) == MAX_NAME_OCTETS == 253
    assert parse_host(NAME_253) == NAME_253
    assert parse_host(NAME_253 + ".") == NAME_253


def test_it_refuses_a_name_of_254_octets() -> None:
    assert len(NAME_254) == 254
    error = refusal(NAME_254)
    assert error.code == "name_too_long"
    assert "254" in error.message


def test_it_accepts_a_label_of_63_octets_and_refuses_64() -> None:
    assert MAX_LABEL_OCTETS == 63
    assert parse_host("a" * 63 + ".example") == "a" * 63 + ".example"
    assert refusal("a" * 64 + ".example").code == "label_too_long"


def test_an_internationalised_label_is_measured_in_its_a_label_form() -> None:
    fits = next(
        "ü" + "a" * n
        for n in range(40, 63)
        if len(parse_host("ü" + "a" * n + ".example").split(".")[0]) == 63
    )
    assert len(parse_host(fits + ".example").split(".")[0]) == 63
    error = refusal(fits + "a.example")
    assert error.code == "label_too_long"
    assert "xn--" in error.message


def test_the_whole_name_length_counts_a_labels_not_u_labels() -> None:
    label = "bücher"  # 6 characters, 13 as xn--bcher-kva
    assert len(parse_host(".".join([label] * 18))) == 18 * 14 - 1 == 251
    name = ".".join([label] * 19)  # 132 characters as typed, 265 as A-labels
    error = refusal(name)
    assert error.code == "name_too_long"
    assert "265" in error.message


# Properties --------------------------------------------------------------------------

_LDH = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_TLD = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LDH, min_size=1, max_size=4), _TLD)
def test_any_plain_ldh_name_is_accepted_and_parsing_is_idempotent(
    labels: list[str], tld: str
) -> None:
    name = ".".join([*labels, tld])
    if "_" in name or any(label.startswith("xn--") for label in labels):
        return
    parsed = parse_host(name.upper() + ".")
    assert parsed == name
    assert parse_host(parsed) == parsed


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("abcxyz019.-_ \n\t;()$\\\"'/[]:@*")),
            st.characters(),
        ),
        max_size=40,
    )
)
def test_any_text_is_either_a_safe_normalised_name_or_a_clear_refusal(text: str) -> None:
    try:
        parsed = parse_host(text)
    except InvalidInput as error:
        assert error.code
        assert problems(error.message, text) == []
    else:
        assert SAFE_NAME.fullmatch(parsed)
        assert ".." not in parsed
        assert len(parsed) <= MAX_NAME_OCTETS
        assert parse_host(parsed) == parsed
