"""The Django project settings, computed from the mxroute data directory.

Everything comes from :func:`mxroute.config.load` (``$MXROUTE_HOME``, its
``mxroute.toml`` and ``MXROUTE_*`` variables); nothing secret is written here.

- Database: the SQLite file ``mxroute.sqlite3`` in the data directory, or the
  ``DATABASE_URL`` / ``[database] url`` (PostgreSQL) when one is set.
- ``SECRET_KEY``: the file ``secret_key`` in the data directory, created (mode 0600)
  the first time the settings are loaded.
- ``MXROUTE_DEBUG=1`` turns debugging on; ``MXROUTE_WEB_ALLOWED_HOSTS`` (comma-separated)
  adds host names the web interface answers to; ``MXROUTE_WEB_TLS=1`` (set by
  ``mxroute serve --cert``) makes the session and CSRF cookies secure-only and sends HSTS.
- Logging keeps standard error for the one-line messages of the command line: warnings
  and errors (of mxroute, Django and the libraries) go to ``mxroute.log`` in the data
  directory (rotated at 1 MB, 3 old files kept; created at the first warning; if it
  cannot be written, the record is dropped rather than printed). With
  ``MXROUTE_DEBUG=1`` mxroute's own loggers also write everything from DEBUG up to
  standard error.
- A setting that is wrong (a bad value, an unreadable secret key or data directory)
  is :class:`~mxroute.errors.ConfigError`, never a Django error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import dj_database_url

from mxroute import config
from mxroute.errors import ConfigError

SECRET_KEY_FILE = "secret_key"
LOG_FILE = "mxroute.log"
LOG_FILE_MAX_BYTES = 1_000_000
LOG_FILE_BACKUPS = 3
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _read_or_create_secret_key(home: Path) -> str:
    """The key in ``home/secret_key``; created atomically (mode 0600) when absent."""
    path = home / SECRET_KEY_FILE
    if not path.exists():
        try:
            _create_secret_key(home, path)
        except OSError as exc:
            raise ConfigError(
                f"Cannot create the secret key {path} ({_reason(exc)}); make the data "
                "directory writable for this user, or set MXROUTE_HOME to another one."
            ) from None
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read the secret key {path} ({_reason(exc)}); make it readable for this "
            "user, or remove it to have a new one made."
        ) from None
    if len(key) < 32:
        raise ConfigError(
            f"The secret key in {path} is too short; remove the file to have a new one made."
        )
    return key


def _create_secret_key(home: Path, path: Path) -> None:
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(50) + "\n")
            out.flush()
            os.fsync(out.fileno())
        # link() fails if another process created the key meanwhile: theirs wins.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return "it is not ASCII text" if isinstance(exc, UnicodeDecodeError) else str(exc)


def _database(settings: config.Settings) -> dict[str, Any]:
    """The ``default`` database: PostgreSQL from the URL, else the SQLite file."""
    if settings.database_url:
        try:
            db: dict[str, Any] = dict(dj_database_url.parse(settings.database_url))
        except ValueError:  # UnknownSchemeError, ParseError; config.load checks first
            raise ConfigError(
                "The database URL is not a valid sqlite:// or postgresql:// URL; correct "
                "DATABASE_URL or [database] url in mxroute.toml."
            ) from None
    else:
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(settings.database_path)}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Writers queue for up to the busy timeout, and take the write lock when the
        # transaction starts, so that a read-then-write transaction never fails on
        # lock upgrade ("database is locked") while another process writes.
        # WAL lets readers (the web pages) go on while a writer commits.
        db["OPTIONS"] = {
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
            **db.get("OPTIONS", {}),
        }
    return db


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


MXROUTE = config.load()
MXROUTE_HOME = MXROUTE.home

DEBUG = config.debug_enabled()
SECRET_KEY = _read_or_create_secret_key(MXROUTE_HOME)
ALLOWED_HOSTS = list(
    dict.fromkeys(
        [
            "localhost",
            "127.0.0.1",
            "[::1]",
            *MXROUTE.server_names,
            *_env_list("MXROUTE_WEB_ALLOWED_HOSTS"),
        ]
    )
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "mxroute.store",
    "mxroute.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files come from the application itself: no CDN, no separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mxroute.urls"
ASGI_APPLICATION = "mxroute.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": _database(MXROUTE)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The ASGI guard refuses larger bodies before Django reads them; this is the same bound
# for any other server or the test client.
DATA_UPLOAD_MAX_MEMORY_SIZE = MXROUTE.max_body_bytes

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
WEB_TLS = os.environ.get("MXROUTE_WEB_TLS", "") == "1"
SESSION_COOKIE_SECURE = WEB_TLS
CSRF_COOKIE_SECURE = WEB_TLS
SECURE_HSTS_SECONDS = 31_536_000 if WEB_TLS else 0
if WEB_TLS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

CSRF_FAILURE_VIEW = "mxroute.web.views.csrf_failure"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:domains"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the apps' static files straight from the package: no collectstatic,
# so no STATIC_ROOT either.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True


class LogFile(RotatingFileHandler):
    """``mxroute.log``: a small rotating file that never breaks a command when unwritable.

    The standard handler prints a traceback to standard error when it cannot write;
    this one drops the record, since standard error carries the command's own message.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Drop the record: a log file must not add lines to a command's output."""

    def _open(self):  # type: ignore[no-untyped-def]
        # The log names domains, users and paths: private like the store (0600), and
        # each rotated file too.
        stream = super()._open()
        with contextlib.suppress(OSError):
            os.fchmod(stream.fileno(), 0o600)
        return stream


def logging_config(home: Path, debug: bool) -> dict[str, Any]:
    """``LOGGING``: warnings to ``home/mxroute.log``; standard error only when ``debug``.

    Standard error is for the command line's one-line messages (see the module docstring).
    """
    loggers: dict[str, Any] = {
        # Django's defaults print to the console; here its records go through the root.
        "django": {"handlers": [], "level": "WARNING", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # A request naming a host this server does not answer to is refused (400); its
        # traceback in the log would only let anyone fill the disk.
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    }
    if debug:
        loggers["mxroute"] = {"level": "DEBUG"}
    # Without debug, mxroute's loggers follow the root: WARNING and up, to the file.
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(levelname)s %(name)s: %(message)s"},
            "dated": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "file": {
                "()": LogFile,
                "filename": str(home / LOG_FILE),
                "maxBytes": LOG_FILE_MAX_BYTES,
                "backupCount": LOG_FILE_BACKUPS,
                "encoding": "utf-8",
                "delay": True,
                "level": "WARNING",
                "formatter": "dated",
            },
            "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "level": "DEBUG"},
        },
        "root": {"handlers": ["file", "stderr"] if debug else ["file"], "level": "WARNING"},
        "loggers": loggers,
    }


LOGGING = logging_config(MXROUTE_HOME, DEBUG)
