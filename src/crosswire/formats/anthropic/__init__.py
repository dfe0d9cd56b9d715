"""Anthropic Messages (``POST /v1/messages``), both sides of the codec.

Client side: ``decode_request`` turns a Messages body into a canonical request;
``encode_response`` and :class:`StreamEncoder` turn canonical answers into a Messages body or
its SSE event grammar; ``encode_error`` puts any gateway error into Anthropic's envelope.

Upstream side: ``encode_request`` writes a Messages body for Anthropic or an Anthropic-compatible
server (:class:`EncodeOptions` says which); ``decode_response`` and :class:`StreamDecoder` read
its answer back; ``decode_error`` maps its errors to the gateway's error tree.
"""

from crosswire.formats.anthropic.client import CLIENT, AnthropicClient
from crosswire.formats.anthropic.errors import encode_error
from crosswire.formats.anthropic.request_decoder import decode_request
from crosswire.formats.anthropic.request_encoder import EncodeOptions, encode_request
from crosswire.formats.anthropic.response_decoder import decode_response
from crosswire.formats.anthropic.response_encoder import StreamEncoder, encode_response
from crosswire.formats.anthropic.stream_decoder import StreamDecoder
from crosswire.formats.anthropic.turn_encoder import tool_id
from crosswire.formats.anthropic.upstream_errors import decode_error

FORMAT = "anthropic"

__all__ = [
    "CLIENT",
    "FORMAT",
    "AnthropicClient",
    "EncodeOptions",
    "StreamDecoder",
    "StreamEncoder",
    "decode_error",
    "decode_request",
    "decode_response",
    "encode_error",
    "encode_request",
    "encode_response",
    "tool_id",
]
