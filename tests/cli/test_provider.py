"""``crosswire provider add|list|remove|presets`` and ``crosswire models`` through click's
runner, in a throwaway config dir; edits must leave the user's comments and layout alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crosswire.cli.main import cli
from crosswire.config import load_config
from tests.cli.support import Dirs, dirs

__all__ = ["dirs"]

KEY = "nvapi-very-secret-key-0123456789"

COMMENTED = """\
# My crosswire setup.  Hand-written; please keep the comments!
default_model = "local"   # what unmatched names get

[server]
port = 4041               # not the default

# --- providers -----------------------------------------------------------
[providers.box]
type = "openai"
base_url = "http://127.0.0.1:9/v1"   # the GPU box through an ssh tunnel

# --- models --------------------------------------------------------------
[models.local]
provider = "box"
model = "Qwen/Qwen3-8B"
max_context_size = 32768  # vLLM --max-model-len

# --- routes --------------------------------------------------------------
[routes]
"claude-*haiku*" = "local"
"""


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_add_creates_the_user_config(dirs: Dirs) -> None:
    result = run("provider", "add", "nim", "--api-key", KEY, "--default-model", "kimi-k2.6")
    assert result.exit_code == 0, result.output
    assert KEY not in result.output
    config = load_config(dirs.config_file)
    assert config.default_model == "kimi-k2.6"
    nim = config.providers["nim"]
    assert (nim.api_key, nim.rpm, nim.profile_name) == (KEY, 40, "nim")
    model = config.models["kimi-k2.6"]
    assert (model.model, model.max_context_size) == ("moonshotai/kimi-k2.6", 131072)
    assert model.capabilities == {"thinking", "image_in"}
    assert dirs.config_file.stat().st_mode & 0o777 == 0o600  # it holds a key


def test_add_with_env_reference_and_crosswire_config(
    dirs: Dirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "elsewhere.toml"
    monkeypatch.setenv("CROSSWIRE_CONFIG", str(target))
    result = run("provider", "add", "moonshot", "--key-env", "MY_MOONSHOT")
    assert result.exit_code == 0, result.output
    assert "$MY_MOONSHOT is not set" in result.output
    assert 'api_key = "${MY_MOONSHOT}"' in target.read_text()
    assert not dirs.config_file.exists()
    config = load_config(target, environ={"MY_MOONSHOT": "sk-" + "x" * 20})
    assert config.providers["moonshot"].type == "kimi"
    assert config.default_model == "kimi-k2.6"  # the file had none: the first model


def test_round_trip_keeps_comments_byte_for_byte(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(COMMENTED)
    added = run("provider", "add", "nim", "--key-env", "NVIDIA_API_KEY")
    assert added.exit_code == 0, added.output
    text = dirs.config_file.read_text()
    # every original line is still there, in order, untouched
    lines = iter(text.splitlines())
    for line in COMMENTED.splitlines():
        assert any(candidate == line for candidate in lines), line
    # the new tables sit with their siblings, above the next section's comment
    assert text.index("[providers.nim]") < text.index("# --- models")
    assert text.index('[models."kimi-k2.6"]') < text.index("# --- routes")
    assert 'default_model = "local"' in text  # not asked: unchanged

    removed = run("provider", "remove", "nim")
    assert removed.exit_code == 0, removed.output
    assert dirs.config_file.read_text() == COMMENTED


def test_default_model_is_replaced_in_place(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(COMMENTED)
    result = run("provider", "add", "ollama", "--default-model", "local")
    assert result.exit_code == 0, result.output
    text = dirs.config_file.read_text()
    assert "alias 'local' was taken: added as 'local-ollama'" in result.output
    assert 'default_model = "local-ollama"   # what unmatched names get' in text
    assert load_config(dirs.config_file).models["local-ollama"].provider == "ollama"


def test_remove_refuses_while_referenced(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(COMMENTED + '\n[router]\nbackground = "local"\n')
    before = dirs.config_file.read_bytes()
    result = run("provider", "remove", "box")
    assert result.exit_code == 1
    assert 'default_model = "local"' in result.output
    assert 'routes."claude-*haiku*" = "local"' in result.output
    assert 'router.background = "local"' in result.output
    assert dirs.config_file.read_bytes() == before


def test_remove_unknown_provider(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(COMMENTED)
    result = run("provider", "remove", "nope")
    assert result.exit_code == 1
    assert "no provider 'nope'" in result.output and "box" in result.output


def test_invalid_result_is_rolled_back(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(COMMENTED)
    before = dirs.config_file.read_bytes()
    result = run("provider", "add", "nim", "--api-key", KEY, "--base-url", "ftp://nowhere")
    assert result.exit_code == 1
    assert "left as it was" in result.output and "providers.nim.base_url" in result.output
    assert dirs.config_file.read_bytes() == before


def test_duplicate_name_and_unknown_preset(dirs: Dirs) -> None:
    assert run("provider", "add", "nim", "--api-key", KEY).exit_code == 0
    again = run("provider", "add", "nim", "--api-key", KEY)
    assert again.exit_code == 2 and "already exists" in again.output
    unknown = run("provider", "add", "nimm")
    assert unknown.exit_code == 2 and "unknown preset 'nimm'" in unknown.output
    missing = run("provider", "add", "--no-interactive")
    assert missing.exit_code == 2 and "name a preset" in missing.output


def test_list_redacts_keys_and_json(dirs: Dirs) -> None:
    run("provider", "add", "nim", "--api-key", KEY)
    run("provider", "add", "moonshot", "--key-env", "MOONSHOT_API_KEY")
    table = run("provider", "list")
    assert table.exit_code == 0, table.output
    assert KEY not in table.output and "nva…6789" in table.output
    assert "(variable not set)" in table.output
    rows = json.loads(run("provider", "list", "--json").output)
    assert [r["name"] for r in rows] == ["nim", "moonshot"]
    assert rows[0]["key"] == "nva…6789" and rows[0]["rpm"] == 40
    assert rows[1]["models"] == ["kimi-k2.6-moonshot", "kimi-k2-thinking"]


def test_models_table_and_json(dirs: Dirs) -> None:
    run("provider", "add", "nim", "--api-key", KEY, "--default-model", "qwen3-coder")
    table = run("models")
    assert "qwen3-coder (default)" in table.output
    assert "moonshotai/kimi-k2.6" in table.output and "131072" in table.output
    rows = {r["alias"]: r for r in json.loads(run("models", "--json").output)}
    assert rows["kimi-k2.6"]["capabilities"] == ["image_in", "thinking"]
    assert rows["qwen3-coder"]["default"] is True


def test_model_ids_for_a_local_server(dirs: Dirs) -> None:
    result = run(
        "provider", "add", "vllm", "--base-url", "http://127.0.0.1:8001/v1",
        "--model", "Qwen/Qwen3-8B", "--context", "40960",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = load_config(dirs.config_file)
    assert config.providers["vllm"].base_url == "http://127.0.0.1:8001/v1"
    assert config.providers["vllm"].api_key == ""
    assert config.models["qwen3-8b"].max_context_size == 40960


def test_interactive_add(dirs: Dirs) -> None:
    names = list(json.loads(run("provider", "presets", "--json").output))
    number = [p["name"] for p in names].index("nim") + 1
    answers = f"{number}\nmynim\n1\n{KEY}\ndeepseek-v3.1\n"
    result = run("provider", "add", "--interactive", input=answers)
    assert result.exit_code == 0, result.output
    assert KEY not in result.output  # typed hidden, never echoed
    assert "Known providers:" in result.output and "NVIDIA NIM" in result.output
    config = load_config(dirs.config_file)
    assert config.providers["mynim"].api_key == KEY
    assert config.default_model == "deepseek-v3.1"


def test_interactive_env_reference(dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", KEY)
    result = run("provider", "add", "nim", "--interactive", input="\n\n\n\n")  # all defaults
    assert result.exit_code == 0, result.output
    assert 'api_key = "${NVIDIA_API_KEY}"' in dirs.config_file.read_text()
    assert load_config(dirs.config_file).default_model == "kimi-k2.6"


def test_help_has_examples() -> None:
    for args in (["provider"], ["provider", "add"], ["provider", "list"], ["provider", "remove"],
                 ["provider", "presets"], ["models"], ["launch"]):  # fmt: skip
        result = run(*args, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.output, args
