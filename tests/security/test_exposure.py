"""``crosswire serve`` refuses to be an open relay, and warns about a world-readable key file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crosswire.cli.exposure import exposure_problem, is_loopback_host, world_readable_warning
from crosswire.config import load_config, loads_config

from ._formats import GATEWAY_KEY

ECHO = """
[providers.e]
type = "echo"
[models.echo]
provider = "e"
model = "echo"
max_context_size = 1000
"""
UPSTREAM = """
[providers.up]
type = "openai"
base_url = "https://api.example.com/v1"
api_key = "sk-upstream-secret-key-0001"
[models.m]
provider = "up"
model = "m"
max_context_size = 1000
"""


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.2", "example.com", ""])
def test_non_loopback_hosts(host: str) -> None:
    assert not is_loopback_host(host)


def test_exposure_rules() -> None:
    open_config = loads_config(ECHO)
    keyed = loads_config(f'[server]\nkeys = ["{GATEWAY_KEY}"]\n{ECHO}')
    assert exposure_problem("0.0.0.0", open_config, insecure_no_auth=False) is not None
    assert exposure_problem("0.0.0.0", open_config, insecure_no_auth=True) is None
    assert exposure_problem("127.0.0.1", open_config, insecure_no_auth=False) is None
    assert exposure_problem("0.0.0.0", keyed, insecure_no_auth=False) is None


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "crosswire", "serve", *args],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_serve_refuses_public_bind_without_keys(tmp_path: Path) -> None:
    done = _serve(tmp_path, "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr
    assert "--insecure-no-auth" in done.stderr


def test_world_readable_key_file_warns(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(UPSTREAM)
    path.chmod(0o644)
    config = load_config(path)
    warning = world_readable_warning(path, config)
    assert warning is not None and "chmod 600" in warning
    assert "sk-upstream-secret-key-0001" not in warning
    path.chmod(0o600)
    assert world_readable_warning(path, config) is None
    env_only = tmp_path / "env.toml"
    env_only.write_text(UPSTREAM.replace('"sk-upstream-secret-key-0001"', '"${UP_KEY}"'))
    env_only.chmod(0o644)
    config = load_config(env_only, environ={"UP_KEY": "sk-upstream-secret-key-0001"})
    assert world_readable_warning(env_only, config) is None
