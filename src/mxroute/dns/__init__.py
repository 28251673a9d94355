"""DNS I/O: reading and writing a zone's apex MX set, and resolving exchangers."""
