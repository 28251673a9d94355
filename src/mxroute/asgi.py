"""The ASGI entry point: ``uvicorn mxroute.asgi:application`` (or any ASGI server)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mxroute.settings")

application = get_asgi_application()
