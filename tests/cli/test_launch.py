"""``crosswire launch``: a real background gateway (started, reused, stopped) and stub agents
that record the environment and arguments they were started with."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crosswire.cli.gateway import ensure_gateway, health, record_path, stop_gateway
from crosswire.cli.main import cli
from crosswire.config import load_config
from tests.cli.support import Dirs, dirs
from tests.support.servers import free_port

__all__ = ["dirs"]

STUB = """#!{python}
import json, os, sys
with open({record!r}, "w") as f:
    json.dump({{"argv": sys.argv, "env": dict(os.environ)}}, f)
"""


@pytest.fixture
def setup(dirs: Dirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A config on a free port with a local (keyless) provider, stub agents first on PATH, and
    the background gateway stopped afterwards."""
    port = free_port()
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(f"""\
default_model = "main"
[server]
port = {port}
[providers.local]
type = "openai"
base_url = "http://127.0.0.1:9/v1"
[models.main]
provider = "local"
model = "upstream-model"
max_context_size = 65536
[models.fast]
provider = "local"
model = "small-model"
max_context_size = 32768
[router]
background = "fast"
subagent = "fast"
""")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "agent.json"
    for name in ("claude", "codex", "aider", "opencode", "gemini"):
        stub = bin_dir / name
        stub.write_text(STUB.format(python=sys.executable, record=str(record)))
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("CROSSWIRE_LAUNCH_NO_EXEC", "1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-real-key-must-not-leak")
    yield {"url": f"http://127.0.0.1:{port}", "record": record, "port": port}
    stop_gateway(dirs.config_file)


def launch(*args: str) -> Result:
    return CliRunner().invoke(cli, ["launch", *args], catch_exceptions=False)


