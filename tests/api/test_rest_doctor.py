"""GET /api/v1/doctor: an administrator checks every domain, an owner their own.

Nothing answers where these tests' name server would be, so every domain has one
finding, ``served_no_answer``; tests/integration/test_doctor.py runs a real named.
"""

from __future__ import annotations

import json
import re

import pytest

from mxroute.config import Settings
from mxroute.dns.served import NameServer
from mxroute.service import Service
from mxroute.service.diagnosis import CODES
from tests.api.conftest import (
    ALICE_DOMAINS,
    BOB_DOMAINS,
    People,
    Rest,
    add_documented_domains,
)
from tests.docblocks import DOCS, block_after
from tests.service.conftest import ServedAsFiled


def _domains(answer: dict[str, object]) -> dict[str, list[str]]:
    return {
        d["domain"]: [f["code"] for f in d["findings"]]  # type: ignore[index]
        for d in answer["domains"]  # type: ignore[attr-defined]
    }


def test_an_administrator_checks_every_domain(rest: Rest, people: People) -> None:
    answer = rest.call("GET", "/doctor", people.admin)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["clean"], body["checked"], body["fix"]) == (False, 3, False)
    assert _domains(body) == {d: ["served_no_answer"] for d in sorted(ALICE_DOMAINS + BOB_DOMAINS)}
    finding = body["domains"][0]["findings"][0]
    assert finding["severity"] == "warning" and finding["fixed"] is False
    assert finding["message"].startswith("The name server gave no answer for alice.test")


def test_an_owner_checks_only_their_domains(rest: Rest, people: People) -> None:
    body = rest.call("GET", "/doctor", people.alice).json()
    assert body["checked"] == 2 and list(_domains(body)) == list(ALICE_DOMAINS)
    limited = rest.call("GET", "/doctor", people.alice_limited).json()
    assert limited["checked"] == 1 and list(_domains(limited)) == ["alice.test"]


def test_one_domain_is_checked_with_the_domain_parameter(rest: Rest, people: People) -> None:
    body = rest.call("GET", "/doctor?domain=alice2.test", people.alice).json()
    assert body["checked"] == 1 and list(_domains(body)) == ["alice2.test"]


def test_another_owners_domain_is_not_found(rest: Rest, people: People) -> None:
    answer = rest.call("GET", "/doctor?domain=bob.test", people.alice)
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["code"] == "domain_not_found"


def test_the_domain_list_flags_and_filters_what_the_doctor_found(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    listed = rest.call("GET", "/domains", people.admin).json()["domains"]
    assert {d["domain"]: d["findings"] for d in listed} == {
        d: [] for d in ALICE_DOMAINS + BOB_DOMAINS
    }
    assert all(d["checked_at"] is None for d in listed)
    rest.call("GET", "/doctor?domain=bob.test", people.bob)
    flagged = rest.call("GET", "/domains?with_findings=true", people.admin).json()["domains"]
    assert [d["domain"] for d in flagged] == ["bob.test"]
    assert flagged[0]["findings"][0]["code"] == "served_no_answer"
    assert flagged[0]["checked_at"] is not None


def test_the_doctor_needs_credentials(rest: Rest) -> None:
    assert rest.call("GET", "/doctor").status_code == 401


def test_the_documented_answer_is_what_the_doctor_answers(
    rest: Rest,
    people: People,
    api_settings: Settings,
    api_service: Service,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_documented_domains(api_settings, api_service)
    served = ServedAsFiled(api_service)
    monkeypatch.setattr(NameServer, "served_many", lambda self, zones: served.served_many(zones))
    api_service.routing.change({"shop.example": None})  # taken out of the lists by hand
    answer = rest.call("GET", "/doctor", people.alice)
    assert answer.json() == json.loads(block_after("api.md", "rest-doctor-answer"))


def test_every_code_is_explained_in_the_guide() -> None:
    guide = (DOCS / "doctor.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", guide, flags=re.M))
    assert documented == set(CODES)
