"""The web panel: the MX Entry and Email Routing pages, log-in, accounts."""
