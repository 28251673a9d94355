"""The service layer: every door (CLI, panel, REST, cPanel APIs) comes through here.

Modules, each with one job: ``actor`` (who acts), ``plans`` (a change as a value),
``apply`` (carrying a plan out), ``intents`` (crash recovery), ``queries`` (reads),
``history`` (the history rows), ``addresses`` (a name's addresses), ``locks`` (one
lock per domain), ``wiring`` (backends from the settings), ``undo`` (what undoing a
history entry puts back), ``diagnosis`` (the doctor's comparisons, pure) and
``doctor`` (its reads and repairs), ``use_cases`` (the :class:`Service` the doors call).
"""

from mxroute.service.actor import OPERATOR, SYSTEM, Actor
from mxroute.service.plans import ChangePlan
from mxroute.service.results import ChangeResult, DomainState, DomainSummary, HistoryEntry
from mxroute.service.use_cases import Service, exim_config

__all__ = [
    "OPERATOR",
    "SYSTEM",
    "Actor",
    "ChangePlan",
    "ChangeResult",
    "DomainState",
    "DomainSummary",
    "HistoryEntry",
    "Service",
    "exim_config",
]
