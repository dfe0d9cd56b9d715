"""Shared fixtures for the CLI tests: every test gets its own HOME, config and state dirs, and
no CROSSWIRE_CONFIG / key variables from the developer's environment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CLEARED = (
    "CROSSWIRE_CONFIG", "CROSSWIRE_API_KEY", "CROSSWIRE_LAUNCH_NO_EXEC", "NVIDIA_API_KEY",
    "MOONSHOT_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY",
    "GEMINI_API_KEY",
)  # fmt: skip


@dataclass
class Dirs:
    home: Path
    config_dir: Path
    state_dir: Path

    @property
    def config_file(self) -> Path:
        """Where ``crosswire`` looks by default (``$XDG_CONFIG_HOME/crosswire/config.toml``)."""
        return self.config_dir / "crosswire" / "config.toml"


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dirs]:
    found = Dirs(tmp_path / "home", tmp_path / "xdg-config", tmp_path / "xdg-state")
    for path in (found.home, found.config_dir, found.state_dir):
        path.mkdir()
    monkeypatch.setenv("HOME", str(found.home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(found.config_dir))
    monkeypatch.setenv("XDG_STATE_HOME", str(found.state_dir))
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    yield found
