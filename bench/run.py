"""crosswire benchmark: gateway vs direct-to-upstream, in one run.

    .venv/bin/python bench/run.py            # full run, ~9 minutes
    .venv/bin/python bench/run.py --quick    # ~1 min smoke run

Starts three processes: the mock upstream (``bench/mock_upstream.py``: OpenAI Chat Completions
and Anthropic Messages), the gateway (``crosswire serve --config <generated> --port N``) and
the load generator (``bench/loadgen.py``). Three directions (``--directions``):

- ``a2c``: Anthropic Messages client → OpenAI Chat upstream (translated);
- ``c2a``: OpenAI Chat client → Anthropic Messages upstream (``anthropic_compatible``,
  translated);
- ``c2c``: OpenAI Chat client → OpenAI Chat upstream with the plain ``openai`` profile (the
  same-format relay: the body goes upstream untranslated).

For each, the load generator sends the client request to the gateway and the byte-identical
upstream request the gateway produced straight to the mock (the "direct" baseline), so
``gateway - direct`` is what the gateway adds. Writes ``bench/results/<date>-<label>.md`` and
``.json``. See ``bench/README.md`` for the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import http.client
import importlib.metadata
import json
import os
import platform
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FIXTURE = ROOT / "tests/fixtures/claude_code/messages_turn1.json"
HEADERS_FIXTURE = ROOT / "tests/fixtures/claude_code/headers_turn1.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")

NOISY = 0.1  # cores of other load during a run beyond which it is measured again (--retries)
TARGETS = {
    "added_p50_ms": 0.5,
    "added_p99_ms": 1.0,
    "added_ttfb_p99_ms": 2.0,
    "rss_1000_streams_mb": 150.0,
    "cold_start_s": 0.5,
    "rps_per_core": 1500.0,
}

TINY = {
    "model": "claude-opus-5-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}
PAYLOADS = ("tiny", "cc48k")
MODES = ("nonstream", "stream")
PHASES = ("cold", "c1", "ttfb", "c32", "streams")
ROUTES = ("", "gap-", "hold-")  # model-name prefixes: plain, TTFB gap, held open


@dataclass(frozen=True)
class Direction:
    """One client format → upstream format pair, measured gateway vs direct."""

    id: str
    label: str
    """Short name for tables."""
    title: str
    client_path: str
    upstream_path: str
    """Path on the mock the direct baseline posts to (after an optional /gap/N prefix)."""
    expect_gw: tuple[str, str]
    """Substring every good gateway answer must contain: (non-stream, stream)."""
    expect_direct: tuple[str, str]
    relayed: bool
    """True: the gateway must answer with ``x-crosswire-passthrough: 1`` (checked at start)."""


CHAT_DONE = ('"stop"', "[DONE]")
MESSAGES_DONE = ('"end_turn"', "message_stop")
DIRECTIONS: dict[str, Direction] = {
    d.id: d
    for d in (
        Direction("a2c", "Anthropic→Chat", "Anthropic Messages client → OpenAI Chat upstream "
                  "(translated)", "/v1/messages?beta=true", "/v1/chat/completions",
                  MESSAGES_DONE, CHAT_DONE, relayed=False),
        Direction("c2a", "Chat→Anthropic", "OpenAI Chat client → Anthropic Messages upstream, "
                  "profile anthropic_compatible (translated)", "/v1/chat/completions",
                  "/v1/messages", CHAT_DONE, MESSAGES_DONE, relayed=False),
        Direction("c2c", "Chat→Chat relay", "OpenAI Chat client → OpenAI Chat upstream, profile "
                  "openai (same-format relay, untranslated)", "/v1/chat/completions",
                  "/v1/chat/completions", CHAT_DONE, CHAT_DONE, relayed=True),
    )
}  # fmt: skip
# Model names the Chat clients send (the routes in the generated config send them to the mock).
CHAT_MODEL = {"c2a": "anth-bench", "c2c": "gpt-bench"}


class BenchError(RuntimeError):
    pass


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_times() -> dict[str, tuple[float, float]]:
    """Per CPU, (user + nice + system, steal) seconds from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                v = [int(x) for x in values]
                out[name] = ((v[0] + v[1] + v[2]) / CLK_TCK, v[7] / CLK_TCK)
    return out


def memory_kb(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0])
    return out


def _affinity(cpus: set[int] | None) -> Any:
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


