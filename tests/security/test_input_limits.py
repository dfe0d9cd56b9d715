"""Input limits: 413 / 400 / 408 in the client's format; oversized headers refused by the
parser; the gateway keeps answering."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from aiohttp import web

from crosswire.config import ServerConfig, loads_config
from crosswire.server import create_app
from crosswire.server.limits_input import server_options, too_deep
from tests.support.servers import ScriptedOpenAIUpstream, ThreadedApp

from ._formats import FORMAT_IDS, FORMATS, GATEWAY_KEY, Format, assert_error_envelope, key_headers
from .conftest import keyed_config


class LimitedApp(ThreadedApp):
    """A test server with the HTTP-parser limits ``crosswire serve`` uses."""

    def __init__(self, app: web.Application, server: ServerConfig) -> None:
        super().__init__(app)
        self.options = server_options(server)

    def _run(self) -> None:
        import asyncio

        asyncio.set_event_loop(self.loop)
        self._runner = web.AppRunner(self.app, access_log=None, **self.options)
        self.loop.run_until_complete(self._runner.setup())
        self.loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._started.set()
        self.loop.run_forever()


@pytest.fixture(scope="module")
def limited(sec_upstream_server: ScriptedOpenAIUpstream) -> Iterator[LimitedApp]:
    extra = (
        "max_body_bytes = 20000\nbody_timeout = 0.5\nmax_json_depth = 16\nmax_header_bytes = 4096"
    )
    config = loads_config(keyed_config(sec_upstream_server.base_url, extra))
    app = LimitedApp(create_app(config), config.server).start()
    yield app
    app.stop()


def _post(app: LimitedApp, fmt: Format, body: object) -> httpx.Response:
    headers = key_headers(fmt, GATEWAY_KEY)
    return httpx.post(app.url + fmt.url(), json=body, headers=headers, timeout=10)


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_limits_answer_in_the_clients_format(limited: LimitedApp, fmt: Format) -> None:
    base = fmt.body("main")
    cases = {
        413: {**base, "metadata": {"pad": "x" * 30000}},
        400: {**base, "metadata": {"deep": _nested(40)}},
    }
    for status, body in cases.items():
        if fmt.name == "gemini" and status == 413:
            status = 400  # Google answers an oversized payload 400 INVALID_ARGUMENT (codec's map)
        response = _post(limited, fmt, body)
        assert response.status_code == status, response.text
        assert_error_envelope(fmt, status, response.json())
    # deeper than msgspec's own recursion limit: was a 500 with a traceback before
    raw = b'{"model":"main","x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = httpx.post(
        limited.url + fmt.url(), content=raw, headers=key_headers(fmt, GATEWAY_KEY)
    )
    assert response.status_code == 400
    assert_error_envelope(fmt, 400, response.json())


@pytest.mark.parametrize(
    ("field", "count"),
    [("messages", 51), ("input", 51), ("contents", 51), ("tools", 21)],
)
def test_too_many_messages_or_tools(limited: LimitedApp, field: str, count: int) -> None:
    fmt = FORMATS[1]
    body = {**fmt.body("main"), field: [{"role": "user", "content": "x"}] * count}
    response = _post(limited, fmt, body)
    assert response.status_code == 400
    assert "at most" in response.json()["error"]["message"]


def test_gemini_function_declarations_count_as_tools(limited: LimitedApp) -> None:
    fmt = FORMATS[3]
    decls = [{"name": f"f{i}", "parameters": {"type": "object"}} for i in range(25)]
    response = _post(limited, fmt, {**fmt.body("main"), "tools": [{"functionDeclarations": decls}]})
    assert response.status_code == 400
    assert_error_envelope(fmt, 400, response.json())


def test_slowloris_body_gets_408_and_the_server_keeps_answering(limited: LimitedApp) -> None:
    head = (
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        f"x-api-key: {GATEWAY_KEY}\r\nanthropic-version: 2023-06-01\r\ncontent-length: 500\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(head.encode() + b'{"model": "main", ')
        started = time.monotonic()
        answer = sock.recv(65536).decode()
        took = time.monotonic() - started
    assert answer.startswith("HTTP/1.1 408"), answer
    assert '"type":"error"' in answer.replace(" ", "")
    assert took < 3
    assert _post(limited, FORMATS[0], FORMATS[0].body("main")).status_code == 200


def test_oversized_header_is_refused_by_the_parser(limited: LimitedApp) -> None:
    headers = {**key_headers(FORMATS[0], GATEWAY_KEY), "x-big": "a" * 5000}
    response = httpx.post(
        limited.url + "/v1/messages", json=FORMATS[0].body("main"), headers=headers
    )
    assert response.status_code in (400, 431)
    assert _post(limited, FORMATS[0], FORMATS[0].body("main")).status_code == 200


def test_too_deep() -> None:
    assert not too_deep("x", 0)
    assert not too_deep({}, 1) and too_deep({}, 0)
    assert not too_deep({"a": [1, {"b": []}]}, 4)
    assert too_deep({"a": [1, {"b": []}]}, 3)
    assert too_deep(_nested(100), 10)
    assert too_deep(_nested(5000), 10**6)  # past the recursion limit: too deep, not a crash
