"""The issue's "done when", against a scripted upstream: ``crosswire provider add`` then
``crosswire launch claude -- -p ...`` with the real Claude Code CLI, which writes a file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crosswire.cli.gateway import stop_gateway
from tests.e2e.harness import PROVIDER_KEY, agent_path, ensure_claude_code
from tests.e2e.test_claude_code import CONTENT, write_then_done
from tests.support.servers import ScriptedOpenAIUpstream, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def upstream() -> Iterator[ScriptedOpenAIUpstream]:
    server = ScriptedOpenAIUpstream().start()
    yield server
    server.stop()


def test_provider_add_then_launch_claude(upstream: ScriptedOpenAIUpstream, tmp_path: Path) -> None:
    binary = ensure_claude_code()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").symlink_to(binary)
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    config = tmp_path / "xdg-config" / "crosswire" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f"# launched by the test\n[server]\nport = {free_port()}\n")
    env = {  # env -i: nothing from the developer's environment
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{agent_path()}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }
    crosswire = [sys.executable, "-m", "crosswire"]
    added = subprocess.run(
        [*crosswire, "provider", "add", "vllm", "--name", "up", "--base-url", upstream.base_url,
         "--api-key", PROVIDER_KEY, "--model", "upstream-model", "--context", "200000"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "# launched by the test\n[server]\n" in config.read_text()  # kept with its table
    upstream.default = write_then_done(str(work / "hello.txt"))
    try:
        done = subprocess.run(
            [*crosswire, "launch", "claude", "--", "-p",
             "Create hello.txt containing 'hi from crosswire'.", "--allowedTools", "Write"],
            cwd=work, env=env, capture_output=True, text=True, timeout=180,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        _stop(env, config)
    info = f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == 0, info
    assert "started gateway" in done.stderr, info
    assert (work / "hello.txt").read_text() == CONTENT, info
    assert "done" in done.stdout, info
    requests = upstream.requests
    assert len(requests) == 2, info
    for recorded in requests:
        assert recorded.body["model"] == "upstream-model"
        assert recorded.headers["Authorization"] == f"Bearer {PROVIDER_KEY}"


def _stop(env: dict[str, str], config: Path) -> None:
    saved = {k: os.environ.get(k) for k in ("XDG_STATE_HOME", "HOME")}
    os.environ.update({k: env[k] for k in saved})
    try:
        stop_gateway(config)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
