"""The network edge: pooled HTTP client, one backend per upstream wire format.

A backend takes a canonical request and a routing target and returns a canonical response
(``complete``) or batches of stream events (``stream``). Errors raised before the first batch
become HTTP errors for the client; errors after it arrive as a ``StreamError`` event.
"""

from crosswire.upstream.backend import Backend, backend_for
from crosswire.upstream.pool import UpstreamPool

__all__ = ["Backend", "UpstreamPool", "backend_for"]
