"""Anthropic Messages (``POST /v1/messages``): the client side of the codec.

``decode_request`` turns a Messages body into a canonical request; ``encode_response`` and
:class:`StreamEncoder` turn canonical answers into a Messages body or its SSE event grammar;
``encode_error`` puts any gateway error into Anthropic's envelope.
"""

from crosswire.formats.anthropic.client import CLIENT, AnthropicClient
from crosswire.formats.anthropic.errors import encode_error
from crosswire.formats.anthropic.request_decoder import decode_request
from crosswire.formats.anthropic.response_encoder import StreamEncoder, encode_response

FORMAT = "anthropic"

__all__ = [
    "CLIENT",
    "FORMAT",
    "AnthropicClient",
    "StreamEncoder",
    "decode_request",
    "encode_error",
    "encode_response",
]
