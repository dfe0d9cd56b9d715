"""When the dispatcher retries, falls back, or reports a failure to the breaker — as data —
plus the retry budget and the back-off.

Error kinds (``GatewayError.kind``) sort into:

- :data:`FAILURE_KINDS` — the upstream is unwell (connection error, timeout, 429, 5xx): the
  breaker counts a failure, and the next fallback is tried;
- :data:`FALLBACK_KINDS` — those plus ``context_length`` (this model's window is too small: a
  fallback may have a bigger one);
- :data:`SWITCH_FIRST_KINDS` — unreachable or silent upstreams: with a fallback left, go there
  at once rather than retrying (a timeout can take minutes);
- anything else (400, 401, 404 …) is the request's own problem: answered as it is.

Retries go to the same candidate only for ``retryable`` errors (never an exhausted quota, an
upstream context overflow or a refused gateway key), at most ``[server] retries`` per candidate,
and only while the provider's :class:`RetryBudget` has a token.
"""

from __future__ import annotations

import random

FAILURE_KINDS = frozenset(
    {"rate_limit", "quota_exceeded", "api_error", "bad_gateway", "overloaded", "timeout"}
)
FALLBACK_KINDS = FAILURE_KINDS | {"context_length"}
SWITCH_FIRST_KINDS = frozenset({"bad_gateway", "timeout"})

BACKOFF_BASE = 0.25
"""Seconds before the first retry (before jitter); doubled for each further retry."""
BACKOFF_CAP = 4.0
"""The longest back-off between two retries (before jitter)."""
MAX_RETRY_AFTER = 20.0
"""An upstream asking to wait longer than this is not retried: the client gets its 429 and
its ``Retry-After`` (or the next fallback is tried)."""
BUDGET_RESERVE = 3.0
"""Retries a provider may spend before any request has paid into its budget."""


def backoff(retry: int, retry_after: float | None) -> float | None:
    """Seconds to wait before retry number ``retry`` (0-based): jittered exponential back-off,
    never shorter than the upstream's ``retry_after``; ``None`` when that is too long."""
    if retry_after is not None and retry_after > MAX_RETRY_AFTER:
        return None
    jittered = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**retry) * random.uniform(0.5, 1.0)
    return max(jittered, retry_after or 0.0)


class RetryBudget:
    """Token buckets, one per provider: each request pays ``ratio`` of a retry in, each retry
    takes one out, so over any stretch retries <= reserve + ratio * requests — a failing
    upstream sees at most ``1 + ratio`` times its normal load, not ``1 + retries`` times.
    """

    def __init__(self, ratio: float, reserve: float = BUDGET_RESERVE) -> None:
        self.ratio = ratio
        self.reserve = reserve if ratio > 0 else 0.0
        self.cap = max(self.reserve, 1.0)
        """The most a bucket holds (a quiet spell does not save up for a storm)."""
        self._balance: dict[str, float] = {}

    def deposit(self, provider: str) -> None:
        """One request to ``provider``."""
        balance = self._balance.get(provider, self.reserve)
        self._balance[provider] = min(self.cap, balance + self.ratio)

    def withdraw(self, provider: str) -> bool:
        """Take one retry; ``False`` when the budget is spent."""
        balance = self._balance.get(provider, self.reserve)
        if balance < 1.0:
            return False
        self._balance[provider] = balance - 1.0
        return True
