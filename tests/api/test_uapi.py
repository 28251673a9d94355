"""cPanel UAPI ``/execute/Email/<function>``: each function, its refusals, its credentials.

Bodies are compared whole against what cPanel returns over HTTP (see
/work/shared/reference/cpanel-uapi.md): the six keys, null where cPanel sends null,
the data fields by name and value.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from mxroute import accounts
from mxroute.config import Settings
from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import Mode
from mxroute.service import OPERATOR, Service
from tests.api.conftest import SELF, People, Person, data_state, local_checkmx, mx_of

FORM = "application/x-www-form-urlencoded"


def call(client: Client, function: str, params: dict[str, str], who: Person) -> dict[str, Any]:
    """POST a form body to the exact path, as cPanel clients do; the JSON of a 200."""
    response = client.post(
        f"/execute/Email/{function}", urlencode(params), content_type=FORM, **who.cpanel
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def refused(body: dict[str, Any]) -> str:
    """The one error of a refused call, after checking the rest of the body is empty."""
    assert body == {
        "status": 0,
        "errors": [body["errors"][0]],
        "messages": None,
        "warnings": None,
        "metadata": {},
        "data": None,
    }
    message: str = body["errors"][0]
    return message


def success(data: Any) -> dict[str, Any]:
    return {
        "status": 1,
        "errors": None,
        "messages": None,
        "warnings": None,
        "metadata": {},
        "data": data,
    }


# ----- list_mxs ---------------------------------------------------------------------------


def test_list_mxs_without_a_domain_lists_every_domain_of_the_caller(
    client: Client, people: People
) -> None:
    body = call(client, "list_mxs", {}, people.alice)
    assert body == success(
        [
            {
                "domain": zone,
                "mxcheck": "auto",
                "detected": "local",
                "alwaysaccept": 1,
                "local": 1,
                "secondary": 0,
                "remote": 0,
                "status": 1,
                "statusmsg": f"Listed the MX records of {zone}.",
                "mx": SELF,
                "entries": [
                    {"domain": zone, "mx": SELF, "priority": 10, "entrycount": 1, "row": "odd"}
                ],
            }
            for zone in ("alice.test", "alice2.test")
        ]
    )


def test_list_mxs_for_one_domain_sorts_entries_by_priority_and_numbers_rows(
    client: Client, people: People, api_service: Service
) -> None:
    api_service.add_mx("alice.test", 30, "mx3.alice.test", actor=OPERATOR)
    api_service.add_mx("alice.test", 5, "mx0.alice.test", actor=OPERATOR)
    [domain] = call(client, "list_mxs", {"domain": "Alice.Test."}, people.alice)["data"]
    assert domain["domain"] == "alice.test"
    assert domain["mx"] == "mx0.alice.test"
    assert domain["entries"] == [
        {
            "domain": "alice.test",
            "mx": "mx0.alice.test",
            "priority": 5,
            "entrycount": 1,
            "row": "odd",
        },
        {"domain": "alice.test", "mx": SELF, "priority": 10, "entrycount": 2, "row": "even"},
        {
            "domain": "alice.test",
            "mx": "mx3.alice.test",
            "priority": 30,
            "entrycount": 3,
            "row": "odd",
        },
    ]


def test_list_mxs_names_backup_secondary_and_tells_chosen_from_effective(
    client: Client, people: People, api_service: Service
) -> None:
    # A more preferred exchanger makes this server a backup of both domains.
    for zone in ("alice.test", "alice2.test"):
        api_service.add_mx(zone, 5, f"mx1.{zone}", actor=OPERATOR)
    api_service.set_mode("alice.test", Mode.BACKUP, actor=OPERATOR)
    api_service.set_mode("alice2.test", Mode.REMOTE, actor=OPERATOR)
    alice, alice2 = call(client, "list_mxs", {}, people.alice)["data"]
    flags = ("mxcheck", "detected", "alwaysaccept", "local", "secondary", "remote")
    assert [alice[k] for k in flags] == ["secondary", "secondary", 0, 0, 1, 0]
    assert [alice2[k] for k in flags] == ["remote", "remote", 0, 0, 0, 1]


def test_list_mxs_of_a_domain_without_records_names_the_domain_itself(
    client: Client, people: People, api_service: Service
) -> None:
    # No record and no address: no mail can arrive (no_mail_possible), so it is forced.
    api_service.delete_mx("alice.test", 10, SELF, actor=OPERATOR, force=True)
    [domain] = call(client, "list_mxs", {"domain": "alice.test"}, people.alice)["data"]
    assert (domain["mx"], domain["entries"], domain["status"]) == ("alice.test", [], 1)


def test_list_mxs_of_an_unreadable_zone_says_why(
    client: Client, people: People, api_settings: Settings
) -> None:
    (api_settings.zones_dir / "alice.test.zone").unlink()
    alice, alice2 = call(client, "list_mxs", {}, people.alice)["data"]
    assert (alice["status"], alice["mx"], alice["entries"]) == (0, "", [])
    assert "cannot be read" in alice["statusmsg"]
    assert alice2["status"] == 1
    message = refused(call(client, "list_mxs", {"domain": "alice.test"}, people.alice))
    assert "alice.test" in message


# ----- add_mx, change_mx, delete_mx ---------------------------------------------------------


def test_add_mx_adds_the_record_and_answers_checkmx(
    client: Client, people: People, api_service: Service
) -> None:
    body = call(
        client,
        "add_mx",
        {"domain": "alice.test", "exchanger": "MX2.alice.test.", "priority": "20"},
        people.alice,
    )
    summary = "Added MX 20 mx2.alice.test. Routing stays local."
    assert body == success(
        {
            "checkmx": local_checkmx(1, []),
            "results": summary,
            "status": 1,
            "statusmsg": summary,
        }
    )
    assert mx_of(api_service, "alice.test") == {(10, SELF), (20, "mx2.alice.test")}


def test_add_mx_accepts_priority_0_and_65535(
    client: Client, people: People, api_service: Service
) -> None:
    for priority, name in (("0", "mx0.alice.test"), ("65535", "mx3.alice.test")):
        body = call(
            client,
            "add_mx",
            {"domain": "alice.test", "exchanger": name, "priority": priority},
            people.alice,
        )
        assert body["status"] == 1, body
    assert mx_of(api_service, "alice.test") == {
        (0, "mx0.alice.test"),
        (10, SELF),
        (65535, "mx3.alice.test"),
    }


@pytest.mark.parametrize(
    ("alwaysaccept", "mode"),
    [("secondary", Mode.BACKUP), ("backup", Mode.BACKUP), ("1", Mode.LOCAL), ("0", Mode.AUTO)],
)
def test_add_mx_with_alwaysaccept_sets_the_mode_in_the_same_recorded_change(
    client: Client, people: People, api_service: Service, alwaysaccept: str, mode: Mode
) -> None:
    if mode is Mode.AUTO:
        api_service.set_mode("alice.test", Mode.LOCAL, actor=OPERATOR)
    # mx2 is more preferred than this server, which becomes its backup.
    params = {"domain": "alice.test", "exchanger": "mx2.alice.test", "priority": "5"}
    body = call(client, "add_mx", {**params, "alwaysaccept": alwaysaccept}, people.alice)
    assert body["status"] == 1
    assert body["data"]["checkmx"]["mxcheck"] == mode.cpanel
    assert body["data"]["statusmsg"].startswith(
        f"Added MX 5 mx2.alice.test. Set routing to {mode.value}."
    )
    assert api_service.show("alice.test").mode is mode
    (latest,) = api_service.history("alice.test", limit=1)
    assert (latest.action, latest.mode_after) == ("add_mx", mode.value)
    assert [(r["priority"], r["exchanger"]) for r in latest.mx_after] == [
        (5, "mx2.alice.test"),
        (10, SELF),
    ]
    assert (latest.interface, latest.token_name, latest.actor) == ("uapi", "alice-script", "alice")


def test_add_mx_with_an_unknown_alwaysaccept_changes_nothing(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    params = {"domain": "alice.test", "exchanger": "mx2.alice.test", "priority": "20"}
    message = refused(call(client, "add_mx", {**params, "alwaysaccept": "always"}, people.alice))
    assert message.startswith("The routing mode 'always' is not known")
    assert data_state(api_settings) == before


def test_a_failure_while_setting_the_mode_leaves_the_records_as_they_were(
    client: Client, people: People, api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxroute.mta.lists import RoutingLists

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    before = data_state(api_settings)
    monkeypatch.setattr(RoutingLists, "change", failing)
    # mx2 is more preferred: remote is allowed (this server is only listed as a backup).
    params = {"domain": "alice.test", "exchanger": "mx2.alice.test", "priority": "5"}
    body = call(client, "add_mx", {**params, "alwaysaccept": "remote"}, people.alice)
    assert body["status"] == 0
    assert "nothing was changed" in body["errors"][0]
    assert data_state(api_settings) == before


def test_change_mx_replaces_exactly_the_old_record(
    client: Client, people: People, api_service: Service
) -> None:
    api_service.add_mx("alice.test", 20, "mx2.alice.test", actor=OPERATOR)
    params = {
        "domain": "alice.test",
        "oldexchanger": "mx2.alice.test",
        "oldpriority": "20",
        "exchanger": "mx3.alice.test",
        "priority": "30",
    }
    body = call(client, "change_mx", params, people.alice)
    summary = "Changed MX 20 mx2.alice.test to 30 mx3.alice.test. Routing stays local."
    assert body == success(
        {
            "checkmx": local_checkmx(1, []),
            "results": summary,
            "status": 1,
            "statusmsg": summary,
        }
    )
    assert mx_of(api_service, "alice.test") == {(10, SELF), (30, "mx3.alice.test")}


def test_change_mx_without_oldpriority_matches_the_exchanger(
    client: Client, people: People, api_service: Service
) -> None:
    params = {"domain": "alice.test", "oldexchanger": SELF, "exchanger": SELF, "priority": "5"}
    assert call(client, "change_mx", params, people.alice)["status"] == 1
    assert mx_of(api_service, "alice.test") == {(5, SELF)}


def test_change_mx_never_falls_back_to_matching_the_priority_alone(
    client: Client, people: People, api_service: Service, api_settings: Settings
) -> None:
    # cPanel would overwrite "20 mx2" here, because its priority matches.
    api_service.add_mx("alice.test", 20, "mx2.alice.test", actor=OPERATOR)
    before = data_state(api_settings)
    params = {
        "domain": "alice.test",
        "oldexchanger": "mx9.alice.test",
        "oldpriority": "20",
        "exchanger": "mx3.alice.test",
        "priority": "20",
    }
    message = refused(call(client, "change_mx", params, people.alice))
    assert message.startswith("There is no MX record '20 mx9.alice.test'")
    params.update(oldexchanger="mx2.alice.test", oldpriority="25")
    message = refused(call(client, "change_mx", params, people.alice))
    assert message.startswith("There is no MX record '25 mx2.alice.test'")
    assert data_state(api_settings) == before


def test_change_mx_of_an_exchanger_at_two_priorities_needs_the_old_priority(
    client: Client, people: People, api_service: Service
) -> None:
    api_service.add_mx("alice.test", 20, SELF, actor=OPERATOR)
    params = {"domain": "alice.test", "oldexchanger": SELF, "exchanger": SELF, "priority": "30"}
    assert "say which one you mean" in refused(call(client, "change_mx", params, people.alice))
    params["oldpriority"] = "20"
    assert call(client, "change_mx", params, people.alice)["status"] == 1
    assert mx_of(api_service, "alice.test") == {(10, SELF), (30, SELF)}


def test_change_mx_with_alwaysaccept_sets_the_mode_too(
    client: Client, people: People, api_service: Service
) -> None:
    params = {
        "domain": "alice.test",
        "oldexchanger": SELF,
        "exchanger": SELF,
        "priority": "5",
        "alwaysaccept": "local",
    }
    body = call(client, "change_mx", params, people.alice)
    assert body["data"]["checkmx"] == local_checkmx(1, [], mxcheck="local")
    assert api_service.show("alice.test").mode is Mode.LOCAL


def test_delete_mx_deletes_the_record_even_at_priority_0(
    client: Client, people: People, api_service: Service
) -> None:
    api_service.add_mx("alice.test", 0, "mx0.alice.test", actor=OPERATOR)
    params = {"domain": "alice.test", "exchanger": "mx0.alice.test", "priority": "0"}
    body = call(client, "delete_mx", params, people.alice)
    # mx0.alice.test has an address and was preferred: this server was its backup.
    summary = "Deleted MX 0 mx0.alice.test. Routing changed from backup to local."
    moved = (
        "Routing of alice.test is automatic, so this change moves it from backup to local: "
        "this server will deliver its mail into local mailboxes."
    )
    assert body == success(
        {
            "checkmx": local_checkmx(1, [moved]),
            "results": summary,
            "status": 1,
            "statusmsg": summary,
        }
    )
    assert mx_of(api_service, "alice.test") == {(10, SELF)}


def test_deleting_the_last_record_leaves_the_implicit_mx(
    client: Client, people: People, api_service: Service
) -> None:
    params = {"domain": "alice.test", "exchanger": SELF, "priority": "10"}
    refusal = refused(call(client, "delete_mx", params, people.alice))
    assert refusal.startswith("alice.test has no MX records and no address of its own")
    # Forced, the implicit MX (the domain itself) is all that is left.
    body = call(client, "delete_mx", {**params, "force": "1"}, people.alice)
    assert body["status"] == 1
    assert api_service.show("alice.test").snapshot.mx == MXSet()


# ----- set_always_accept -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "mode"),
    [
        ({"mxcheck": "local"}, Mode.LOCAL),
        ({"mxcheck": "secondary"}, Mode.BACKUP),
        ({"mxcheck": "backup"}, Mode.BACKUP),
        ({"mxcheck": "Remote"}, Mode.REMOTE),
        ({"alwaysaccept": "remote"}, Mode.REMOTE),
        ({"alwaysaccept": "1"}, Mode.LOCAL),
        ({"mxcheck": "1"}, Mode.LOCAL),
        ({"mxcheck": "local", "alwaysaccept": "1"}, Mode.LOCAL),
        ({"mxcheck": "secondary", "alwaysaccept": "backup"}, Mode.BACKUP),
    ],
)
def test_set_always_accept_takes_every_spelling_of_a_mode(
    client: Client, people: People, api_service: Service, params: dict[str, str], mode: Mode
) -> None:
    # The records keep this server the primary, so backup and remote are forced.
    wanted = {"domain": "alice.test", **params, "force": "1"}
    body = call(client, "set_always_accept", wanted, people.alice)
    assert body["status"] == 1, body
    checkmx = body["data"]["checkmx"]
    assert (checkmx["mxcheck"], checkmx["detected"]) == (mode.cpanel, mode.cpanel)
    assert checkmx["isprimary"] == 1  # the records still make this server the primary
    assert api_service.show("alice.test").mode is mode


def test_set_always_accept_auto_follows_the_records_again(
    client: Client, people: People, api_service: Service
) -> None:
    api_service.set_mode("alice.test", Mode.REMOTE, actor=OPERATOR, force=True)
    body = call(client, "set_always_accept", {"domain": "alice.test", "mxcheck": "0"}, people.alice)
    summary = "Set routing to auto. Routing changed from remote to local."
    assert body == success(
        {"checkmx": local_checkmx(1, []), "results": summary, "status": 1, "statusmsg": summary}
    )


def test_set_always_accept_to_the_current_mode_changes_and_records_nothing(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    body = call(
        client, "set_always_accept", {"domain": "alice.test", "mxcheck": "auto"}, people.alice
    )
    assert body["data"]["checkmx"]["changed"] == 0
    assert data_state(api_settings)[2] == before[2]


def test_set_always_accept_refuses_mxcheck_and_alwaysaccept_that_disagree(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    params = {"domain": "alice.test", "mxcheck": "remote", "alwaysaccept": "1"}
    message = refused(call(client, "set_always_accept", params, people.alice))
    assert message == (
        "The call sends mxcheck and alwaysaccept with different modes (local and remote); "
        "send only mxcheck."
    )
    assert data_state(api_settings) == before


# ----- refusals ----------------------------------------------------------------------------

ADD = {"domain": "alice.test", "exchanger": "mx2.alice.test", "priority": "20"}


@pytest.mark.parametrize(
    ("function", "params", "expected"),
    [
        ("add_mx", {**ADD, "domain": ""}, "The parameter 'domain' is missing"),
        ("add_mx", {"domain": "alice.test", "priority": "20"}, "'exchanger' is missing"),
        ("add_mx", {"domain": "alice.test", "exchanger": "mx.a.test"}, "'priority' is missing"),
        ("add_mx", {**ADD, "exchanger": "192.0.2.7"}, "'192.0.2.7' is an IP address"),
        ("add_mx", {**ADD, "exchanger": "2001:db8::7"}, "is an IP address"),
        ("add_mx", {**ADD, "priority": "65536"}, "The priority 65536 is out of range"),
        ("add_mx", {**ADD, "priority": "-1"}, "The priority -1 is out of range"),
        ("add_mx", {**ADD, "priority": "ten"}, "'ten' is not a plain whole number"),
        ("add_mx", {**ADD, "exchanger": "mx .alice.test"}, "contains a character"),
        ("add_mx", {**ADD, "domain": "not a domain"}, "The domain 'not a domain'"),
        ("add_mx", {**ADD, "exchanger": SELF, "priority": "10"}, "is already in this domain"),
        ("add_mx", {**ADD, "preference": "30"}, "sends preference and priority with different"),
        ("add_mx", {**ADD, "exchange": "mx9.alice.test"}, "sends exchange and exchanger"),
        ("change_mx", {**ADD}, "The parameter 'oldexchanger' is missing"),
        (
            "change_mx",
            {**ADD, "oldexchanger": SELF, "oldpriority": "70000"},
            "The priority 70000 is out of range",
        ),
        ("change_mx", {**ADD, "oldexchanger": "10.0.0.1"}, "is an IP address"),
        ("delete_mx", {"domain": "alice.test", "exchanger": SELF}, "'priority' is missing"),
        ("delete_mx", {**ADD, "exchanger": SELF, "priority": "11"}, "no MX record '11 mx.self"),
        ("set_always_accept", {"domain": "alice.test"}, "The parameter 'mxcheck' is missing"),
        ("set_always_accept", {"domain": "alice.test", "mxcheck": "2"}, "'2' is not known"),
        ("list_mxs", {"domain": "-bad-.test"}, "The domain '-bad-.test'"),
    ],
)
def test_a_refused_call_answers_status_0_with_one_reason_and_changes_nothing(
    client: Client,
    people: People,
    api_settings: Settings,
    function: str,
    params: dict[str, str],
    expected: str,
) -> None:
    before = data_state(api_settings)
    message = refused(call(client, function, params, people.alice))
    assert expected in message
    assert message.endswith(".")
    assert data_state(api_settings) == before


def test_a_parameter_sent_twice_with_different_values_is_refused(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    query = urlencode([*ADD.items(), ("priority", "30")])
    response = client.post("/execute/Email/add_mx", query, content_type=FORM, **people.alice.cpanel)
    assert "sends 'priority' more than once" in refused(response.json())
    assert data_state(api_settings) == before


def test_an_unknown_function_or_module_is_a_refused_call(client: Client, people: People) -> None:
    message = refused(call(client, "add_mxs", {}, people.alice))
    assert message.startswith("Email::add_mxs is not a function mxroute offers")
    assert "Email::set_always_accept" in message
    response = client.post("/execute/DNS/parse_zone", {}, **people.alice.cpanel)
    assert response.status_code == 200
    assert refused(response.json()).startswith("DNS::parse_zone is not a function")


def test_another_method_than_get_or_post_is_refused_in_json(client: Client, people: People) -> None:
    response = client.put("/execute/Email/list_mxs", **people.alice.cpanel)
    assert (response.status_code, response["Allow"]) == (405, "GET, POST")
    assert refused(response.json()) == "Call UAPI functions by GET or POST."


def test_an_unexpected_failure_answers_json_too(
    client: Client, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Service, "add_mx", broken)
    response = client.post("/execute/Email/add_mx", ADD, **people.alice.cpanel)
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    message = refused(response.json())
    assert "unexpectedly" in message
    assert "fire" not in message


# ----- credentials -------------------------------------------------------------------------


def test_a_call_without_credentials_is_401_in_json_and_changes_nothing(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    response = client.post("/execute/Email/add_mx", ADD)
    assert (response.status_code, response["Content-Type"]) == (401, "application/json")
    assert refused(response.json()).startswith("This call needs credentials")
    # No Basic challenge: a browser must never prompt and then replay a password.
    assert response["WWW-Authenticate"] == 'cpanel realm="mxroute", Bearer realm="mxroute"'
    assert data_state(api_settings)[2] == before[2]
    assert mx_of(Service(api_settings), "alice.test") == {(10, SELF)}


@pytest.mark.parametrize(
    "header",
    [
        "cpanel alice:WRONGTOKENWRONGTOKENWRONGTOKEN12",
        "cpanel bob:{alice}",
        "Bearer WRONG",
        "Basic YWxpY2U6d3Jvbmc=",  # alice:wrong
        "Basic !!!",
        "Token {alice}",
        "cpanel {alice}",
    ],
)
def test_wrong_or_malformed_credentials_are_401(
    client: Client, people: People, header: str
) -> None:
    authorization = header.replace("{alice}", people.alice.token)
    response = client.post("/execute/Email/list_mxs", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert response.json()["status"] == 0


def test_a_revoked_token_is_401(client: Client, people: People) -> None:
    accounts.revoke_token("alice", "alice-script")
    response = client.post("/execute/Email/list_mxs", **people.alice.cpanel)
    assert response.status_code == 401


def test_bearer_and_basic_credentials_work_too(client: Client, people: People) -> None:
    for headers in (people.alice.bearer, people.alice.basic):
        response = client.post("/execute/Email/list_mxs", **headers)
        assert response.status_code == 200
        assert [d["domain"] for d in response.json()["data"]] == ["alice.test", "alice2.test"]


def test_repeated_failures_are_throttled_with_429_and_retry_after(
    client: Client, people: People
) -> None:
    wrong = Person("alice", "WRONGTOKENWRONGTOKENWRONGTOKEN12", "none")
    statuses = [
        client.post("/execute/Email/list_mxs", **wrong.cpanel).status_code
        for _ in range(accounts.MAX_FAILURES_PER_ADDRESS)
    ]
    assert statuses == [401] * accounts.MAX_FAILURES_PER_ADDRESS
    response = client.post("/execute/Email/list_mxs", **people.alice.cpanel)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert refused(response.json()).startswith("Too many failed log-ins")


# ----- history -----------------------------------------------------------------------------


def test_every_change_is_recorded_as_uapi_with_the_token_name(
    client: Client, people: People, api_service: Service
) -> None:
    call(client, "add_mx", ADD, people.alice)
    params = {**ADD, "oldexchanger": "mx2.alice.test", "priority": "25"}
    call(client, "change_mx", params, people.alice)
    call(client, "delete_mx", {**ADD, "priority": "25"}, people.alice)
    call(client, "set_always_accept", {"domain": "alice.test", "mxcheck": "local"}, people.alice)
    response = client.post(
        "/execute/Email/set_always_accept",
        {"domain": "alice.test", "mxcheck": "auto"},
        **people.alice.basic,
    )
    assert response.json()["status"] == 1
    history = api_service.history("alice.test", limit=5)
    assert [(h.action, h.interface, h.actor, h.token_name) for h in history] == [
        ("set_mode", "uapi", "alice", ""),
        ("set_mode", "uapi", "alice", "alice-script"),
        ("delete_mx", "uapi", "alice", "alice-script"),
        ("change_mx", "uapi", "alice", "alice-script"),
        ("add_mx", "uapi", "alice", "alice-script"),
    ]


# ----- the wire, as cPanel clients use it --------------------------------------------------


class CpanelStyleClient:
    """What the ``cpanel-api`` client does: POST a form to the exact path, follow nothing,
    raise on 401 and on anything that is not JSON, hand any JSON back to the script."""

    def __init__(self, client: Client, who: Person) -> None:
        self.client = client
        self.authorization = f"cpanel {who.username}:{who.token}"

    def uapi(self, module: str, function: str, **params: str) -> dict[str, Any]:
        response = self.client.post(
            f"/execute/{module}/{function}",
            urlencode(params),
            content_type=FORM,
            follow=False,
            HTTP_AUTHORIZATION=self.authorization,
        )
        if response.status_code == 401:
            raise PermissionError("unauthorized")
        assert response.status_code < 300, f"a client would fail on {response.status_code}"
        assert response["Content-Type"] == "application/json"
        result: dict[str, Any] = json.loads(response.content)
        return result


def test_a_cpanel_style_script_runs_unchanged(
    people: People, api_service: Service, settings: Any
) -> None:
    settings.APPEND_SLASH = True  # what could redirect; the exact path must not be
    script = CpanelStyleClient(Client(enforce_csrf_checks=True), people.alice)
    added = script.uapi(
        "Email", "add_mx", domain="alice.test", exchanger="mx2.alice.test", priority="20"
    )
    assert added["status"] == 1
    changed = script.uapi(
        "Email",
        "change_mx",
        domain="alice.test",
        oldexchanger="mx2.alice.test",
        oldpriority="20",
        exchanger="mx2.alice.test",
        priority="15",
    )
    assert changed["status"] == 1
    listed = script.uapi("Email", "list_mxs", domain="alice.test")
    assert [(e["priority"], e["mx"]) for e in listed["data"][0]["entries"]] == [
        (10, SELF),
        (15, "mx2.alice.test"),
    ]
    # This server is still the most preferred exchanger (backup_most_preferred): forced.
    moded = script.uapi(
        "Email", "set_always_accept", domain="alice.test", mxcheck="secondary", force="1"
    )
    assert moded["status"] == 1
    deleted = script.uapi(
        "Email", "delete_mx", domain="alice.test", exchanger="mx2.alice.test", priority="15"
    )
    assert deleted["data"]["checkmx"]["mxcheck"] == "secondary"
    assert mx_of(api_service, "alice.test") == {(10, SELF)}
    bad = CpanelStyleClient(Client(), Person("alice", "WRONG", "none"))
    with pytest.raises(PermissionError):
        bad.uapi("Email", "list_mxs")


@pytest.mark.parametrize("path", ["/execute/Email/list_mxs", "/execute/Email/list_mxs/"])
def test_the_path_answers_json_with_or_without_a_trailing_slash_never_a_redirect(
    people: People, path: str
) -> None:
    response = Client().post(path, {}, follow=False, **people.alice.cpanel)
    assert (response.status_code, response["Content-Type"]) == (200, "application/json")


def test_get_with_a_query_and_multipart_post_work_as_well(
    client: Client, people: People, api_service: Service
) -> None:
    got = client.get("/execute/Email/list_mxs", {"domain": "alice2.test"}, **people.alice.cpanel)
    assert [d["domain"] for d in got.json()["data"]] == ["alice2.test"]
    posted = client.post(  # the test client's default body is multipart/form-data
        "/execute/Email/add_mx", ADD, **people.alice.cpanel
    )
    assert posted.json()["status"] == 1
    path = "/execute/Email/delete_mx?" + urlencode(ADD)
    query = client.post(path, "", content_type=FORM, **people.alice.cpanel)
    assert query.json()["status"] == 1
    assert mx_of(api_service, "alice.test") == {(10, SELF)}


def test_the_admin_reaches_every_domain(client: Client, people: People) -> None:
    body = call(client, "list_mxs", {}, people.admin)
    assert [d["domain"] for d in body["data"]] == ["alice.test", "alice2.test", "bob.test"]
    params = {"domain": "bob.test", "exchanger": "mx2.bob.test", "priority": "20"}
    assert call(client, "add_mx", params, people.admin)["status"] == 1


def test_records_keep_their_form_in_the_zone(
    client: Client, people: People, api_settings: Settings
) -> None:
    call(client, "add_mx", {**ADD, "exchanger": "MX2.Alice.Test."}, people.alice)
    text = (api_settings.zones_dir / "alice.test.zone").read_text()
    assert "MX\t20 mx2.alice.test." in text
    assert MXRecord(20, "mx2.alice.test") in Service(api_settings).show("alice.test").snapshot.mx
