"""Resolve a request to the configured model that serves it.

Order (first hit wins); the rule is reported in the ``x-crosswire-route`` header and the log:

1. ``alias``    — the client's model name is a ``[models.<alias>]`` key;
2. ``provider`` — the name is ``<provider>/<upstream model>`` for a configured provider
   (both bypass the scenario routes);
3. a scenario of ``[router]``, in the order of :data:`~crosswire.routing.scenarios.SCENARIO_ORDER`:
   ``long_context``, ``subagent``, ``web_search``, ``image``, ``think``, ``background``;
4. ``route:<glob>`` — the name matches a ``[routes]`` glob (file order, case-insensitive);
5. ``default``  — ``default_model``.

A ``<CCR-SUBAGENT-MODEL>`` marker is stripped from the system prompt whatever rule wins.
Then the context guard (:mod:`crosswire.routing.context_guard`) may move a request that does
not fit the chosen model to ``[router] long_context`` (rule ``long_context:guard``).
"""

from __future__ import annotations

from dataclasses import dataclass

from crosswire.canonical import NotFoundError, Request
from crosswire.config import Config, ModelConfig, ProviderConfig
from crosswire.routing.input_tokens import InputTokens
from crosswire.routing.scenarios import scenario_for, take_subagent_marker


@dataclass(frozen=True, slots=True)
class Target:
    alias: str
    model: ModelConfig
    provider: ProviderConfig
    rule: str
    """How the target was chosen, e.g. ``route:claude-*haiku*``."""


def resolve(config: Config, request: Request, tokens: InputTokens | None = None) -> Target:
    """The target for ``request`` (its subagent marker, if any, is removed on the way)."""
    subagent = take_subagent_marker(request)
    explicit = target_named(config, request.model, None)
    if explicit is not None:
        return explicit
    scenario = scenario_for(config, request, tokens or InputTokens(request), subagent)
    if scenario is not None:
        name, alias = scenario
        chosen = target_named(config, alias, name)
        if chosen is not None:
            return chosen
    lowered = request.model.lower()
    for route in config.routes:
        if route.matches(lowered):
            return model_target(config, config.models[route.alias], f"route:{route.pattern}")
    if config.default_model is not None:
        return model_target(config, config.models[config.default_model], "default")
    raise NotFoundError(f"model {request.model!r} is not configured and there is no default_model")


def target_named(config: Config, name: str, rule: str | None) -> Target | None:
    """The target for a model alias or ``provider/upstream-model``; ``rule`` defaults to
    ``alias`` / ``provider``. ``None`` when ``name`` is neither."""
    model = config.models.get(name)
    if model is not None:
        return model_target(config, model, rule or "alias")
    provider_name, _, upstream_model = name.partition("/")
    if not upstream_model or provider_name not in config.providers:
        return None
    base = _any_model_of(config, provider_name)
    adhoc = ModelConfig(
        alias=name,
        provider=provider_name,
        model=upstream_model,
        max_context_size=base.max_context_size if base else 131072,
        max_output_size=base.max_output_size if base else None,
        capabilities=base.capabilities if base else frozenset(),
        reasoning_key=base.reasoning_key if base else None,
        max_tokens_field=base.max_tokens_field if base else None,
    )
    return Target(name, adhoc, config.providers[provider_name], rule or "provider")


def model_target(config: Config, model: ModelConfig, rule: str) -> Target:
    """The target serving a configured model."""
    return Target(model.alias, model, config.providers[model.provider], rule)


def _any_model_of(config: Config, provider: str) -> ModelConfig | None:
    return next((m for m in config.models.values() if m.provider == provider), None)
