"""Fast JSON for the hot path (msgspec), in one place so the choice can change in one place."""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

DecodeError = msgspec.DecodeError


def dumps(obj: Any) -> bytes:
    """Compact JSON; dict key order is kept, so equal input gives byte-equal output."""
    return _encoder.encode(obj)


def dumps_str(obj: Any) -> str:
    return _encoder.encode(obj).decode()


def loads(data: bytes | str) -> Any:
    return _decoder.decode(data)
