"""The loaded, validated configuration: plain slotted dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from crosswire.config.profiles import derive_profile
from crosswire.config.secrets import redact_headers, redact_secret

PROVIDER_TYPES = (
    "kimi",
    "anthropic",
    "openai",
    "openai_responses",
    "google-genai",
    "vertexai",
    "echo",
)
"""Valid ``[providers.*] type`` values (the wire format the upstream speaks)."""
PROVIDER_TYPE_ALIASES: dict[str, str] = {
    "openai_legacy": "openai",
    "google_genai": "google-genai",
    "gemini": "google-genai",
}
"""Kimi Code CLI spellings accepted for compatibility, mapped to ours."""
TYPES_WITHOUT_BASE_URL = frozenset({"echo", "google-genai", "vertexai"})
"""Provider types whose SDK-style endpoint is implied, so ``base_url`` may be omitted."""
KNOWN_CAPABILITIES = ("thinking", "always_thinking", "image_in", "video_in", "tool_use")
"""Valid ``[models.*] capabilities`` entries."""
MAX_TOKENS_FIELDS = ("max_tokens", "max_completion_tokens")
"""Valid ``[models.*] max_tokens_field`` values."""
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
"""Valid ``[server] log_level`` values."""


@dataclass(slots=True)
class ServerConfig:
    """The ``[server]`` table."""

    host: str = "127.0.0.1"
    """Interface to listen on."""
    port: int = 4040
    """TCP port to listen on; 0 picks a free one."""
    connect_timeout: float = 10.0
    """Seconds allowed to connect to an upstream."""
    idle_timeout: float = 300.0
    """Seconds allowed between two upstream chunks (long thinking stays silent for minutes)."""
    max_connections: int = 2048
    """Upstream connection pool size, all hosts together."""
    max_connections_per_host: int = 1024
    """Upstream connection pool size per host."""
    ping_interval: float = 10.0
    """Seconds of silence on a client stream before a keep-alive ping is sent."""
    log_level: str = "info"
    """One of :data:`LOG_LEVELS`, lower-case."""


@dataclass(slots=True, repr=False)
class ProviderConfig:
    """One ``[providers.<name>]`` table: an upstream endpoint and its credential."""

    name: str
    """The table name (``nim`` in ``[providers.nim]``)."""
    type: str
    """One of :data:`PROVIDER_TYPES` (Kimi aliases already normalised)."""
    base_url: str = ""
    """Endpoint root without a trailing slash; ``""`` for types that imply it."""
    api_key: str = ""
    """The resolved credential (``${VAR}`` expanded, env fallbacks applied); ``""`` if none."""
    profile: str | None = None
    """Explicit quirk profile name; ``None`` = derive it (see :attr:`profile_name`)."""
    custom_headers: dict[str, str] = field(default_factory=dict)
    """Extra headers sent with every upstream request (``${VAR}`` expanded)."""
    env: dict[str, str] = field(default_factory=dict)
    """The ``[providers.<name>.env]`` table as written (``${VAR}`` expanded)."""
    key_source: str = ""
    """Where :attr:`api_key` came from, for diagnostics: ``api_key``, ``env.NAME``,
    ``$NAME`` (process environment), or ``""`` when there is no key."""
    passthrough: bool = True
    """Relay same-format clients untranslated when the upstream has no quirks (``false``:
    always decode and re-encode, e.g. to normalise bodies)."""

    @property
    def profile_name(self) -> str:
        """The explicit :attr:`profile`, else derived from :attr:`type` and :attr:`base_url`."""
        return self.profile or derive_profile(self.type, self.base_url)

    def __repr__(self) -> str:
        key = redact_secret(self.api_key) if self.api_key else ""
        env = {k: redact_secret(v) if v else "" for k, v in self.env.items()}
        return (
            f"ProviderConfig(name={self.name!r}, type={self.type!r}, base_url={self.base_url!r}, "
            f"api_key={key!r}, profile={self.profile!r}, "
            f"custom_headers={redact_headers(self.custom_headers)!r}, env={env!r}, "
            f"key_source={self.key_source!r})"
        )


@dataclass(slots=True)
class ModelConfig:
    """One ``[models.<alias>]`` table: an upstream model reachable through a provider."""

    alias: str
    """The table name; what routes and ``default_model`` refer to."""
    provider: str
    """Name of the provider serving it (a key of :attr:`Config.providers`)."""
    model: str
    """The upstream's own model id."""
    max_context_size: int
    """Context window in tokens (input + output)."""
    max_output_size: int | None = None
    """Output token cap; ``None`` = the provider's default."""
    capabilities: frozenset[str] = frozenset()
    """Subset of :data:`KNOWN_CAPABILITIES`."""
    reasoning_key: str | None = None
    """Field carrying reasoning in OpenAI-format replies (``reasoning_content``); ``None`` =
    the profile's default."""
    max_tokens_field: str | None = None
    """``max_tokens`` or ``max_completion_tokens``; ``None`` = the profile's default."""


@dataclass(slots=True)
class Route:
    """One ``[routes]`` entry: client model names matching :attr:`pattern` go to :attr:`alias`."""

    pattern: str
    """fnmatch glob, matched case-insensitively against the client's model name."""
    alias: str
    """The model alias (a key of :attr:`Config.models`)."""

    def matches(self, client_model: str) -> bool:
        """Whether ``client_model`` matches :attr:`pattern`, ignoring case."""
        return fnmatchcase(client_model.lower(), self.pattern.lower())


@dataclass(slots=True)
class Config:
    """A whole validated config file."""

    path: Path | None = None
    """The file it was loaded from; ``None`` for the built-in default."""
    default_model: str | None = None
    """Alias used when no route matches; ``None`` = no fallback (unmatched names are rejected)."""
    default_thinking: bool = False
    """Kimi CLI's ``default_thinking``: think when the client does not say."""
    server: ServerConfig = field(default_factory=ServerConfig)
    """The ``[server]`` table."""
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    """``[providers.*]`` by name, in file order."""
    models: dict[str, ModelConfig] = field(default_factory=dict)
    """``[models.*]`` by alias, in file order."""
    routes: list[Route] = field(default_factory=list)
    """``[routes]`` in file order; the first match wins."""

    def model(self, alias: str) -> ModelConfig | None:
        """The model with this exact alias, or ``None``."""
        return self.models.get(alias)

    def provider_for(self, model_cfg: ModelConfig) -> ProviderConfig:
        """The provider serving ``model_cfg`` (always present in a validated config)."""
        return self.providers[model_cfg.provider]
