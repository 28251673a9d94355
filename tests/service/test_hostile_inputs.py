"""Every hostile input is refused with its clear message, and no file or row changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mxroute.errors import InvalidInput
from mxroute.service import Service
from mxroute.store.models import Change, Domain
from tests.service.conftest import ACTOR, ZONE
from tests.unit.hostile_inputs import HOSTILE_INPUTS, Hostile, message_problems


def _everything(service: Service) -> tuple[dict[str, bytes], list[Any], int]:
    files = {
        str(p): p.read_bytes()
        for p in sorted(Path(service.settings.home).rglob("*"))
        if p.is_file() and "locks" not in p.parts
    }
    rows = list(Domain.objects.order_by("name").values())
    return files, rows, Change.objects.count()


def _attempt(service: Service, hostile: Hostile) -> None:
    if hostile.field == "exchanger":
        service.add_mx(ZONE, 20, hostile.value, actor=ACTOR)
    elif hostile.field == "priority":
        service.add_mx(ZONE, hostile.value, "mx2.example.test", actor=ACTOR)
    else:
        service.add_domain(hostile.value, actor=ACTOR)  # type: ignore[arg-type]


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS, ids=lambda h: h.id)
def test_it_refuses_the_input_and_changes_nothing(service: Service, hostile: Hostile) -> None:
    before = _everything(service)
    with pytest.raises(InvalidInput) as refused:
        _attempt(service, hostile)
    assert refused.value.code == hostile.code
    assert message_problems(refused.value.message, hostile.value) == []
    assert _everything(service) == before


@pytest.mark.parametrize(
    "hostile", [h for h in HOSTILE_INPUTS if h.field == "exchanger"][:40], ids=lambda h: h.id
)
def test_an_edit_to_a_hostile_exchanger_changes_nothing(service: Service, hostile: Hostile) -> None:
    before = _everything(service)
    with pytest.raises(InvalidInput) as refused:
        service.change_mx(ZONE, "mx.self.test", 10, 10, hostile.value, actor=ACTOR)
    assert refused.value.code == hostile.code
    assert _everything(service) == before
