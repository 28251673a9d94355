"""cPanel API 2 ``/json-api/cpanel``, module Email: functions, legacy names, envelope,
refusals, credentials, history and isolation between accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from mxroute import accounts
from mxroute.config import Settings
from mxroute.core.routing import Mode
from mxroute.service import OPERATOR, Service
from tests.api.conftest import SELF, People, Person, data_state, local_checkmx, mx_of

FORM = "application/x-www-form-urlencoded"


def call(
    client: Client, func: str, params: dict[str, str], who: Person, *, status: int = 200
) -> dict[str, Any]:
    """POST an API 2 Email call as old scripts do; the ``cpanelresult`` of the answer."""
    form = {
        "cpanel_jsonapi_apiversion": "2",
        "cpanel_jsonapi_module": "Email",
        "cpanel_jsonapi_func": func,
        **params,
    }
    response = client.post(
        "/json-api/cpanel", urlencode(form), content_type=FORM, follow=False, **who.cpanel
    )
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["cpanelresult"]
    result: dict[str, Any] = body["cpanelresult"]
    return result


def ok(func: str, data: list[Any]) -> dict[str, Any]:
    return {
        "apiversion": 2,
        "module": "Email",
        "func": func,
        "event": {"result": 1},
        "data": data,
    }


def failed(func: str, message: str, module: str = "Email") -> dict[str, Any]:
    return {
        "apiversion": 2,
        "module": module,
        "func": func,
        "event": {"result": 0, "reason": message},
        "error": message,
        "data": [{"result": 0, "reason": message, "status": 0, "statusmsg": message}],
    }


# ----- each function -----------------------------------------------------------------------


@pytest.mark.parametrize("func", ["listmxs", "listmx"])
def test_listmxs_and_listmx_answer_the_uapi_list_in_the_api2_envelope(
    client: Client, people: People, func: str
) -> None:
    result = call(client, func, {"domain": "alice2.test"}, people.alice)
    uapi = client.post("/execute/Email/list_mxs", {"domain": "alice2.test"}, **people.alice.cpanel)
    assert result == ok(func, uapi.json()["data"])
    assert result["data"][0]["entries"] == [
        {"domain": "alice2.test", "mx": SELF, "priority": 10, "entrycount": 1, "row": "odd"}
    ]
    everything = call(client, func, {}, people.alice)
    assert [d["domain"] for d in everything["data"]] == ["alice.test", "alice2.test"]


@pytest.mark.parametrize(
    "names",
    [
        {"exchanger": "mx2.alice.test", "priority": "20"},
        {"exchange": "mx2.alice.test", "preference": "20"},
        {"newmx": "mx2.alice.test", "preference": "20"},
        {"exchange": "mx2.alice.test", "priority": "20", "exchanger": "mx2.alice.test"},
    ],
)
def test_addmx_takes_legacy_and_current_parameter_names(
    client: Client, people: People, api_service: Service, names: dict[str, str]
) -> None:
    result = call(client, "addmx", {"domain": "alice.test", **names}, people.alice)
    summary = "Added MX 20 mx2.alice.test. Routing stays local."
    assert result == ok(
        "addmx",
        [
            {
                "checkmx": local_checkmx(1, []),
                "results": summary,
                "status": 1,
                "statusmsg": summary,
            }
        ],
    )
    assert mx_of(api_service, "alice.test") == {(10, SELF), (20, "mx2.alice.test")}


def test_addmx_with_alwaysaccept_sets_the_mode_too(
    client: Client, people: People, api_service: Service
) -> None:
    params = {"domain": "alice.test", "exchange": SELF, "preference": "0", "alwaysaccept": "local"}
    result = call(client, "addmx", params, people.alice)
    assert result["data"][0]["checkmx"]["mxcheck"] == "local"
    assert api_service.show("alice.test").mode is Mode.LOCAL


@pytest.mark.parametrize(
    "names",
    [
        {"oldexchange": "mx2.alice.test", "oldpreference": "20", "exchange": "mx3.alice.test"},
        {"oldmx": "mx2.alice.test", "newmx": "mx3.alice.test"},
        {"oldexchanger": "mx2.alice.test", "oldpriority": "20", "exchanger": "mx3.alice.test"},
    ],
)
def test_changemx_takes_legacy_names_and_matches_the_old_record_exactly(
    client: Client, people: People, api_service: Service, names: dict[str, str]
) -> None:
    api_service.add_mx("alice.test", 20, "mx2.alice.test", actor=OPERATOR)
    result = call(
        client, "changemx", {"domain": "alice.test", "preference": "30", **names}, people.alice
    )
    assert result["event"] == {"result": 1}
    assert result["data"][0]["statusmsg"].startswith(
        "Changed MX 20 mx2.alice.test to 30 mx3.alice.test."
    )
    assert mx_of(api_service, "alice.test") == {(10, SELF), (30, "mx3.alice.test")}


def test_changemx_refuses_an_old_record_that_is_not_there(
    client: Client, people: People, api_service: Service, api_settings: Settings
) -> None:
    api_service.add_mx("alice.test", 20, "mx2.alice.test", actor=OPERATOR)
    before = data_state(api_settings)
    params = {
        "domain": "alice.test",
        "oldexchange": "mx9.alice.test",
        "oldpreference": "20",
        "exchange": "mx3.alice.test",
        "preference": "20",
    }
    result = call(client, "changemx", params, people.alice)
    assert result == failed("changemx", result["error"])
    assert result["error"].startswith("There is no MX record '20 mx9.alice.test'")
    assert data_state(api_settings) == before


def test_delmx_deletes_by_legacy_names(
    client: Client, people: People, api_service: Service
) -> None:
    api_service.add_mx("alice.test", 0, "mx0.alice.test", actor=OPERATOR)
    params = {"domain": "alice.test", "exchange": "mx0.alice.test", "preference": "0"}
    result = call(client, "delmx", params, people.alice)
    # mx0.alice.test has an address and was preferred: this server was its backup.
    summary = "Deleted MX 0 mx0.alice.test. Routing changed from backup to local."
    moved = (
        "Routing of alice.test is automatic, so this change moves it from backup to local: "
        "this server will deliver its mail into local mailboxes."
    )
    assert result == ok(
        "delmx",
        [
            {
                "checkmx": local_checkmx(1, [moved]),
                "results": summary,
                "status": 1,
                "statusmsg": summary,
            }
        ],
    )
    assert mx_of(api_service, "alice.test") == {(10, SELF)}


@pytest.mark.parametrize("func", ["setmxcheck", "setalwaysaccept"])
@pytest.mark.parametrize(
    ("params", "mode"),
    [
        ({"mxcheck": "secondary"}, Mode.BACKUP),
        ({"mxcheck": "backup"}, Mode.BACKUP),
        ({"alwaysaccept": "1"}, Mode.LOCAL),
        ({"mxcheck": "remote", "alwaysaccept": "remote"}, Mode.REMOTE),
    ],
)
def test_setmxcheck_and_setalwaysaccept_choose_the_mode(
    client: Client,
    people: People,
    api_service: Service,
    func: str,
    params: dict[str, str],
    mode: Mode,
) -> None:
    # A more preferred exchanger makes this server a backup: every mode may be chosen.
    api_service.add_mx("alice.test", 5, "mx1.alice.test", actor=OPERATOR)
    result = call(client, func, {"domain": "alice.test", **params}, people.alice)
    assert result["event"] == {"result": 1}
    [data] = result["data"]
    assert (data["checkmx"]["mxcheck"], data["checkmx"]["detected"]) == (mode.cpanel, mode.cpanel)
    assert api_service.show("alice.test").mode is mode


@pytest.mark.parametrize("func", ["setmxcheck", "setalwaysaccept"])
def test_set_refuses_mxcheck_and_alwaysaccept_that_disagree(
    client: Client, people: People, api_settings: Settings, func: str
) -> None:
    before = data_state(api_settings)
    params = {"domain": "alice.test", "mxcheck": "secondary", "alwaysaccept": "0"}
    message = (
        "The call sends mxcheck and alwaysaccept with different modes (auto and secondary); "
        "send only mxcheck."
    )
    assert call(client, func, params, people.alice) == failed(func, message)
    assert data_state(api_settings) == before


@pytest.mark.parametrize("func", ["getmxcheck", "getalwaysaccept"])
def test_getmxcheck_and_getalwaysaccept_tell_the_stored_setting(
    client: Client, people: People, api_service: Service, func: str
) -> None:
    expected = {"domain": "alice.test", "mxcheck": "auto", "alwaysaccept": 1}
    assert call(client, func, {"domain": "alice.test"}, people.alice) == ok(func, [expected])
    api_service.add_mx("alice.test", 5, "mx1.alice.test", actor=OPERATOR)  # a primary
    api_service.set_mode("alice.test", Mode.BACKUP, actor=OPERATOR)
    expected = {"domain": "alice.test", "mxcheck": "secondary", "alwaysaccept": 0}
    assert call(client, func, {"domain": "alice.test"}, people.alice) == ok(func, [expected])


# ----- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "params", "expected"),
    [
        ("addmx", {"domain": "alice.test", "exchange": "192.0.2.9", "preference": "5"}, "an IP"),
        (
            "addmx",
            {"domain": "alice.test", "exchange": "mx.a.test", "preference": "70000"},
            "70000",
        ),
        ("addmx", {"domain": "alice.test", "exchange": "mx.a.test"}, "'priority' is missing"),
        ("delmx", {"domain": "alice.test", "exchange": SELF}, "'priority' is missing"),
        ("changemx", {"domain": "alice.test", "exchange": SELF, "preference": "5"}, "'oldexch"),
        ("getmxcheck", {}, "The parameter 'domain' is missing"),
        ("setmxcheck", {"domain": "alice.test", "mxcheck": "sometimes"}, "is not known"),
        ("listmxs", {"domain": "a..test"}, "The domain 'a..test'"),
    ],
)
def test_a_refused_call_has_event_result_0_and_the_reason_and_changes_nothing(
    client: Client,
    people: People,
    api_settings: Settings,
    func: str,
    params: dict[str, str],
    expected: str,
) -> None:
    before = data_state(api_settings)
    result = call(client, func, params, people.alice)
    assert result == failed(func, result["error"])
    assert expected in result["error"]
    assert data_state(api_settings) == before


def test_a_mismatching_cpanel_jsonapi_user_is_refused(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    params = {"cpanel_jsonapi_user": "bob", "domain": "alice.test", "mxcheck": "local"}
    result = call(client, "setmxcheck", params, people.alice)
    assert result == failed(
        "setmxcheck",
        "The call names the cPanel user 'bob' but its credentials are those of 'alice'; send "
        "your own user name, or none.",
    )
    assert data_state(api_settings) == before
    params["cpanel_jsonapi_user"] = "alice"
    assert call(client, "setmxcheck", params, people.alice)["event"] == {"result": 1}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"cpanel_jsonapi_apiversion": "1"},
            "mxroute answers cPanel API 2 calls here; send cpanel_jsonapi_apiversion=2.",
        ),
        (
            {"cpanel_jsonapi_apiversion": ""},
            "mxroute answers cPanel API 2 calls here; send cpanel_jsonapi_apiversion=2.",
        ),
        (
            {"cpanel_jsonapi_func": "addpop"},
            "Email::addpop is not a function mxroute offers; it offers the Email functions "
            "listmxs, listmx, addmx, changemx, delmx, setmxcheck, setalwaysaccept, getmxcheck, "
            "getalwaysaccept.",
        ),
        (
            {"cpanel_jsonapi_module": "Mysql"},
            "Mysql::listmxs is not a function mxroute offers; it offers the Email functions "
            "listmxs, listmx, addmx, changemx, delmx, setmxcheck, setalwaysaccept, getmxcheck, "
            "getalwaysaccept.",
        ),
    ],
)
def test_other_versions_modules_and_functions_are_refused(
    client: Client, people: People, overrides: dict[str, str], message: str
) -> None:
    form = {
        "cpanel_jsonapi_apiversion": "2",
        "cpanel_jsonapi_module": "Email",
        "cpanel_jsonapi_func": "listmxs",
        **overrides,
    }
    response = client.post("/json-api/cpanel", form, **people.alice.cpanel)
    assert response.status_code == 200
    result = response.json()["cpanelresult"]
    module, func = form["cpanel_jsonapi_module"], form["cpanel_jsonapi_func"]
    assert result == failed(func, message, module=module)


# ----- credentials, wire, history ----------------------------------------------------------


def test_missing_or_wrong_credentials_are_401_in_the_api2_envelope(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    nobody = Person("alice", "WRONGTOKENWRONGTOKENWRONGTOKEN12", "none")
    params = {"domain": "alice.test", "mxcheck": "remote"}
    result = call(client, "setmxcheck", params, nobody, status=401)
    assert result == failed("setmxcheck", result["error"])
    assert result["error"].startswith("The API token is wrong")
    response = client.post("/json-api/cpanel", {"cpanel_jsonapi_func": "listmxs"})
    assert response.status_code == 401
    assert response.json()["cpanelresult"]["error"].startswith("This call needs credentials")
    assert data_state(api_settings) == before


def test_throttled_callers_get_429(client: Client, people: People) -> None:
    nobody = Person("alice", "WRONGTOKENWRONGTOKENWRONGTOKEN12", "none")
    for _ in range(accounts.MAX_FAILURES_PER_ADDRESS):
        call(client, "listmxs", {}, nobody, status=401)
    result = call(client, "listmxs", {}, people.alice, status=429)
    assert result["error"].startswith("Too many failed log-ins")


def test_get_with_a_query_and_no_redirect_for_the_exact_path(
    client: Client, people: People
) -> None:
    query = {
        "cpanel_jsonapi_user": "alice",
        "cpanel_jsonapi_apiversion": "2",
        "cpanel_jsonapi_module": "Email",
        "cpanel_jsonapi_func": "listmxs",
        "domain": "alice.test",
    }
    for path in ("/json-api/cpanel", "/json-api/cpanel/"):
        response = client.get(path, query, follow=False, **people.alice.cpanel)
        assert (response.status_code, response["Content-Type"]) == (200, "application/json")
        assert response.json()["cpanelresult"]["data"][0]["domain"] == "alice.test"
    posted = Client(enforce_csrf_checks=True).post(
        "/json-api/cpanel?" + urlencode(query), follow=False, **people.alice.cpanel
    )
    assert posted.json()["cpanelresult"]["event"] == {"result": 1}


def test_every_change_is_recorded_as_api2_with_the_token_name(
    client: Client, people: People, api_service: Service
) -> None:
    mx2 = {"domain": "alice.test", "exchange": "mx2.alice.test"}
    call(client, "addmx", {**mx2, "preference": "20"}, people.alice)
    call(
        client,
        "changemx",
        {**mx2, "oldexchange": "mx2.alice.test", "preference": "25"},
        people.alice,
    )
    call(client, "delmx", {**mx2, "preference": "25"}, people.alice)
    call(client, "setalwaysaccept", {"domain": "alice.test", "mxcheck": "local"}, people.alice)
    history = api_service.history("alice.test", limit=4)
    assert [(h.action, h.interface, h.actor, h.token_name) for h in history] == [
        ("set_mode", "api2", "alice", "alice-script"),
        ("delete_mx", "api2", "alice", "alice-script"),
        ("change_mx", "api2", "alice", "alice-script"),
        ("add_mx", "api2", "alice", "alice-script"),
    ]


# ----- isolation ---------------------------------------------------------------------------


def every_call(zone: str) -> list[tuple[str, dict[str, str]]]:
    """Each API 2 function, with parameters that would succeed on ``zone``."""
    change = {"domain": zone, "oldexchange": SELF, "exchange": SELF, "preference": "5"}
    return [
        ("listmxs", {"domain": zone}),
        ("listmx", {"domain": zone}),
        ("addmx", {"domain": zone, "exchange": "mx2.bob.test", "preference": "20"}),
        ("changemx", change),
        ("delmx", {"domain": zone, "exchange": SELF, "preference": "10"}),
        ("setmxcheck", {"domain": zone, "mxcheck": "remote"}),
        ("setalwaysaccept", {"domain": zone, "alwaysaccept": "0"}),
        ("getmxcheck", {"domain": zone}),
        ("getalwaysaccept", {"domain": zone}),
    ]


@pytest.mark.parametrize(("func", "params"), every_call("alice.test"))
def test_bob_gets_the_answer_for_an_absent_domain_and_nothing_changes(
    client: Client,
    people: People,
    api_settings: Settings,
    func: str,
    params: dict[str, str],
) -> None:
    before = data_state(api_settings)
    for zone, who in (("alice.test", people.bob), ("alice2.test", people.alice_limited)):
        message = f"{zone} is not among the domains you manage; check the name in your domain list."
        assert call(client, func, {**params, "domain": zone}, who) == failed(func, message)
    message = "nosuch.test is not among the domains you manage; check the name in your domain list."
    absent = {**params, "domain": "nosuch.test"}
    assert call(client, func, absent, people.bob) == failed(func, message)
    assert data_state(api_settings) == before


def test_bob_lists_only_his_own_domains(client: Client, people: People) -> None:
    result = call(client, "listmxs", {}, people.bob)
    assert [d["domain"] for d in result["data"]] == ["bob.test"]
