"""The HTTP server: an aiohttp application with one module per client format."""

from crosswire.server.app import create_app

__all__ = ["create_app"]
