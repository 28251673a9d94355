"""The curl examples of docs/cpanel-compat.md, run as written: they answer what it shows."""

from __future__ import annotations

import json
import shlex
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from django.test import Client

from mxroute.config import Settings
from mxroute.service import OPERATOR, Service
from tests.api.conftest import People, add_documented_domains
from tests.docblocks import block_after

DOC = "cpanel-compat.md"


def run_curl(client: Client, block: str, token: str) -> dict[str, Any]:
    """Send what the documented curl command sends, through the test client."""
    words = shlex.split(block.replace("\\\n", " ").replace("$TOKEN", token))
    assert words[0] == "curl"
    headers: dict[str, Any] = {}
    form: dict[str, str] = {}
    for flag, value in pairwise(words):
        if flag == "-H":
            name, _, text = value.partition(": ")
            headers["HTTP_" + name.upper().replace("-", "_")] = text
        elif flag in ("-d", "--data-urlencode"):
            key, _, text = value.partition("=")
            form[key] = text
    url = next(w for w in words if w.startswith("http://"))
    response = client.post(urlsplit(url).path, form, **headers)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def test_the_documented_calls_answer_what_the_guide_shows(
    client: Client, people: People, api_settings: Settings, api_service: Service
) -> None:
    add_documented_domains(api_settings, api_service)

    expected = json.loads(block_after(DOC, "uapi-add-mx-answer"))
    answer = run_curl(client, block_after(DOC, "uapi-add-mx"), people.alice.token)
    assert answer == expected

    api_service.delete_mx("shop.example", 20, "mx1.partner.example", actor=OPERATOR)
    result = run_curl(client, block_after(DOC, "api2-addmx"), people.alice.token)
    assert result["cpanelresult"]["event"] == {"result": 1}
    assert result["cpanelresult"]["data"] == [expected["data"]]
    assert [h.interface for h in api_service.history("shop.example", limit=3)] == [
        "api2",
        "cli",
        "uapi",
    ]
