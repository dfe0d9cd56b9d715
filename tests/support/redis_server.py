"""A real ``redis-server`` for tests: a private instance on a free loopback port, in a temp dir.

The binary comes from the system; when it is missing and we are root (CI, dev containers) it
is installed with ``apt-get install -y redis-server``. Otherwise starting fails with a message
saying how to install it: the Redis tests never skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.servers import free_port

INSTALL_HINT = "install it: apt-get install -y redis-server (or your OS's redis package)"


def redis_server_binary() -> str:
    """The path of ``redis-server``, installing it with apt-get when root and missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(
            f"redis-server is not on PATH and cannot be installed here; {INSTALL_HINT}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "redis-server"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=True)
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(f"apt-get installed redis-server but it is not on PATH; {INSTALL_HINT}")


class RedisServer:
    """``redis-server`` bound to 127.0.0.1 on a free port, no persistence; stop/start at will
    (the port is kept, so a gateway's URL stays valid across an outage)."""

    def __init__(self) -> None:
        self.binary = redis_server_binary()
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="crosswire-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            self._dir.name,
        ]
        args += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        with Path(self._dir.name, "redis.log").open("ab") as log:
            self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_tail()}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer PING: {self.log_tail()}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words: str) -> bytes:
        """Send one inline command and return the raw reply (for checks in tests)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(" ".join(words).encode() + b"\r\n")
            time.sleep(0.05)
            return conn.recv(65536)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    def log_tail(self) -> str:
        path = Path(self._dir.name, "redis.log")
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""
