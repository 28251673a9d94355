"""Every hostile input is refused with its clear message, and no file or row changes."""

from __future__ import annotations

import pytest

from mxroute.errors import InvalidInput
from mxroute.service import Service
from tests.service.conftest import ACTOR, ZONE, state_of
from tests.unit.hostile_inputs import HOSTILE_INPUTS, Hostile, message_problems


def _attempt(service: Service, hostile: Hostile) -> None:
    if hostile.field == "exchanger":
        service.add_mx(ZONE, 20, hostile.value, actor=ACTOR)
    elif hostile.field == "priority":
        service.add_mx(ZONE, hostile.value, "mx2.example.test", actor=ACTOR)
    else:
        service.add_domain(hostile.value, actor=ACTOR)  # type: ignore[arg-type]


@pytest.mark.parametrize("hostile", HOSTILE_INPUTS, ids=lambda h: h.id)
def test_it_refuses_the_input_and_changes_nothing(service: Service, hostile: Hostile) -> None:
    before = state_of(service)
    with pytest.raises(InvalidInput) as refused:
        _attempt(service, hostile)
    assert refused.value.code == hostile.code
    assert message_problems(refused.value.message, hostile.value) == []
    assert state_of(service) == before


@pytest.mark.parametrize(
    "hostile", [h for h in HOSTILE_INPUTS if h.field == "exchanger"][:40], ids=lambda h: h.id
)
def test_an_edit_to_a_hostile_exchanger_changes_nothing(service: Service, hostile: Hostile) -> None:
    before = state_of(service)
    with pytest.raises(InvalidInput) as refused:
        service.change_mx(ZONE, "mx.self.test", 10, 10, hostile.value, actor=ACTOR)
    assert refused.value.code == hostile.code
    assert state_of(service) == before
