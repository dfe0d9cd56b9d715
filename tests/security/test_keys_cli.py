"""``crosswire key create|list|revoke``: hashes only, comments kept, the key printed once."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner

from crosswire.cli.main import cli
from crosswire.config import load_config
from crosswire.server.auth import find_key

ORIGINAL = """# my gateway
default_model = "echo"

[server]
host = "0.0.0.0"   # exposed on the LAN
keys = ["${TEAM_KEY}"]

[providers.e]   # offline
type = "echo"

[models.echo]
provider = "e"
model = "echo"
max_context_size = 1000
"""


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["key", *args])
    return result.exit_code, result.stdout, result.stderr


def test_create_list_revoke(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ORIGINAL)
    code, out, _ = _run(
        "create", "--config", str(path), "--name", "alice", "--models", "echo,k26", "--rpm", "60"
    )
    assert code == 0
    key = out.strip()
    assert key.startswith("cw-") and len(key) > 40
    text = path.read_text()
    assert key not in text
    assert hashlib.sha256(key.encode()).hexdigest() in text
    assert "# exposed on the LAN" in text and "# my gateway" in text and "# offline" in text
    assert path.stat().st_mode & 0o077 == 0

    config = load_config(path, environ={"TEAM_KEY": "team-key-from-env-0001"})
    alice = find_key(config.server.keys, key)
    assert alice is not None and alice.name == "alice"
    assert alice.models == ("echo", "k26") and alice.rpm == 60
    assert find_key(config.server.keys, "team-key-from-env-0001") is not None

    code, out, _ = _run("list", "--config", str(path))
    assert code == 0
    assert "alice\tsha256:" in out and "models=echo,k26 rpm=60" in out
    assert "key-1\t${TEAM_KEY}" in out
    assert key not in out

    code, _, err = _run("revoke", "--config", str(path), "alice")
    assert code == 0
    config = load_config(path, environ={"TEAM_KEY": "team-key-from-env-0001"})
    assert find_key(config.server.keys, key) is None
    assert "# exposed on the LAN" in path.read_text()
    code, _, err = _run("revoke", "--config", str(path), "alice")
    assert code == 1 and "no key named" in err


def test_create_in_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new.toml"
    code, out, _ = _run("create", "--config", str(path))
    assert code == 0 and out.startswith("cw-")
    assert "[server.keys.key-1]" in path.read_text()
