"""The loaded, validated configuration: plain slotted dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from crosswire.config.observe import LogConfig, MetricsConfig
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


@dataclass(frozen=True, slots=True, repr=False)
class GatewayKey:
    """One key clients may present to the gateway; only its SHA-256 is kept."""

    name: str
    """``[server.keys.<name>]``, or ``key-<n>`` for the n-th entry of a plain array."""
    digest: bytes
    """SHA-256 of the key (the key itself is never stored)."""
    models: tuple[str, ...] = ()
    """Client model names or aliases this key may use; empty = every model."""
    rpm: int | None = None
    """Requests per minute allowed with this key."""
    tpm: int | None = None
    """Estimated input tokens per minute allowed with this key."""

    def __repr__(self) -> str:
        digest = self.digest.hex()[:8]
        return f"GatewayKey(name={self.name!r}, sha256={digest}…, models={self.models!r})"


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
    state: str = "memory"
    """Where pacing, concurrency and cooldown state lives: ``memory`` (this process) or a
    ``redis://host:port/db`` URL shared by several replicas."""
    retries: int = 2
    """Upstream retries per request (429/5xx/connection errors, before the first byte)."""
    retry_budget: float = 0.2
    """Retries allowed as a share of recent requests (0.2 = at most one retry per five
    requests), so a failing upstream is not hit with a storm."""
    cooldown_after: int = 5
    """Consecutive failures that put a provider in cooldown (circuit open)."""
    cooldown_seconds: float = 30.0
    """How long a provider stays in cooldown before a recovery probe is let through."""
    max_queue_wait: float = 30.0
    """Default seconds a request may wait for a provider's pacing before a 429."""
    keys: tuple[GatewayKey, ...] = ()
    """Gateway keys clients must present (``[server] keys``); empty = no authentication
    (``crosswire serve`` then binds only loopback). See :mod:`crosswire.config.security`."""
    max_body_bytes: int = 32 * 1024 * 1024
    """Largest request body accepted (413 above)."""
    body_timeout: float = 60.0
    """Seconds a client may take to send its whole request body (408 after)."""
    max_json_depth: int = 64
    """Deepest JSON nesting accepted in a request body (400 deeper)."""
    max_messages: int = 10_000
    """Most messages / input items / contents in one request (400 above)."""
    max_tools: int = 1_000
    """Most tool (function) declarations in one request (400 above)."""
    max_header_bytes: int = 16_384
    """Longest request line and longest header field accepted by the HTTP parser."""
    debug_endpoints: bool = False
    """Serve ``GET /debug/tasks`` (asyncio task count) to loopback clients, for soak tests."""


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
    rpm: int | None = None
    """Requests per minute crosswire lets through to this provider (NIM free tier: 40)."""
    tpm: int | None = None
    """Input + output tokens per minute (estimated before sending)."""
    max_concurrency: int | None = None
    """Requests in flight at once to this provider."""
    max_queue_wait: float | None = None
    """Seconds a request may wait for pacing before a 429; ``None`` = the server default."""
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
    fallbacks: tuple[str, ...] = ()
    """Model aliases tried in order when this one fails before answering (connection errors,
    timeouts, 429/5xx, context overflow); they may be on providers of any format."""


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


SCENARIOS = ("background", "think", "long_context", "web_search", "image", "subagent")
"""Scenario routes of ``[router]`` (claude-code-router's names), besides ``default``."""


@dataclass(slots=True)
class RouterConfig:
    """The ``[router]`` table: scenario → model alias (claude-code-router's scenarios)."""

    background: str | None = None
    """Background work: haiku-class client model names (``claude-*haiku*``)."""
    think: str | None = None
    """The client asked for thinking."""
    long_context: str | None = None
    """The estimated input is above :attr:`long_context_threshold` tokens."""
    long_context_threshold: int = 60000
    """Input tokens (counted locally) above which ``long_context`` applies."""
    web_search: str | None = None
    """A web-search server tool is present."""
    image: str | None = None
    """The request carries images."""
    subagent: str | None = None
    """A subagent's request (marked ``<CCR-SUBAGENT-MODEL>alias</CCR-SUBAGENT-MODEL>`` in its
    system prompt, as claude-code-router does, or sent with this alias as its model)."""

    def scenario(self, name: str) -> str | None:
        return getattr(self, name)  # type: ignore[no-any-return]


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
    router: RouterConfig = field(default_factory=RouterConfig)
    """``[router]`` scenario routes."""
    log: LogConfig = field(default_factory=LogConfig)
    """``[log]``: the request log (see :mod:`crosswire.config.observe`)."""
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    """``[metrics]``: ``GET /metrics``."""

    def model(self, alias: str) -> ModelConfig | None:
        """The model with this exact alias, or ``None``."""
        return self.models.get(alias)

    def provider_for(self, model_cfg: ModelConfig) -> ProviderConfig:
        """The provider serving ``model_cfg`` (always present in a validated config)."""
        return self.providers[model_cfg.provider]
