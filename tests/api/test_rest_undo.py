"""POST /api/v1/changes/{id}/undo: the undo as a change of its own, its preview, and its
refusals in the API's error shape."""

from __future__ import annotations

from mxroute.config import Settings
from mxroute.service import OPERATOR, Service
from mxroute.store.models import Change
from tests.api.conftest import SELF, People, Rest, data_state, mx_of

ADD = {"priority": 20, "exchanger": "mx2.alice.test"}


def _add(rest: Rest, people: People) -> int:
    """alice adds a record through the API; the id of its history entry."""
    assert rest.call("POST", "/domains/alice.test/mx", people.alice, ADD).status_code == 201
    [entry, *_] = rest.call("GET", "/domains/alice.test/history", people.alice).json()["changes"]
    assert entry["action"] == "add_mx" and entry["undoes"] is None
    return int(entry["id"])


def test_an_undo_without_a_body_puts_back_what_the_change_changed(
    rest: Rest, people: People, api_service: Service
) -> None:
    change = _add(rest, people)
    answer = rest.call("POST", f"/changes/{change}/undo", people.alice)
    assert answer.status_code == 200
    done = answer.json()
    assert (done["action"], done["changed"], done["dry_run"]) == ("undo", True, False)
    assert done["summary"].startswith(f"Undid change {change}: removed MX 20 mx2.alice.test.")
    assert done["serial_after"] > done["serial_before"]
    assert mx_of(api_service, "alice.test") == {(10, SELF)}
    [entry, *_] = rest.call("GET", "/domains/alice.test/history", people.alice).json()["changes"]
    assert (entry["action"], entry["undoes"], entry["interface"]) == ("undo", change, "api")
    assert entry["token_name"] == "alice-script"


def test_an_undo_previews_then_applies_its_plan(
    rest: Rest, people: People, api_settings: Settings, api_service: Service
) -> None:
    change = _add(rest, people)
    before = data_state(api_settings)
    preview = rest.call("POST", f"/changes/{change}/undo", people.alice, {"dry_run": True})
    assert preview.status_code == 200
    plan = preview.json()
    assert plan["dry_run"] is True
    assert plan["zone_lines_removed"] == ["@ IN MX 20 mx2.alice.test."]
    assert data_state(api_settings) == before
    applied = rest.call(
        "POST",
        f"/changes/{change}/undo",
        people.alice,
        {"plan": plan["fingerprint"], "force": False},
    )
    assert applied.status_code == 200
    assert applied.json()["fingerprint"] == plan["fingerprint"]
    assert mx_of(api_service, "alice.test") == {(10, SELF)}


def test_an_undo_that_would_overwrite_a_newer_change_is_409(
    rest: Rest, people: People, api_settings: Settings, api_service: Service
) -> None:
    change = _add(rest, people)
    api_service.add_mx("alice.test", 30, "mx3.alice.test", actor=OPERATOR)
    newer = Change.objects.order_by("-id").values_list("id", flat=True).first()
    before = data_state(api_settings)
    answer = rest.call("POST", f"/changes/{change}/undo", people.alice)
    assert answer.status_code == 409
    [error] = answer.json()["errors"]
    assert error["code"] == "undo_overwrites"
    assert f"(by change {newer})" in error["message"]
    assert data_state(api_settings) == before


def test_a_change_that_cannot_be_undone_is_400_with_what_to_do(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    [added] = Change.objects.filter(domain_name="alice.test", action="add_domain")
    before = data_state(api_settings)
    answer = rest.call("POST", f"/changes/{added.pk}/undo", people.admin)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert (error["code"], error["field"]) == ("not_undoable", "change")
    assert "mxroute domain remove alice.test" in error["message"]
    assert data_state(api_settings) == before


def test_another_owners_change_is_404_like_one_that_does_not_exist(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    change = _add(rest, people)
    before = data_state(api_settings)
    for who, number in ((people.bob, change), (people.alice, 99999)):
        answer = rest.call("POST", f"/changes/{number}/undo", who)
        assert answer.status_code == 404
        assert answer.json()["errors"] == [
            {
                "code": "change_not_found",
                "field": None,
                "message": f"There is no change {number} that you may undo; check its id in "
                "the domain's history.",
            }
        ]
    assert data_state(api_settings) == before


def test_a_bad_id_or_body_is_400_and_changes_nothing(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    change = _add(rest, people)
    before = data_state(api_settings)
    for path, body, code in (
        ("/changes/abc/undo", None, "id_not_integer"),
        ("/changes/0/undo", None, "id_out_of_range"),
        (f"/changes/{change}/undo", {"dryrun": True}, "unknown_field"),
        (f"/changes/{change}/undo", {"force": "yes"}, "invalid"),
    ):
        answer = rest.call("POST", path, people.alice, body)
        assert answer.status_code == 400, (path, body, answer.content)
        assert answer.json()["errors"][0]["code"] == code, answer.json()
    assert data_state(api_settings) == before


def test_an_undo_needs_credentials(rest: Rest, people: People) -> None:
    change = _add(rest, people)
    assert rest.call("POST", f"/changes/{change}/undo").status_code == 401
