"""OpenAI Chat Completions (``POST /v1/chat/completions``): the upstream side of the codec.

``encode_request`` writes a Chat Completions body from a canonical request; ``decode_response``
and :class:`StreamDecoder` read the upstream's answer back into canonical form, with the
third-party extensions real servers use (``reasoning_content``, ``reasoning``, ``<think>`` tags,
usage in ``choices[0]``); ``decode_error`` maps an upstream error to the gateway's error tree.

The client side (clients speaking Chat Completions to crosswire): :data:`CLIENT` is the
:class:`~crosswire.formats.base.ClientCodec`, built from ``decode_request``,
``encode_response`` / :class:`StreamEncoder` and ``encode_error``.
"""

from crosswire.formats.openai_chat.client import CLIENT, OpenAIChatClient
from crosswire.formats.openai_chat.client_encoder import StreamEncoder, encode_response
from crosswire.formats.openai_chat.client_errors import encode_error
from crosswire.formats.openai_chat.errors import decode_error
from crosswire.formats.openai_chat.request_decoder import decode_request
from crosswire.formats.openai_chat.request_encoder import EncodeOptions, encode_request
from crosswire.formats.openai_chat.response_decoder import decode_response
from crosswire.formats.openai_chat.stream_decoder import StreamDecoder

FORMAT = "openai_chat"

__all__ = [
    "CLIENT",
    "FORMAT",
    "EncodeOptions",
    "OpenAIChatClient",
    "StreamDecoder",
    "StreamEncoder",
    "decode_error",
    "decode_request",
    "decode_response",
    "encode_error",
    "encode_request",
    "encode_response",
]
