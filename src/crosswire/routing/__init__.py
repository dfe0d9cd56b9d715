"""Which configured model serves a request: aliases, glob routes, the default."""

from crosswire.routing.resolve import Target, resolve

__all__ = ["Target", "resolve"]
