"""Routing modes: detection per RFC 5321 §5.1, warnings, findings, explanations, parsing."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import (
    MODE_MEANING,
    Detection,
    Mode,
    Resolution,
    ServerIdentity,
    detect,
    effective_mode,
    explain,
    mode_findings,
    parse_mode,
)
from mxroute.errors import InvalidInput
from tests.unit.hostile_inputs import message_problems

DOMAIN = "example.com"
ME_NAME = "mail.host.example"
ME_V4 = "192.0.2.10"
ME_V6 = "2001:db8::10"
ME = ServerIdentity.of([ME_NAME], [ME_V4, ME_V6])


def res(*addresses: str, status: str = "ok", alias_of: str | None = None) -> Resolution:
    return Resolution(frozenset(ipaddress.ip_address(a) for a in addresses), status, alias_of)


NX = Resolution(status="nxdomain")
SERVFAIL = Resolution(status="servfail")
TIMEOUT = Resolution(status="timeout")
NODATA = Resolution(status="nodata")

# A small world: who resolves to what.
WORLD = {
    ME_NAME: res(ME_V4, ME_V6),
    "mx1.example.com": res("198.51.100.1"),
    "mx2.example.com": res("198.51.100.2"),
    "mx3.example.com": res("198.51.100.3"),
    "alias4.example.com": res(ME_V4),  # another name for this server (by IPv4)
    "alias6.example.com": res("2001:0db8:0000:0000:0000:0000:0000:0010"),  # by IPv6
    DOMAIN: res("198.51.100.80"),
}


def mxset(*pairs: tuple[int, str]) -> MXSet:
    return MXSet.of(MXRecord.parse(p, e) for p, e in pairs)


def run(
    *pairs: tuple[int, str],
    world: dict[str, Resolution] | None = None,
    last_known: Mode | None = None,
    identity: ServerIdentity = ME,
) -> Detection:
    return detect(DOMAIN, mxset(*pairs), identity, WORLD | (world or {}), last_known)


def assert_sentences(lines: Iterable[str]) -> None:
    for line in lines:
        assert message_problems(line, "") == [], line


# Detection table ------------------------------------------------------------------------


def test_it_detects_local_when_this_server_is_the_only_exchanger() -> None:
    d = run((10, ME_NAME))
    assert (d.mode, d.certain, d.self_priority) == (Mode.LOCAL, True, 10)
    assert d.warnings == ()


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations([(10, ME_NAME), (10, "mx1.example.com"), (20, "mx2.example.com")])),
)
def test_it_detects_local_when_this_server_ties_at_the_best_priority_in_any_order(
    order: tuple[tuple[int, str], ...],
) -> None:
    d = run(*order)
    assert d.mode is Mode.LOCAL
    assert d.relay_to == ()


@pytest.mark.parametrize("self_name", ["alias4.example.com", "alias6.example.com", ME_NAME])
def test_it_recognises_this_server_by_name_by_ipv4_and_by_ipv6_address(self_name: str) -> None:
    d = run((10, self_name), (20, "mx1.example.com"))
    assert d.mode is Mode.LOCAL
    assert d.groups[0][1][0].is_self


def test_it_recognises_this_server_by_name_even_when_its_address_is_foreign_or_missing() -> None:
    for resolution in (res("203.0.113.99"), NX):
        d = run((10, ME_NAME), (20, "mx1.example.com"), world={ME_NAME: resolution})
        assert (d.mode, d.certain) == (Mode.LOCAL, True)


def test_identity_names_are_compared_case_and_final_dot_insensitively() -> None:
    identity = ServerIdentity.of(["MAIL.Host.Example."], [])
    d = run((10, ME_NAME), identity=identity)
    assert d.mode is Mode.LOCAL


def test_it_does_not_take_a_foreign_exchanger_for_this_server() -> None:
    d = run((10, "mx1.example.com"), (20, "mx2.example.com"))
    assert (d.mode, d.certain, d.self_priority) == (Mode.REMOTE, True, None)
    assert not any(e.is_self for _, es in d.groups for e in es)


def test_it_detects_backup_when_this_server_is_only_at_a_less_preferred_level() -> None:
    d = run((10, "mx1.example.com"), (20, ME_NAME))
    assert (d.mode, d.certain, d.self_priority) == (Mode.BACKUP, True, 20)


def test_a_backup_relays_only_to_strictly_more_preferred_exchangers() -> None:
    d = run(
        (5, "mx1.example.com"),
        (10, "mx2.example.com"),
        (20, ME_NAME),
        (20, "mx3.example.com"),  # a peer at this server's own level: dropped
        (30, "alias4.example.com"),  # a worse level: dropped
    )
    assert d.mode is Mode.BACKUP
    assert [e.record.exchanger for e in d.relay_to] == ["mx1.example.com", "mx2.example.com"]


def test_this_server_listed_twice_counts_at_its_most_preferred_level() -> None:
    d = run((5, "mx1.example.com"), (10, ME_NAME), (20, "alias4.example.com"))
    assert (d.mode, d.self_priority) == (Mode.BACKUP, 10)
    assert (
        run((10, ME_NAME), (20, "mx1.example.com"), (30, "alias4.example.com")).mode is Mode.LOCAL
    )


def test_it_detects_remote_when_this_server_is_absent() -> None:
    d = run((10, "mx1.example.com"))
    assert d.mode is Mode.REMOTE
    assert d.relay_to == ()


def test_no_mx_means_the_implicit_mx_pointing_at_the_domain_itself() -> None:
    d = run()
    assert (d.mode, d.implicit, d.certain) == (Mode.REMOTE, True, True)
    assert d.groups[0][0] == 0
    assert d.groups[0][1][0].record == MXRecord(0, DOMAIN)
    assert any("implicit MX" in w for w in d.warnings)


def test_the_implicit_mx_is_local_when_the_domain_resolves_to_this_server() -> None:
    d = run(world={DOMAIN: res(ME_V6)})
    assert (d.mode, d.implicit) == (Mode.LOCAL, True)


def test_no_mx_and_no_address_cannot_be_detected() -> None:
    d = run(world={DOMAIN: NX})
    assert (d.mode, d.certain, d.unresolved) == (Mode.LOCAL, False, (DOMAIN,))


def test_a_null_mx_is_remote_and_accepts_no_mail() -> None:
    d = run((0, "."))
    assert (d.mode, d.certain, d.accepts_no_mail) == (Mode.REMOTE, True, True)
    assert d.self_priority is None
    assert any("accepts no mail" in w for w in d.warnings)
    assert_sentences(d.warnings)


def test_the_groups_of_the_plan_are_most_preferred_first_with_ties_together() -> None:
    d = run((20, "mx3.example.com"), (10, "mx2.example.com"), (10, "mx1.example.com"))
    assert [(p, [e.record.exchanger for e in es]) for p, es in d.groups] == [
        (10, ["mx1.example.com", "mx2.example.com"]),
        (20, ["mx3.example.com"]),
    ]


# Unresolved exchangers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_known", "kept"),
    [
        (None, Mode.LOCAL),
        (Mode.AUTO, Mode.LOCAL),
        (Mode.BACKUP, Mode.BACKUP),
        (Mode.REMOTE, Mode.REMOTE),
    ],
)
def test_an_unresolved_exchanger_keeps_the_last_known_mode_or_local(
    last_known: Mode | None, kept: Mode
) -> None:
    d = run(
        (10, "mx1.example.com"),
        (20, "mx2.example.com"),
        world={"mx2.example.com": NX},
        last_known=last_known,
    )
    assert (d.mode, d.certain, d.unresolved) == (kept, False, ("mx2.example.com",))
    assert d.warnings[0].startswith(f"Cannot detect the routing of {DOMAIN}")
    assert "mx2.example.com does not resolve" in d.warnings[0]
    assert f"last known mode, {kept.value}," in d.warnings[0]
    assert_sentences(d.warnings)


def test_the_warning_names_every_unresolved_exchanger() -> None:
    d = run(
        (10, "mx1.example.com"),
        (20, "mx2.example.com"),
        (30, "mx3.example.com"),
        world={"mx1.example.com": SERVFAIL, "mx3.example.com": NODATA},
    )
    assert d.unresolved == ("mx1.example.com", "mx3.example.com")
    assert "mx1.example.com, mx3.example.com do not resolve" in d.warnings[0]
    assert_sentences(d.warnings)


def test_an_exchanger_missing_from_the_resolutions_counts_as_unresolved() -> None:
    d = detect(DOMAIN, mxset((10, "unknown.example.net")), ME, {}, Mode.REMOTE)
    assert (d.mode, d.certain, d.unresolved) == (Mode.REMOTE, False, ("unknown.example.net",))


def test_an_exchanger_named_as_this_server_is_never_unresolved() -> None:
    d = run((10, ME_NAME), world={ME_NAME: NX})
    assert d.certain and d.unresolved == ()


# Warnings about the plan ----------------------------------------------------------------


def test_it_warns_of_an_exchanger_that_is_a_cname() -> None:
    d = run(
        (10, "mx1.example.com"),
        world={"mx1.example.com": res("198.51.100.1", alias_of="real.example.net")},
    )
    assert d.certain
    cname = [w for w in d.warnings if "CNAME" in w]
    assert len(cname) == 1
    assert "mx1.example.com" in cname[0] and "real.example.net" in cname[0]
    assert_sentences(d.warnings)


@pytest.mark.parametrize("failure", [NX, NODATA])
def test_a_backup_whose_better_exchangers_do_not_exist_warns_that_mail_will_bounce(
    failure: Resolution,
) -> None:
    d = run(
        (10, "mx1.example.com"),
        (10, "mx2.example.com"),
        (20, ME_NAME),
        world={"mx1.example.com": failure, "mx2.example.com": NX},
        last_known=Mode.BACKUP,
    )
    assert d.mode is Mode.BACKUP and not d.certain
    assert any("will bounce" in w for w in d.warnings)
    assert not any("queue" in w for w in d.warnings)
    assert_sentences(d.warnings)


@pytest.mark.parametrize(
    "world",
    [
        {"mx1.example.com": SERVFAIL, "mx2.example.com": SERVFAIL},
        {"mx1.example.com": TIMEOUT, "mx2.example.com": SERVFAIL},
        {"mx1.example.com": NX, "mx2.example.com": SERVFAIL},  # one may come back: defer
    ],
)
def test_a_backup_whose_better_exchangers_fail_temporarily_warns_that_mail_will_queue(
    world: dict[str, Resolution],
) -> None:
    d = run((10, "mx1.example.com"), (10, "mx2.example.com"), (20, ME_NAME), world=world)
    assert any("wait in this server's queue" in w for w in d.warnings)
    assert not any("bounce" in w for w in d.warnings)
    assert_sentences(d.warnings)


def test_a_backup_with_one_reachable_better_exchanger_gets_no_relay_warning() -> None:
    d = run(
        (10, "mx1.example.com"),
        (10, "mx2.example.com"),
        (20, ME_NAME),
        world={"mx1.example.com": NX},
    )
    assert not any("bounce" in w or "queue" in w for w in d.warnings)


def test_it_warns_when_no_exchanger_resolves_at_all() -> None:
    d = run(
        (10, "mx1.example.com"),
        (20, "mx2.example.com"),
        world={"mx1.example.com": NX, "mx2.example.com": NX},
    )
    assert any("cannot be delivered" in w for w in d.warnings)
    assert_sentences(d.warnings)


# Effective mode and findings ------------------------------------------------------------


def test_the_effective_mode_is_the_detected_one_under_auto_and_the_chosen_one_otherwise() -> None:
    d = run((10, "mx1.example.com"), (20, ME_NAME))
    assert effective_mode(Mode.AUTO, d) is Mode.BACKUP
    for chosen in (Mode.LOCAL, Mode.BACKUP, Mode.REMOTE):
        assert effective_mode(chosen, d) is chosen


LOCAL_MX = ((10, ME_NAME),)
BACKUP_MX = ((10, "mx1.example.com"), (20, ME_NAME))
REMOTE_MX = ((10, "mx1.example.com"),)


@pytest.mark.parametrize(
    ("chosen", "pairs", "expected"),
    [
        (Mode.AUTO, LOCAL_MX, None),
        (Mode.AUTO, REMOTE_MX, None),
        (Mode.LOCAL, LOCAL_MX, None),
        (Mode.LOCAL, BACKUP_MX, None),  # a backup may store mail locally
        (Mode.LOCAL, REMOTE_MX, ("local_not_in_set", "warning", "filtering gateway")),
        (Mode.BACKUP, BACKUP_MX, None),
        (Mode.BACKUP, LOCAL_MX, ("backup_most_preferred", "error", "relayed back")),
        (Mode.BACKUP, REMOTE_MX, ("backup_not_in_set", "error", "no sender will queue")),
        (Mode.REMOTE, REMOTE_MX, None),
        (Mode.REMOTE, LOCAL_MX, ("remote_mail_loop", "error", "it is refused")),
        (Mode.REMOTE, BACKUP_MX, ("remote_listed_as_backup", "warning", "are refused")),
    ],
)
def test_a_mode_chosen_by_hand_is_checked_against_the_mx_records(
    chosen: Mode, pairs: tuple[tuple[int, str], ...], expected: tuple[str, str, str] | None
) -> None:
    findings = mode_findings(chosen, run(*pairs))
    if expected is None:
        assert findings == []
    else:
        code, severity, words = expected
        assert len(findings) == 1 and words in findings[0].message
        assert findings[0].message.startswith(DOMAIN)
        assert (findings[0].code, findings[0].severity) == (code, severity)


def test_there_are_no_findings_when_detection_is_uncertain() -> None:
    d = run((10, "mx1.example.com"), world={"mx1.example.com": NX})
    for chosen in Mode:
        assert mode_findings(chosen, d) == []


# Explanations ---------------------------------------------------------------------------


def test_it_explains_a_local_domain_with_ties_and_this_server_marked() -> None:
    lines = explain(run((10, ME_NAME), (10, "mx1.example.com"), (20, "mx2.example.com")), Mode.AUTO)
    assert lines == [
        f"Priority 10: {ME_NAME} [this server], mx1.example.com (they share mail at random).",
        "Priority 20: mx2.example.com.",
        f"This server delivers mail for {DOMAIN} into local mailboxes "
        "(detected from the MX records).",
    ]


def test_it_explains_a_backup_naming_the_exchangers_it_relays_to() -> None:
    lines = explain(run((10, "mx1.example.com"), (20, ME_NAME), (30, "mx2.example.com")), Mode.AUTO)
    assert lines[-1] == (
        f"This server accepts mail for {DOMAIN}, queues it and relays it to "
        "mx1.example.com (priority 10) when reachable (detected from the MX records)."
    )
    assert_sentences(lines)


def test_it_explains_a_remote_domain_naming_its_most_preferred_exchangers() -> None:
    lines = explain(run((10, "mx1.example.com"), (10, "mx2.example.com")), Mode.AUTO)
    assert lines[-1] == (
        f"This server accepts no mail for {DOMAIN} from outside; mail sent from this server to "
        f"{DOMAIN} goes to mx1.example.com (priority 10), mx2.example.com (priority 10) "
        "(detected from the MX records)."
    )


def test_it_says_when_the_mode_was_chosen_by_hand() -> None:
    lines = explain(run((10, "mx1.example.com")), Mode.LOCAL)
    assert lines[-1].endswith("(chosen by hand).")
    assert "local mailboxes" in lines[-1]


def test_it_says_when_the_mode_is_the_last_known_one() -> None:
    d = run((10, "mx1.example.com"), world={"mx1.example.com": NX}, last_known=Mode.REMOTE)
    lines = explain(d, Mode.AUTO)
    assert "mx1.example.com [does not resolve]" in lines[0]
    assert "last known mode" in lines[-1]
    assert "detected from the MX records" not in lines[-1]
    assert_sentences(lines)


def test_it_explains_the_implicit_mx() -> None:
    lines = explain(run(), Mode.AUTO)
    assert lines[0] == f"{DOMAIN} has no MX records; senders use the domain's own address."
    assert lines[1] == f"Priority 0: {DOMAIN}."
    assert_sentences(lines)


def test_it_explains_a_null_mx_in_one_sentence() -> None:
    lines = explain(run((0, ".")), Mode.AUTO)
    assert len(lines) == 1
    assert "accepts no mail" in lines[0] and "556 5.1.10" in lines[0]
    assert_sentences(lines)


# Modes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("auto", Mode.AUTO),
        ("local", Mode.LOCAL),
        ("backup", Mode.BACKUP),
        ("remote", Mode.REMOTE),
        ("secondary", Mode.BACKUP),
        ("automatic", Mode.AUTO),
        ("LOCAL", Mode.LOCAL),
        ("Secondary", Mode.BACKUP),
        (" remote ", Mode.REMOTE),
    ],
)
def test_it_parses_a_mode_and_its_aliases(text: str, mode: Mode) -> None:
    assert parse_mode(text) is mode


@pytest.mark.parametrize(
    "value",
    ["", "primary", "locale", "local remote", "local\nremote", "bäckup", None, 1, True, ["local"]],
)
def test_it_refuses_an_unknown_mode_in_one_clear_sentence(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_mode(value, field="mxcheck")
    error = caught.value
    assert (error.code, error.field) == ("invalid_mode", "mxcheck")
    assert error.message.endswith("choose auto, local, backup or remote.")
    assert error.message.isprintable()


def test_a_mode_has_its_cpanel_spelling_and_a_meaning() -> None:
    assert Mode.BACKUP.cpanel == "secondary"
    assert [m.cpanel for m in (Mode.AUTO, Mode.LOCAL, Mode.REMOTE)] == ["auto", "local", "remote"]
    assert set(MODE_MEANING) == set(Mode)
    assert_sentences(MODE_MEANING.values())


# Property: detect() agrees with an independent reading of RFC 5321 §5.1 ------------------

POOL = ["a.example.net", "b.example.net", "c.example.net", "d.example.net", "self.example.net"]
ADDRESSES = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "2001:db8::1", "2001:db8::2"]


def oracle(
    records: list[tuple[int, str]],
    names: set[str],
    addresses: set[str],
    resolves_to: dict[str, set[str]],
) -> tuple[Mode, list[tuple[int, str]]]:
    """RFC 5321 §5.1 read literally: drop records at or below this server's best level."""
    if not records:
        records = [(0, DOMAIN)]  # the implicit MX
    mine = [p for p, name in records if name in names or resolves_to[name] & addresses]
    if not mine:
        return Mode.REMOTE, []
    remaining = sorted((p, n) for p, n in records if p < min(mine))
    return (Mode.BACKUP if remaining else Mode.LOCAL), remaining


