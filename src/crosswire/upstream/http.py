"""Shared HTTP helpers: posting to an upstream and turning transport failures into gateway
errors that name the host but never a key."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp

from crosswire.canonical import (
    GatewayError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamTimeoutError,
)
from crosswire.config import redact_secret
from crosswire.upstream.pool import UpstreamPool

ErrorDecoder = Callable[[int, bytes, float | None], GatewayError]

# Header values that are credentials; their values are scrubbed from anything sent back.
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")
# Key shapes scrubbed even when they are not ours (an upstream quoting some other key).
_KEY_PATTERN = re.compile(
    r"\b(sk-[A-Za-z0-9_\-]{8,}|nvapi-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,})"
)


def scrub_secrets(text: str, headers: Mapping[str, str]) -> str:
    """``text`` with every credential we sent (and anything shaped like a key) redacted."""
    for name, value in headers.items():
        if name.lower() not in _CREDENTIAL_HEADERS or not value:
            continue
        secret = value.split(" ", 1)[1] if value.lower().startswith("bearer ") else value
        if len(secret) >= 4:
            text = text.replace(secret, redact_secret(secret))
    return _KEY_PATTERN.sub(lambda m: redact_secret(m.group(0)), text)


def _for_client(
    error: GatewayError, status: int, host: str, headers: Mapping[str, str]
) -> GatewayError:
    """The error as the client may see it: no secrets, and a refused gateway key is ours."""
    error.message = scrub_secrets(error.message, headers)
    error.args = (error.message,)
    if status in (401, 403) and error.kind in ("authentication", "permission"):
        return UpstreamAuthError(
            f"upstream {host} refused crosswire's credentials ({status}): check the provider's "
            f"api_key in the crosswire config. Upstream said: {error.message}"
        )
    return error


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
            del body  # sent: a long answer should not keep the request bytes alive
            if response.status >= 400:
                raw = await response.read()
                retry_after = retry_after_seconds(response.headers)
                error = decode_error(response.status, raw, retry_after)
                raise _for_client(error, response.status, host, headers)
            yield response
    except GatewayError:
        raise
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamTimeoutError(f"upstream {host} timed out") from exc
    except aiohttp.ClientConnectorError as exc:
        raise UpstreamError(f"cannot connect to upstream {host}: {exc.os_error}") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError(f"upstream {host} failed: {type(exc).__name__}") from exc
