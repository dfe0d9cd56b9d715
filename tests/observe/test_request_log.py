"""A batch of requests through a real gateway — streamed and not, translated and relayed
as-is, one retried after a 429, one moved to its fallback, one failing — then what the request
log, ``crosswire stats``, ``crosswire logs`` and ``GET /metrics`` say about it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from crosswire.cli.main import cli
from tests.observe.support import (
    ANSWER,
    CLIENT_KEY,
    PROMPT,
    UPSTREAM_KEY,
    config_text,
    error_reply,
    gateway,
    rows,
    stream_reply,
)
from tests.support.servers import Reply, ScriptedOpenAIUpstream


@dataclass
class Batch:
    db: Path
    config: Path
    metrics: str
    rows: list[dict[str, Any]]


def _ask(client: anthropic.Anthropic, *, stream: bool = False) -> None:
    kwargs: Any = {
        "model": "claude-test-model", "max_tokens": 100,
        "messages": [{"role": "user", "content": PROMPT}],
    }  # fmt: skip
    if stream:
        with client.messages.stream(**kwargs) as events:
            events.get_final_message()
    else:
        client.messages.create(**kwargs)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    tmp = tmp_path_factory.mktemp("observe")
    primary, backup = ScriptedOpenAIUpstream().start(), ScriptedOpenAIUpstream().start()
    db = tmp / "requests.sqlite"
    text = config_text(primary.base_url, backup.base_url, db)
    config = tmp / "config.toml"
    config.write_text(text)
    try:
        with gateway(text) as app:
            client = anthropic.Anthropic(base_url=app.url, api_key=CLIENT_KEY, max_retries=0)
            primary.reset(Reply.text(ANSWER))
            _ask(client)  # 1: translated, not streamed
            primary.reset(stream_reply())
            _ask(client, stream=True)  # 2: streamed, usage with cached and reasoning tokens
            primary.reset(error_reply(429), Reply.text(ANSWER))
            _ask(client)  # 3: one retry after a 429
            primary.reset(error_reply(502))
            backup.reset(Reply.text(ANSWER))
            _ask(client)  # 4: falls back to backup
            primary.reset(error_reply(400))
            with pytest.raises(anthropic.BadRequestError):
                _ask(client)  # 5: an error answered as it is
            chat = openai.OpenAI(base_url=f"{app.url}/v1", api_key=CLIENT_KEY, max_retries=0)
            backup.reset(Reply.text(ANSWER))
            chat.chat.completions.create(
                model="backup", messages=[{"role": "user", "content": PROMPT}]
            )  # 6: same format, no fallbacks: relayed as-is
            metrics = httpx.get(f"{app.url}/metrics").text
        yield Batch(db, config, metrics, rows(db))
    finally:
        primary.stop()
        backup.stop()


def test_every_request_is_a_row(batch: Batch) -> None:
    assert len(batch.rows) == 6
    ok, streamed, retried, fell_back, failed, as_is = batch.rows
    for row in batch.rows:
        assert row["request_id"].startswith("req_")
        assert row["latency_ms"] > 0
        assert row["ts"] > 1.7e9
    assert ok["client_format"] == "anthropic"
    assert (ok["client_model"], ok["alias"], ok["route_rule"]) == (
        "claude-test-model", "main", "route:claude-*",
    )  # fmt: skip
    assert (ok["provider"], ok["upstream_model"], ok["status"]) == ("primary", "primary-model", 200)
    assert (ok["tokens_in"], ok["tokens_out"], ok["stream"], ok["relay"]) == (
        10,
        5,
        0,
        "translated",
    )
    assert ok["ttft_ms"] is None and ok["error_kind"] is None
    assert (streamed["stream"], streamed["tokens_in"], streamed["tokens_out"]) == (1, 30, 7)
    assert (streamed["tokens_cached"], streamed["tokens_reasoning"]) == (20, 3)
    assert 0 < streamed["ttft_ms"] <= streamed["latency_ms"]
    assert (retried["retries"], retried["fallbacks"], retried["status"]) == (1, 0, 200)
    assert (fell_back["fallbacks"], fell_back["provider"]) == (1, "backup")
    assert fell_back["upstream_model"] == "backup-model" and fell_back["alias"] == "main"
    assert (failed["status"], failed["error_kind"]) == (400, "invalid_request")
    assert (as_is["client_format"], as_is["relay"], as_is["provider"]) == (
        "openai_chat", "as-is", "backup",
    )  # fmt: skip
    assert as_is["tokens_in"] is None
    assert all(r["queue_wait_ms"] is not None for r in batch.rows)


def test_no_content_and_no_keys_in_the_database(batch: Batch) -> None:
    stored = b"".join(p.read_bytes() for p in batch.db.parent.glob("requests.sqlite*"))
    for secret in (PROMPT, ANSWER, UPSTREAM_KEY, CLIENT_KEY):
        assert secret.encode() not in stored
    with sqlite3.connect(batch.db) as conn:
        assert conn.execute("SELECT count(*) FROM payloads").fetchone() == (0,)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_the_batch(batch: Batch) -> None:
    s = _samples(batch.metrics)
    requests = {k: v for k, v in s.items() if k[0] == "crosswire_requests_total"}
    assert sum(requests.values()) == 6
    key = (
        ("client_format", "anthropic"), ("model", "main"), ("provider", "primary"),
        ("status", "200"),
    )  # fmt: skip
    assert requests[("crosswire_requests_total", key)] == 3
    as_is = (
        ("client_format", "openai_chat"), ("model", "backup"), ("provider", "backup"),
        ("status", "200"),
    )  # fmt: skip
    assert requests[("crosswire_requests_total", as_is)] == 1
    assert all(dict(k[1])["model"] in {"main", "backup"} for k in requests)  # never claude-*
    assert s[("crosswire_request_errors_total", (("kind", "invalid_request"),))] == 1
    assert s[("crosswire_request_duration_seconds_count", ())] == 6
    assert s[("crosswire_time_to_first_token_seconds_count", ())] == 1
    assert s[("crosswire_queue_wait_seconds_count", ())] == 6
    tokens = {d: s[("crosswire_tokens_total", (("direction", d),))] for d in
              ("input", "output", "cached", "reasoning")}  # fmt: skip
    assert tokens == {"input": 60, "output": 22, "cached": 20, "reasoning": 3}
    assert s[("crosswire_upstream_attempts_total", (("provider", "primary"),))] == 6
    assert s[("crosswire_upstream_attempts_total", (("provider", "backup"),))] == 2
    assert s[("crosswire_upstream_429_total", (("provider", "primary"),))] == 1
    assert s[("crosswire_upstream_retries_total", ())] == 1
    assert s[("crosswire_fallbacks_total", ())] == 1
    assert s[("crosswire_request_log_dropped_total", ())] == 0


def test_stats_json(batch: Batch) -> None:
    result = CliRunner().invoke(cli, ["stats", "--json", "--config", str(batch.config)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["by"] == "model" and data["database"] == str(batch.db)
    by_model = {g["key"]: g for g in data["groups"]}
    assert by_model["main"]["requests"] == 5 and by_model["main"]["errors"] == 1
    assert by_model["main"]["retries"] == 1 and by_model["main"]["fallbacks"] == 1
    assert by_model["main"]["tokens_in"] == 60 and by_model["main"]["tokens_cached"] == 20
    assert by_model["main"]["ttft_p50_ms"] is not None
    assert by_model["backup"]["requests"] == 1
    total = data["total"]
    assert (total["requests"], total["errors"]) == (6, 1)
    assert total["latency_p50_ms"] <= total["latency_p95_ms"]

    result = CliRunner().invoke(
        cli, ["stats", "--json", "--by", "provider", "--since", "1h", "--config", str(batch.config)]
    )
    by_provider = {g["key"]: g["requests"] for g in json.loads(result.output)["groups"]}
    assert by_provider == {"primary": 4, "backup": 2}


def test_stats_table_when_piped(batch: Batch) -> None:
    result = CliRunner().invoke(cli, ["stats", "--config", str(batch.config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["model", "requests", "errors"]
    assert lines[1].split()[:3] == ["main", "5", "1"]
    assert lines[-1].split()[:3] == ["total", "6", "1"]


def test_logs_json_tails_recent_requests(batch: Batch) -> None:
    result = CliRunner().invoke(cli, ["logs", "-n", "2", "--json", "--config", str(batch.config)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in lines] == [5, 6]  # oldest first, the last two
    assert lines[0]["error_kind"] == "invalid_request" and lines[1]["relay"] == "as-is"
    assert lines[1]["stream"] is False and "time" in lines[1]


def test_logs_table(batch: Batch) -> None:
    result = CliRunner().invoke(cli, ["logs", "--config", str(batch.config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 7 and lines[0].split()[:2] == ["time", "format"]
    assert "main(route:claude-*)" in lines[1]
