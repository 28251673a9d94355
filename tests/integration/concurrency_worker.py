"""One of two processes that change the same domain at the same moment, many times.

Run by ``test_concurrency.py`` through multiprocessing (spawn): each process sets up
Django for the shared data directory, then for every round waits at a barrier with
its partner and makes one change through the service, reporting what happened.
"""

from __future__ import annotations

import os
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any


def run(
    worker: int,
    rounds: int,
    home: str,
    database_url: str,
    zone: str,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """Make ``rounds`` changes racing the partner; put one result dict per round."""
    os.environ["MXROUTE_HOME"] = home
    os.environ["MXROUTE_CHANGES_MAX_MX_RECORDS"] = "100"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    from mxroute import djangoapp
    from mxroute.config import load

    djangoapp.setup(load().home)
    from mxroute.errors import Conflict
    from mxroute.service import Actor, Service

    service = Service(load())
    actor = Actor(f"worker{worker}", "cli")
    for n in range(rounds):
        # Even rounds pin the serial both read before the barrier (one must be refused);
        # odd rounds let the service plan again on the fresh zone (both must survive).
        pinned = n % 2 == 0
        serial = service.show(zone).snapshot.serial if pinned else None
        exchanger = f"w{worker}-r{n}.{zone}"
        barrier.wait(timeout=60)
        try:
            result = service.add_mx(
                zone, 10 + worker, exchanger, actor=actor, expected_serial=serial
            )
        except Exception as exc:
            # Anything but a Conflict is reported too, so the test fails instead of waiting.
            refused = isinstance(exc, Conflict)
            results.put(
                {
                    "round": n,
                    "worker": worker,
                    "exchanger": exchanger,
                    "ok": False,
                    "pinned": pinned,
                    "error": str(exc) if refused else f"{type(exc).__name__}: {exc}",
                }
            )
        else:
            results.put(
                {
                    "round": n,
                    "worker": worker,
                    "exchanger": exchanger,
                    "ok": True,
                    "pinned": pinned,
                    "before": result.serial_before,
                    "after": result.serial_after,
                }
            )
        barrier.wait(timeout=60)
