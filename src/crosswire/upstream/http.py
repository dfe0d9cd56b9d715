"""Shared HTTP helpers: posting to an upstream and turning transport failures into gateway
errors that name the host but never a key."""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp

from crosswire.canonical import GatewayError, UpstreamError, UpstreamTimeoutError
from crosswire.upstream.pool import UpstreamPool

ErrorDecoder = Callable[[int, bytes, float | None], GatewayError]


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms``, then ``retry-after`` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


@asynccontextmanager
async def post(
    pool: UpstreamPool,
    url: str,
    body: bytes,
    headers: dict[str, str],
    decode_error: ErrorDecoder,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """POST and yield the response once its status is known to be a success."""
    host = urlsplit(url).netloc
    try:
        async with pool.session.post(url, data=body, headers=headers) as response:
            if response.status >= 400:
                raw = await response.read()
                retry_after = retry_after_seconds(response.headers)
                raise decode_error(response.status, raw, retry_after)
            yield response
    except GatewayError:
        raise
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamTimeoutError(f"upstream {host} timed out") from exc
    except aiohttp.ClientConnectorError as exc:
        raise UpstreamError(f"cannot connect to upstream {host}: {exc.os_error}") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError(f"upstream {host} failed: {type(exc).__name__}") from exc
