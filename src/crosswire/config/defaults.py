"""The built-in offline config used when there is no config file."""

from __future__ import annotations

from crosswire.config.schema import Config, ModelConfig, ProviderConfig

DEFAULT_CONTEXT_SIZE = 200_000
"""Context window of the built-in ``echo`` model."""
DEFAULT_CAPABILITIES = frozenset({"thinking", "image_in", "tool_use"})
"""Capabilities of the built-in ``echo`` model."""


def default_config() -> Config:
    """The offline default used when there is no config file: one ``echo`` model."""
    provider = ProviderConfig(name="echo", type="echo", base_url="", api_key="")
    model = ModelConfig(
        alias="echo",
        provider="echo",
        model="echo",
        max_context_size=DEFAULT_CONTEXT_SIZE,
        capabilities=DEFAULT_CAPABILITIES,
    )
    return Config(
        path=None,
        default_model="echo",
        providers={"echo": provider},
        models={"echo": model},
    )
