"""Mail server I/O: the routing lists the MTA reads, and its configuration snippet."""
