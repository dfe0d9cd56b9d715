"""A gateway whose request log goes to a temp SQLite file, in front of two scripted OpenAI
upstreams (``main`` falls back to ``backup``), and helpers to read what it recorded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from crosswire.config import loads_config
from crosswire.server import create_app
from tests.support.servers import Reply, ScriptedOpenAIUpstream, ThreadedApp, chunk

UPSTREAM_KEY = "sk-upstream-secret-key-0001"
CLIENT_KEY = "sk-ant-client-secret-1234"
PROMPT = "please keep this prompt text private"
ANSWER = "an answer nobody should find in the log"


def config_text(primary: str, backup: str, db: Path, extra: str = "") -> str:
    return f"""
default_model = "main"
[server]
ping_interval = 5.0
retries = 1
retry_budget = 1.0
cooldown_after = 1000
[log]
path = "{db}"
flush_interval = 0.05
{extra}
[providers.primary]
type = "openai"
base_url = "{primary}"
api_key = "{UPSTREAM_KEY}"
profile = "openai"
[providers.backup]
type = "openai"
base_url = "{backup}"
api_key = "{UPSTREAM_KEY}"
profile = "openai"
[models.main]
provider = "primary"
model = "primary-model"
max_context_size = 200000
fallbacks = ["backup"]
[models.backup]
provider = "backup"
model = "backup-model"
max_context_size = 200000
[routes]
"claude-*" = "main"
"""


@contextmanager
def gateway(text: str, *, tweak: Any = None) -> Iterator[ThreadedApp]:
    """A gateway from ``text``; ``tweak(app)`` may change the app before it starts. Stopping
    it flushes the request log."""
    app: web.Application = create_app(loads_config(text))
    if tweak is not None:
        tweak(app)
    server = ThreadedApp(app).start()
    try:
        yield server
    finally:
        server.stop()


def stream_reply(text: str = ANSWER) -> Reply:
    return Reply(
        chunks=[
            chunk({"role": "assistant", "content": text}),
            chunk({}, finish_reason="stop"),
            chunk(
                usage={
                    "prompt_tokens": 30,
                    "completion_tokens": 7,
                    "total_tokens": 37,
                    "prompt_tokens_details": {"cached_tokens": 20},
                    "completion_tokens_details": {"reasoning_tokens": 3},
                }
            ),
        ]
    )


def error_reply(status: int) -> Reply:
    body = {"error": {"message": f"upstream says {status}", "type": "server_error"}}
    return Reply(status=status, json_body=body)


def rows(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM requests ORDER BY id")]


def fresh_upstreams(
    primary: ScriptedOpenAIUpstream, backup: ScriptedOpenAIUpstream
) -> tuple[ScriptedOpenAIUpstream, ScriptedOpenAIUpstream]:
    primary.reset()
    backup.reset()
    return primary, backup
