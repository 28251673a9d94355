"""mxroute: MX records and email routing for hosted domains."""

__version__ = "0.1.0"
