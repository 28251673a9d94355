"""The ASGI entry point: ``uvicorn mxroute.asgi:application`` (or any ASGI server).

Django's application behind :class:`mxroute.guard.Guard` (body and concurrency limits).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from mxroute.guard import Guard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mxroute.settings")

application = Guard(
    get_asgi_application(),
    max_body_bytes=settings.MXROUTE.max_body_bytes,
    max_requests=settings.MXROUTE.max_requests,
    body_seconds=settings.MXROUTE.header_timeout,
)
