"""Is each provider reachable, and does it accept its key? One TCP connect, then one cheap
authenticated request where the format has one — listing models costs no tokens:

============================= =====================================================
provider type                 authenticated request
============================= =====================================================
openai, kimi, openai_responses ``GET {base_url}/models`` with ``Authorization: Bearer``
anthropic                     ``GET {base_url}/v1/models`` with the flavour's auth header
google-genai                  ``GET {base_url}/models`` with ``x-goog-api-key``
vertexai                      TCP only (the key is checked by the probes)
echo                          skipped (built in, offline)
============================= =====================================================

401 or 403 means the key was rejected; any other answer means the endpoint is reachable (a
server without a model list answers 404, and the probes then tell whether the key works).
The key is never printed: :func:`key_label` shows it redacted, with where it came from.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import aiohttp

from crosswire.config import ProviderConfig
from crosswire.config.secrets import redact_secret
from crosswire.doctor.report import ProviderCheck, Scrubber
from crosswire.upstream.anthropic import (
    ANTHROPIC_VERSION,
    CODING_AGENT_FALLBACK_UA,
    flavour_for,
    messages_url,
)
from crosswire.upstream.gemini import GoogleGenAIAdapter, VertexAIAdapter

USER_AGENT = "crosswire-doctor"
KEY_REJECTED_STATUSES = frozenset({401, 403})
DEFAULT_PORTS = {"http": 80, "https": 443}


def key_label(provider: ProviderConfig) -> str:
    """``nva…1234 (from $NVIDIA_API_KEY)``, or ``-`` when the provider has no key."""
    if not provider.api_key:
        return "-"
    source = f" (from {provider.key_source})" if provider.key_source else ""
    return redact_secret(provider.api_key) + source


def list_request(provider: ProviderConfig) -> tuple[str, dict[str, str]] | None:
    """The URL and headers of the provider's cheapest authenticated request, if it has one."""
    headers = {"user-agent": USER_AGENT}
    key = provider.api_key
    if provider.type in ("openai", "kimi", "openai_responses"):
        if key:
            headers["authorization"] = f"Bearer {key}"
        url = provider.base_url.rstrip("/") + "/models"
    elif provider.type == "anthropic":
        flavour = flavour_for(provider)
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if flavour.coding_agent_ua:
            headers["user-agent"] = CODING_AGENT_FALLBACK_UA
        if key and flavour.auth == "bearer":
            headers["authorization"] = f"Bearer {key}"
        elif key:
            headers["x-api-key"] = key
        url = messages_url(provider.base_url).removesuffix("/messages") + "/models"
    elif provider.type == "google-genai":
        model_url, google_auth = GoogleGenAIAdapter().endpoint(provider, "-")
        headers.update(google_auth)
        url = model_url.removesuffix("/-")
    else:
        return None
    headers.update(provider.custom_headers)
    return url, headers


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 443)


async def check_provider(
    provider: ProviderConfig,
    session: aiohttp.ClientSession,
    scrub: Scrubber,
    timeout: float,
) -> ProviderCheck:
    """Reachability and key validity of ``provider`` (see the module docstring)."""
    check = ProviderCheck(provider.name, provider.type, "", key_label(provider), "skipped")
    if provider.type == "echo":
        check.detail = "built in, offline"
        return check
    try:
        listing = list_request(provider)
        url = listing[0] if listing else VertexAIAdapter().endpoint(provider, "-")[0]
    except Exception as exc:  # a provider the adapters cannot even address
        check.status, check.detail = "unreachable", scrub(f"cannot build its URL: {exc}")
        return check
    check.url = url
    started = time.perf_counter()
    host, port = _host_port(url)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.close()
    except (OSError, TimeoutError) as exc:
        check.status = "unreachable"
        check.detail = scrub(f"cannot connect to {host}:{port}: {_why(exc)}")
        return check
    if listing is None:
        check.status, check.detail = "reachable", "TCP connect only; the probes check the key"
        check.latency_ms = _ms(started)
        return check
    try:
        async with session.get(
            url, headers=listing[1], timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        check.status, check.detail = "unreachable", scrub(f"GET {url}: {_why(exc)}")
        return check
    check.latency_ms = _ms(started)
    check.status, check.detail = _verdict(status, url)
    return check


def _verdict(status: int, url: str) -> tuple[str, str]:
    if status in KEY_REJECTED_STATUSES:
        return "key rejected", f"GET {url} answered HTTP {status}"
    if 200 <= status < 300:
        return "ok", f"GET {url} answered HTTP {status}: key accepted"
    return "reachable", f"GET {url} answered HTTP {status}; the probes check the key"


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
