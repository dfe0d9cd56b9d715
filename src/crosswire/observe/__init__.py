"""Observability: the request log, the numbers behind ``crosswire stats`` / ``crosswire logs``,
and ``GET /metrics``.

Per request, the handler creates a :class:`~crosswire.observe.record.RequestRecord`, the
dispatcher fills in what only it knows (the provider that answered, attempts, retries,
fallbacks, upstream 429s, limiter queue wait, a stream's first content), and the handler hands
it to the :class:`~crosswire.observe.observer.Observer` when the answer is over. That costs
attribute writes, a few counter increments and one list append — no I/O:

- :mod:`~crosswire.observe.metrics` counts it in the app's own Prometheus registry;
- :mod:`~crosswire.observe.writer` queues it (bounded; dropped and counted when full) and a
  background task writes batches every ``[log] flush_interval`` in a worker thread, to
- :mod:`~crosswire.observe.store`: SQLite at ``<user state dir>/crosswire/requests.sqlite`` by
  default, or Postgres (``[log] url``), schema by :mod:`~crosswire.observe.migrations`.

A row holds: time, request id, client format, client model, routed alias, route rule, provider,
upstream model, status, latency, time to first token, tokens in/out/cached/reasoning, retries,
fallbacks, stream flag, relay (translated or as-is), error kind and queue wait. Never headers
or keys; bodies only with ``[log] payloads = true`` (in a separate ``payloads`` table).
Same-format requests relayed untranslated (``relay = "as-is"``) have no token counts or time to
first token: their bytes are not decoded.

:mod:`~crosswire.observe.summary` turns rows into the ``crosswire stats`` tables.
Configuration: :mod:`crosswire.config.observe`.
"""

from crosswire.observe.observer import OBSERVER, Observer
from crosswire.observe.record import RequestRecord

__all__ = ["OBSERVER", "Observer", "RequestRecord"]
