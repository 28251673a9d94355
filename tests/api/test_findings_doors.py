"""Every door refuses a change whose findings say it would stop mail, writes nothing, and
makes it when forced; a dry run says which findings would refuse it.

Two risky changes of alice.test (this server is its only exchanger, at priority 10):
choosing remote (``remote_mail_loop``), and adding an MX for a name of the zone that
has no address there (``exchanger_missing_in_zone``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from mxroute.config import Settings
from mxroute.errors import Risky
from mxroute.service import OPERATOR, Service
from mxroute.store.models import Intent
from tests.api.conftest import People, Rest, data_state

FORM = "application/x-www-form-urlencoded"
ZONE = "alice.test"
MISSING = "nohost.alice.test"  # in the zone hosted here, which gives it no address
LOOP, ABSENT = "remote_mail_loop", "exchanger_missing_in_zone"
CODES = (LOOP, ABSENT)


def _zone_and_lists(settings: Settings) -> tuple[bytes, dict[str, bytes]]:
    zone = (settings.zones_dir / f"{ZONE}.zone").read_bytes()
    return zone, {p.name: p.read_bytes() for p in sorted(settings.lists_dir.iterdir())}


def _refused_then_forced(
    settings: Settings, send: Callable[[dict[str, Any]], Any], refused: Callable[[Any], None]
) -> Any:
    """``send`` without force is ``refused`` and writes nothing; forced, it is applied."""
    before, written = data_state(settings), _zone_and_lists(settings)
    refused(send({}))
    assert _zone_and_lists(settings) == written
    assert data_state(settings) == before  # no zone byte, list, row or history entry
    answer = send({"force": True})
    assert _zone_and_lists(settings) != written
    assert Intent.objects.order_by("-id").first().plan["forced"] is True  # type: ignore[union-attr]
    return answer


@pytest.mark.parametrize("code", CODES)
def test_the_service_raises_risky_unless_forced(
    api_service: Service, api_settings: Settings, people: People, code: str
) -> None:
    def send(**how: Any) -> Any:
        if code == LOOP:
            return api_service.set_mode(ZONE, "remote", actor=OPERATOR, **how)
        return api_service.add_mx(ZONE, 20, MISSING, actor=OPERATOR, **how)

    before, written = data_state(api_settings), _zone_and_lists(api_settings)
    preview = send(dry_run=True)
    assert [f.code for f in preview.blocking] == [code] and not preview.forced
    with pytest.raises(Risky) as refusal:
        send()
    assert refusal.value.code == "risky_change"
    assert [f.code for f in refusal.value.findings] == [code]
    assert f"Nothing was changed in {ZONE}" in refusal.value.message
    assert (data_state(api_settings), _zone_and_lists(api_settings)) == (before, written)
    done = send(force=True)
    assert done.forced and [f.code for f in done.blocking] == [code]
    assert _zone_and_lists(api_settings) != written
    assert Intent.objects.order_by("-id").first().plan["forced"] is True  # type: ignore[union-attr]


def _rest(rest: Rest, people: People, code: str, extra: dict[str, Any]) -> Any:
    if code == LOOP:
        return rest.call(
            "PUT", f"/domains/{ZONE}/routing", people.alice, {"mode": "remote", **extra}
        )
    body = {"priority": 20, "exchanger": MISSING, **extra}
    return rest.call("POST", f"/domains/{ZONE}/mx", people.alice, body)


@pytest.mark.parametrize("code", CODES)
def test_rest_answers_422_unless_forced(
    rest: Rest, people: People, api_settings: Settings, code: str
) -> None:
    def refused(answer: Any) -> None:
        assert answer.status_code == 422
        errors = answer.json()["errors"]
        assert [e["code"] for e in errors] == ["risky_change", code]
        assert f"Nothing was changed in {ZONE}" in errors[0]["message"]

    before = data_state(api_settings)
    preview = _rest(rest, people, code, {"dry_run": True})
    assert preview.status_code == 200
    assert preview.json()["refused_unless_forced"] == [code]
    assert data_state(api_settings) == before
    done = _refused_then_forced(api_settings, lambda how: _rest(rest, people, code, how), refused)
    assert done.status_code == (200 if code == LOOP else 201)
    assert done.json()["forced"] is True


def _uapi(client: Client, people: People, code: str, extra: dict[str, str]) -> Any:
    if code == LOOP:
        function, params = "set_always_accept", {"domain": ZONE, "mxcheck": "remote"}
    else:
        function, params = "add_mx", {"domain": ZONE, "exchanger": MISSING, "priority": "20"}
    response = client.post(
        f"/execute/Email/{function}",
        urlencode({**params, **extra}),
        content_type=FORM,
        **people.alice.cpanel,
    )
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("code", CODES)
def test_uapi_answers_status_0_unless_forced(
    client: Client, people: People, api_settings: Settings, code: str
) -> None:
    def refused(body: Any) -> None:
        assert (body["status"], body["data"]) == (0, None)
        [message] = body["errors"]
        assert f"Nothing was changed in {ZONE}" in message

    before = data_state(api_settings)
    preview = _uapi(client, people, code, {"dry_run": "1"})
    assert preview["status"] == 1 and preview["data"]["dry_run"] == 1
    assert preview["data"]["refused_unless_forced"] == [code]
    assert data_state(api_settings) == before
    done = _refused_then_forced(
        api_settings,
        lambda how: _uapi(client, people, code, {"force": "1"} if how else {}),
        refused,
    )
    assert done["status"] == 1


@pytest.mark.parametrize("code", CODES)
def test_api2_answers_event_result_0_unless_forced(
    client: Client, people: People, api_settings: Settings, code: str
) -> None:
    if code == LOOP:
        params = {"cpanel_jsonapi_func": "setmxcheck", "domain": ZONE, "mxcheck": "remote"}
    else:
        params = {
            "cpanel_jsonapi_func": "addmx",
            "domain": ZONE,
            "exchange": MISSING,
            "preference": "20",
        }

    def send(how: dict[str, Any]) -> Any:
        form = {
            "cpanel_jsonapi_apiversion": "2",
            "cpanel_jsonapi_module": "Email",
            **params,
            **({"force": "1"} if how else {}),
        }
        response = client.post(
            "/json-api/cpanel", urlencode(form), content_type=FORM, **people.alice.cpanel
        )
        assert response.status_code == 200
        return response.json()["cpanelresult"]

    def refused(result: Any) -> None:
        assert result["event"]["result"] == 0
        assert f"Nothing was changed in {ZONE}" in result["event"]["reason"]

    done = _refused_then_forced(api_settings, send, refused)
    assert done["event"] == {"result": 1}
