"""Serving the Django application (web panel and HTTP API) with uvicorn.

One process; Django's synchronous views run in its thread pool. The store is migrated
first, so a data directory made by an older mxroute keeps working after an upgrade.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import resource
import socket
import threading
import time
import warnings
from collections.abc import Callable

from mxroute.errors import ConfigError

log = logging.getLogger(__name__)

KEEP_ALIVE_SECONDS = 5

BACKLOG = 2048
WANTED_FILES = 65536
# Descriptors kept for what is not a client: the database, zone and list files, locks,
# the commands' pipes.
SPARE_FILES = 256


def serve(
    host: str,
    port: int,
    *,
    cert: str | None = None,
    key: str | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve until interrupted; ConfigError (one sentence) when the address is taken."""
    import uvicorn

    from mxroute import djangoapp

    _check_free(host, port)
    if cert:
        # Read by the settings: secure-only cookies and HSTS when served over TLS. They
        # are read once, when Django starts: a caller that started it already must have
        # set this itself (as the command line does).
        os.environ["MXROUTE_WEB_TLS"] = "1"
        from django.conf import settings

        if settings.configured and not settings.WEB_TLS:
            raise ConfigError(
                "Django was started before HTTPS was chosen, so its cookies would not be "
                "secure-only; set MXROUTE_WEB_TLS=1 before starting it."
            )
    djangoapp.migrate()
    _refuse_exposed()
    _reconcile(echo)
    # WhiteNoise hands Django a file iterator: harmless under ASGI, but Django warns
    # about it on every static file.
    warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")
    scheme = "https" if cert else "http"
    shown = f"[{host}]" if ":" in host else host
    echo(f"mxroute serves the web panel at {scheme}://{shown}:{port}/ (Ctrl-C stops it)")
    from django.conf import settings

    from mxroute.http_protocol import with_timeout

    web = settings.MXROUTE
    connections = _open_files_for_connections()
    threading.Thread(target=_settle_forever, name="mxroute-settle", daemon=True).start()
    trusted = ",".join(web.trusted_proxies)
    uvicorn.run(
        "mxroute.asgi:application",
        host=host,
        port=port,
        ssl_certfile=cert,
        ssl_keyfile=key,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        http=with_timeout(web.header_timeout),
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=connections,
        backlog=BACKLOG,
        # X-Forwarded-For and -Proto only from the listed proxies: from anyone else they
        # would let a client choose the address that log-in throttling counts.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def _open_files_for_connections() -> int:
    """Raise the open-file limit as far as allowed; the connections it leaves room for.

    The common default of 1,024 files is used up by 1,024 idle clients; beyond the
    connection limit uvicorn answers 503 rather than running out of descriptors.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_FILES if hard == resource.RLIM_INFINITY else min(hard, WANTED_FILES)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    usable = WANTED_FILES if soft == resource.RLIM_INFINITY else soft
    return max(64, usable - SPARE_FILES)


def _refuse_exposed() -> None:
    """A server must not start while other users can read its sessions (mxroute.privacy)."""
    from django.conf import settings

    from mxroute import privacy

    privacy.refuse_exposed(settings.MXROUTE)


def _reconcile(echo: Callable[[str], None]) -> None:
    """Settle the changes that a killed process left half-done (see service.intents)."""
    from django.conf import settings

    from mxroute.service import Service

    for line in Service(settings.MXROUTE).reconcile():
        echo(line)


def _settle_forever() -> None:
    """Settle, every ``[changes] settle_seconds``, the changes that a killed command left
    pending while this server runs (its own are settled by each next change).

    Safe beside live writers: an intent whose domain is locked is someone's change in
    progress and is left alone (:func:`mxroute.service.intents.reconcile`).
    """
    from django.conf import settings
    from django.db import close_old_connections

    from mxroute.service import Service

    while True:
        time.sleep(settings.MXROUTE.settle_seconds)
        try:
            Service(settings.MXROUTE).reconcile()
        except Exception:
            log.exception("settling interrupted changes failed; trying again later")
        finally:
            close_old_connections()


def _check_free(host: str, port: int) -> None:
    """Fail with one sentence, before Django starts, when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = (
                "it is already in use"
                if exc.errno == errno.EADDRINUSE
                else (exc.strerror or str(exc)).lower()
            )
            raise ConfigError(
                f"Cannot listen on {host} port {port} ({reason}); stop the other server or "
                "choose another --port."
            ) from None