class Proc:
    """A child process with its stdout/stderr in files (or a pipe for the load generator)."""

    def __init__(
        self, name: str, argv: list[str], workdir: Path, cpus: set[int] | None, pipe: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self.stderr_path = workdir / f"{name}.stderr"
        self.stdout_path = workdir / f"{name}.stdout"
        self._err = open(self.stderr_path, "wb")  # noqa: SIM115
        self._out = None if pipe else open(self.stdout_path, "wb")  # noqa: SIM115
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else self._out,
            stderr=self._err,
            preexec_fn=_affinity(cpus),
            cwd=ROOT,
            env=env,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._err.close()
        if self._out:
            self._out.close()

    def stderr_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            text = "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
            return no_paths(text, self.stderr_path.parent)
        return ""


def no_paths(text: str, workdir: Path | None = None) -> str:
    """``text`` without this machine's paths (results files are committed): the work
    directory becomes ``<temp>``, the repository root is dropped."""
    if workdir is not None:
        text = text.replace(str(workdir), "<temp>")
    return text.replace(str(ROOT) + "/", "")


class LoadGen:
    def __init__(self, workdir: Path, cpus: set[int] | None, client: str) -> None:
        argv = [sys.executable, str(BENCH / "loadgen.py"), "--client", client]
        self.proc = Proc("loadgen", argv, workdir, cpus, pipe=True)
        self._buf = b""
        self.call(None, timeout=30)  # the "ready" line

    def call(self, cmd: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
        popen = self.proc.popen
        assert popen.stdin is not None and popen.stdout is not None
        if cmd is not None:
            popen.stdin.write(json.dumps(cmd).encode() + b"\n")
            popen.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = popen.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"load generator gave no answer in {timeout:.0f} s to {cmd}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                data = os.read(fd, 1 << 20)
                if not data:
                    raise BenchError("load generator exited: " + self.proc.stderr_tail())
                self._buf += data
        line, _, self._buf = self._buf.partition(b"\n")
        result: dict[str, Any] = json.loads(line)
        if "error" in result:
            raise BenchError(f"load generator: {result['error']}")
        return result

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.call({"cmd": "quit"}, timeout=10)
        self.proc.stop()


def http_request(
    port: int, method: str, path: str, body: bytes | None = None,
    headers: dict[str, str] | None = None, timeout: float = 10.0,
) -> tuple[int, bytes]:  # fmt: skip
    status, reply, _ = http_exchange(port, method, path, body, headers, timeout)
    return status, reply


def http_exchange(
    port: int, method: str, path: str, body: bytes | None = None,
    headers: dict[str, str] | None = None, timeout: float = 10.0,
) -> tuple[int, bytes, dict[str, str]]:  # fmt: skip
    """(status, body, response headers with lower-cased names)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        got = {k.lower(): v for k, v in response.getheaders()}
        return response.status, response.read(), got
    finally:
        conn.close()


def gateway_argv(config: Path, port: int, command: str | None = None) -> list[str]:
    if command:  # an A/B experiment: e.g. "python my_wrapper.py serve"
        return [*shlex.split(command), "--config", str(config), "--port", str(port)]
    script = Path(sys.executable).parent / "crosswire"
    if script.exists():
        return [str(script), "serve", "--config", str(config), "--port", str(port)]
    return [
        sys.executable, "-c", "from crosswire.cli.main import main; main()",
        "serve", "--config", str(config), "--port", str(port),
    ]  # fmt: skip


def wait_first_answer(proc: Proc, port: int, body: bytes, timeout: float = 30.0) -> float:
    """Seconds from spawning ``proc`` to its first successful /v1/messages answer."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if not proc.alive():
            raise BenchError(f"gateway exited during start-up:\n{proc.stderr_tail()}")
        try:
            status, reply = http_request(
                port, "POST", "/v1/messages", body,
                {"content-type": "application/json", "anthropic-version": "2023-06-01"},
                timeout=5,
            )  # fmt: skip
        except OSError as exc:
            last = str(exc)
            time.sleep(0.002)
            continue
        if status == 200:
            return time.perf_counter() - proc.started
        raise BenchError(f"gateway answered HTTP {status} at start-up: {reply[:300]!r}")
    raise BenchError(f"gateway did not answer within {timeout} s ({last})")


# ----------------------------------------------------------------------------- set-up


def write_config(path: Path, mock_port: int, args: argparse.Namespace) -> None:
    """Chat providers (``type = "openai"``, ``profile = "openai"``: a Chat client is relayed
    as is, an Anthropic one translated) and Anthropic providers (``type = "anthropic"``,
    ``profile = "anthropic_compatible"``: always translated), each plain, with the mock's
    ``/gap/N`` prefix (TTFB) and with its ``/hold/S`` prefix (open streams)."""
    base = f"http://127.0.0.1:{mock_port}"
    caps = '["thinking", "image_in", "tool_use"]'
    pool = ""
    if args.pool_limit:
        pool = (
            f"max_connections = {args.pool_limit}\nmax_connections_per_host = {args.pool_limit}\n"
        )
    models = ""
    for kind, ptype, profile in (("", "openai", "openai"),
                                 ("anth_", "anthropic", "anthropic_compatible")):  # fmt: skip
        for alias, prefix in (
            ("bench", ""),
            ("gap", f"/gap/{args.gap_ms}"),
            ("hold", f"/hold/{args.hold}"),
        ):
            name = f"{kind}{alias}"
            models += (
                f'[providers.mock_{name}]\ntype = "{ptype}"\nprofile = "{profile}"\n'
                f'base_url = "{base}{prefix}/v1"\n'
                f'[models.{name}]\nprovider = "mock_{name}"\nmodel = "mock-model"\n'
                f"max_context_size = 262144\ncapabilities = {caps}\n\n"
            )
    # first match wins: the Anthropic-upstream gap/hold names before the plain gap/hold ones
    path.write_text(
        'default_model = "bench"\n\n'
        f'[server]\nhost = "127.0.0.1"\nlog_level = "warning"\n{pool}\n'
        f"{models}"
        '[routes]\n"gap-anth-*" = "anth_gap"\n"hold-anth-*" = "anth_hold"\n'
        '"anth-*" = "anth_bench"\n'
        '"gap-*" = "gap"\n"hold-*" = "hold"\n"claude-*" = "bench"\n"gpt-*" = "bench"\n'
    )


def chat_from_anthropic(cc: dict[str, Any], model: str) -> dict[str, Any]:
    """The Claude Code request in Chat Completions shape, as a Chat-speaking agent would send
    it: the system blocks joined into one system message, each message's text blocks as
    content parts (one block: a plain string), the tools as ``function`` tools with the same
    JSON schemas; no Anthropic-only fields (cache_control, thinking, metadata …)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "\n\n".join(b["text"] for b in cc["system"])}
    ]
    for m in cc["messages"]:
        content = m["content"]
        if isinstance(content, list):
            texts = [b["text"] for b in content if b.get("type") == "text"]
            if m["role"] == "system" or len(texts) == 1:
                content = "\n\n".join(texts)
            else:
                content = [{"type": "text", "text": t} for t in texts]
        messages.append({"role": m["role"], "content": content})
    tools = [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description", ""),
                "parameters": t["input_schema"],
            },
        }
        for t in cc["tools"]
    ]
    return {
        "model": model,
        "messages": messages,
        "tools": tools,
        "tool_choice": "auto",
        "max_completion_tokens": 32000,
    }


def client_bodies(direction: str, fixture: Path) -> dict[str, dict[str, Any]]:
    """(route prefix, payload, mode) → the client's request dict, for one direction."""
    cc = json.loads(fixture.read_text())
    if direction == "a2c":
        bases: tuple[tuple[str, dict[str, Any]], ...] = (("tiny", TINY), ("cc48k", cc))
    else:
        model = CHAT_MODEL[direction]
        tiny_chat = {"model": model, "max_tokens": 64,
                     "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
        bases = (("tiny", tiny_chat), ("cc48k", chat_from_anthropic(cc, model)))
    out: dict[str, dict[str, Any]] = {}
    for payload, base in bases:
        for mode in MODES:
            for route in ROUTES:
                body = dict(base)
                body["stream"] = mode == "stream"
                if mode == "stream" and direction != "a2c":
                    body["stream_options"] = {"include_usage": True}
                body["model"] = route + str(base["model"])
                out[f"{route}{payload}_{mode}"] = body
    return out


def client_headers(direction: str = "a2c") -> dict[str, str]:
    """Claude Code's own request headers (from the capture), minus transport ones; for a Chat
    client, the headers the ``openai`` Python SDK sends."""
    if direction != "a2c":
        return dict(CHAT_CLIENT_HEADERS)
    headers: dict[str, str] = json.loads(HEADERS_FIXTURE.read_text())["headers"]
    drop = {"content-length", "connection", "host", "accept-encoding"}
    out = {k: v for k, v in headers.items() if k.lower() not in drop}
    out["x-api-key"] = "bench"
    return out


CHAT_CLIENT_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json",
    "authorization": "Bearer bench",
    "user-agent": "OpenAI/Python 1.99.9",
    "x-stainless-lang": "python",
    "x-stainless-package-version": "1.99.9",
    "x-stainless-os": "Linux",
    "x-stainless-arch": "x64",
    "x-stainless-runtime": "CPython",
    "x-stainless-runtime-version": "3.12.3",
    "x-stainless-async": "async:asyncio",
    "x-stainless-retry-count": "0",
    "x-stainless-read-timeout": "600",
}
# What the gateway's upstream client sends (minus transport headers), for the direct path.
DIRECT_HEADERS = {
    "content-type": "application/json",
    "user-agent": "crosswire/0.1",
    "accept": "*/*",
}
DIRECT_HEADERS_MESSAGES = {**DIRECT_HEADERS, "anthropic-version": "2023-06-01"}


# ----------------------------------------------------------------------------- machine


def machine_info(src_rev: str | None = None, src_root: Path = ROOT / "src") -> dict[str, Any]:
    """``src_rev``: the commit the gateway runs from (``--src-rev``; ``src_root`` is its
    export), else the working tree's ``src``."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_total = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_total = f"{int(line.split()[1]) // 1024} MiB"

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    def git(*argv: str) -> str:
        try:
            return subprocess.run(
                ["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    rev = src_rev or "HEAD"
    src_dirty = False if src_rev else bool(git("status", "--porcelain", "--", "src"))
    digest = hashlib.sha256()
    for path in sorted(src_root.rglob("*.py")):
        name = "src/" + str(path.relative_to(src_root))
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return {
        "cpu_model": cpu,
        "cpus_online": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory": mem_total,
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "aiohttp": version("aiohttp"),
        "msgspec": version("msgspec"),
        "uvloop": version("uvloop"),
        "crosswire": version("crosswire"),
        "git_commit": git("rev-parse", rev),
        "git_describe": git("log", "-1", "--format=%h %s", rev),
        "src_rev": src_rev,
        "working_tree_head": git("rev-parse", "HEAD"),
        "src_dirty": src_dirty,
        "src_sha256": digest.hexdigest()[:16],
        "python_env": {
            k: os.environ[k]
            for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONOPTIMIZE", "PYTHONMALLOC")
            if k in os.environ
        },
    }


# ----------------------------------------------------------------------------- phases


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="crosswire-bench-"))
        self.pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
        cpus = sorted(os.sched_getaffinity(0))
        self.gw_cpus = {cpus[0]} if self.pin else None
        self.other_cpus = set(cpus[1:]) if self.pin else None
        self.results: dict[str, Any] = {"errors": [], "notes": []}
        self.mock: Proc | None = None
        self.gateway: Proc | None = None
        self.loadgen: LoadGen | None = None
        self.gw_port = 0
        self.mock_port = 0
        self.config = self.workdir / "config.toml"
        self.files: dict[str, Path] = {}
        self.gateway_env: dict[str, str] | None = None  # set by --src-rev
        self.directions: list[str] = list(args.directions)
        self.stream_directions = [d for d in args.stream_directions if d in self.directions]

    def requests(self, modes: tuple[str, ...] = MODES) -> list[tuple[str, str]]:
        """(direction, ``<payload>_<mode>``) in measuring order."""
        return [(d, f"{p}_{m}") for d in self.directions for p in PAYLOADS for m in modes]

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def error(self, where: str, message: str) -> None:
        self.log(f"ERROR in {where}: {message}")
        self.results["errors"].append({"phase": where, "error": message})

    # -- processes

    def start_mock(self) -> None:
        argv = [sys.executable, str(BENCH / "mock_upstream.py"), "--port", "0"]
        argv += ["--deltas", str(self.args.deltas)]
        self.mock = Proc("mock", argv, self.workdir, self.other_cpus)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            text = self.mock.stdout_path.read_text()
            if text.startswith("PORT "):
                self.mock_port = int(text.split()[1])
                return
            if not self.mock.alive():
                break
            time.sleep(0.01)
        raise BenchError("mock upstream did not start: " + self.mock.stderr_tail())

    def spawn_gateway(self, port: int, name: str = "gateway") -> Proc:
        argv = gateway_argv(self.config, port, self.args.gateway_cmd)
        return Proc(name, argv, self.workdir, self.gw_cpus, env=self.gateway_env)

    def export_src(self) -> Path:
        """``--src-rev``: ``git archive REV src`` into the work directory, byte-compiled, so
        the gateway runs that commit whatever happens to the working tree meanwhile (the
        editable install's path comes after ``PYTHONPATH``)."""
        rev = self.args.src_rev
        commit = subprocess.run(
            ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True,
            text=True, check=False,
        ).stdout.strip()  # fmt: skip
        if not commit:
            raise BenchError(f"--src-rev {rev}: not a commit")
        dest = self.workdir / "code"
        dest.mkdir()
        archive = subprocess.run(
            ["git", "archive", commit, "src"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(dest / "src")], check=True
        )  # as the working tree's src has its __pycache__: same cold start
        self.gateway_env = {**os.environ, "PYTHONPATH": str(dest / "src")}
        probe = subprocess.run(
            [sys.executable, "-c", "import crosswire; print(crosswire.__file__)"],
            env=self.gateway_env, capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout.strip()  # fmt: skip
        if not probe.startswith(str(dest)):
            raise BenchError(f"--src-rev: crosswire still imports from {probe}")
        self.args.src_rev = commit
        return dest / "src"

    def gateway_alive(self, where: str) -> bool:
        assert self.gateway is not None
        if self.gateway.alive():
            return True
        self.error(where, "gateway process died:\n" + self.gateway.stderr_tail())
        return False

    # -- phases

    def cold_start(self) -> None:
        tiny = json.dumps({**TINY, "stream": False}).encode()
        times = []
        for i in range(self.args.cold_starts):
            port = free_port()
            proc = self.spawn_gateway(port, f"gateway-cold{i}")
            try:
                times.append(wait_first_answer(proc, port, tiny))
            finally:
                proc.stop()
        ordered = sorted(times)
        self.results["cold_start"] = {
            "runs_s": times,
            "median_s": ordered[len(ordered) // 2],
            "max_s": ordered[-1],
            "what": "spawn of `crosswire serve` to the first 200 answer to a tiny "
            "non-stream /v1/messages (through the mock upstream)",
        }
        self.log("cold start: " + ", ".join(f"{t * 1000:.0f} ms" for t in times))

    def start_gateway(self) -> None:
        self.gw_port = free_port()
        self.gateway = self.spawn_gateway(self.gw_port)
        tiny = json.dumps({**TINY, "stream": False}).encode()
        wait_first_answer(self.gateway, self.gw_port, tiny)
        self.results["gateway_rss_idle_kb"] = memory_kb(self.gateway.pid)

    def prepare_payloads(self) -> None:
        """Write each direction's client bodies; capture the upstream body the gateway sends
        for each, to send that exact body directly to the mock for the baseline. Checks once
        that every direction takes the path it claims: ``x-crosswire-passthrough: 1`` on the
        relayed direction (for each provider it uses), absent on the translated ones."""
        sizes: dict[str, dict[str, int]] = {}
        checks: dict[str, str] = {}
        for d in self.directions:
            direction = DIRECTIONS[d]
            hdrs = client_headers(d)
            for key, body in client_bodies(d, self.args.fixture).items():
                # compact, as Claude Code (JSON.stringify) and the openai SDK send it
                raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
                path = self.workdir / f"{d}_client_{key}.json"
                path.write_bytes(raw)
                self.files[f"{d}_client_{key}"] = path
                held = key.startswith(ROUTES[1:])
                if held and key.endswith("_stream"):
                    continue  # the gap/hold providers are checked with a quick non-stream call
                if held and "cc48k" in key:
                    continue
                status, reply, got = http_exchange(
                    self.gw_port, "POST", direction.client_path, raw, hdrs
                )
                if status != 200:
                    raise BenchError(f"gateway answered {status} to {d} {key}: {reply[:500]!r}")
                checks[f"{d}/{key}"] = self._check_relay(direction, key, got)
                if held:
                    continue
                status, upstream = http_request(self.mock_port, "GET", "/_last")
                json.loads(upstream)  # must be JSON
                upath = self.workdir / f"{d}_upstream_{key}.json"
                upath.write_bytes(upstream)
                self.files[f"{d}_upstream_{key}"] = upath
                sizes[f"{d}/{key}"] = {"client_bytes": len(raw), "upstream_bytes": len(upstream)}
        self.results["payload_sizes"] = sizes
        self.results["relay_check"] = checks
        self.log("payloads: " + ", ".join(f"{k} {v['client_bytes']}→{v['upstream_bytes']} B"
                                          for k, v in sizes.items()))  # fmt: skip

    @staticmethod
    def _check_relay(direction: Direction, key: str, headers: dict[str, str]) -> str:
        relayed = headers.get("x-crosswire-passthrough") == "1"
        route = headers.get("x-crosswire-route", "?")
        if relayed != direction.relayed:
            raise BenchError(
                f"{direction.id} {key}: expected the "
                f"{'relayed (passthrough)' if direction.relayed else 'translated'} path, but "
                f"x-crosswire-passthrough is {headers.get('x-crosswire-passthrough')!r} "
                f"(route {route})"
            )
        return f"{'relayed' if relayed else 'translated'}, route {route}"

    def define_targets(self) -> None:
        assert self.loadgen is not None
        for d in self.directions:
            direction = DIRECTIONS[d]
            hdrs = client_headers(d)
            direct_hdrs = (
                DIRECT_HEADERS_MESSAGES if direction.upstream_path.endswith("/messages")
                else DIRECT_HEADERS
            )  # fmt: skip
            for payload in PAYLOADS:
                for mode in MODES:
                    key = f"{payload}_{mode}"
                    i = MODES.index(mode)
                    for route, prefix in (("", ""), ("gap-", f"/gap/{self.args.gap_ms}")):
                        if route and mode != "stream":
                            continue
                        self.loadgen.call({
                            "cmd": "target", "id": f"gw_{d}_{route}{key}", "host": "127.0.0.1",
                            "port": self.gw_port, "path": direction.client_path,
                            "headers": hdrs,
                            "body_file": str(self.files[f"{d}_client_{route}{key}"]),
                            "expect": direction.expect_gw[i],
                        }, timeout=10)  # fmt: skip
                        self.loadgen.call({
                            "cmd": "target", "id": f"direct_{d}_{route}{key}",
                            "host": "127.0.0.1", "port": self.mock_port,
                            "path": f"{prefix}{direction.upstream_path}",
                            "headers": direct_hdrs,
                            "body_file": str(self.files[f"{d}_upstream_{key}"]),
                            "expect": direction.expect_direct[i],
                        }, timeout=10)  # fmt: skip

    def _cpu(self) -> dict[str, float]:
        """CPU seconds of each bench process, and busy/steal seconds of each CPU."""
        out = {"self": cpu_seconds(os.getpid())}
        for name, proc in (("gateway", self.gateway), ("mock", self.mock)):
            if proc is not None and proc.alive():
                out[name] = cpu_seconds(proc.pid)
        if self.loadgen is not None and self.loadgen.proc.alive():
            out["loadgen"] = cpu_seconds(self.loadgen.proc.pid)
        for cpu, (busy, steal) in cpu_times().items():
            out[f"busy_{cpu}"] = busy
            out[f"steal_{cpu}"] = steal
        return out

    def interference(
        self, before: dict[str, float], after: dict[str, float], wall: float
    ) -> dict[str, float]:
        """CPU used by processes outside the benchmark during a run, in cores (1.0 = one core
        busy all the time), on the gateway's core and on the rest; plus hypervisor steal."""
        d = {k: after[k] - before[k] for k in after if k in before}
        ours_other = d.get("mock", 0) + d.get("loadgen", 0) + d.get("self", 0)
        busy = {k[5:]: v for k, v in d.items() if k.startswith("busy_")}
        steal = sum(v for k, v in d.items() if k.startswith("steal_"))
        out: dict[str, float] = {"steal": steal / wall}
        if self.gw_cpus and self.other_cpus:
            gw_core = sum(busy.get(f"cpu{c}", 0) for c in self.gw_cpus)
            rest = sum(busy.get(f"cpu{c}", 0) for c in self.other_cpus)
            out["gateway_core"] = max(0.0, gw_core - d.get("gateway", 0)) / wall
            out["other_cores"] = max(0.0, rest - ours_other) / wall
        else:
            ours = ours_other + d.get("gateway", 0)
            out["all_cores"] = max(0.0, sum(busy.values()) - ours) / wall
        return out

    def quiet(self, what: str) -> None:
        """``--wait-quiet``: before every measured run, not only every phase (other sessions'
        test suites start and stop within a phase)."""
        if not self.args.wait_quiet:
            return
        load = wait_quiet(self.args.wait_quiet, window_s=2.0)
        if load >= 0.1:
            self.log(f"{what}: machine still busy ({load:.2f} cores of other load)")

    def _noisy(self, interference: dict[str, float], side: str = "both") -> float:
        """How much other processes disturbed a run, in cores beyond what is tolerated (> 0:
        run it again if ``--retries`` allows). A gateway run needs the gateway's core (and
        some of the other one for the mock and load generator); a direct run the other core;
        a paired c=1 / TTFB run both."""
        gw, other = interference.get("gateway_core", 0), interference.get("other_cores", 0)
        if "all_cores" in interference:  # not pinned
            return interference["all_cores"] - NOISY
        if side == "gateway":
            return max(gw - NOISY, other - 0.5)
        if side == "direct":
            return other - NOISY
        return max(gw, other) - NOISY

    def _paired(
        self, what: str, cmd: dict[str, Any], timeout: float
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, float], float, int]:
        """A paired (alternating) run, again up to ``--retries`` times while other processes
        disturb it; the least disturbed attempt is kept."""
        assert self.loadgen is not None
        best: tuple[dict[str, Any], dict[str, float], dict[str, float], float, int] | None = None
        best_noise = float("inf")
        for attempt in range(1 + self.args.retries):
            self.quiet(what)
            before, t0 = self._cpu(), time.perf_counter()
            result = self.loadgen.call(cmd, timeout=timeout)
            after, wall = self._cpu(), time.perf_counter() - t0
            noise = self._noisy(self.interference(before, after, wall))
            if noise < best_noise:
                best, best_noise = (result, before, after, wall, attempt + 1), noise
            if noise <= 0:
                break
            self.log(f"{what}: other processes took {noise + NOISY:.2f} cores during the run")
        assert best is not None
        return best

    def latency_c1(self) -> None:
        assert self.loadgen is not None
        out: dict[str, Any] = self.results.setdefault("c1", {})
        for d, req in self.requests():
            key = f"{d}/{req}"
            if not self.gateway_alive(f"c1 {key}"):
                return
            n = self.args.samples
            cmd = {"cmd": "paired", "targets": [f"gw_{d}_{req}", f"direct_{d}_{req}"],
                   "n": n, "warmup": self.args.warmup_requests}  # fmt: skip
            try:
                result, before, after, wall, attempts = self._paired(
                    f"c=1 {key}", cmd, timeout=60 + n * 0.05
                )
            except BenchError as exc:
                self.error(f"c1 {key}", str(exc))
                self.restart_loadgen()
                continue
            gw = result["targets"][f"gw_{d}_{req}"]
            direct = result["targets"][f"direct_{d}_{req}"]
            gw_cpu = after["gateway"] - before["gateway"]
            warm = self.args.warmup_requests
            out[key] = {
                "gateway": gw,
                "direct": direct,
                "added_ms": {
                    q: gw["latency_ms"][q] - direct["latency_ms"][q]
                    for q in ("p50", "p90", "p99", "mean")
                },
                "added_ttfb_ms": {
                    q: gw["ttfb_ms"][q] - direct["ttfb_ms"][q]
                    for q in ("p50", "p90", "p99", "mean")
                },
                "gateway_cpu_us_per_request": gw_cpu / (n + warm) * 1e6,
                "interference": self.interference(before, after, wall),
                "attempts": attempts,
            }
            self._check_errors(f"c1 {key}", gw, direct)
            self.log(
                f"c=1 {key}: gateway p50 {gw['latency_ms']['p50']:.3f} / p99 "
                f"{gw['latency_ms']['p99']:.3f} ms, direct p50 "
                f"{direct['latency_ms']['p50']:.3f} / p99 {direct['latency_ms']['p99']:.3f} ms"
                f" → added p50 {out[key]['added_ms']['p50']:.3f} ms, p99 "
                f"{out[key]['added_ms']['p99']:.3f} ms"
            )

    def ttfb(self) -> None:
        assert self.loadgen is not None
        out: dict[str, Any] = self.results.setdefault("ttfb", {})
        for d, req in self.requests(("stream",)):
            key = f"{d}/{req}"
            if not self.gateway_alive(f"ttfb {key}"):
                return
            n = self.args.ttfb_samples
            gw_id, direct_id = f"gw_{d}_gap-{req}", f"direct_{d}_gap-{req}"
            cmd = {"cmd": "paired", "targets": [gw_id, direct_id],
                   "n": n, "warmup": 20}  # fmt: skip
            try:
                result, before, after, wall, attempts = self._paired(
                    f"TTFB {key}", cmd, timeout=60 + n * 0.2
                )
                interference = self.interference(before, after, wall)
            except BenchError as exc:
                self.error(f"ttfb {key}", str(exc))
                self.restart_loadgen()
                continue
            gw = result["targets"][gw_id]
            direct = result["targets"][direct_id]
            out[key] = {
                "gateway": gw,
                "direct": direct,
                "added_ttfb_ms": {
                    q: gw["ttfb_ms"][q] - direct["ttfb_ms"][q] for q in ("p50", "p90", "p99")
                },
                "interference": interference,
                "attempts": attempts,
            }
            self._check_errors(f"ttfb {key}", gw, direct)
            self.log(
                f"TTFB {key} (gap {self.args.gap_ms} ms): gateway p50 "
                f"{gw['ttfb_ms']['p50']:.3f} / p99 {gw['ttfb_ms']['p99']:.3f} ms, direct p50 "
                f"{direct['ttfb_ms']['p50']:.3f} / p99 {direct['ttfb_ms']['p99']:.3f} ms"
            )

    def throughput(self) -> None:
        assert self.loadgen is not None
        out: dict[str, Any] = self.results.setdefault("throughput", {})
        c = self.args.concurrency
        for d, req in self.requests():
            key = f"{d}/{req}"
            row: dict[str, Any] = {}
            for side in ("gw", "direct"):
                if not self.gateway_alive(f"c{c} {key}"):
                    return
                target = f"{side}_{d}_{req}"
                try:
                    result = self._load_with_retries(target, c, side == "gw")
                except BenchError as exc:
                    self.error(f"c{c} {target}", str(exc))
                    self.restart_loadgen()
                    continue
                row["gateway" if side == "gw" else "direct"] = result
                self._check_errors(f"c{c} {target}", result)
                util = ", ".join(f"{k} {v * 100:.0f}%" for k, v in
                                 result["cpu_utilisation"].items())  # fmt: skip
                util += "; other processes " + ", ".join(
                    f"{k} {v * 100:.0f}%" for k, v in result["interference"].items()
                )
                spread = "/".join(f"{x:.0f}" for x in result["rps_slices"])
                self.log(
                    f"c={c} {target}: {result['rps']:.0f} req/s (slices {spread}), p50 "
                    f"{result['latency_ms']['p50']:.2f} p99 {result['latency_ms']['p99']:.2f}"
                    f" ms, errors {result['requests'] - result['ok']}; cpu {util}"
                )
            out[key] = row

    def _load_with_retries(self, target: str, c: int, gateway: bool) -> dict[str, Any]:
        assert self.loadgen is not None
        best: dict[str, Any] | None = None
        best_noise = float("inf")
        for attempt in range(1 + self.args.retries):
            self.quiet(f"c={c} {target}")
            self.loadgen.call(
                {"cmd": "load", "target": target, "concurrency": c,
                 "duration": self.args.warmup},
                timeout=60 + self.args.warmup * 3,
            )  # fmt: skip
            result = self._sliced_load(target, c, gateway)
            result["attempts"] = attempt + 1
            noise = self._noisy(result["interference"], "gateway" if gateway else "direct")
            if noise < best_noise:
                best, best_noise = result, noise
            if noise <= 0:
                break
            again = "; again" if attempt < self.args.retries else ""
            other = ", ".join(f"{k} {v * 100:.0f}%" for k, v in result["interference"].items())
            self.log(
                f"c={c} {target}: disturbed by other processes ({other}), "
                f"{result['rps']:.0f} req/s{again}"
            )
        assert best is not None
        return best

    def _sliced_load(self, target: str, c: int, gateway: bool) -> dict[str, Any]:
        """``--duration`` split in ``--slices`` back-to-back runs on the same connections:
        req/s is the median slice (the spread shows how steady the machine was), latency
        percentiles and CPU per request are pooled over all slices."""
        assert self.loadgen is not None
        n = max(1, self.args.slices)
        slices: list[dict[str, Any]] = []
        latencies: list[int] = []
        ttfbs: list[int] = []
        errors: dict[str, int] = {}
        first, start = self._cpu(), time.perf_counter()
        before, t0 = first, start
        for _ in range(n):
            part = self.loadgen.call(
                {"cmd": "load", "target": target, "concurrency": c,
                 "duration": self.args.duration / n, "raw": True},
                timeout=60 + self.args.duration * 3,
            )  # fmt: skip
            after, t1 = self._cpu(), time.perf_counter()
            latencies += part.pop("raw_latency_us")
            ttfbs += part.pop("raw_ttfb_us")
            for k, v in part["errors"].items():
                errors[k] = errors.get(k, 0) + v
            gw_cpu = after.get("gateway", 0) - before.get("gateway", 0)
            slices.append({
                "rps": part["rps"], "ok": part["ok"], "requests": part["requests"],
                "p99_ms": part["latency_ms"]["p99"],
                "gateway_cpu_us_per_request": gw_cpu / part["ok"] * 1e6 if part["ok"] else None,
                "interference": self.interference(before, after, t1 - t0),
            })  # fmt: skip
            before, t0 = after, t1
        last, wall = before, t0 - start
        cpu = {k: last[k] - first[k] for k in ("gateway", "mock", "loadgen")
               if k in last and k in first}  # fmt: skip
        ok = sum(x["ok"] for x in slices)
        rps = [x["rps"] for x in slices]
        result: dict[str, Any] = {
            "requests": sum(x["requests"] for x in slices),
            "ok": ok,
            "errors": errors,
            "concurrency": c,
            "rps": statistics.median(rps),
            "rps_slices": rps,
            "rps_pooled": ok / wall if wall else 0.0,
            "latency_ms": percentiles_ms(latencies),
            "ttfb_ms": percentiles_ms(ttfbs),
            "slices": slices,
            "cpu_s": cpu,
            "wall_s": wall,
            "cpu_utilisation": {k: v / wall for k, v in cpu.items()},
            "interference": self.interference(first, last, wall),
        }
        if gateway and ok:
            result["gateway_cpu_us_per_request"] = cpu["gateway"] / ok * 1e6
        return result

    def open_streams(self) -> None:
        """Each test on a fresh gateway process, so its RSS is not what earlier phases left
        behind (CPython rarely returns freed memory to the OS)."""
        assert self.loadgen is not None and self.mock is not None
        out: dict[str, Any] = self.results.setdefault("open_streams", {})
        n = self.args.streams
        ramps = sorted({0.0, self.args.ramp})
        runs = [(d, p, r) for d in self.stream_directions
                for p in self.args.stream_payloads for r in ramps]  # fmt: skip
        for i, (d, payload, ramp) in enumerate(runs):
            direction = DIRECTIONS[d]
            key = f"{d}/{payload}_stream" + (f" ramp {ramp:g} s" if ramp else " burst")
            self.quiet(f"streams {key}")
            port = free_port()
            gw = self.spawn_gateway(port, f"gateway-streams{i}")
            try:
                wait_first_answer(gw, port, json.dumps({**TINY, "stream": False}).encode())
                target = f"fresh{i}_{d}_hold-{payload}_stream"
                self.loadgen.call({
                    "cmd": "target", "id": target, "host": "127.0.0.1", "port": port,
                    "path": direction.client_path, "headers": client_headers(d),
                    "body_file": str(self.files[f"{d}_client_hold-{payload}_stream"]),
                    "expect": direction.expect_gw[1],
                }, timeout=10)  # fmt: skip
                out[key] = self._hold(gw, target, key, n, ramp)
            except BenchError as exc:
                self.error(f"streams {key}", str(exc))
            finally:
                out.get(key, {})["gateway_stderr_tail"] = gw.stderr_tail(20)
                gw.stop()
            with contextlib.suppress(BenchError):
                self.loadgen.call({"cmd": "close"}, timeout=30)

    def _hold(self, gw: Proc, target: str, key: str, n: int, ramp: float) -> dict[str, Any]:
        assert self.loadgen is not None
        http_request(self.mock_port, "GET", "/_reset")
        before = memory_kb(gw.pid)
        series: list[tuple[int, int]] = [(time.perf_counter_ns(), before.get("VmRSS", 0))]
        stop = threading.Event()
        pid = gw.pid

        def sample(
            series: list[tuple[int, int]] = series, stop: threading.Event = stop, pid: int = pid
        ) -> None:
            while not stop.wait(0.02):
                with contextlib.suppress(OSError):
                    series.append((time.perf_counter_ns(), memory_kb(pid).get("VmRSS", 0)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu_before = cpu_seconds(gw.pid)
        try:
            result = self.loadgen.call(
                {
                    "cmd": "hold",
                    "target": target,
                    "n": n,
                    "batch": 100,
                    "ramp": ramp,
                },
                timeout=120 + self.args.hold * 4 + ramp,
            )
        except BenchError as exc:
            self.error(f"streams {key}", str(exc))
            result = None
        finally:
            stop.set()
            sampler.join()
        cpu_after = cpu_seconds(gw.pid) if gw.alive() else cpu_before
        after = memory_kb(pid) if gw.alive() else {}
        _, stats = http_request(self.mock_port, "GET", "/_stats")
        mock_stats = json.loads(stats)
        entry: dict[str, Any] = {
            "streams": n,
            "hold_s": self.args.hold,
            "ramp_s": ramp,
            "rss_before_kb": before.get("VmRSS"),
            "rss_peak_sampled_kb": max(rss for _, rss in series),
            "rss_all_open_kb": None,
            "rss_after_kb": after.get("VmRSS"),
            "vmhwm_after_kb": after.get("VmHWM"),
            "upstream_max_open_streams": mock_stats["max_open_streams"],
            "gateway_cpu_s": cpu_after - cpu_before,
        }
        if result is not None and result.get("first_done_ns"):
            # RSS once every stream is open, before any finishes: the steady state
            lo, hi = result["last_first_byte_ns"], result["first_done_ns"]
            window = [rss for t, rss in series if lo <= t <= hi]
            entry["rss_all_open_kb"] = max(window) if window else None
        entry["rss_series"] = [(round((t - series[0][0]) / 1e9, 3), rss) for t, rss in series[::5]]
        if result is not None:
            entry.update(
                completed=result["ok"], errors=result["errors"],
                client_max_open_streams=result["max_open_streams"],
                elapsed_s=result["elapsed_s"], connect_s=result["connect_s"],
                ttfb_ms=result["ttfb_ms"], latency_ms=result["latency_ms"],
            )  # fmt: skip
            self._check_errors(f"streams {key}", result)
            if result["max_open_streams"] < n:
                self.results["notes"].append(
                    f"{key}: only {result['max_open_streams']} of {n} streams were open at "
                    f"the same time (upstream saw {mock_stats['max_open_streams']}); "
                    "raise --hold if the ramp-up took longer than the hold"
                )
        self.log(
            f"{n} open streams ({key}): completed {entry.get('completed')}, "
            f"open together {entry.get('client_max_open_streams')} (upstream "
            f"{entry['upstream_max_open_streams']}), RSS {entry['rss_before_kb'] / 1024:.1f}"
            f" → peak {entry['rss_peak_sampled_kb'] / 1024:.1f} MiB, all open "
            f"{(entry['rss_all_open_kb'] or 0) / 1024:.1f} MiB"
        )
        return entry

    def profile(self) -> None:
        """Optional: py-spy the gateway under c=32 load (not part of the measured figures)."""
        spy = self.args.py_spy or shutil.which("py-spy")
        if not spy or self.loadgen is None or self.gateway is None:
            self.results["notes"].append("profile skipped: py-spy not found")
            return
        out: dict[str, Any] = self.results.setdefault("profile", {})
        for key in self.args.profile or ("a2c/cc48k_nonstream", "a2c/cc48k_stream"):
            d, _, req = key.rpartition("/")
            d = d or "a2c"
            key = f"{d}/{req}"
            if d not in self.directions:
                self.results["notes"].append(f"profile {key} skipped: direction not run")
                continue
            raw = self.workdir / f"profile_{d}_{req}.txt"
            self.quiet(f"profile {key}")
            seconds = max(3, int(self.args.duration))
            spy_proc = subprocess.Popen(
                [spy, "record", "-p", str(self.gateway.pid), "-d", str(seconds), "-r", "200",
                 "-f", "raw", "--nonblocking", "-o", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=_affinity(self.other_cpus),
            )  # fmt: skip
            try:
                self.loadgen.call(
                    {"cmd": "load", "target": f"gw_{d}_{req}", "concurrency": self.args.concurrency,
                     "duration": seconds + 1}, timeout=60 + seconds * 3,
                )  # fmt: skip
            finally:
                spy_proc.wait(30)
            if raw.exists():
                out[key] = summarize_profile(raw)
                if self.args.keep_profile and not self.args.no_write:
                    self.args.out_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copy(raw, self.args.out_dir / f"{self.stem}-profile-{d}-{req}.txt")

    def _check_errors(self, where: str, *summaries: dict[str, Any]) -> None:
        for summary in summaries:
            if summary.get("errors"):
                self.error(where, json.dumps(summary["errors"])[:2000])

    def restart_loadgen(self) -> None:
        if self.loadgen is not None:
            self.loadgen.proc.stop()
        self.loadgen = LoadGen(self.workdir, self.other_cpus, self.args.client)
        self.define_targets()

    # -- the run

    def phase(self, name: str, run: Any) -> None:
        """Run one phase; a failure is recorded and the next phase still runs."""
        if self.args.wait_quiet:
            load = wait_quiet(self.args.wait_quiet)
            self.results.setdefault("load_before_phase", {})[name] = load
            if load >= 0.1:
                self.log(f"{name}: machine still busy ({load:.2f} cores of other load)")
        try:
            run()
        except BenchError as exc:
            self.error(name, str(exc))
            if self.loadgen is not None:  # it may be stuck mid-command: start afresh
                with contextlib.suppress(BenchError):
                    self.restart_loadgen()

    @property
    def stem(self) -> str:
        return f"{dt.date.today().isoformat()}-{self.args.label}"

    def run(self) -> dict[str, Any]:
        args = self.args
        started = time.perf_counter()
        if args.src_rev:
            self.results["machine"] = machine_info(args.src_rev, self.export_src())
        else:
            self.results["machine"] = machine_info()
        self.results["setup"] = {
            "pinning": (
                f"gateway on CPU {sorted(self.gw_cpus or [])}, mock upstream + load generator "
                f"+ this script on CPU {sorted(self.other_cpus or [])}"
                if self.pin else "none (all processes share all CPUs)"
            ),
            "client": args.client,
            "wait_quiet_s": args.wait_quiet,
            "retries": args.retries,
            "directions": {d: DIRECTIONS[d].title for d in args.directions},
            "stream_directions": [d for d in args.stream_directions if d in args.directions],
            "concurrency": args.concurrency,
            "samples_c1": args.samples,
            "warmup_requests_c1": args.warmup_requests,
            "duration_s": args.duration,
            "slices": args.slices,
            "warmup_s": args.warmup,
            "ttfb_gap_ms": args.gap_ms,
            "ttfb_samples": args.ttfb_samples,
            "streams": args.streams,
            "hold_s": args.hold,
            "ramp_s": args.ramp,
            "mock_deltas": args.deltas,
            "pool_limit": args.pool_limit or "gateway defaults",
            "gateway_cmd": no_paths(
                " ".join(gateway_argv(Path("<config>"), 0, args.gateway_cmd)[:-4])
            ),
            "quick": args.quick,
            "fixture": str(args.fixture.relative_to(ROOT)) if args.fixture.is_relative_to(ROOT)
            else str(args.fixture),
        }  # fmt: skip
        if self.pin:
            os.sched_setaffinity(0, self.other_cpus or set())
        try:
            self.start_mock()
            write_config(self.config, self.mock_port, args)
            self.results["config_toml"] = self.config.read_text()
            self.log(f"mock upstream on :{self.mock_port}; {self.results['setup']['pinning']}")
            phases = set(args.phases)
            if args.cold_starts and "cold" in phases:
                self.phase("cold start", self.cold_start)
            self.start_gateway()
            self.log(f"gateway pid {self.gateway.pid} on :{self.gw_port}")  # type: ignore[union-attr]
            self.prepare_payloads()
            self.loadgen = LoadGen(self.workdir, self.other_cpus, args.client)
            self.define_targets()
            if "c1" in phases:
                self.phase("c=1", self.latency_c1)
            if "ttfb" in phases:
                self.phase("ttfb", self.ttfb)
            if "c32" in phases:
                self.phase("throughput", self.throughput)
            if args.streams and "streams" in phases:
                self.phase("open streams", self.open_streams)
            if args.profile is not None:
                self.phase("profile", self.profile)
        except BenchError as exc:
            self.error("run", str(exc))
        finally:
            if self.gateway is not None:
                if self.gateway.alive():
                    self.results["gateway_memory_end_kb"] = memory_kb(self.gateway.pid)
                self.results["gateway_stderr_tail"] = self.gateway.stderr_tail(40)
            for proc in (self.loadgen, self.gateway, self.mock):
                if proc is not None:
                    with contextlib.suppress(Exception):
                        proc.stop()
        self.results["runtime_s"] = time.perf_counter() - started
        self.results["targets"] = TARGETS
        self.results["verdicts"] = verdicts(self.results)
        self.results["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self.results


# ----------------------------------------------------------------------------- report


def summarize_profile(path: Path, top: int = 20) -> dict[str, Any]:
    """Self and inclusive time by function from py-spy's raw (collapsed stacks) output."""
    self_t: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_function(f) for f in stack.split(";") if f]
        if not frames:
            continue
        self_t[frames[-1]] = self_t.get(frames[-1], 0) + n
        for f in set(frames):
            incl[f] = incl.get(f, 0) + n

    def ranked(table: dict[str, int], keep: Any = None) -> list[tuple[str, float]]:
        rows = sorted(table.items(), key=lambda kv: -kv[1])
        rows = [r for r in rows if keep is None or keep(r[0])]
        return [(name, round(n / total * 100, 1)) for name, n in rows[:top]] if total else []

    return {
        "samples": total,
        "self_pct": ranked(self_t),
        "inclusive_crosswire_pct": ranked(incl, lambda f: "crosswire/" in f and "cli/" not in f),
    }


def percentiles_ms(values_us: list[int]) -> dict[str, float]:
    """Nearest-rank percentiles of microsecond samples, in ms (as the load generator does)."""
    v = sorted(values_us)
    if not v:
        return {q: float("nan") for q in ("p50", "p90", "p99", "p99.9", "min", "max", "mean")}

    def rank(q: float) -> float:
        k = max(0, min(len(v) - 1, round(q / 100 * len(v) + 0.5) - 1))
        return v[k] / 1000

    return {
        "p50": rank(50), "p90": rank(90), "p99": rank(99), "p99.9": rank(99.9),
        "min": v[0] / 1000, "max": v[-1] / 1000, "mean": sum(v) / len(v) / 1000,
    }  # fmt: skip


def _function(frame: str) -> str:
    """``func (path/to/file.py:123)`` → ``func (pkg/file.py)`` (lines merged)."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


def verdicts(r: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(what: str, key: str, value: float | None, target: float, ok: bool | None,
            unit: str) -> None:  # fmt: skip
        """``key``: ``<direction>/<request>`` (or ``""`` for a figure of no direction)."""
        direction, _, request = key.partition("/")
        out.append({"target": f"{what}, {request}" if request else what,
                    "direction": direction, "value": value, "limit": target, "unit": unit,
                    "met": ok})  # fmt: skip

    for key, row in r.get("c1", {}).items():
        p50, p99 = row["added_ms"]["p50"], row["added_ms"]["p99"]
        add("added latency c=1 p50", key, p50, TARGETS["added_p50_ms"],
            p50 <= TARGETS["added_p50_ms"], "ms")  # fmt: skip
        add("added latency c=1 p99", key, p99, TARGETS["added_p99_ms"],
            p99 <= TARGETS["added_p99_ms"], "ms")  # fmt: skip
    for key, row in r.get("ttfb", {}).items():
        v = row["added_ttfb_ms"]["p99"]
        add("added TTFB p99", key, v, TARGETS["added_ttfb_p99_ms"],
            v <= TARGETS["added_ttfb_p99_ms"], "ms")  # fmt: skip
    for key, row in r.get("open_streams", {}).items():
        rss = row["rss_peak_sampled_kb"] / 1024
        n = row["streams"]
        complete = row.get("completed") == n and row.get("client_max_open_streams") == n
        add(f"{n} streams open at once and all complete", key, row.get("completed"),
            n, complete, "streams")  # fmt: skip
        limit = TARGETS["rss_1000_streams_mb"]
        add(f"RSS with {n} open streams", key, rss, limit, rss < limit, "MiB")
    if "cold_start" in r:
        v = r["cold_start"]["median_s"]
        add("cold start to first answer (median)", "", v, TARGETS["cold_start_s"],
            v <= TARGETS["cold_start_s"], "s")  # fmt: skip
    cores = 1 if r.get("setup", {}).get("pinning", "").startswith("gateway on") else None
    for key, row in r.get("throughput", {}).items():
        gw = row.get("gateway")
        if not gw:
            continue
        if cores:
            v = gw["rps"] / cores
            add("req/s per core c=32 (aim)", key, v, TARGETS["rps_per_core"],
                v >= TARGETS["rps_per_core"], "req/s")  # fmt: skip
        if gw.get("gateway_cpu_us_per_request"):
            v = 1e6 / gw["gateway_cpu_us_per_request"]
            add("req/s per core from CPU/request (aim)", key, v, TARGETS["rps_per_core"],
                v >= TARGETS["rps_per_core"], "req/s")  # fmt: skip
    return out


def nice(key: str) -> str:
    """``c2a/cc48k_stream`` → ``Chat→Anthropic cc48k_stream`` (for tables)."""
    d, _, rest = key.partition("/")
    return f"{DIRECTIONS[d].label} {rest}" if d in DIRECTIONS and rest else key


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _other(x: dict[str, Any]) -> str:
    i = x.get("interference") or {}
    tries = f" ({x['attempts']} tries)" if x.get("attempts", 1) > 1 else ""
    if "gateway_core" in i:
        return f"{i['gateway_core'] * 100:.0f}% / {i['other_cores'] * 100:.0f}%{tries}"
    return (f"{i.get('all_cores', 0) * 100:.0f}%" if i else "-") + tries


def _spread(x: dict[str, Any]) -> str:
    values = x.get("rps_slices") or [x["rps"]]
    return f"{min(values):.0f}-{max(values):.0f}"


def max_interference(r: dict[str, Any]) -> float:
    worst = 0.0
    for section in ("c1", "ttfb"):
        for row in r.get(section, {}).values():
            i = row.get("interference") or {}
            worst = max(worst, *i.values()) if i else worst
    for row in r.get("throughput", {}).values():
        for side, x in row.items():
            i = x.get("interference") or {}
            # the gateway path needs the gateway's core, the direct path the other one
            core = "gateway_core" if side == "gateway" else "other_cores"
            worst = max(worst, i.get(core, 0), i.get("all_cores", 0))
    return worst


def markdown(r: dict[str, Any]) -> str:
    m, s = r["machine"], r["setup"]
    dirty = f", src/ had uncommitted changes (src sha256 `{m['src_sha256']}`)"
    lines = [
        f"# crosswire benchmark: {r['date'][:10]}" + (" (quick run)" if s["quick"] else ""),
        "",
        "Produced by `bench/run.py`; see `bench/README.md` for what each figure means.",
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {m['cpu_model']} |",
        f"| Cores | {m['cpus_online']} online, {m['cpus_usable']} usable |",
        f"| Memory | {m['memory']} |",
        f"| Kernel / OS | {m['kernel']} / {m['os']} |",
        f"| Python | {m['python_impl']} {m['python']}"
        + "".join(f", {k}={v}" for k, v in m.get("python_env", {}).items())
        + " |",
        f"| aiohttp / msgspec / uvloop | {m['aiohttp']} / {m['msgspec']} / {m['uvloop']} |",
        f"| crosswire | {m['crosswire']}, commit `{m['git_commit'][:12]}` "
        f"({m['git_describe']}){dirty if m['src_dirty'] else ''}"
        + (
            f"; the gateway ran from `git archive {m['src_rev']} src` (`--src-rev`), not the "
            f"working tree (HEAD `{m['working_tree_head'][:12]}`)"
            if m.get("src_rev")
            else ""
        )
        + " |",
        f"| Pinning | {s['pinning']} |",
        f"| Gateway command | `{s['gateway_cmd']} --config <generated> --port N` |",
        f"| Load generator | `{s['client']}` client, its own process |",
        f"| Run time | {r['runtime_s']:.0f} s |",
        "",
        "All processes share this machine: the gateway is alone on its core; the mock "
        "upstream, the load generator and this script share the other. Loopback only.",
        "",
    ]
    dirs = s.get("directions", {})
    if dirs:
        lines += ["Directions: " + "; ".join(
            f"**{DIRECTIONS[d].label}** (`{d}`): {t}" for d, t in dirs.items()
        ) + ".", ""]  # fmt: skip
    sizes = r.get("payload_sizes", {})
    if sizes:
        lines += [
            "Payloads (client request → what the gateway sent upstream): " + "; ".join(
                f"{nice(k)}: {v['client_bytes']:,} B → {v['upstream_bytes']:,} B"
                for k, v in sizes.items()
            ) + ".",
            "",
        ]  # fmt: skip
    checks = r.get("relay_check", {})
    if checks:
        per: dict[str, dict[str, list[str]]] = {}
        for k, v in checks.items():
            path, _, route = v.partition(", route ")
            per.setdefault(k.partition("/")[0], {}).setdefault(path, []).append(route)
        lines += [
            "Path check at start (`x-crosswire-passthrough` response header, every request "
            "and the gap/hold providers): " + "; ".join(
                f"{nice(d + '/x')[:-2]}: "
                + ", ".join(f"{path}, {len(routes)} requests (routes "
                            f"{', '.join(sorted(set(routes)))})" for path, routes in v.items())
                for d, v in per.items()
            ) + ".",
            "",
        ]  # fmt: skip
    worst = max_interference(r)
    lines += [
        "\\* Other load: CPU used by processes outside the benchmark during the run (from "
        "/proc/stat minus the benchmark's own processes), on the gateway's core / on the other "
        "core; 100% = one core. Anything above a few % disturbs the figures."
        + (f" With `--wait-quiet`, every run waits for a quiet machine first, and a run "
           f"disturbed by more than {NOISY:g} core is measured again (up to {s['retries']} "
           "more times; the least disturbed attempt is kept, marked \"(n tries)\")."
           if s.get("retries") else "")
        + (f" **In the worst run other processes took {worst * 100:.0f}% of a core the run "
           "needed: treat the figures of the rows marked so as pessimistic.**"
           if worst > 0.05 else ""),
        "",
    ]  # fmt: skip
    lines += ["## Targets", ""]
    groups = [("", "General")] + [(d, t) for d, t in s.get("directions", {}).items()]
    for d, title in groups:
        rows = [v for v in r["verdicts"] if v.get("direction", "") == d]
        if not rows:
            continue
        met = sum(1 for v in rows if v["met"])
        lines += [f"**{title}**: {met} of {len(rows)} met.", "",
                  "| Target | Value | Limit | Met |", "|---|---|---|---|"]  # fmt: skip
        for v in rows:
            op = "≥" if v["unit"] == "req/s" or v["unit"] == "streams" else "≤"
            lines.append(
                f"| {v['target']} | {_f(v['value'], 3 if v['unit'] in ('ms', 's') else 1)} "
                f"{v['unit']} | {op} {v['limit']} {v['unit']} | "
                f"{'yes' if v['met'] else '**no**'} |"
            )
        lines.append("")
    if r.get("c1"):
        lines += [
            f"## Latency at concurrency 1 ({s['samples_c1']} samples each, alternating gateway "
            "and direct)",
            "",
            "| Request | Gateway p50 / p99 | Direct p50 / p99 | **Added p50 / p99** | Added "
            "mean | Gateway CPU / req | Other load* |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, row in r["c1"].items():
            g, d, a = row["gateway"]["latency_ms"], row["direct"]["latency_ms"], row["added_ms"]
            lines.append(
                f"| {nice(key)} | {_f(g['p50'])} / {_f(g['p99'])} ms | "
                f"{_f(d['p50'])} / {_f(d['p99'])} ms | **{_f(a['p50'])} / {_f(a['p99'])} ms** | "
                f"{_f(a['mean'])} ms | "
                f"{row['gateway_cpu_us_per_request']:.0f} µs | {_other(row)} |"
            )
        lines.append("")
    if r.get("ttfb"):
        lines += [
            f"## Time to first byte, streams (mock sends the first chunk, then waits "
            f"{s['ttfb_gap_ms']} ms; {s['ttfb_samples']} samples)",
            "",
            "| Request | Gateway p50 / p99 | Direct p50 / p99 | **Added p50 / p99** | Other "
            "load* |",
            "|---|---|---|---|---|",
        ]
        for key, row in r["ttfb"].items():
            g, d, a = row["gateway"]["ttfb_ms"], row["direct"]["ttfb_ms"], row["added_ttfb_ms"]
            lines.append(
                f"| {nice(key)} | {_f(g['p50'])} / {_f(g['p99'])} ms | "
                f"{_f(d['p50'])} / {_f(d['p99'])} ms | **{_f(a['p50'])} / {_f(a['p99'])} ms** | "
                f"{_other(row)} |"
            )
        lines.append("")
        c1 = r.get("c1", {})
        extra = [
            f"{nice(k)}: added TTFB p50 {_f(v['added_ttfb_ms']['p50'])} / p99 "
            f"{_f(v['added_ttfb_ms']['p99'])} ms"
            for k, v in c1.items() if k.endswith("_stream")
        ]  # fmt: skip
        if extra:
            lines += ["Without the gap (whole stream in one write), from the c=1 runs: "
                      + "; ".join(extra) + ".", ""]  # fmt: skip
        lines += [
            "Here every request follows 10 ms of idleness (the gap), while the c=1 latency "
            "runs are back to back: on a virtual machine a core that has been idle for a few "
            "ms answers noticeably slower (wake-up, cold caches), for the gateway and for the "
            "mock alike, so this TTFB is closer to what a lone interactive client sees.",
            "",
        ]
    if r.get("throughput"):
        c = s["concurrency"]
        lines += [
            f"## Throughput at concurrency {c} ({s['duration_s']} s each after "
            f"{s['warmup_s']} s warm-up, in {s['slices']} slices)",
            "",
            "| Request | Path | req/s (slices min-max) | p50 | p99 | Errors | Gateway CPU / req | "
            "CPU busy "
            "(gateway / mock / loadgen) | Other load* |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for key, row in r["throughput"].items():
            for side in ("gateway", "direct"):
                x = row.get(side)
                if not x:
                    continue
                u = x["cpu_utilisation"]
                cpu = x.get("gateway_cpu_us_per_request")
                lines.append(
                    f"| {nice(key)} | {side} | {x['rps']:.0f} ({_spread(x)}) | "
                    f"{_f(x['latency_ms']['p50'], 2)} ms | "
                    f"{_f(x['latency_ms']['p99'], 2)} ms | {x['requests'] - x['ok']} | "
                    f"{f'{cpu:.0f} µs' if cpu else '-'} | {u.get('gateway', 0) * 100:.0f}% / "
                    f"{u.get('mock', 0) * 100:.0f}% / {u.get('loadgen', 0) * 100:.0f}% | "
                    f"{_other(x)} |"
                )
        lines += [
            "",
            "req/s is the median of the slices (their range in brackets: how steady the "
            "machine was); p50/p99 and CPU per request are pooled over all slices. "
            "CPU busy is CPU seconds ÷ wall seconds for each process (100% = one core). The "
            "gateway is saturated when its figure is near 100%; if instead mock + loadgen are "
            "near 100% together, the shared core limited the run and 1 ÷ (gateway CPU per "
            "request) is the better estimate of the gateway's capacity per core.",
            "",
        ]
    if r.get("open_streams"):
        lines += [
            f"## {s['streams']} concurrent open streams (mock holds each for {s['hold_s']} s "
            "after its first chunk; burst: all requests sent at once; ramp: spread over that "
            "time)",
            "",
            "| Request | Completed | Open together (client / upstream) | RSS before | **RSS "
            "peak** | RSS all open | VmHWM after | TTFB p50 / p99 | Total time |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for key, x in r["open_streams"].items():
            t = x.get("ttfb_ms") or {}
            lines.append(
                f"| {nice(key)} | {x.get('completed', '-')} / {x['streams']} | "
                f"{x.get('client_max_open_streams', '-')} / {x['upstream_max_open_streams']} | "
                f"{x['rss_before_kb'] / 1024:.1f} MiB | **{x['rss_peak_sampled_kb'] / 1024:.1f} "
                f"MiB** | {_f((x.get('rss_all_open_kb') or 0) / 1024, 1)} MiB | "
                f"{_f((x.get('vmhwm_after_kb') or 0) / 1024, 1)} MiB | "
                f"{_f(t.get('p50'), 1)} / {_f(t.get('p99'), 1)} ms | "
                f"{_f(x.get('elapsed_s'), 1)} s |"
            )
        lines += [
            "",
            "Each test runs on a fresh gateway process (RSS before = after start-up and one "
            "request). RSS peak: the highest VmRSS sampled every 20 ms during the test (the "
            "target's "
            "figure). RSS all open: the highest sample between the moment the last stream got "
            "its first byte and the moment the first one finished (steady state; the peak is "
            "usually higher because all requests arrive in one burst and are decoded at once, "
            "and freed memory is not returned to the OS). VmHWM: the kernel's own peak RSS "
            "record for the process.",
            "",
        ]
    if "cold_start" in r:
        cs = r["cold_start"]
        lines += [
            "## Cold start",
            "",
            f"{cs['what']}: median **{cs['median_s'] * 1000:.0f} ms**, max "
            f"{cs['max_s'] * 1000:.0f} ms (runs: "
            + ", ".join(f"{t * 1000:.0f}" for t in cs["runs_s"]) + " ms).",
            "",
        ]  # fmt: skip
    if r.get("gateway_rss_idle_kb"):
        lines += [f"Gateway RSS after start-up and one request: "
                  f"{r['gateway_rss_idle_kb']['VmRSS'] / 1024:.1f} MiB.", ""]  # fmt: skip
    if r.get("profile"):
        lines += [
            "## Profile (py-spy, c=32, not part of the figures above)",
            "",
            "Sampled without stopping the process (`--nonblocking`). Self time is reliable; "
            "inclusive time of coroutines is understated, since a coroutine resumed by the "
            "event loop is sampled without the coroutines awaiting it.",
            "",
        ]
        for key, p in r["profile"].items():
            lines += [f"**{nice(key)}** ({p['samples']} samples). Self time:", ""]
            lines += [f"- {pct}% {name}" for name, pct in p["self_pct"][:15]]
            lines += ["", "Inclusive, crosswire functions:", ""]
            lines += [f"- {pct}% {name}" for name, pct in p["inclusive_crosswire_pct"][:15]]
            lines.append("")
    if r["errors"] or r["notes"]:
        lines += ["## Errors and notes", ""]
        lines += [f"- **{e['phase']}**: {e['error']}" for e in r["errors"]]
        lines += [f"- {n}" for n in r["notes"]]
        lines.append("")
    tail = r.get("gateway_stderr_tail", "")
    noisy = [ln for ln in tail.splitlines() if not ln.startswith("crosswire: ")]
    if noisy:
        lines += ["## Gateway stderr (tail)", "", "```", *noisy[-20:], "```", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


PROFILE_CHOICES = [
    f"{d}{a}_{b}" for d in ("", *(f"{x}/" for x in DIRECTIONS)) for a in PAYLOADS for b in MODES
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="~30 s smoke run (fewer samples)")
    p.add_argument("--samples", type=int, help="requests per path at concurrency 1 (2000)")
    p.add_argument("--warmup-requests", type=int, help="warm-up requests per path at c=1 (200)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--duration", type=float, help="seconds per throughput run (8)")
    p.add_argument("--warmup", type=float, help="warm-up seconds before each run (1)")
    p.add_argument("--slices", type=int, help="split each throughput run in N parts (4)")
    p.add_argument("--ttfb-samples", type=int, help="TTFB samples per path (300)")
    p.add_argument("--gap-ms", type=int, default=10, help="mock pause after the first chunk")
    p.add_argument("--streams", type=int, help="concurrent open streams (1000); 0 skips")
    p.add_argument("--hold", type=float, help="seconds the mock holds each open stream (6)")
    p.add_argument(
        "--ramp",
        type=float,
        help="open-streams test: also run it with the requests spread over this many seconds "
        "(2; 0: only the burst, all requests at once)",
    )
    p.add_argument("--stream-payloads", nargs="+", choices=PAYLOADS, default=list(PAYLOADS))
    p.add_argument(
        "--directions",
        nargs="+",
        choices=list(DIRECTIONS),
        default=list(DIRECTIONS),
        help="client → upstream pairs to measure: a2c (Anthropic client → Chat upstream), c2a "
        "(Chat client → Anthropic upstream), c2c (Chat → Chat, relayed); default: all",
    )
    p.add_argument(
        "--stream-directions",
        nargs="+",
        choices=list(DIRECTIONS),
        default=list(DIRECTIONS),
        help="directions for the open-streams test (default: all of --directions)",
    )
    p.add_argument("--cold-starts", type=int, help="cold-start repetitions (5)")
    p.add_argument("--deltas", type=int, default=8, help="content deltas per mock stream")
    p.add_argument(
        "--pool-limit",
        type=int,
        default=2048,
        help="gateway max_connections(_per_host) in the bench config; 0 = defaults",
    )
    p.add_argument("--client", choices=("raw", "aiohttp"), default="raw")
    p.add_argument(
        "--phases",
        nargs="+",
        choices=PHASES,
        default=list(PHASES),
        help="run only these phases (default: all)",
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    p.add_argument(
        "--profile",
        nargs="*",
        metavar="REQUEST",
        choices=PROFILE_CHOICES,
        help="also py-spy the gateway at c=32, e.g. c2a/cc48k_stream (no direction: a2c; "
        "default: a2c/cc48k_nonstream a2c/cc48k_stream); not part of the measured figures",
    )
    p.add_argument("--py-spy", help="path to py-spy (default: on PATH)")
    p.add_argument(
        "--keep-profile",
        action="store_true",
        help="also save py-spy's raw collapsed stacks next to the results (for flame graphs)",
    )
    p.add_argument("--fixture", type=Path, default=FIXTURE)
    p.add_argument(
        "--gateway-cmd",
        metavar="CMD",
        help='command to run instead of "crosswire serve" (A/B experiments); '
        "--config and --port are appended",
    )
    p.add_argument(
        "--src-rev",
        metavar="REV",
        help="run the gateway from `git archive REV src` (PYTHONPATH) instead of the working "
        "tree, so edits to src/ during the run do not change what is measured",
    )
    p.add_argument("--label", default="baseline", help="results file: <date>-<label>.md")
    p.add_argument("--out-dir", type=Path, default=BENCH / "results")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before starting and before each phase, wait up to SECONDS for other processes "
        "to use < 0.1 core (for a shared machine)",
    )
    p.add_argument(
        "--retries",
        type=int,
        help="with --wait-quiet, measure a run again (up to N times) when other processes "
        f"took more than {NOISY} core it needed, keeping the least disturbed attempt "
        "(default 2 with --wait-quiet, else 0)",
    )
    p.add_argument("--no-write", action="store_true", help="print the report, write nothing")
    args = p.parse_args(argv)
    full = {
        "samples": 2000, "warmup_requests": 200, "duration": 8.0, "warmup": 1.0,
        "ttfb_samples": 300, "streams": 1000, "hold": 6.0, "ramp": 2.0, "cold_starts": 5,
        "slices": 4,
    }  # fmt: skip
    quick = {
        "samples": 300, "warmup_requests": 50, "duration": 1.2, "warmup": 0.3,
        "ttfb_samples": 50, "streams": 1000, "hold": 3.0, "ramp": 0.0, "cold_starts": 1,
        "slices": 1,
    }  # fmt: skip
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.retries is None:
        args.retries = 2 if args.wait_quiet else 0
    if args.quick and args.label == "baseline":
        args.label = "quick"
    args.fixture = args.fixture.resolve()
    return args


def wait_quiet(limit_s: float, threshold: float = NOISY, window_s: float = 3.0) -> float:
    """Wait (up to ``limit_s``) until other processes use under ``threshold`` cores over a
    ``window_s`` window; return the load seen last, in cores."""
    deadline = time.monotonic() + limit_s
    while True:
        before = sum(busy for busy, _ in cpu_times().values())
        time.sleep(window_s)
        load = (sum(busy for busy, _ in cpu_times().values()) - before) / window_s
        if load < threshold or time.monotonic() >= deadline:
            return load
        print(f"waiting for a quiet machine: other load {load:.2f} cores", file=sys.stderr)


def main() -> None:
    args = parse_args()
    # stop the child processes on SIGTERM too (the finally blocks run on SystemExit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.wait_quiet:
        load = wait_quiet(args.wait_quiet)
        print(f"machine load before start: {load:.2f} cores", file=sys.stderr)
    with contextlib.suppress(ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, max(soft, 8 * args.streams + 1024))
        if want > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    bench = Bench(args)
    results = bench.run()
    report = markdown(results)
    if args.no_write:
        print(report)
    else:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        md = args.out_dir / f"{bench.stem}.md"
        md.write_text(report)
        (args.out_dir / f"{bench.stem}.json").write_text(json.dumps(results, indent=2) + "\n")
        print(report)
        print(f"\nwrote {md} and {md.with_suffix('.json')}", file=sys.stderr)
    sys.exit(1 if results["errors"] else 0)


if __name__ == "__main__":
    main()
