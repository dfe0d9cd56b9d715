"""``config.toml``: providers, models, routes and server settings, validated at startup.

Modelled on Kimi Code CLI's config (``[providers.*]``, ``[models.*]``, ``default_model``,
``default_thinking``), plus crosswire's own ``[server]`` and ``[routes]``::

    default_model = "k26"          # alias used when no route matches (optional with one model)
    default_thinking = false       # Kimi CLI's flag: think when the client does not say (optional)

    [server]                       # every key optional; defaults shown
    host = "127.0.0.1"
    port = 4040                    # 0 = any free port
    connect_timeout = 10.0         # seconds to connect upstream
    idle_timeout = 300.0           # seconds allowed between two upstream chunks (long thinking)
    max_connections = 2048         # upstream pool size (total)
    max_connections_per_host = 1024
    ping_interval = 10.0           # keep-alive ping on quiet streams
    log_level = "info"             # debug | info | warning | error | critical

    [providers.nim]
    type = "openai"                # kimi | anthropic | openai | openai_responses | google-genai
                                   # | vertexai | echo  (Kimi's openai_legacy, google_genai and
                                   # gemini are accepted as aliases)
    base_url = "https://integrate.api.nvidia.com/v1"   # required except echo/google-genai/vertexai
    api_key = "nvapi-..."          # may also be "${ENV_VAR}" (expanded from the process env)
    profile = "nim"                # optional quirk profile name; default: derived (see below)
    custom_headers = { "X-Foo" = "bar" }   # optional; values may use ${ENV_VAR}
    passthrough = true             # optional: relay same-format clients untranslated when the
                                   # upstream has no quirks (see crosswire.server.passthrough)
    [providers.nim.env]
    NVIDIA_API_KEY = ""            # credential fallback, see below

    [models.k26]
    provider = "nim"
    model = "moonshotai/kimi-k2.6"  # the upstream's model id
    max_context_size = 131072
    max_output_size = 32768         # optional; must not exceed max_context_size
    capabilities = ["thinking", "image_in"]   # optional; known: thinking, always_thinking,
                                              # image_in, video_in, tool_use
    reasoning_key = "reasoning_content"       # optional: field carrying reasoning in OpenAI replies
    max_tokens_field = "max_tokens"           # optional: "max_tokens" | "max_completion_tokens"

    [routes]    # client model name (fnmatch glob, case-insensitive) -> model alias; first match
    "claude-*haiku*" = "fast"                 # wins, in file order
    "claude-*" = "k26"

Which file: ``--config PATH``, else ``$CROSSWIRE_CONFIG``, else
``<platformdirs.user_config_dir("crosswire")>/config.toml`` if it exists, else the built-in
offline default (one ``echo`` provider and model, see :func:`default_config`).

``default_model``: when omitted and exactly one model is defined, that model; with several
models and no ``default_model`` there is no fallback.

Credentials, per provider, first found wins:

1. ``api_key``, with every ``${VAR}`` expanded; an unset ``VAR`` counts as missing;
2. the ``[providers.X.env]`` table's first entry named ``*_API_KEY``, ``*_KEY`` or ``*_TOKEN``:
   its value if non-empty, else the process environment variable of that name.

A provider that some model uses and that has no key is a startup error, except ``type = "echo"``
and local servers (``base_url`` host ``localhost``, ``127.0.0.1`` or ``::1``: vLLM, Ollama …).

Quirk profile (:attr:`ProviderConfig.profile_name`): ``profile`` if set; else for
``type = "openai"`` by base_url host (``nvidia.com`` → ``nim``, ``moonshot``/``kimi.com`` →
``kimi``, ``deepseek`` → ``deepseek``, ``api.openai.com`` → ``openai_official``, otherwise
``openai``); else the type name.

Gateway keys (``[server] keys``) and input limits are documented in
:mod:`crosswire.config.security` and docs/security.md.

The request log and ``GET /metrics`` (``[log]``, ``[metrics]``) are documented in
:mod:`crosswire.config.observe`.

Routing scenarios (``[router]``), model ``fallbacks``, provider pacing limits and the
``[server]`` retry/cooldown/state settings are documented in :mod:`crosswire.config.resilience`.

Every problem raises one :class:`ConfigError` (``"<file>: <key>: <message>\\n  fix: <fix>"``).
Secrets never appear in errors or reprs (:func:`~crosswire.config.secrets.redact_secret`).
"""

from crosswire.config.defaults import default_config
from crosswire.config.errors import ConfigError
from crosswire.config.loader import load_config, loads_config, parse_config
from crosswire.config.paths import CONFIG_ENV_VAR, default_config_path, find_config_path
from crosswire.config.profiles import derive_profile
from crosswire.config.schema import (
    KNOWN_CAPABILITIES,
    MAX_TOKENS_FIELDS,
    PROVIDER_TYPES,
    SCENARIOS,
    Config,
    GatewayKey,
    ModelConfig,
    ProviderConfig,
    Route,
    RouterConfig,
    ServerConfig,
)
from crosswire.config.secrets import redact_headers, redact_secret

__all__ = [
    "CONFIG_ENV_VAR",
    "KNOWN_CAPABILITIES",
    "MAX_TOKENS_FIELDS",
    "PROVIDER_TYPES",
    "SCENARIOS",
    "Config",
    "ConfigError",
    "GatewayKey",
    "ModelConfig",
    "ProviderConfig",
    "Route",
    "RouterConfig",
    "ServerConfig",
    "default_config",
    "default_config_path",
    "derive_profile",
    "find_config_path",
    "load_config",
    "loads_config",
    "parse_config",
    "redact_headers",
    "redact_secret",
]
