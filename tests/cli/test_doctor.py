"""``crosswire doctor`` against a scripted OpenAI-format upstream that knows two keys and two
models: ``good-model`` answers every probe properly (text, stream, tool round trip, thinking when
the request switched it on, "red" for the image); ``no-tools-model`` answers text but rejects
tools and images with a 400 naming why; the second key is rejected outright (401). The doctor
must say which paths work and why the others do not, print no key, exit non-zero, and save
results that ``crosswire models`` shows."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner, Result

from crosswire.cli.main import cli
from tests.cli.support import Dirs, dirs
from tests.support.servers import ThreadedApp, chat_completion, chunk

__all__ = ["dirs"]

GOOD_KEY = "sk-upstream-secret-key-0001"  # both are in tests/conftest.py's leak scan
REJECTED_KEY = "sk-upstream-plain-key-0001"
FORMATS = ("anthropic", "openai_chat", "openai_responses", "gemini")


def _has_image(messages: list[dict[str, Any]]) -> bool:
    return any(
        isinstance(m.get("content"), list)
        and any(p.get("type") == "image_url" for p in m["content"])
        for m in messages
    )


def _answer(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What the upstream says to one request: ``(status, chat completion or error)``."""
    messages = body["messages"]
    wants_tools, sees_image = bool(body.get("tools")), _has_image(messages)
    if body["model"] == "no-tools-model" and (wants_tools or sees_image):
        what = "tools" if wants_tools else "image input"
        return 400, {"error": {"message": f"{what} not supported by no-tools-model"}}
    thinking = (body.get("thinking") or {}).get("type") == "enabled"
    reasoning = "The user wants a short answer." if thinking else None
    if messages[-1]["role"] == "tool":
        return 200, chat_completion("It is 18 degrees and sunny in Paris.", reasoning=reasoning)
    if wants_tools:
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
        return 200, chat_completion(None, tool_calls=[call], reasoning=reasoning)
    return 200, chat_completion("Red." if sees_image else "pong", reasoning=reasoning)


def _chunks(completion: dict[str, Any]) -> list[dict[str, Any]]:
    choice = completion["choices"][0]
    message = choice["message"]
    out = [chunk({"role": "assistant"})]
    if message.get("reasoning_content"):
        out.append(chunk({"reasoning_content": message["reasoning_content"]}))
    if message.get("content"):
        out.append(chunk({"content": message["content"]}))
    for index, call in enumerate(message.get("tool_calls") or []):
        out.append(chunk({"tool_calls": [{"index": index, **call}]}))
    out.append(chunk({}, choice["finish_reason"]))
    out.append(chunk(usage=completion["usage"]))
    return out


class SmartUpstream:
    """An OpenAI Chat Completions server that answers doctor's probes from their content."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self.server = ThreadedApp(app)

    @property
    def base_url(self) -> str:
        return self.server.url + "/v1"

    @staticmethod
    def _authorised(request: web.Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {GOOD_KEY}"

    async def _models(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"message": "invalid api key"}}, status=401)
        return web.json_response({"object": "list", "data": [{"id": "good-model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if not self._authorised(request):
            return web.json_response({"error": {"message": "invalid api key"}}, status=401)
        status, answer = _answer(body)
        if status != 200 or not body.get("stream"):
            return web.json_response(answer, status=status)
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for item in _chunks(answer):
            await response.write(b"data: " + json.dumps(item).encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        return response


@pytest.fixture(scope="module")
def upstream() -> Iterator[SmartUpstream]:
    server = SmartUpstream()
    server.server.start()
    yield server
    server.server.stop()


def write_config(dirs: Dirs, upstream: SmartUpstream) -> Path:
    text = f"""
default_model = "solid"

[providers.good]
type = "openai"
base_url = "{upstream.base_url}"
api_key = "{GOOD_KEY}"
profile = "kimi"          # its thinking switch is what the upstream looks for

[providers.locked]
type = "openai"
base_url = "{upstream.base_url}"
api_key = "{REJECTED_KEY}"

[models.solid]
provider = "good"
model = "good-model"
max_context_size = 131072
capabilities = ["thinking", "image_in"]

[models.broken]
provider = "good"
model = "no-tools-model"
max_context_size = 131072
capabilities = ["image_in"]

[models.denied]
provider = "locked"
model = "good-model"
max_context_size = 131072

