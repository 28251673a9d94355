"""uvicorn's HTTP/1.1 protocol with a deadline for each request's headers.

uvicorn closes a connection left idle after a response (``timeout_keep_alive``), but
not one that never sends a request, nor one that sends its headers a byte a minute:
each holds a file descriptor for as long as the client likes, and a thousand of them
stop the server. Here every connection must start a request within ``header_timeout``
seconds of opening and of each response, or it is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol that closes a connection whose next request does not begin in time."""

    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        # uvicorn gives each request a new scope once its headers are complete.
        waiting_since: Any = self.scope
        self._deadline = self.loop.call_later(self.header_timeout, self._expire, waiting_since)

    def _expire(self, waiting_since: Any) -> None:
        if self.scope is waiting_since and not self.transport.is_closing():
            self.transport.close()


def with_timeout(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class with ``seconds`` as its header deadline."""
    return type("HeaderDeadline", (HeaderDeadlineProtocol,), {"header_timeout": seconds})
