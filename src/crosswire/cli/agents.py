"""Each agent's own settings for talking to the gateway: environment variables and command-line
flags only, so the user's agent config files are never written."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crosswire.config import Config

CODEX_KEY_ENV = "CROSSWIRE_API_KEY"
GEMINI_AUTH_TYPE = "gemini-api-key"


@dataclass(slots=True)
class AgentRun:
    argv: list[str]
    env: dict[str, str]
    unset: tuple[str, ...] = ()
    """Variables removed from the agent's environment."""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Agent:
    binary: str
    install: str
    settings: Callable[[str, str, str, Config, Sequence[str]], AgentRun]


def _context(config: Config, model: str) -> int | None:
    found = config.models.get(model)
    return found.max_context_size if found else None


def claude(url: str, key: str, model: str, config: Config, args: Sequence[str]) -> AgentRun:
    env = {
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_AUTH_TOKEN": key,
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": config.router.background or model,
    }
    if config.router.subagent:
        env["CLAUDE_CODE_SUBAGENT_MODEL"] = config.router.subagent
    context = _context(config, model)
    if context:
        env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"] = str(context)
    # a real Anthropic key would be sent to the gateway too (and makes Claude Code ask about it)
    return AgentRun(["claude", *args], env, unset=("ANTHROPIC_API_KEY",))


def codex(url: str, key: str, model: str, config: Config, args: Sequence[str]) -> AgentRun:
    overrides = {
        "model_provider": "crosswire",
        "model_providers.crosswire.name": "crosswire",
        "model_providers.crosswire.base_url": f"{url}/v1",
        "model_providers.crosswire.env_key": CODEX_KEY_ENV,
        "model_providers.crosswire.wire_api": "responses",
        "model": model,
    }
    argv = ["codex"]
    for name, value in overrides.items():
        argv += ["-c", f"{name}={json.dumps(value)}"]  # a TOML basic string
    context = _context(config, model)
    if context:
        argv += ["-c", f"model_context_window={context}"]
    return AgentRun([*argv, *args], {CODEX_KEY_ENV: key})


def aider(url: str, key: str, model: str, config: Config, args: Sequence[str]) -> AgentRun:
    env = {"OPENAI_API_BASE": f"{url}/v1", "OPENAI_API_KEY": key}
    return AgentRun(["aider", "--model", f"openai/{model}", *args], env)


def opencode(url: str, key: str, model: str, config: Config, args: Sequence[str]) -> AgentRun:
    """OpenCode merges ``OPENCODE_CONFIG_CONTENT`` (inline JSON) over its config files, so a
    ``crosswire`` provider is added for this run only."""
    models = {
        alias: {
            "name": alias,
            "limit": {"context": m.max_context_size, "output": m.max_output_size or 8192},
        }
        for alias, m in config.models.items()
    }
    content = {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "crosswire": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "crosswire",
                "options": {"baseURL": f"{url}/v1", "apiKey": key},
                "models": models,
            }
        },
        "model": f"crosswire/{model}",
    }
    return AgentRun(["opencode", *args], {"OPENCODE_CONFIG_CONTENT": json.dumps(content)})


def gemini(url: str, key: str, model: str, config: Config, args: Sequence[str]) -> AgentRun:
    env = {"GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_KEY": key}
    return AgentRun(["gemini", "-m", model, *args], env)


def gemini_auth_fix(home: Path) -> str | None:
    """The one-line fix when ``~/.gemini/settings.json`` does not select API-key auth (Gemini
    CLI otherwise refuses a custom base URL in headless mode), else ``None``."""
    settings = home / ".gemini" / "settings.json"
    wanted = {"security": {"auth": {"selectedType": GEMINI_AUTH_TYPE}}}
    if not settings.exists():
        return f"mkdir -p {settings.parent} && echo '{json.dumps(wanted)}' > {settings}"
    try:
        data = json.loads(settings.read_text())
    except (OSError, ValueError):
        data = None
    auth = _dig(data, "security", "auth")
    if isinstance(auth, Mapping) and auth.get("selectedType") == GEMINI_AUTH_TYPE:
        return None
    return f'add "security": {{"auth": {{"selectedType": "{GEMINI_AUTH_TYPE}"}}}} to {settings}'


def _dig(data: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


AGENTS: dict[str, Agent] = {
    "claude": Agent("claude", "npm i -g @anthropic-ai/claude-code", claude),
    "codex": Agent("codex", "npm i -g @openai/codex", codex),
    "aider": Agent("aider", "pipx install aider-chat", aider),
    "opencode": Agent("opencode", "npm i -g opencode-ai", opencode),
    "gemini": Agent("gemini", "npm i -g @google/gemini-cli", gemini),
}
