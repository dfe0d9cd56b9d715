"""OpenAI Chat Completions (``POST /v1/chat/completions``): the upstream side of the codec.

``encode_request`` writes a Chat Completions body from a canonical request; ``decode_response``
and :class:`StreamDecoder` read the upstream's answer back into canonical form, with the
third-party extensions real servers use (``reasoning_content``, ``reasoning``, ``<think>`` tags,
usage in ``choices[0]``); ``decode_error`` maps an upstream error to the gateway's error tree.
"""

from crosswire.formats.openai_chat.errors import decode_error
from crosswire.formats.openai_chat.request_encoder import EncodeOptions, encode_request
from crosswire.formats.openai_chat.response_decoder import decode_response
from crosswire.formats.openai_chat.stream_decoder import StreamDecoder

FORMAT = "openai_chat"

__all__ = [
    "FORMAT",
    "EncodeOptions",
    "StreamDecoder",
    "decode_error",
    "decode_response",
    "encode_request",
]
