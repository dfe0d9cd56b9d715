"""OpenAI Responses (``POST /v1/responses``), both sides of the codec.

Client side (Codex CLI, the ``openai`` SDK's ``client.responses``): ``decode_request`` turns a
Responses body into a canonical request; ``encode_response`` and :class:`StreamEncoder` turn
canonical answers into a ``Response`` object or its SSE event lifecycle; ``encode_error`` puts
any gateway error into OpenAI's envelope. :data:`CLIENT` is the ``ClientCodec``.

Upstream side (provider type ``openai_responses``): ``encode_request`` writes a stateless
Responses body; ``decode_response`` and :class:`StreamDecoder` read the answer back;
``decode_error`` maps the upstream's errors to the gateway's error tree.
"""

from crosswire.formats.openai_responses.client import CLIENT, OpenAIResponsesClient
from crosswire.formats.openai_responses.client_encoder import StreamEncoder, encode_response
from crosswire.formats.openai_responses.client_errors import encode_error
from crosswire.formats.openai_responses.errors import decode_error
from crosswire.formats.openai_responses.fields import FORMAT
from crosswire.formats.openai_responses.request_decoder import decode_request
from crosswire.formats.openai_responses.request_encoder import EncodeOptions, encode_request
from crosswire.formats.openai_responses.response_decoder import decode_response
from crosswire.formats.openai_responses.stream_decoder import StreamDecoder

__all__ = [
    "CLIENT",
    "FORMAT",
    "EncodeOptions",
    "OpenAIResponsesClient",
    "StreamDecoder",
    "StreamEncoder",
    "decode_error",
    "decode_request",
    "decode_response",
    "encode_error",
    "encode_request",
    "encode_response",
]
