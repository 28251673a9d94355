"""Runs the store in a separate process, as the CLI or the web server would.

The database comes from the environment (``MXROUTE_HOME``, ``MXROUTE_DATABASE_URL``).

    store_worker.py migrate              apply the migrations
    store_worker.py write NAME COUNT GO  after the file GO appears, record COUNT changes,
                                         each in a read-then-write transaction
    store_worker.py probe                migrate, exercise the models, print JSON findings
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from mxroute import djangoapp

MAX_SERIAL = 4294967295


def write(name: str, count: int, go: Path) -> None:
    """Record ``count`` changes as soon as ``go`` exists (so that writers overlap)."""
    from django.db import transaction

    from mxroute.store.models import Action, Change, Interface

    Change.objects.exists()  # connect before the start signal
    Path(f"{go}.{name}.ready").touch()
    while not go.exists():
        time.sleep(0.005)
    for i in range(count):
        with transaction.atomic():
            seen = Change.objects.filter(domain_name="race.test").count()  # read ...
            Change.objects.create(  # ... then write in the same transaction
                domain_name="race.test",
                actor=f"cli:{name}",
                interface=Interface.CLI,
                action=Action.SET_MODE,
                summary=f"{name} write {i}, after {seen} others.",
            )


def _refused(action: Any) -> str:
    """The exception class name when ``action`` is refused, else ``"accepted"``."""
    from django.db import transaction

    try:
        with transaction.atomic():
            action()
    except Exception as exc:
        return type(exc).__name__
    return "accepted"


def probe() -> dict[str, Any]:
    """Migrate, then exercise every store behaviour worth checking on this database."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from mxroute.store.models import Action, Change, Domain, Interface

    djangoapp.migrate()
    djangoapp.migrate()  # repeating is harmless
    found: dict[str, Any] = {"vendor": connection.vendor}
    found["applied"] = sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )
    owner = User.objects.create_user("owner", password="a long enough password")
    found["password_hash"] = owner.password.split("$", 1)[0]

    domain = Domain.objects.create(name="example.test", owner=owner)
    found["default_effective"] = domain.effective_mode.value
    domain.detected_mode = "backup"
    domain.save()
    found["auto_effective"] = Domain.objects.get(name="example.test").effective_mode.value
    found["duplicate_name"] = _refused(lambda: Domain.objects.create(name="example.test"))
    found["upper_case_name"] = _refused(lambda: Domain.objects.create(name="Example.TEST"))
    found["unknown_mode"] = _refused(lambda: Domain.objects.create(name="x.test", mode="primary"))
    found["owner_deletion"] = _refused(owner.delete)

    mx = [{"priority": 10, "exchanger": "mx1.example.test"}]
    change = Change.objects.create(
        domain=domain,
        domain_name=domain.name,
        actor="owner",
        interface=Interface.WEB,
        action=Action.ADD_MX,
        summary="Added mx1.example.test with priority 10.",
        mx_before=[],
        mx_after=mx,
        serial_before=MAX_SERIAL - 1,
        serial_after=MAX_SERIAL,
    )
    found["serial_too_big"] = _refused(
        lambda: Change.objects.create(
            domain_name="example.test",
            actor="owner",
            interface=Interface.WEB,
            action=Action.ADD_MX,
            summary="-",
            serial_after=MAX_SERIAL + 1,
        )
    )
    found["json_lookup"] = Change.objects.filter(mx_after__0__exchanger="mx1.example.test").count()
    found["doctor"] = _doctor_queries(domain)
    domain.delete()
    kept = Change.objects.get(pk=change.pk)
    found["kept"] = {
        "domain_id": kept.domain_id,
        "domain_name": kept.domain_name,
        "serial_after": kept.serial_after,
        "mx_before": kept.mx_before,
        "mx_after": kept.mx_after,
    }
    return found


def _doctor_queries(domain: Any) -> dict[str, Any]:
    """The doctor's own queries: the last recorded MX set of each domain (a subquery) and
    the domain list's filter on the kept findings (a JSON comparison)."""
    from mxroute.service import OPERATOR
    from mxroute.service.doctor import Doctor
    from mxroute.service.queries import Queries
    from mxroute.store.models import Change, Domain

    Domain.objects.create(name="clean.test")
    Domain.objects.filter(pk=domain.pk).update(
        findings=[{"code": "zone_missing", "severity": "error", "message": "-"}]
    )
    rows = Doctor(None)._rows(None, OPERATOR)  # type: ignore[arg-type]  # no service needed
    last = {r.name: r.last_change for r in rows}
    flagged = Queries().list_domains(with_findings=True)
    result = {
        "last_change": last["example.test"] == Change.objects.get(domain_name=domain.name).pk,
        "never_changed": last["clean.test"],
        "with_findings": [d.domain for d in flagged],
        "codes": [f.code for d in flagged for f in d.findings],
    }
    Domain.objects.filter(name="clean.test").delete()
    return result


def main(argv: list[str]) -> None:
    djangoapp.setup()
    if argv[0] == "migrate":
        djangoapp.migrate()
    elif argv[0] == "write":
        write(argv[1], int(argv[2]), Path(argv[3]))
    elif argv[0] == "probe":
        json.dump(probe(), sys.stdout)
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