def recorded(setup: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    data = json.loads(setup["record"].read_text())
    return data["argv"][1:], data["env"]


def test_claude_starts_the_gateway(setup: dict[str, Any], dirs: Dirs) -> None:
    result = launch("claude", "--", "-p", "hello", "--allowedTools", "Write")
    assert result.exit_code == 0, result.output
    assert f"started gateway {setup['url']}" in result.output
    assert health(setup["url"]) is not None
    pid_file = json.loads(record_path(dirs.config_file).read_text())
    assert pid_file["port"] == setup["port"] and Path(pid_file["log"]).is_file()
    argv, env = recorded(setup)
    assert argv == ["-p", "hello", "--allowedTools", "Write"]
    assert env["ANTHROPIC_BASE_URL"] == setup["url"]
    assert env["ANTHROPIC_AUTH_TOKEN"] == "crosswire"
    assert env["ANTHROPIC_MODEL"] == "main"
    assert env["ANTHROPIC_DEFAULT_OPUS_MODEL"] == env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "main"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "fast"
    assert env["CLAUDE_CODE_SUBAGENT_MODEL"] == "fast"
    assert env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"] == "65536"
    assert "ANTHROPIC_API_KEY" not in env


def test_launch_reuses_a_running_gateway(setup: dict[str, Any], dirs: Dirs) -> None:
    gateway = ensure_gateway(load_config(dirs.config_file), dirs.config_file)
    assert gateway.started and gateway.pid
    result = launch("claude", "--model", "fast")
    assert result.exit_code == 0, result.output
    assert "using the gateway already running" in result.output
    assert json.loads(record_path(dirs.config_file).read_text())["pid"] == gateway.pid
    _, env = recorded(setup)
    assert env["ANTHROPIC_MODEL"] == "fast"
    assert env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"] == "32768"
    assert stop_gateway(dirs.config_file)
    assert health(setup["url"]) is None


def test_gateway_key_from_the_environment(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSWIRE_API_KEY", "cw-gateway-key-1234567")
    assert launch("aider").exit_code == 0
    _, env = recorded(setup)
    assert env["OPENAI_API_KEY"] == "cw-gateway-key-1234567"


def test_codex_gets_command_line_overrides(setup: dict[str, Any], dirs: Dirs) -> None:
    result = launch("codex", "--", "exec", "do it")
    assert result.exit_code == 0, result.output
    argv, env = recorded(setup)
    overrides = [argv[i + 1] for i, a in enumerate(argv) if a == "-c"]
    assert overrides == [
        'model_provider="crosswire"',
        'model_providers.crosswire.name="crosswire"',
        f'model_providers.crosswire.base_url="{setup["url"]}/v1"',
        'model_providers.crosswire.env_key="CROSSWIRE_API_KEY"',
        'model_providers.crosswire.wire_api="responses"',
        'model="main"',
        "model_context_window=65536",
    ]
    assert argv[-2:] == ["exec", "do it"]
    assert env["CROSSWIRE_API_KEY"] == "crosswire"
    assert not (dirs.home / ".codex").exists()  # the user's Codex config is never written


def test_aider(setup: dict[str, Any]) -> None:
    assert launch("aider", "--", "--no-auto-commits").exit_code == 0
    argv, env = recorded(setup)
    assert argv == ["--model", "openai/main", "--no-auto-commits"]
    assert env["OPENAI_API_BASE"] == f"{setup['url']}/v1"
    assert env["OPENAI_API_KEY"] == "crosswire"


def test_opencode_gets_inline_config(setup: dict[str, Any], dirs: Dirs) -> None:
    assert launch("opencode", "--model", "fast").exit_code == 0
    argv, env = recorded(setup)
    assert argv == []
    content = json.loads(env["OPENCODE_CONFIG_CONTENT"])
    assert content["model"] == "crosswire/fast"
    provider = content["provider"]["crosswire"]
    assert provider["npm"] == "@ai-sdk/openai-compatible"
    assert provider["options"] == {"baseURL": f"{setup['url']}/v1", "apiKey": "crosswire"}
    assert provider["models"]["main"]["limit"]["context"] == 65536
    assert not (dirs.home / ".config" / "opencode").exists()


def test_gemini_and_its_auth_setting(setup: dict[str, Any], dirs: Dirs) -> None:
    result = launch("gemini", "--", "-p", "hi")
    assert result.exit_code == 0, result.output
    argv, env = recorded(setup)
    assert argv == ["-m", "main", "-p", "hi"]
    assert env["GOOGLE_GEMINI_BASE_URL"] == setup["url"]
    assert env["GEMINI_API_KEY"] == "crosswire"
    assert "selectedType" in result.output and not (dirs.home / ".gemini").exists()
    settings = dirs.home / ".gemini" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}}))
    result = launch("gemini")
    assert result.exit_code == 0 and "selectedType" not in result.output


def test_missing_agent_says_how_to_install(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    for agent, install in [
        ("claude", "npm i -g @anthropic-ai/claude-code"),
        ("codex", "npm i -g @openai/codex"),
        ("gemini", "npm i -g @google/gemini-cli"),
        ("aider", "pipx install aider-chat"),
        ("opencode", "npm i -g opencode-ai"),
    ]:
        result = launch(agent)
        assert result.exit_code == 127
        assert f"install it with: {install}" in result.output


def test_no_default_model(setup: dict[str, Any], dirs: Dirs) -> None:
    text = dirs.config_file.read_text().replace('default_model = "main"\n', "")
    dirs.config_file.write_text(text)
    result = launch("claude")
    assert result.exit_code == 2 and "pass --model" in result.output


def test_exec_replaces_the_process(setup: dict[str, Any], dirs: Dirs) -> None:
    """Without the test switch, ``crosswire launch`` execs the agent (os.execvpe)."""
    import subprocess

    env = {**os.environ}
    env.pop("CROSSWIRE_LAUNCH_NO_EXEC")
    done = subprocess.run(
        [sys.executable, "-m", "crosswire", "launch", "aider"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    argv, env_seen = recorded(setup)
    assert argv == ["--model", "openai/main"]
    assert env_seen["OPENAI_API_BASE"] == f"{setup['url']}/v1"
