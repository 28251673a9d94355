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
    change inside a running process. Settings that Django cannot start with (a bad
    value, an unreadable data directory) are :class:`ConfigError` too.
    """
    if home is not None:
        home = home.expanduser().absolute()
    import django
    from django.apps import apps
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

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
        try:
            django.setup()
        except ImproperlyConfigured as exc:
            raise ConfigError(
                f"Django cannot start with these settings ({_one_line(exc)}); check "
                "mxroute.toml and the MXROUTE_* variables."
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"Django cannot start: {exc.strerror or exc} for "
                f"{exc.filename or 'the data directory'}; check that the data directory "
                "exists and this user may write to it."
            ) from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()).rstrip(".") or type(exc).__name__


def migrate(verbosity: int = 0) -> None:
    """Create or upgrade the store's tables (``mxroute init``; safe to repeat)."""
    setup()
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.db import DatabaseError

    from mxroute import privacy

    try:
        privacy.create_database_file(settings.MXROUTE)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the database file ({exc.strerror or exc}); check that this "
            "user may write to the data directory."
        ) from None
    try:
        call_command("migrate", interactive=False, verbosity=verbosity)
    except (DatabaseError, ImproperlyConfigured) as exc:
        raise ConfigError(
            f"Cannot create mxroute's tables in the database ({_one_line(exc)}); check "
            "[database] url or DATABASE_URL, and that the database server is running."
        ) from None


def check_ready() -> None:
    """ConfigError unless the database answers and holds mxroute's tables (after init)."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
        tables = set(connection.introspection.table_names())
    except (DatabaseError, ImproperlyConfigured) as exc:
        raise ConfigError(
            f"Cannot reach the database ({_one_line(exc)}); check [database] url or "
            "DATABASE_URL, and that the database server is running."
        ) from None
    if "store_domain" not in tables:
        raise ConfigError(
            "The database has no mxroute tables yet; run 'mxroute init' with the same "
            "settings first."
        )
