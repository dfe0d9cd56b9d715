"""``crosswire serve`` as a newcomer runs it: a real subprocess, no config file, no key."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import httpx
import pytest

from tests.support.servers import free_port


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.update(extra)
    return env


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crosswire", "serve", *args],
        env=_env(tmp_path, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_healthy(url: str, proc: subprocess.Popen[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("server did not become healthy")


def test_serve_without_config_answers_on_echo_and_explains(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc)
        client = anthropic.Anthropic(base_url=url, api_key="anything", max_retries=0)
        message = client.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=64,
            messages=[{"role": "user", "content": "hello gateway"}],
        )
        assert message.content[0].type == "text"
        assert message.content[0].text == "hello gateway"
        assert message.model == "claude-sonnet-4-6"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "echo" in stderr
    assert "[providers.nim]" in stderr  # how to add a real provider
    assert f"listening on http://127.0.0.1:{port}" in stderr


def test_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[providers.x]\ntype = "openai"\nbase_url = "http://h/v1"\n[models.m]\n')
    proc = _serve(tmp_path, "--config", str(config))
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 2
    assert str(config) in stderr
    assert "models.m" in stderr
    assert "fix:" in stderr
    assert "Traceback" not in stderr


def test_config_from_environment_variable(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "gw.toml"
    config.write_text(
        f'[server]\nport = {port}\n[providers.e]\ntype = "echo"\n'
        '[models.only]\nprovider = "e"\nmodel = "echo"\nmax_context_size = 1000\n'
    )
    proc = _serve(tmp_path, CROSSWIRE_CONFIG=str(config))
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        health = httpx.get(f"http://127.0.0.1:{port}/health").json()
        assert health["models"] == ["only"]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_cli_basics(flag: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crosswire", flag],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "crosswire" in result.stdout
