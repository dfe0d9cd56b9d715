"""Build the limiter and breaker a gateway uses, from its config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crosswire.config import Config
from crosswire.limits.breaker import SharedBreaker
from crosswire.limits.clock import Clock
from crosswire.limits.pacing import PacingLimiter
from crosswire.limits.state import open_state

if TYPE_CHECKING:
    from crosswire.limits import Breaker, Limiter


def build(config: Config, clock: Clock | None = None) -> tuple[Limiter, Breaker]:
    """A :class:`PacingLimiter` and a :class:`SharedBreaker` over one shared state
    (``[server] state``). ``Limiter.close()`` also closes the state: call it on shutdown."""
    server = config.server
    state = open_state(server.state, clock)
    return PacingLimiter(state, server.max_queue_wait, clock), SharedBreaker(state, server, clock)
