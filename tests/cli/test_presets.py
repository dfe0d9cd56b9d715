"""The preset catalog: complete, valid, loadable as config, and extensible by the user."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from crosswire.cli.provider_plan import KeyChoice, plan_add
from crosswire.config import ConfigError, loads_config
from crosswire.config.editing import add_table, new_table, set_top_level
from crosswire.presets import builtin_presets, load_presets, user_presets_path
from tests.cli.support import Dirs, dirs

__all__ = ["dirs"]

REQUIRED = {
    "moonshot": ("kimi", "https://api.moonshot.ai/v1"),
    "moonshot-cn": ("kimi", "https://api.moonshot.cn/v1"),
    "moonshot-anthropic": ("anthropic", "https://api.moonshot.ai/anthropic"),
    "kimi-code": ("anthropic", "https://api.kimi.com/coding"),
    "kimi-code-openai": ("openai", "https://api.kimi.com/coding/v1"),
    "nim": ("openai", "https://integrate.api.nvidia.com/v1"),
    "deepseek": ("openai", "https://api.deepseek.com/v1"),
    "openrouter": ("openai", "https://openrouter.ai/api/v1"),
    "groq": ("openai", "https://api.groq.com/openai/v1"),
    "openai": ("openai", "https://api.openai.com/v1"),
    "openai-responses": ("openai_responses", "https://api.openai.com/v1"),
    "anthropic": ("anthropic", "https://api.anthropic.com"),
    "gemini": ("google-genai", ""),
    "vertex": ("vertexai", ""),
    "vllm": ("openai", "http://127.0.0.1:8000/v1"),
    "ollama": ("openai", "http://127.0.0.1:11434/v1"),
    "lmstudio": ("openai", "http://127.0.0.1:1234/v1"),
}


def test_catalog_has_every_required_endpoint() -> None:
    presets = builtin_presets()
    for name, (ptype, base_url) in REQUIRED.items():
        assert presets[name].type == ptype, name
        assert presets[name].base_url == base_url, name
        assert presets[name].models, name


def test_nim_preset_is_conservative_and_paced() -> None:
    nim = builtin_presets()["nim"]
    assert (nim.key_env, nim.profile, nim.rpm, nim.auth) == ("NVIDIA_API_KEY", "nim", 40, "bearer")
    kimi = nim.model_named("kimi-k2.6")
    assert kimi is not None and kimi.model == "moonshotai/kimi-k2.6"
    assert kimi.max_context_size == 131072
    assert set(kimi.capabilities) == {"thinking", "image_in"}
    assert nim.model_named("moonshotai/kimi-k2.6") is kimi


def test_local_presets_need_no_key() -> None:
    presets = builtin_presets()
    for name in ("vllm", "ollama", "lmstudio"):
        assert presets[name].auth == "none" and not presets[name].needs_key


@pytest.mark.parametrize("name", sorted(builtin_presets()))
def test_every_preset_becomes_a_loadable_config(name: str) -> None:
    preset = builtin_presets()[name]
    key = KeyChoice(env_var=preset.key_env) if preset.needs_key else KeyChoice()
    plan = plan_add(
        preset, name=name, key=key, existing_providers=(), existing_models=(),
        default_model=preset.models[0].alias,
    )  # fmt: skip
    doc = tomlkit.document()
    add_table(doc, "providers", plan.name, new_table(plan.provider))
    for alias, values in plan.models.items():
        add_table(doc, "models", alias, new_table(values))
    set_top_level(doc, "default_model", plan.default_model)
    environ = {preset.key_env: "k" * 20} if preset.key_env else {}
    config = loads_config(tomlkit.dumps(doc), environ=environ)
    assert config.default_model == preset.models[0].alias
    assert config.providers[name].rpm == preset.rpm


def test_user_presets_extend_and_override(dirs: Dirs) -> None:
    path = user_presets_path()
    assert path == dirs.config_dir / "crosswire" / "presets.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        """
[presets.mylab]
title = "Our GPU box"
type = "openai"
base_url = "http://gpu-box:8000/v1"
key_env = "MYLAB_API_KEY"
[[presets.mylab.models]]
alias = "coder"
model = "Qwen/Qwen3-Coder-30B-A3B-Instruct"
max_context_size = 65536

[presets.nim]
title = "NIM, our quota"
type = "openai"
base_url = "https://integrate.api.nvidia.com/v1"
key_env = "NVIDIA_API_KEY"
rpm = 400
"""
    )
    presets = load_presets()
    assert presets["mylab"].models[0].alias == "coder"
    assert presets["mylab"].source == str(path)
    assert presets["nim"].rpm == 400 and presets["nim"].title == "NIM, our quota"
    assert "moonshot" in presets


@pytest.mark.parametrize(
    ("body", "key", "fix"),
    [
        ('[presets.x]\ntype = "opnai"\nbase_url = "http://h/v1"\nauth = "none"', "presets.x.type",
         "openai"),
        ('[presets.x]\ntype = "openai"\nauth = "none"', "presets.x.base_url", "base_url"),
        ('[presets.x]\ntype = "openai"\nbase_url = "http://h/v1"', "presets.x.key_env", "key_env"),
        ('[presets.x]\ntype = "openai"\nbase_url = "http://h/v1"\nauth = "none"\n'
         '[[presets.x.models]]\nalias = "a"\nmodel = "m"\nmax_context_size = 10\n'
         'capabilities = ["vision"]', "presets.x.models[0].capabilities[0]", "known capabilities"),
        ('[presets.x]\ntype = "openai"\nbase_url = "http://h/v1"\nauth = "none"\nrmp = 3',
         "presets.x", "rmp"),
    ],
)  # fmt: skip
def test_bad_user_presets_are_explained(dirs: Dirs, body: str, key: str, fix: str) -> None:
    path = user_presets_path()
    path.parent.mkdir(parents=True)
    path.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_presets()
    error = caught.value
    assert error.path == path
    assert error.key.startswith(key), str(error)
    assert fix in str(error)


def test_user_presets_syntax_error(dirs: Dirs) -> None:
    path = user_presets_path()
    path.parent.mkdir(parents=True)
    path.write_text("[presets.x\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_presets()


def test_catalog_is_shipped_as_data() -> None:
    catalog = Path(__file__).parents[2] / "src" / "crosswire" / "presets" / "catalog.toml"
    assert catalog.is_file()
    assert "[presets.nim]" in catalog.read_text()
