"""Serving the Django application (web panel and HTTP API) with uvicorn.

One process; Django's synchronous views run in its thread pool. The store is migrated
first, so a data directory made by an older mxroute keeps working after an upgrade.
"""

from __future__ import annotations

import errno
import os
import socket
import warnings
from collections.abc import Callable

from mxroute.errors import ConfigError


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
    )


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
