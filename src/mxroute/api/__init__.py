"""The HTTP API: REST under /api/v1/, and cPanel's UAPI and API 2 for existing scripts."""
