"""Property-based hostile input: every malformed request is a 4xx in the client's own format
(never a 500, never a traceback), every malformed upstream reply a well-formed 502 or an
in-stream error; the gateway answers normally afterwards. Fixed seed, bounded examples."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.servers import Reply, ScriptedOpenAIUpstream, start_gateway

from ._formats import FORMAT_IDS, FORMATS, GATEWAY_KEY, Format, assert_error_envelope, key_headers
from ._hostile import UPSTREAM_GARBAGE, hostile_body
from .conftest import keyed_config

EXAMPLES = 200
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz(sec_upstream_server: ScriptedOpenAIUpstream) -> Iterator[httpx.Client]:
    extra = "retries = 0\ncooldown_after = 1000000"
    app = start_gateway(keyed_config(sec_upstream_server.base_url, extra))
    with httpx.Client(base_url=app.url, timeout=30) as http:
        yield http
    app.stop()


def _still_answers(http: httpx.Client, fmt: Format) -> None:
    response = http.post(fmt.url(), json=fmt.body("main"), headers=key_headers(fmt, GATEWAY_KEY))
    assert response.status_code == 200, response.text


def _json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_hostile_requests_get_a_4xx_in_the_clients_format(
    fuzz: httpx.Client, sec_upstream: ScriptedOpenAIUpstream, fmt: Format
) -> None:
    headers = {**key_headers(fmt, GATEWAY_KEY), "content-type": "application/json"}

    @FUZZ_SETTINGS
    @given(body=hostile_body(fmt))
    def check(body: bytes) -> None:
        response = fuzz.post(fmt.url(), content=body, headers=headers)
        assert response.status_code < 500, (response.status_code, response.text[:500])
        assert "Traceback" not in response.text
        if response.status_code >= 400:
            assert_error_envelope(fmt, response.status_code, _json_or_none(response))

    check()
    _still_answers(fuzz, fmt)


def _sse_payloads(text: str) -> list[object]:
    payloads = []
    for line in text.splitlines():
        if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
            payloads.append(json.loads(line[5:]))
    return payloads


def _streamed_error(fmt: Format, payloads: list[object]) -> bool:
    for item in payloads:
        if not isinstance(item, dict):
            continue
        if fmt.name == "anthropic" and item.get("type") == "error":
            return True
        if "error" in item or item.get("type") in ("error", "response.failed"):
            return True
    return False


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_hostile_upstream_replies_give_a_well_formed_502(
    fuzz: httpx.Client, sec_upstream: ScriptedOpenAIUpstream, fmt: Format, stream: bool
) -> None:
    url = fmt.url()
    body = fmt.body("main")
    if stream:
        if fmt.name == "gemini":
            url = "/v1beta/models/main:streamGenerateContent?alt=sse"
        else:
            body["stream"] = True
    headers = key_headers(fmt, GATEWAY_KEY)

    @settings(FUZZ_SETTINGS, max_examples=40)
    @given(
        garbage=UPSTREAM_GARBAGE,
        as_json=st.booleans(),
        status=st.sampled_from([200, 200, 500, 400]),
    )
    def check(garbage: bytes, as_json: bool, status: int) -> None:
        content_type = "application/json" if as_json else "text/event-stream"
        reply = Reply(
            status=status, chunks=[garbage], done=False, headers={"content-type": content_type}
        )
        sec_upstream.default = reply
        response = fuzz.post(url, json=body, headers=headers)
        assert "Traceback" not in response.text
        if response.headers.get("x-crosswire-passthrough"):
            # same-format relay: the upstream's own status and bytes, by design (not decoded)
            assert response.status_code in (status, 502)
            return
        if response.status_code == 200:
            if stream:  # an answer that started: the error (if any) is in the stream
                payloads = _sse_payloads(response.text)  # every frame is valid JSON
                assert payloads or response.text.strip() == ""
            else:
                assert _json_or_none(response) is not None
            return
        assert response.status_code in (400, 502, 500), (response.status_code, response.text)
        assert_error_envelope(fmt, response.status_code, _json_or_none(response))

    try:
        check()
    finally:
        sec_upstream.default = Reply.text("default reply")
    _still_answers(fuzz, fmt)
