"""Starting Django from mxroute's own entry points (the CLI), only when it is needed.

Importing this module is cheap: Django is imported inside the functions, so commands
that never touch the store do not pay for it.
"""

from __future__ import annotations

import os
from pathlib import Path

from mxroute.errors import ConfigError

SETTINGS_MODULE = "mxroute.settings"


def setup(home: Path | None = None) -> None:
    """Configure and start Django for the data directory ``home`` (once per process).

    ``home`` defaults to ``$MXROUTE_HOME`` (see :func:`mxroute.config.default_home`).
    Calling again with the same (or no) ``home`` does nothing; calling with another
    ``home`` once Django is started raises :class:`ConfigError`, since settings cannot
    change inside a running process.
    """
    if home is not None:
        home = home.expanduser().absolute()
    import django
    from django.apps import apps
    from django.conf import settings

    if settings.configured:  # the settings module is loaded: its home is fixed
        current = getattr(settings, "MXROUTE_HOME", None)
        if home is not None and current is not None and Path(current) != home:
            raise ConfigError(
                f"Django already runs with the data directory {current}; "
                f"cannot switch to {home} in the same process."
            )
    else:
        if home is not None:
            os.environ["MXROUTE_HOME"] = str(home)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    if not apps.ready:
        django.setup()


def migrate(verbosity: int = 0) -> None:
    """Create or upgrade the store's tables (``mxroute init``; safe to repeat)."""
    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
