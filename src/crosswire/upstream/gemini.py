"""Gemini upstreams: the Developer API (provider type ``google-genai``) and Vertex AI
(``vertexai``). Both speak the Gemini format; they differ in URL and credential.

google-genai
    ``{base_url}/models/{model}:generateContent`` (or ``:streamGenerateContent?alt=sse``);
    ``base_url`` defaults to ``https://generativelanguage.googleapis.com/v1beta``. The key goes
    in ``x-goog-api-key``, never in the URL, so it cannot end up in a logged URL.

vertexai
    ``…/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:…``.
    Project and location come from the provider's ``[providers.X.env]`` table
    (``GOOGLE_CLOUD_PROJECT``, ``GOOGLE_CLOUD_LOCATION``, default ``global``), or from a
    ``base_url`` that already contains ``/projects/{p}/locations/{l}``. The host is
    ``{location}-aiplatform.googleapis.com`` (``aiplatform.googleapis.com`` for ``global``)
    unless ``base_url`` names one. The credential is an OAuth access token
    (``Authorization: Bearer``, plus ``x-goog-user-project``); a Google API key (``AIza…``) is
    sent as ``x-goog-api-key`` instead, and with no project configured it uses Vertex's express
    endpoint ``https://aiplatform.googleapis.com/v1/publishers/google/models/{model}:…``.

``max_tokens`` is capped at the model's ``max_output_size`` when the config sets one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from crosswire import jsonutil
from crosswire.canonical import GatewayError, Request, Response
from crosswire.config import ProviderConfig
from crosswire.formats import gemini
from crosswire.routing import Target

USER_AGENT = "crosswire/0.1"
DEVELOPER_API_BASE = "https://generativelanguage.googleapis.com/v1beta"
VERTEX_EXPRESS_BASE = "https://aiplatform.googleapis.com/v1"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
DEFAULT_LOCATION = "global"
_API_KEY_PREFIX = "AIza"


def _method(request: Request) -> str:
    return "streamGenerateContent?alt=sse" if request.stream else "generateContent"


def _model_id(target: Target) -> str:
    return quote(target.model.model.removeprefix("models/"), safe="-._~@")


def _headers(provider: ProviderConfig, auth: dict[str, str]) -> dict[str, str]:
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, **auth}
    headers.update(provider.custom_headers)
    return headers


class _GeminiAdapter:
    format = gemini.FORMAT
    vertex = False

    def call(self, request: Request, target: Target) -> tuple[str, bytes, dict[str, str]]:
        cap = target.model.max_output_size
        if cap and request.max_tokens is not None and request.max_tokens > cap:
            request = replace(request, max_tokens=cap)
        body = gemini.encode_request(request, target.model.model, vertex=self.vertex)
        url, auth = self.endpoint(target.provider, _model_id(target))
        url = f"{url}:{_method(request)}"
        return url, jsonutil.dumps(body), _headers(target.provider, auth)

    def endpoint(self, provider: ProviderConfig, model: str) -> tuple[str, dict[str, str]]:
        """The model's URL (without ``:method``) and the auth headers."""
        raise NotImplementedError

    def decode_response(self, payload: Any, target: Target) -> Response:
        return gemini.decode_response(payload)

    def stream_decoder(self, target: Target) -> gemini.StreamDecoder:
        return gemini.StreamDecoder()

    def decode_error(self, status: int, body: bytes, retry_after: float | None) -> GatewayError:
        return gemini.decode_error(status, body, retry_after)


class GoogleGenAIAdapter(_GeminiAdapter):
    """The Gemini Developer API (``generativelanguage.googleapis.com``)."""

    def endpoint(self, provider: ProviderConfig, model: str) -> tuple[str, dict[str, str]]:
        base = (provider.base_url or DEVELOPER_API_BASE).rstrip("/")
        auth = {"x-goog-api-key": provider.api_key} if provider.api_key else {}
        return f"{base}/models/{model}", auth


class VertexAIAdapter(_GeminiAdapter):
    """Gemini on Vertex AI (``*-aiplatform.googleapis.com``)."""

    vertex = True

    def endpoint(self, provider: ProviderConfig, model: str) -> tuple[str, dict[str, str]]:
        key = provider.api_key
        is_api_key = key.startswith(_API_KEY_PREFIX)
        auth: dict[str, str] = {}
        if is_api_key:
            auth["x-goog-api-key"] = key
        elif key:
            auth["authorization"] = f"Bearer {key}"
        base = provider.base_url.rstrip("/")
        project = provider.env.get(PROJECT_ENV, "")
        if "/projects/" in base and "/locations/" in base:
            root = base if base.endswith("/publishers/google") else f"{base}/publishers/google"
            project = project or base.split("/projects/", 1)[1].split("/", 1)[0]
        elif project:
            location = provider.env.get(LOCATION_ENV) or DEFAULT_LOCATION
            host = base or _vertex_host(location)
            if not host.rstrip("/").endswith("/v1"):
                host = f"{host}/v1"
            root = f"{host}/projects/{project}/locations/{location}/publishers/google"
        elif is_api_key:
            root = f"{base or VERTEX_EXPRESS_BASE}/publishers/google"
        else:
            raise GatewayError(
                f"provider {provider.name!r} (vertexai) needs a project: set {PROJECT_ENV} "
                f"(and {LOCATION_ENV}) in [providers.{provider.name}.env], or a base_url "
                "containing /projects/<project>/locations/<location>"
            )
        if project and not is_api_key:
            auth["x-goog-user-project"] = project
        return f"{root}/models/{model}", auth


def _vertex_host(location: str) -> str:
    if location == DEFAULT_LOCATION:
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"
