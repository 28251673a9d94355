"""The store: what only mxroute knows about its domains (owners, modes, history).

MX records are not here: the DNS zone is their source of truth.
"""
