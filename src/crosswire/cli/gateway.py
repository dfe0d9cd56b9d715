"""A gateway running in the background for ``crosswire launch``: found through ``/health`` on
the configured host and port, or started detached with its pid, port and log recorded in the
user state directory."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from crosswire.config import Config
from crosswire.config.paths import APP_NAME

START_TIMEOUT = 20.0
HEALTH_TIMEOUT = 0.5
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
LOG_TAIL_LINES = 20


class GatewayError(Exception):
    """The gateway could not be reached or started; ``str()`` is for the user."""


@dataclass(slots=True)
class Gateway:
    url: str
    """``http://host:port`` clients connect to."""
    started: bool
    """Whether this call started it (else an already running one is reused)."""
    pid: int | None = None
    log: Path | None = None


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


def record_path(config_path: Path | None) -> Path:
    """``<state dir>/gateway-<hash of the config path>.json``: one background gateway per config."""
    ident = str(config_path.resolve()) if config_path is not None else "<built-in default>"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:12]
    return state_dir() / f"gateway-{digest}.json"


def health(url: str) -> dict[str, Any] | None:
    """The ``/health`` JSON of a crosswire at ``url``, or ``None``."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=HEALTH_TIMEOUT) as response:
            data = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("status") == "ok" else None


def ensure_gateway(config: Config, config_path: Path | None) -> Gateway:
    """Reuse the gateway serving this config, or start one in the background."""
    record = _read_record(config_path)
    host = ANY_ADDRESS.get(config.server.host, config.server.host)
    port = config.server.port
    if port == 0:  # "any free port": the one recorded for this config, else a new one
        port = int(record["port"]) if record else _free_port(host)
    url = _url(host, port)
    running = health(url)
    if running is not None:
        ours = record is not None and record.get("port") == port and _alive(record.get("pid"))
        if sorted(running.get("models", [])) == sorted(config.models):
            pid = int(record["pid"]) if ours and record else None
            return Gateway(url, started=False, pid=pid)
        if not ours:
            raise GatewayError(
                f"another server answers on {url} with models {running.get('models')}, not this "
                "config's; stop it or set a different [server] port"
            )
        stop_gateway(config_path)  # ours, started before the config changed: restart it
    return _start(config_path, host, port)


def stop_gateway(config_path: Path | None) -> bool:
    """Stop the background gateway started for this config; ``False`` when none was running."""
    record = _read_record(config_path)
    record_path(config_path).unlink(missing_ok=True)
    pid = record.get("pid") if record else None
    if not isinstance(pid, int) or not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _start(config_path: Path | None, host: str, port: int) -> Gateway:
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    record_file = record_path(config_path)
    log = record_file.with_suffix(".log")
    command = [sys.executable, "-m", "crosswire", "serve", "--host", host, "--port", str(port)]
    if config_path is not None:
        command += ["--config", str(config_path.resolve())]
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the agent and the terminal closing
            close_fds=True,
        )
    url = _url(host, port)
    record = {"pid": process.pid, "port": port, "host": host, "url": url, "log": str(log)}
    record["config"] = str(config_path.resolve()) if config_path else None
    record_file.write_text(json.dumps(record, indent=2))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            record_file.unlink(missing_ok=True)
            raise GatewayError(
                f"the gateway exited with code {process.returncode}; its log ({log}):\n"
                + _tail(log)
            )
        if health(url) is not None:
            return Gateway(url, started=True, pid=process.pid, log=log)
        time.sleep(0.1)
    process.terminate()
    record_file.unlink(missing_ok=True)
    raise GatewayError(
        f"the gateway did not answer on {url} within {START_TIMEOUT:.0f} s; log: {log}"
    )


def _read_record(config_path: Path | None) -> dict[str, Any] | None:
    try:
        data = json.loads(record_path(config_path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our exited child
        if done == pid:
            return False
    return True


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-LOG_TAIL_LINES:])