[routes]
"claude-*" = "solid"
"gpt-*" = "broken"
"gemini-*" = "denied"
"""
    dirs.config_file.parent.mkdir(parents=True, exist_ok=True)
    dirs.config_file.write_text(text)
    dirs.config_file.chmod(0o600)
    return dirs.config_file


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_no_keys(result: Result) -> None:
    for key in (GOOD_KEY, REJECTED_KEY):
        assert key not in result.output
        assert key not in result.stderr


def test_matrix_says_which_paths_work_and_why_the_others_do_not(
    dirs: Dirs, upstream: SmartUpstream
) -> None:
    write_config(dirs, upstream)
    result = run("doctor", "--json")
    assert result.exit_code == 1, result.output
    assert_no_keys(result)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["findings"] == []
    providers = {p["provider"]: p for p in report["providers"]}
    assert providers["good"]["status"] == "ok"
    assert providers["good"]["key"] == "sk-…0001 (from api_key)"
    assert providers["locked"]["status"] == "key rejected"
    assert "HTTP 401" in providers["locked"]["detail"]

    matrix = report["matrix"]
    assert list(matrix) == ["solid", "broken", "denied"]
    for fmt in FORMATS:
        solid = matrix["solid"][fmt]
        assert solid["ok"], (fmt, solid)
        assert list(solid["probes"]) == ["text", "stream", "tools", "thinking", "image"]
        assert all(p["latency_ms"] >= 0 for p in solid["probes"].values())
        broken = matrix["broken"][fmt]["probes"]
        assert broken["text"]["ok"] and broken["stream"]["ok"]
        assert not broken["tools"]["ok"]
        assert "tools not supported by no-tools-model" in broken["tools"]["reason"]
        assert broken["tools"]["reason"].startswith("HTTP 400")
        assert not broken["image"]["ok"]
        assert "image input not supported" in broken["image"]["reason"]
        assert "thinking" not in broken  # not declared, not probed
        denied = matrix["denied"][fmt]["probes"]
        assert list(denied) == ["text", "stream", "tools"]
        assert all(not p["ok"] and "key rejected" in p["reason"] for p in denied.values())
    # the tool round trip really went back to the upstream with the result
    assert any(r["messages"][-1]["role"] == "tool" for r in upstream.requests)
    # a rejected provider's models are not sent (no tokens spent on a dead key)
    assert all(r["model"] != "good-model" or "thinking" in r for r in upstream.requests)


def test_plain_output_names_broken_paths_and_models_shows_verification(
    dirs: Dirs, upstream: SmartUpstream
) -> None:
    write_config(dirs, upstream)
    result = run("doctor")
    assert result.exit_code == 1
    assert_no_keys(result)
    out = result.stdout
    assert "key rejected" in out
    assert "broken paths:" in out
    assert "all formats x broken: tools: HTTP 400: upstream: tools not supported by no-tools" in out
    assert "all formats x broken: image: HTTP 400: upstream: image input not supported" in out
    assert "all formats x denied: text, stream, tools: not sent: provider 'locked' key rej" in out
    solid_row = next(line for line in out.splitlines() if line.startswith("solid"))
    assert solid_row.count("ok 5/5") == 4
    assert "probes failed" in out
    # progress goes to stderr, one plain line per probe when not a terminal
    assert "cost a few tokens" in result.stderr
    assert "[1/" in result.stderr and "FAILED: HTTP 400" in result.stderr

    saved = json.loads((dirs.state_dir / "crosswire" / "doctor.json").read_text())
    assert saved["models"]["solid"]["ok"] is True
    assert saved["models"]["broken"]["failed"][:2] == ["anthropic/tools", "anthropic/image"]
    assert saved["models"]["solid"]["model"] == "good-model"

    listing = run("models")
    assert listing.exit_code == 0
    today = saved["models"]["solid"]["checked_at"][:10]
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()[1:]}
    assert "verified on" in listing.stdout.splitlines()[0]
    assert lines["solid"].rstrip().endswith(today)
    assert f"failed {today} (anthropic/tools +7)" in lines["broken"]
    as_json = {m["alias"]: m for m in json.loads(run("models", "--json").stdout)}
    assert as_json["solid"]["verified"]["ok"] is True
    assert as_json["denied"]["verified"]["ok"] is False


def test_filters_and_exit_zero_when_everything_declared_works(
    dirs: Dirs, upstream: SmartUpstream
) -> None:
    write_config(dirs, upstream)
    result = run("doctor", "--json", "--models", "solid", "--formats", "gemini,anthropic")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert list(report["matrix"]) == ["solid"]
    assert list(report["matrix"]["solid"]) == ["anthropic", "gemini"]
    assert [p["provider"] for p in report["providers"]] == ["good"]  # only what is checked
    assert len(report["probes"]) == 10
    # a later filtered run keeps the other models' saved verdicts
    run("doctor", "--models", "broken", "--formats", "openai_chat")
    saved = json.loads((dirs.state_dir / "crosswire" / "doctor.json").read_text())
    assert set(saved["models"]) == {"solid", "broken"}
    assert saved["models"]["broken"]["formats"] == ["openai_chat"]


def test_unknown_names_on_the_command_line(dirs: Dirs, upstream: SmartUpstream) -> None:
    write_config(dirs, upstream)
    unknown_model = run("doctor", "--models", "nope")
    assert unknown_model.exit_code == 2
    assert "unknown model 'nope' (defined: solid, broken, denied)" in unknown_model.stderr
    unknown_format = run("doctor", "--formats", "grpc")
    assert unknown_format.exit_code == 2
    assert "unknown format grpc" in unknown_format.stderr


def test_a_config_that_does_not_load_gives_file_key_and_fix(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(
        '[providers.up]\ntype = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "${DOCTOR_UNSET_KEY}"\n'
        '[models.m]\nprovider = "upp"\nmodel = "x"\nmax_context_size = 1000\n'
    )
    result = run("doctor")
    assert result.exit_code == 2
    out = result.stdout
    assert f"error: {dirs.config_file}: models.m.provider:" in out
    assert "fix: " in out
    assert "providers.up.api_key: $DOCTOR_UNSET_KEY is not set" in out
    assert "export DOCTOR_UNSET_KEY=..." in out
    assert not (dirs.state_dir / "crosswire" / "doctor.json").exists()
    report = json.loads(run("doctor", "--json").stdout)
    assert report["findings"][0]["level"] == "error"
    assert report["findings"][0]["key"] == "models.m.provider"


def test_non_fatal_findings_without_probes(dirs: Dirs, upstream: SmartUpstream) -> None:
    path = write_config(dirs, upstream)
    path.write_text(
        path.read_text()
        + f'\n[providers.spare]\ntype = "openai"\nbase_url = "{upstream.base_url}"\n'
        + 'api_key = "${DOCTOR_SPARE_KEY}"\n'
        + '[models.lonely]\nprovider = "good"\nmodel = "good-model"\nmax_context_size = 1000\n'
    )
    path.chmod(0o644)
    result = run("doctor", "--no-probes", "--models", "solid")
    assert result.exit_code == 0, result.output
    assert_no_keys(result)
    out = result.stdout
    assert "providers.spare: no model uses this provider" in out
    assert "providers.spare.api_key: $DOCTOR_SPARE_KEY is not set" in out
    assert "models.lonely: no route, scenario, fallback or default_model leads here" in out
    assert "other users can read it (mode 644)" in out
    assert f"fix: chmod 600 {path}" in out
    assert "verified paths" not in out and "cost a few tokens" not in result.stderr
    assert os.stat(path).st_mode & 0o777 == 0o644  # doctor only reports; it changes nothing


def test_unreachable_provider(dirs: Dirs) -> None:
    dirs.config_file.parent.mkdir(parents=True)
    dirs.config_file.write_text(
        '[providers.gone]\ntype = "anthropic"\nbase_url = "http://127.0.0.1:9"\n'
        'api_key = "sk-ant-matrix-upstream-0002"\n'
        '[models.m]\nprovider = "gone"\nmodel = "x"\nmax_context_size = 100000\n'
    )
    result = run("doctor", "--json", "--formats", "anthropic")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    check = report["providers"][0]
    assert check["status"] == "unreachable"
    assert "cannot connect to 127.0.0.1:9" in check["detail"]
    assert "sk-ant-matrix-upstream-0002" not in result.output


def test_offline_default_echo_model_passes(dirs: Dirs) -> None:
    result = run("doctor", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"][0]["level"] == "note"
    assert list(report["matrix"]["echo"]["anthropic"]["probes"]) == ["text", "stream", "thinking"]
