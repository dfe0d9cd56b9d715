"""The ``openai`` SDK as the judge of what the client encoder writes: its pydantic types and its
own stream accumulation (``ResponseStreamState``, what ``client.responses.stream`` runs)."""

from __future__ import annotations

from typing import Any

from openai._types import omit
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from ..helpers import parse_sse

EVENT = TypeAdapter(ResponseStreamEvent)


def frames(data: bytes) -> list[dict[str, Any]]:
    """Every SSE frame's data, checked: named by its type, strictly increasing sequence numbers."""
    out = []
    last = -1
    for name, payload in parse_sse(data):
        assert name == payload["type"], f"event name {name!r} for a {payload['type']!r} payload"
        assert payload["sequence_number"] > last, "sequence_number must increase strictly"
        last = payload["sequence_number"]
        out.append(payload)
    assert data.endswith(b"\n\n")
    return out


def validate_events(payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        EVENT.validate_python(payload)


def accumulate(payloads: list[dict[str, Any]]) -> SDKResponse:
    """The final Response the SDK builds from the events, as ``get_final_response()`` would."""
    state: ResponseStreamState[object] = ResponseStreamState(input_tools=omit, text_format=omit)
    for payload in payloads:
        state.handle_event(EVENT.validate_python(payload))  # type: ignore[arg-type]
    final = state._completed_response
    assert final is not None, "the SDK saw no response.completed"
    return final


def validate_response(body: dict[str, Any]) -> SDKResponse:
    return SDKResponse.model_validate(body)
