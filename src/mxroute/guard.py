"""The ASGI layer in front of Django: request bodies and requests at once, bounded.

Django reads a whole body before any middleware or view sees it. A body larger than
``[web] max_body_bytes`` is refused here with 413, as soon as its Content-Length (or,
for a chunked body, its bytes so far) says so, before Django buffers it. Beyond
``[web] max_requests`` requests at once, another gets 503 with Retry-After at once
rather than queueing behind the rest; and a body must arrive within ``[web]
header_timeout`` (the time a client has for its headers, again), else 408, so that
slow clients cannot keep those slots. The answers are in the door's own JSON shape
(:mod:`mxroute.api.answers`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mxroute.api import answers

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Any, Any, Any], Awaitable[None]]  # Django's handler types its own

RETRY_SECONDS = 2


class Guard:
    """Wraps an ASGI application with the body and concurrency limits."""

    def __init__(
        self, app: App, *, max_body_bytes: int, max_requests: int, body_seconds: float
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_requests = max_requests
        self.body_seconds = body_seconds
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is None:
            await _refuse(scope, send, 400, "bad_length", _BAD_LENGTH)
            return
        if length > self.max_body_bytes:
            await _refuse(scope, send, 413, "too_large", self._too_large())
            return
        if self.active >= self.max_requests:
            await _refuse(scope, send, 503, "busy", _BUSY, retry=True)
            return
        self.active += 1
        try:
            await self._bounded(scope, receive, send)
        finally:
            self.active -= 1

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; stop a body that grows past the limit (413) or does not arrive in
        time (408), so that no client holds one of the request slots as long as it likes."""
        seen = 0
        refusal: tuple[int, str, str] | None = None
        complete = False
        deadline = asyncio.get_running_loop().time() + self.body_seconds
        started = False

        async def counted() -> Message:
            nonlocal seen, refusal, complete
            if refusal is not None:
                return {"type": "http.disconnect"}
            if complete:
                return await receive()  # Django waiting for the client to go: no limit
            try:
                left = deadline - asyncio.get_running_loop().time()
                message = await asyncio.wait_for(receive(), max(left, 0))
            except TimeoutError:
                refusal = (408, "too_slow", self._too_slow())
                return {"type": "http.disconnect"}  # Django stops reading at a disconnect
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > self.max_body_bytes:
                    refusal = (413, "too_large", self._too_large())
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, watched)
        if refusal is not None and not started:
            await _refuse(scope, send, *refusal)

    def _too_slow(self) -> str:
        return f"The request body did not arrive within {self.body_seconds:g} s; send it at once."

    def _too_large(self) -> str:
        return (
            f"The request body is larger than this server takes ({self.max_body_bytes} bytes, "
            "[web] max_body_bytes); send a smaller one."
        )


_BAD_LENGTH = "The request's Content-Length is not a number of bytes; send a valid one."
_BUSY = "The server is answering as many requests as it takes at once; try again shortly."


def _content_length(scope: Scope) -> int | None:
    """The Content-Length sent (0 when none); None when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return 0


async def _refuse(
    scope: Scope, send: Send, status: int, code: str, message: str, *, retry: bool = False
) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    data, content_type = answers.encoded(scope.get("path", ""), query, code, message)
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(data)).encode()),
        (b"connection", b"close"),
    ]
    if retry:
        headers.append((b"retry-after", str(RETRY_SECONDS).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
