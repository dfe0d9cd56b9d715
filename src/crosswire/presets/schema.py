"""Provider presets: what ``crosswire provider add`` knows about an endpoint, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crosswire.config.fields import Reader, choice_fix, join
from crosswire.config.schema import (
    MAX_TOKENS_FIELDS,
    PROVIDER_TYPES,
    TYPES_WITHOUT_BASE_URL,
)
from crosswire.config.sections import read_model_limits

AUTH_STYLES = ("bearer", "x-api-key", "x-goog-api-key", "none")
"""How an upstream takes its key (informational: the provider type decides the header)."""
PRESET_KEYS = (
    "title", "type", "base_url", "auth", "key_env", "profile", "rpm", "tpm", "max_concurrency",
    "notes", "models",
)  # fmt: skip
MODEL_KEYS = (
    "alias", "model", "max_context_size", "max_output_size", "capabilities", "reasoning_key",
    "max_tokens_field", "notes",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PresetModel:
    """One known model of a preset, written as a ``[models.<alias>]`` table."""

    alias: str
    """Suggested alias (renamed on add when it clashes with an existing one)."""
    model: str
    """The upstream's model id."""
    max_context_size: int
    max_output_size: int | None = None
    capabilities: tuple[str, ...] = ()
    reasoning_key: str | None = None
    max_tokens_field: str | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Preset:
    """One ``[presets.<name>]`` entry: an endpoint, its credential convention and models."""

    name: str
    title: str
    type: str
    base_url: str = ""
    auth: str = "bearer"
    key_env: str | None = None
    """Environment variable conventionally holding the key (``NVIDIA_API_KEY``)."""
    profile: str | None = None
    rpm: int | None = None
    tpm: int | None = None
    max_concurrency: int | None = None
    notes: str = ""
    models: tuple[PresetModel, ...] = ()
    source: str = "built-in"
    """``built-in`` or the user presets file it came from."""

    @property
    def needs_key(self) -> bool:
        return self.auth != "none"

    def model_named(self, name: str) -> PresetModel | None:
        """The model whose alias or upstream id is ``name``."""
        for model in self.models:
            if name in (model.alias, model.model):
                return model
        return None


def parse_presets(reader: Reader, data: Mapping[str, Any], source: str) -> dict[str, Preset]:
    """The ``[presets.*]`` tables of one parsed file; raises ConfigError on the first problem."""
    reader.check_keys(data, ("presets",), "")
    tbl = reader.table(data.get("presets", {}), "presets")
    return {name: _preset(reader, name, item, source) for name, item in tbl.items()}


def _preset(reader: Reader, name: str, value: object, source: str) -> Preset:
    prefix = join("presets", name)
    tbl = reader.table(value, prefix)
    reader.check_keys(tbl, PRESET_KEYS, prefix)
    ptype = reader.req_str(tbl, "type", prefix, f'add type = "openai" under [{prefix}]').strip()
    if ptype not in PROVIDER_TYPES:
        raise reader.error(
            join(prefix, "type"),
            f'unknown provider type "{ptype}"',
            choice_fix(ptype, PROVIDER_TYPES, "valid types"),
        )
    base_url = (reader.opt_str(tbl, "base_url", prefix) or "").strip().rstrip("/")
    if not base_url and ptype not in TYPES_WITHOUT_BASE_URL:
        raise reader.missing(prefix, "base_url", f'add base_url = "https://..." under [{prefix}]')
    auth = reader.opt_str(tbl, "auth", prefix) or "bearer"
    if auth not in AUTH_STYLES:
        raise reader.error(
            join(prefix, "auth"), f'unknown auth "{auth}"', choice_fix(auth, AUTH_STYLES, "styles")
        )
    key_env = reader.opt_str(tbl, "key_env", prefix)
    if auth != "none" and not key_env:
        raise reader.missing(
            prefix, "key_env", 'add key_env = "EXAMPLE_API_KEY" (or auth = "none")'
        )
    models_raw = tbl.get("models", [])
    if not isinstance(models_raw, list):
        raise reader.error(
            join(prefix, "models"), "must be an array of tables", f"write [[{prefix}.models]]"
        )
    models = tuple(
        _model(reader, f"{join(prefix, 'models')}[{i}]", item) for i, item in enumerate(models_raw)
    )
    aliases = [m.alias for m in models]
    duplicates = sorted({a for a in aliases if aliases.count(a) > 1})
    if duplicates:
        raise reader.error(join(prefix, "models"), f"duplicate alias {duplicates[0]!r}")
    return Preset(
        name=name,
        title=reader.opt_str(tbl, "title", prefix) or name,
        type=ptype,
        base_url=base_url,
        auth=auth,
        key_env=key_env,
        profile=reader.opt_str(tbl, "profile", prefix),
        rpm=reader.opt_int(tbl, "rpm", prefix, minimum=1, example=40),
        tpm=reader.opt_int(tbl, "tpm", prefix, minimum=1, example=200000),
        max_concurrency=reader.opt_int(tbl, "max_concurrency", prefix, minimum=1, example=8),
        notes=reader.opt_str(tbl, "notes", prefix) or "",
        models=models,
        source=source,
    )


def _model(reader: Reader, prefix: str, value: object) -> PresetModel:
    tbl = reader.table(value, prefix)
    reader.check_keys(tbl, MODEL_KEYS, prefix)
    alias = reader.req_str(tbl, "alias", prefix, f'add alias = "short-name" under {prefix}')
    model = reader.req_str(tbl, "model", prefix, f'add model = "<upstream id>" under {prefix}')
    context, output, caps = read_model_limits(reader, tbl, prefix)
    field = reader.opt_str(tbl, "max_tokens_field", prefix)
    if field is not None and field not in MAX_TOKENS_FIELDS:
        raise reader.error(
            join(prefix, "max_tokens_field"),
            f'invalid value "{field}"',
            choice_fix(field, MAX_TOKENS_FIELDS, "valid values"),
        )
    return PresetModel(
        alias=alias.strip(),
        model=model.strip(),
        max_context_size=context,
        max_output_size=output,
        capabilities=tuple(caps),
        reasoning_key=reader.opt_str(tbl, "reasoning_key", prefix),
        max_tokens_field=field,
        notes=reader.opt_str(tbl, "notes", prefix) or "",
    )
