"""mxroute: MX records and email routing for hosted domains."""

import logging

__version__ = "0.1.0"

# Commands that never start Django have no logging set up; without this, a warning
# would print bare on stderr next to the one-line error the user should see.
logging.getLogger(__name__).addHandler(logging.NullHandler())
