"""The Exim configuration that routes mail by mxroute's routing lists.

The text lives in ``mxroute/data/exim.conf.in``; :func:`render_exim_config` fills in
the lists directory and this server's names. docs/exim.md shows the result and how
to merge it into Debian's configuration.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from mxroute.core.names import is_normalised_host

log = logging.getLogger(__name__)

TEMPLATE = "exim.conf.in"

# Exim expands "$" and "\", splits lists at ":" and trims spaces: allow only
# characters that mean nothing to it, so a path cannot change the configuration.
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._+/-]*")


def render_exim_config(lists_dir: Path, server_names: Sequence[str]) -> str:
    """The Exim configuration for the lists in ``lists_dir`` (absolute) and this server.

    ``server_names`` become ``hosts_treat_as_local``. Raises ValueError for a relative
    path, a path with characters Exim would interpret, or a name that is not a
    normalised host name.
    """
    path = str(lists_dir)
    if not _SAFE_PATH.fullmatch(path):
        raise ValueError(
            f"The lists directory {path!r} must be an absolute path made of letters, "
            "digits and . _ + - / only, to be written into the Exim configuration."
        )
    for name in server_names:
        if not is_normalised_host(name):
            raise ValueError(f"The server name {name!r} is not a normalised host name.")
    if server_names:
        names_line = "hosts_treat_as_local = " + " : ".join(dict.fromkeys(server_names))
    else:
        names_line = "# hosts_treat_as_local = (mxroute has no server names configured)"
    text = resources.files("mxroute").joinpath("data", TEMPLATE).read_text(encoding="utf-8")
    return text.replace("@LISTS_DIR@", path).replace("@HOSTS_TREAT_AS_LOCAL@", names_line)