worlds = st.fixed_dictionaries(
    {name: st.sets(st.sampled_from(ADDRESSES), min_size=1) for name in [*POOL, DOMAIN]}
)


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(POOL)), unique=True, max_size=6),
    names=st.sets(st.sampled_from(POOL), max_size=2),
    addresses=st.sets(st.sampled_from(ADDRESSES), max_size=2),
    resolves_to=worlds,
    last_known=st.sampled_from([None, *Mode]),
)
def test_detection_agrees_with_an_independent_reading_of_rfc_5321(
    records: list[tuple[int, str]],
    names: set[str],
    addresses: set[str],
    resolves_to: dict[str, set[str]],
    last_known: Mode | None,
) -> None:
    identity = ServerIdentity.of(names, addresses)
    resolutions = {name: res(*addrs) for name, addrs in resolves_to.items()}
    d = detect(DOMAIN, mxset(*records), identity, resolutions, last_known)
    mode, relay = oracle(records, names, addresses, resolves_to)
    assert d.certain and d.unresolved == ()
    assert d.mode is mode  # last_known is ignored when every exchanger resolves
    assert d.implicit == (not records)
    assert sorted((e.record.priority, e.record.exchanger) for e in d.relay_to) == (
        relay if mode is Mode.BACKUP else []
    )
    assert_sentences(d.warnings)
    assert_sentences(explain(d, Mode.AUTO))


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(POOL)), unique=True, min_size=1, max_size=5
    ),
    broken=st.sets(st.sampled_from(POOL), min_size=1),
    last_known=st.sampled_from([None, *Mode]),
)
def test_only_an_unresolved_exchanger_that_could_change_the_answer_keeps_the_last_mode(
    records: list[tuple[int, str]], broken: set[str], last_known: Mode | None
) -> None:
    identity = ServerIdentity.of(["self.example.net"], ["192.0.2.9"])
    resolutions = {n: (NX if n in broken else res("192.0.2.1")) for n in POOL}
    d = detect(DOMAIN, mxset(*records), identity, resolutions, last_known)
    unresolved = {n for _, n in records if n in broken and n != "self.example.net"}
    assert set(d.unresolved) == unresolved
    own = [p for p, n in records if n == "self.example.net"]
    # An unresolved exchanger might be this server: it matters only where this server,
    # if it were that exchanger, would rank better than it does now.
    blocking = {n for p, n in records if n in unresolved and (not own or p < min(own))}
    assert d.certain == (not blocking)
    if blocking:
        assert d.mode is (last_known if last_known not in (None, Mode.AUTO) else Mode.LOCAL)
        assert all(n in d.warnings[0] for n in blocking)
    else:
        best = min(p for p, _ in records)
        expected = Mode.REMOTE if not own else Mode.LOCAL if min(own) == best else Mode.BACKUP
        assert d.mode is expected
        assert all(any(n in w for w in d.warnings) for n in unresolved)
    assert_sentences(d.warnings)


