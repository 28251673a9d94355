"""Browser tests: Playwright in Debian's Chromium against a live mxroute serve."""
