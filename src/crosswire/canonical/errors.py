"""One error tree for the whole gateway; each client format maps it to its own envelope.

    GatewayError                    500  something failed
    ├── InvalidRequestError         400  the client's request is malformed or unsupported
    │   └── ContextLengthError      400  input + output do not fit the model's window
    ├── AuthenticationError         401
    ├── PermissionDeniedError       403
    ├── NotFoundError               404  unknown model or path
    ├── RequestTooLargeError        413
    ├── RateLimitError              429  retryable; ``retry_after`` in seconds when known
    │   └── QuotaExceededError      429  not retryable (quota, spend limit)
    ├── UpstreamServerError         500  the upstream failed (5xx)
    ├── UpstreamError               502  the upstream answered something unusable
    │   └── UpstreamAuthError       502  the upstream rejected the gateway's own credentials
    ├── OverloadedError             503  the upstream is overloaded (Anthropic: 529)
    └── UpstreamTimeoutError        504

Codecs raise these; the server turns them into the client's format in one place.
"""

from __future__ import annotations


class GatewayError(Exception):
    status: int = 500
    kind: str = "api_error"
    """A stable name for the error class, used by codecs' mapping tables."""
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        """Seconds the client should wait before retrying, when known."""
        self.code = code
        """The upstream's own error code, when there was one (for logs and OpenAI ``code``)."""
        if status is not None:
            self.status = status


class InvalidRequestError(GatewayError):
    status = 400
    kind = "invalid_request"


class ContextLengthError(InvalidRequestError):
    kind = "context_length"


class AuthenticationError(GatewayError):
    status = 401
    kind = "authentication"


class PermissionDeniedError(GatewayError):
    status = 403
    kind = "permission"


class NotFoundError(GatewayError):
    status = 404
    kind = "not_found"


class RequestTooLargeError(GatewayError):
    status = 413
    kind = "request_too_large"


class RateLimitError(GatewayError):
    status = 429
    kind = "rate_limit"
    retryable = True


class QuotaExceededError(RateLimitError):
    kind = "quota_exceeded"
    retryable = False


class UpstreamServerError(GatewayError):
    status = 500
    kind = "api_error"
    retryable = True


class UpstreamError(GatewayError):
    status = 502
    kind = "bad_gateway"
    retryable = True


class UpstreamAuthError(UpstreamError):
    """The provider refused crosswire's key: not the client's fault, and not worth a retry."""

    retryable = False


class OverloadedError(GatewayError):
    status = 503
    kind = "overloaded"
    retryable = True


class UpstreamTimeoutError(GatewayError):
    status = 504
    kind = "timeout"
    retryable = True


ERROR_FOR_STATUS: dict[int, type[GatewayError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: QuotaExceededError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: UpstreamTimeoutError,
    413: RequestTooLargeError,
    422: InvalidRequestError,
    429: RateLimitError,
    500: UpstreamServerError,
    502: UpstreamError,
    503: OverloadedError,
    504: UpstreamTimeoutError,
    529: OverloadedError,
}
"""What an upstream's HTTP status means, before its body says more; upstream codecs refine it
with their own codes and types."""
