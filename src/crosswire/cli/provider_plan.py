"""What ``crosswire provider add`` writes and what ``remove`` must check: pure functions over
the preset and the current document, no I/O."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from crosswire.config.schema import SCENARIOS
from crosswire.presets import Preset, PresetModel

DEFAULT_CONTEXT = 32768
"""Context size for ``--model`` ids the preset does not know (conservative)."""
_NOT_ALIAS = re.compile(r"[^a-z0-9._-]+")


class PlanError(Exception):
    """A request that cannot be turned into config tables; ``str()`` is for the user."""


@dataclass(slots=True)
class KeyChoice:
    """How the provider's key is stored: the key itself, an env-var reference, or none."""

    literal: str | None = None
    env_var: str | None = None

    @property
    def api_key_value(self) -> str | None:
        if self.literal:
            return self.literal
        return f"${{{self.env_var}}}" if self.env_var else None


@dataclass(slots=True)
class AddPlan:
    name: str
    provider: dict[str, Any]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    """alias -> ``[models.<alias>]`` values, in order."""
    renamed: dict[str, str] = field(default_factory=dict)
    """preset alias -> alias actually used (when it clashed)."""
    default_model: str | None = None


def provider_values(preset: Preset, key: KeyChoice, base_url: str | None) -> dict[str, Any]:
    return {
        "type": preset.type,
        "base_url": (base_url or preset.base_url or None),
        "api_key": key.api_key_value,
        "profile": preset.profile,
        "rpm": preset.rpm,
        "tpm": preset.tpm,
        "max_concurrency": preset.max_concurrency,
    }


def model_values(provider: str, model: PresetModel) -> dict[str, Any]:
    return {
        "provider": provider,
        "model": model.model,
        "max_context_size": model.max_context_size,
        "max_output_size": model.max_output_size,
        "capabilities": list(model.capabilities) or None,
        "reasoning_key": model.reasoning_key,
        "max_tokens_field": model.max_tokens_field,
    }


def alias_for_id(model_id: str) -> str:
    """A readable alias for an upstream id: ``Qwen/Qwen3-Coder:30b`` -> ``qwen3-coder-30b``."""
    tail = model_id.rsplit("/", 1)[-1].lower()
    return _NOT_ALIAS.sub("-", tail).strip("-") or "model"


def free_alias(wanted: str, provider: str, taken: Collection[str]) -> str:
    """``wanted``, else ``wanted-<provider>``, else with a number appended."""
    if wanted not in taken:
        return wanted
    candidate = f"{wanted}-{provider}"
    n = 2
    while candidate in taken:
        candidate = f"{wanted}-{provider}-{n}"
        n += 1
    return candidate


def choose_models(
    preset: Preset, model_ids: tuple[str, ...], context: int | None
) -> list[PresetModel]:
    """The preset's models, or the ``--model`` ids (known ones keep the preset's limits)."""
    if not model_ids:
        return list(preset.models)
    chosen: list[PresetModel] = []
    for model_id in model_ids:
        known = preset.model_named(model_id)
        if known is not None:
            chosen.append(known)
        else:
            size = context or DEFAULT_CONTEXT
            chosen.append(PresetModel(alias_for_id(model_id), model_id, size))
    return chosen


def plan_add(
    preset: Preset,
    *,
    name: str,
    key: KeyChoice,
    existing_providers: Collection[str],
    existing_models: Collection[str],
    base_url: str | None = None,
    model_ids: tuple[str, ...] = (),
    context: int | None = None,
    default_model: str | None = None,
) -> AddPlan:
    if name in existing_providers:
        raise PlanError(
            f"a provider named {name!r} already exists: pick another --name, "
            f"or remove it first with `crosswire provider remove {name}`"
        )
    plan = AddPlan(name=name, provider=provider_values(preset, key, base_url))
    taken = set(existing_models)
    for model in choose_models(preset, model_ids, context):
        alias = free_alias(model.alias, name, taken)
        taken.add(alias)
        if alias != model.alias:
            plan.renamed[model.alias] = alias
        plan.models[alias] = model_values(name, model)
    if default_model is not None:
        plan.default_model = _resolve_default(plan, default_model)
    return plan


def _resolve_default(plan: AddPlan, wanted: str) -> str:
    if wanted in plan.models:
        return wanted
    if wanted in plan.renamed:
        return plan.renamed[wanted]
    for alias, values in plan.models.items():
        if values["model"] == wanted:
            return alias
    choices = ", ".join(plan.models) or "(none)"
    raise PlanError(f"--default-model {wanted!r} is not one of this provider's models: {choices}")


def references_to(doc: Mapping[str, Any], aliases: Collection[str]) -> list[str]:
    """Where the config points at any of ``aliases`` outside their own tables, as TOML
    snippets (``default_model = "k26"``, ``routes."claude-*" = "k26"`` …)."""
    found: list[str] = []
    default = doc.get("default_model")
    if default in aliases:
        found.append(f'default_model = "{default}"')
    for pattern, alias in dict(doc.get("routes", {})).items():
        if alias in aliases:
            found.append(f'routes."{pattern}" = "{alias}"')
    router = dict(doc.get("router", {}))
    for scenario in SCENARIOS:
        if router.get(scenario) in aliases:
            found.append(f'router.{scenario} = "{router[scenario]}"')
    for alias, model in dict(doc.get("models", {})).items():
        if alias in aliases:
            continue
        for fallback in list(dict(model).get("fallbacks", [])):
            if fallback in aliases:
                found.append(f'models.{alias}.fallbacks contains "{fallback}"')
    return found


def models_of(doc: Mapping[str, Any], provider: str) -> list[str]:
    return [
        alias
        for alias, model in dict(doc.get("models", {})).items()
        if dict(model).get("provider") == provider
    ]
