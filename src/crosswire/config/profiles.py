"""Which quirk profile a provider gets when its config names none."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

OPENAI_HOST_PROFILES: tuple[tuple[str, str], ...] = (
    ("nvidia.com", "nim"),
    ("moonshot", "kimi"),
    ("kimi.com", "kimi"),
    ("deepseek", "deepseek"),
    ("api.openai.com", "openai_official"),
)
"""For ``type = "openai"``: (substring of the base_url host, profile); the first match wins."""
OPENAI_FALLBACK_PROFILE = "openai"
"""Profile of an ``openai`` provider whose host matches nothing in :data:`OPENAI_HOST_PROFILES`."""

PROFILE_KEY_ENV_HINTS: dict[str, str] = {
    "nim": "NVIDIA_API_KEY",
    "kimi": "MOONSHOT_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openai_official": "OPENAI_API_KEY",
    "openai_responses": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google-genai": "GEMINI_API_KEY",
    "vertexai": "GOOGLE_API_KEY",
}
"""Conventional credential variable per profile, suggested in "no API key" fixes."""

_NOT_ENV_CHARS = re.compile(r"[^A-Z0-9]+")


def url_host(url: str) -> str:
    """The lower-cased host of ``url`` (no port, no brackets), or ``""``."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def derive_profile(provider_type: str, base_url: str) -> str:
    """The default profile: by host for ``openai`` providers, else the type name."""
    if provider_type != "openai":
        return provider_type
    host = url_host(base_url)
    for needle, profile in OPENAI_HOST_PROFILES:
        if needle in host:
            return profile
    return OPENAI_FALLBACK_PROFILE


def key_env_hint(provider_name: str, profile: str) -> str:
    """The environment variable to suggest for a provider's key (``NVIDIA_API_KEY`` …)."""
    hint = PROFILE_KEY_ENV_HINTS.get(profile)
    if hint:
        return hint
    stem = _NOT_ENV_CHARS.sub("_", provider_name.upper()).strip("_") or "PROVIDER"
    return f"{stem}_API_KEY"
