"""Gemini ``generateContent`` / ``streamGenerateContent?alt=sse``, both sides of the codec.

Client side (Gemini CLI and the google-genai SDKs talk to crosswire): ``decode_request``,
``encode_response``, :class:`StreamEncoder`, ``encode_error`` and ``CLIENT``, the
:class:`~crosswire.formats.base.ClientCodec`.

Upstream side (Gemini Developer API and Vertex AI answer crosswire): ``encode_request``,
``decode_response``, :class:`StreamDecoder` and ``decode_error``; tool schemas are sanitised to
Gemini's subset by :mod:`crosswire.formats.gemini.schema`.
"""

from crosswire.formats.gemini.client import CLIENT, GeminiClient
from crosswire.formats.gemini.client_encoder import StreamEncoder, encode_response
from crosswire.formats.gemini.client_errors import encode_error
from crosswire.formats.gemini.errors import decode_error
from crosswire.formats.gemini.request_decoder import decode_count_tokens, decode_request
from crosswire.formats.gemini.request_encoder import encode_request
from crosswire.formats.gemini.response_decoder import decode_response
from crosswire.formats.gemini.stream_decoder import StreamDecoder
from crosswire.formats.gemini.wire import GEMINI

FORMAT = GEMINI

__all__ = [
    "CLIENT",
    "FORMAT",
    "GeminiClient",
    "StreamDecoder",
    "StreamEncoder",
    "decode_count_tokens",
    "decode_error",
    "decode_request",
    "decode_response",
    "encode_error",
    "encode_request",
    "encode_response",
]
