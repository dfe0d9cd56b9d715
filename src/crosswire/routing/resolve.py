"""Resolve the model name a client sent to a configured model.

Order (first hit wins), and the rule is reported in the ``x-crosswire-route`` header:

1. ``alias``   — the name is a ``[models.<alias>]`` key;
2. ``provider`` — the name is ``<provider>/<upstream model>`` for a configured provider;
3. ``route``   — the name matches a ``[routes]`` glob (file order, case-insensitive);
4. ``default`` — ``default_model``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from crosswire.canonical import NotFoundError
from crosswire.config import Config, ModelConfig, ProviderConfig


@dataclass(frozen=True, slots=True)
class Target:
    alias: str
    model: ModelConfig
    provider: ProviderConfig
    rule: str
    """How the target was chosen, e.g. ``route:claude-*haiku*``."""


def resolve(config: Config, client_model: str) -> Target:
    model = config.models.get(client_model)
    if model is not None:
        return _target(config, model, "alias")
    provider_name, _, upstream_model = client_model.partition("/")
    if upstream_model and provider_name in config.providers:
        base = _any_model_of(config, provider_name)
        adhoc = ModelConfig(
            alias=client_model,
            provider=provider_name,
            model=upstream_model,
            max_context_size=base.max_context_size if base else 131072,
            max_output_size=base.max_output_size if base else None,
            capabilities=base.capabilities if base else frozenset(),
            reasoning_key=base.reasoning_key if base else None,
            max_tokens_field=base.max_tokens_field if base else None,
        )
        return Target(client_model, adhoc, config.providers[provider_name], "provider")
    lowered = client_model.lower()
    for route in config.routes:
        if fnmatchcase(lowered, route.pattern.lower()):
            return _target(config, config.models[route.alias], f"route:{route.pattern}")
    if config.default_model is not None:
        return _target(config, config.models[config.default_model], "default")
    raise NotFoundError(f"model {client_model!r} is not configured and there is no default_model")


def _target(config: Config, model: ModelConfig, rule: str) -> Target:
    return Target(model.alias, model, config.providers[model.provider], rule)


def _any_model_of(config: Config, provider: str) -> ModelConfig | None:
    return next((m for m in config.models.values() if m.provider == provider), None)
