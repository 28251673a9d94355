"""The examples of docs/api.md, run as written: they answer what the guide shows."""

from __future__ import annotations

import json
import re
import shlex
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from mxroute.config import Settings
from mxroute.service import Service
from tests.api.conftest import People, Rest, add_documented_domains
from tests.docblocks import block_after

DOC = "api.md"


def run_curl(rest: Rest, block: str, token: str) -> Any:
    """Send what the documented curl command sends, through the test client."""
    joined = block.replace("\\\n", " ").replace("$TOKEN", token)
    [command] = [line for line in joined.splitlines() if line.startswith("curl ")]
    words = shlex.split(command)
    headers: dict[str, str] = {}
    body: str | None = None
    for flag, value in pairwise(words):
        if flag == "-H":
            name, _, text = value.partition(": ")
            if name.lower() != "content-type":  # the test client sets it with the body
                headers["HTTP_" + name.upper().replace("-", "_")] = text
        elif flag == "-d":
            body = value
    url = urlsplit(next(w for w in words if w.startswith("http://")))
    path = url.path.removeprefix("/api/v1") + (f"?{url.query}" if url.query else "")
    return rest.call("POST" if body is not None else "GET", path, headers, raw=body)


def test_the_documented_session_answers_what_the_guide_shows(
    rest: Rest, people: People, api_settings: Settings, api_service: Service
) -> None:
    add_documented_domains(api_settings, api_service)

    listed = run_curl(rest, block_after(DOC, "rest-list-mx"), people.alice.token)
    assert listed.status_code == 200
    assert listed.json() == json.loads(block_after(DOC, "rest-list-mx-answer"))

    added = run_curl(rest, block_after(DOC, "rest-add-mx"), people.alice.token)
    assert added.status_code == 201
    answer = added.json()
    # The new serial depends on today's date; everything else is as shown.
    expected = {**json.loads(block_after(DOC, "rest-add-mx-answer"))}
    assert answer["serial_after"] > expected["serial_before"]
    assert answer == {**expected, "serial_after": answer["serial_after"]}

    refused = rest.call(
        "POST", "/domains/shop.example/mx", people.alice, {"priority": 30, "exchanger": "192.0.2.7"}
    )
    assert refused.status_code == 400
    assert refused.json() == json.loads(block_after(DOC, "rest-error"))


def test_the_documented_token_has_the_shape_of_a_real_one() -> None:
    from mxroute import accounts

    block = block_after(DOC, "rest-token")
    [shown] = re.findall(r"store it now\): (\S+)", block)
    assert len(shown) == accounts.TOKEN_LENGTH
    assert set(shown) <= set(accounts.TOKEN_ALPHABET)
    assert f"export TOKEN={shown}" in block_after(DOC, "rest-list-mx")
