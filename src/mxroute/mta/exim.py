"""The Exim configuration that routes mail by mxroute's routing lists.

The text lives in ``mxroute/data/exim.conf.in``; :func:`render_exim_config` fills in
the lists directory and this server's names. docs/exim.md shows the result and how
to merge it into Debian's configuration.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from mxroute.core.names import is_normalised_host, shown
from mxroute.errors import ConfigError

log = logging.getLogger(__name__)

TEMPLATE = "exim.conf.in"

# Exim expands "$" and "\", splits lists at ":" and trims spaces: allow only
# characters that mean nothing to it, so a path cannot change the configuration.
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._+/-]*")
_LISTS_SETTING = "[mta] lists_dir (MXROUTE_MTA_LISTS_DIR)"


def render_exim_config(lists_dir: Path, server_names: Sequence[str]) -> str:
    """The Exim configuration for the lists in ``lists_dir`` (absolute) and this server.

    ``server_names`` become ``hosts_treat_as_local``. Raises :class:`ConfigError` for a
    relative path, a path with characters Exim would interpret, or a name that is not a
    normalised host name.
    """
    path = str(lists_dir)
    if not path.startswith("/"):
        raise ConfigError(
            f"The lists directory '{shown(path)}' is not an absolute path, so Exim could not "
            f"find it; set {_LISTS_SETTING} to an absolute path."
        )
    if not _SAFE_PATH.fullmatch(path):
        bad = next(ch for ch in path if not _SAFE_PATH.fullmatch("/" + ch))
        what = unicodedata.name(bad, f"U+{ord(bad):04X}")
        raise ConfigError(
            f"The lists directory '{shown(path)}' contains the character {what}, which Exim "
            "would interpret in its configuration; use a directory whose path has only "
            f"letters, digits and . _ + - / and set {_LISTS_SETTING} to it."
        )
    for name in server_names:
        if not is_normalised_host(name):
            raise ConfigError(
                f"The server name '{shown(name)}' is not a normalised host name; set "
                "[server] names (MXROUTE_SERVER_NAMES) to names such as mx.example.com."
            )
    if server_names:
        names_line = "hosts_treat_as_local = " + " : ".join(dict.fromkeys(server_names))
    else:
        names_line = "# hosts_treat_as_local = (mxroute has no server names configured)"
    text = resources.files("mxroute").joinpath("data", TEMPLATE).read_text(encoding="utf-8")
    return text.replace("@LISTS_DIR@", path).replace("@HOSTS_TREAT_AS_LOCAL@", names_line)
