"""Gateway keys: 401 in the client's format, accepted wherever each SDK puts the key, never
forwarded upstream; per-key models (403) and rpm (429)."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from crosswire.config import GatewayKey
from crosswire.config.security import key_digest
from crosswire.server.auth import find_key
from tests.support.servers import ScriptedOpenAIUpstream

from ._formats import (
    FORMAT_IDS,
    FORMATS,
    GATEWAY_KEY,
    OTHER_KEY,
    UPSTREAM_KEY,
    WRONG_KEY,
    Format,
    assert_error_envelope,
    key_headers,
)


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
@pytest.mark.parametrize("key", [None, WRONG_KEY, "x"], ids=["missing", "wrong", "short"])
def test_missing_or_wrong_key_is_401_in_the_clients_format(
    keyed: httpx.Client, sec_upstream: ScriptedOpenAIUpstream, fmt: Format, key: str | None
) -> None:
    headers = fmt.headers if key is None else key_headers(fmt, key)
    response = keyed.post(fmt.url(), json=fmt.body("main"), headers=headers)
    assert response.status_code == 401
    assert_error_envelope(fmt, 401, response.json())
    assert sec_upstream.requests == []


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_right_key_passes_and_never_reaches_upstream(
    keyed: httpx.Client, sec_upstream: ScriptedOpenAIUpstream, fmt: Format
) -> None:
    response = keyed.post(fmt.url(), json=fmt.body("main"), headers=key_headers(fmt, GATEWAY_KEY))
    assert response.status_code == 200, response.text
    [seen] = sec_upstream.requests
    assert seen.headers["Authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert not any(GATEWAY_KEY in v for v in seen.headers.values())
    assert GATEWAY_KEY not in str(seen.body)


@pytest.mark.parametrize(
    "carrier",
    [
        {"x-api-key": GATEWAY_KEY},
        {"authorization": f"Bearer {GATEWAY_KEY}"},
        {"x-goog-api-key": GATEWAY_KEY},
        "query",
    ],
    ids=["x-api-key", "bearer", "x-goog-api-key", "query-key"],
)
def test_every_carrier_works_for_gemini_and_the_key_stays_here(
    keyed: httpx.Client, sec_upstream: ScriptedOpenAIUpstream, carrier: object
) -> None:
    gemini = FORMATS[3]
    url = gemini.url()
    headers: dict[str, str] = {}
    if carrier == "query":
        url += f"?key={GATEWAY_KEY}"
    else:
        assert isinstance(carrier, dict)
        headers = carrier
    response = keyed.post(url, json=gemini.body("main"), headers=headers)
    assert response.status_code == 200, response.text
    [seen] = sec_upstream.requests
    assert GATEWAY_KEY not in seen.path
    assert not any(GATEWAY_KEY in v for v in seen.headers.values())


def test_gemini_stream_with_query_key(
    keyed: httpx.Client, sec_upstream: ScriptedOpenAIUpstream
) -> None:
    body = FORMATS[3].body("main")
    url = f"/v1beta/models/main:streamGenerateContent?alt=sse&key={GATEWAY_KEY}"
    response = keyed.post(url, json=body)
    assert response.status_code == 200
    assert "data:" in response.text
    assert GATEWAY_KEY not in sec_upstream.requests[0].path


def test_health_is_open_models_list_is_not(keyed: httpx.Client) -> None:
    assert keyed.get("/health").status_code == 200
    assert keyed.get("/v1/models").status_code == 401
    assert keyed.get("/v1/models", headers={"x-api-key": GATEWAY_KEY}).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_model_outside_the_keys_scope_is_403(
    keyed: httpx.Client, sec_upstream: ScriptedOpenAIUpstream, fmt: Format
) -> None:
    response = keyed.post(
        fmt.url("gpt-4o"), json=fmt.body("gpt-4o"), headers=key_headers(fmt, OTHER_KEY)
    )
    assert response.status_code == 403
    assert_error_envelope(fmt, 403, response.json())
    assert sec_upstream.requests == []


def test_scope_accepts_names_routed_to_an_allowed_alias() -> None:
    from crosswire.config import loads_config
    from crosswire.server.auth import model_allowed

    from .conftest import keyed_config

    config = loads_config(keyed_config("http://127.0.0.1:9/v1"))
    bravo = next(k for k in config.server.keys if k.name == "bravo")
    assert model_allowed(config, bravo, "main")
    assert model_allowed(config, bravo, "claude-sonnet-4-6")
    assert not model_allowed(config, bravo, "up/upstream-model")  # provider/model: not an alias
    assert not model_allowed(config, bravo, "other")
    assert not model_allowed(config, bravo, "gpt-4o")


def test_per_key_rpm_gives_429_with_retry_after(
    sec_upstream_server: ScriptedOpenAIUpstream,
) -> None:
    from tests.support.servers import start_gateway

    from .conftest import keyed_config

    app = start_gateway(keyed_config(sec_upstream_server.base_url))
    try:
        fmt = FORMATS[0]
        with httpx.Client(base_url=app.url, timeout=20) as http:
            codes = [
                http.post(fmt.url(), json=fmt.body("main"), headers=key_headers(fmt, OTHER_KEY))
                for _ in range(4)
            ]
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        assert_error_envelope(fmt, 429, codes[-1].json())
        assert int(codes[-1].headers["retry-after"]) >= 1
    finally:
        app.stop()


def test_find_key_compares_every_digest() -> None:
    keys = (
        GatewayKey("a", key_digest("cw-aaaaaaaaaaaaaaaaaaaa")),
        GatewayKey("b", key_digest("cw-bbbbbbbbbbbbbbbbbbbb")),
    )
    assert find_key(keys, "cw-bbbbbbbbbbbbbbbbbbbb") is keys[1]
    assert find_key(keys, "cw-cccccccccccccccccccc") is None
    assert find_key(keys, None) is None
    assert find_key(keys, "") is None
