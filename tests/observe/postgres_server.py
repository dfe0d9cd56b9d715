"""A private Postgres for tests: ``initdb`` into a temp dir, ``pg_ctl start`` on a free
loopback port, trust authentication. Postgres refuses to run as root, so as root the server
runs as the ``postgres`` user (``runuser``). Missing binaries fail with how to install them:
the Postgres tests never skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.servers import free_port

INSTALL_HINT = "install PostgreSQL's server binaries (apt-get install -y postgresql)"


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        for lib in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (lib / name).exists():
                return str(lib / name)
        raise RuntimeError(f"{name} is not on PATH; {INSTALL_HINT}")
    return found


class PostgresServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="crosswire-pg-"))
        self._data = self._dir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self._dir, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql://crosswire@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-500:]}")

    def start(self) -> PostgresServer:
        self._run(_binary("initdb"), "-D", str(self._data), "-A", "trust", "-U", "crosswire")
        options = f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self._dir / "server.log")  # not our pipes: the server outlives pg_ctl
        self._run(_binary("pg_ctl"), "-D", str(self._data), "-o", options, "-l", log, "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
