"""The incremental SSE parser (formats/sse.py)."""

from __future__ import annotations

import json

import pytest

from crosswire.formats.sse import SSEParser, SSEvent

TEXT = "héllo 🌍 日本"
PAYLOAD = (
    b": keep-alive comment\n"
    b"event: message_start\n"
    b"data: " + json.dumps({"t": TEXT}, ensure_ascii=False).encode() + b"\n"
    b"\n"
    b"data: " + TEXT.encode() + b"\n"
    b"\n"
    b"data: first line\n"
    b"data: second \xf0\x9f\x8c\x8d\n"
    b"\n"
    b"data: [DONE]\n"
    b"\n"
)
EXPECTED = [
    SSEvent("message_start", json.dumps({"t": TEXT}, ensure_ascii=False).encode()),
    SSEvent(None, TEXT.encode()),
    SSEvent(None, "first line\nsecond 🌍".encode()),
    SSEvent(None, b"[DONE]"),
]


def parse(chunks: list[bytes]) -> list[SSEvent]:
    parser = SSEParser()
    events: list[SSEvent] = []
    for c in chunks:
        events += parser.feed(c)
    return events + parser.flush()


def test_whole_payload() -> None:
    assert parse([PAYLOAD]) == EXPECTED
    assert json.loads(EXPECTED[0].data)["t"] == TEXT


@pytest.mark.parametrize("cut", range(len(PAYLOAD) + 1))
def test_split_at_every_byte(cut: int) -> None:
    events = parse([PAYLOAD[:cut], PAYLOAD[cut:]])
    assert events == EXPECTED
    for event in events:
        event.data.decode("utf-8")  # never a broken character


def test_split_at_every_pair_of_bytes() -> None:
    n = len(PAYLOAD)
    for i in range(0, n + 1, 3):
        for j in range(i, n + 1, 5):
            assert parse([PAYLOAD[:i], PAYLOAD[i:j], PAYLOAD[j:]]) == EXPECTED, (i, j)


def test_one_byte_at_a_time() -> None:
    assert parse([PAYLOAD[i : i + 1] for i in range(len(PAYLOAD))]) == EXPECTED


def test_crlf_line_endings() -> None:
    crlf = PAYLOAD.replace(b"\n", b"\r\n")
    assert parse([crlf]) == EXPECTED
    for cut in range(len(crlf) + 1):  # including between \r and \n
        assert parse([crlf[:cut], crlf[cut:]]) == EXPECTED, cut


def test_comments_and_keepalives_produce_nothing() -> None:
    assert parse([b": OPENROUTER PROCESSING\n\n:\n\n: ping\n\n"]) == []


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert parse([b"\n\n\nevent: ping\n\n"]) == []


def test_event_name_resets_after_dispatch() -> None:
    events = parse([b"event: a\ndata: 1\n\ndata: 2\n\n"])
    assert events == [SSEvent("a", b"1"), SSEvent(None, b"2")]


def test_field_value_space_handling() -> None:
    # one leading space is removed, more are kept; no space at all is fine
    events = parse([b"data:x\n\ndata:  y\n\ndata\n\n"])
    assert events == [SSEvent(None, b"x"), SSEvent(None, b" y"), SSEvent(None, b"")]


def test_unknown_fields_ignored() -> None:
    assert parse([b"id: 7\nretry: 100\nfoo: bar\ndata: d\n\n"]) == [SSEvent(None, b"d")]


def test_data_with_colons_kept_whole() -> None:
    assert parse([b'data: {"a": "b:c"}\n\n']) == [SSEvent(None, b'{"a": "b:c"}')]


@pytest.mark.parametrize(
    "tail",
    [b"data: last", b"data: last\n", b"data: last\r\n", b"event: e\ndata: last"],
)
def test_flush_without_trailing_blank_line(tail: bytes) -> None:
    parser = SSEParser()
    assert parser.feed(b"data: first\n\n" + tail) == [SSEvent(None, b"first")]
    flushed = parser.flush()
    assert len(flushed) == 1 and flushed[0].data == b"last"
    assert parser.flush() == []  # nothing twice


def test_flush_on_empty_parser() -> None:
    assert SSEParser().flush() == []


def test_parser_is_reusable_across_many_feeds() -> None:
    parser = SSEParser()
    got: list[SSEvent] = []
    for i in range(200):
        got += parser.feed(f"data: {i}\n\n".encode())
    assert [int(e.data) for e in got] == list(range(200))
