"""Loaded with ``-p`` before pytest-django imports the settings: a throwaway data dir.

Without it, importing ``mxroute.settings`` during tests would create a secret key in
the developer's real data directory.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

if "MXROUTE_TEST_KEEP_HOME" not in os.environ:
    _home = tempfile.mkdtemp(prefix="mxroute-test-home-")
    os.environ["MXROUTE_HOME"] = _home
    os.environ.setdefault("MXROUTE_SERVER_NAMES", "mx.self.test")
    os.environ.setdefault("MXROUTE_SERVER_ADDRESSES", "192.0.2.1")
    os.environ.pop("DATABASE_URL", None)
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