def test_this_server_at_the_best_priority_is_local_even_beside_a_broken_backup() -> None:
    identity = ServerIdentity.of(["self.example.net"], ["192.0.2.9"])
    records = mxset((5, "self.example.net"), (10, "mx2.example.com"), (20, "typo.example.org"))
    resolutions = {"mx2.example.com": res("192.0.2.1"), "typo.example.org": NX}
    d = detect(DOMAIN, records, identity, resolutions, Mode.REMOTE)
    assert d.mode is Mode.LOCAL and d.certain
    assert any("typo.example.org does not resolve" in w for w in d.warnings)


def test_a_kept_backup_mode_does_not_claim_a_relay_the_records_no_longer_give() -> None:
    identity = ServerIdentity.of(["self.example.net"], ["192.0.2.9"])
    records = mxset((10, "mx1.example.com"), (30, "gone.example.com"))
    resolutions = {"mx1.example.com": res("192.0.2.1"), "gone.example.com": NX}
    d = detect(DOMAIN, records, identity, resolutions, Mode.BACKUP)
    assert d.mode is Mode.BACKUP and not d.certain
    last = explain(d, Mode.AUTO)[-1]
    assert "the MX records do not name it, so no sender will queue mail here" in last
    assert "relays it to" not in last


def test_backup_by_hand_at_the_best_priority_says_it_has_nowhere_to_relay() -> None:
    identity = ServerIdentity.of(["self.example.net"], ["192.0.2.9"])
    d = detect(DOMAIN, mxset((5, "self.example.net")), identity, {})
    assert "has nowhere to relay to" in explain(d, Mode.BACKUP)[-1]


def test_remote_by_hand_never_says_mail_goes_to_this_server() -> None:
    identity = ServerIdentity.of(["self.example.net"], ["192.0.2.9"])
    records = mxset((5, "self.example.net"), (10, "mx2.example.com"))
    d = detect(DOMAIN, records, identity, {"mx2.example.com": res("192.0.2.1")})
    last = explain(d, Mode.REMOTE)[-1]
    assert "goes to mx2.example.com (priority 10)" in last
    alone = detect(DOMAIN, mxset((5, "self.example.net")), identity, {})
    assert "this server is its only exchanger" in explain(alone, Mode.REMOTE)[-1]
