"""The one exception tree of lakebox, shared by the server, the SDK and the CLI.

    LakeboxError (500 internal_error)
     +-- BadRequestError (400 bad_request)
     +-- ValidationError (422 validation_error)
     +-- AuthenticationError (401 unauthenticated)
     +-- PermissionDeniedError (403 permission_denied)
     +-- NotFoundError (404 not_found)
     +-- ConflictError (409 conflict)
     +-- TooManyRequestsError (429 too_many_requests)
     +-- UnavailableError (503 unavailable)

Each class has an HTTP status and a stable ``code``. The server renders any of them as
``{"code", "message", "details"}``; the client rebuilds the same class from that body with
:func:`error_from_response`, so ``except NotFoundError`` works on both sides of the wire.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError as PydanticValidationError


class LakeboxError(Exception):
    """Base of every error lakebox raises on purpose."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequestError(LakeboxError):
    status_code = 400
    code = "bad_request"


class ValidationError(LakeboxError):
    status_code = 422
    code = "validation_error"


def problems_of(exc: PydanticValidationError) -> str:
    """A pydantic validation error as one line a user can act on: ``where: what; where: what``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or 'value'}: {err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors()
    )


class AuthenticationError(LakeboxError):
    status_code = 401
    code = "unauthenticated"


class PermissionDeniedError(LakeboxError):
    status_code = 403
    code = "permission_denied"


class NotFoundError(LakeboxError):
    status_code = 404
    code = "not_found"


class ConflictError(LakeboxError):
    status_code = 409
    code = "conflict"


class TooManyRequestsError(LakeboxError):
    status_code = 429
    code = "too_many_requests"


class UnavailableError(LakeboxError):
    status_code = 503
    code = "unavailable"


ERROR_CLASSES: dict[str, type[LakeboxError]] = {
    cls.code: cls
    for cls in (
        LakeboxError,
        BadRequestError,
        ValidationError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        TooManyRequestsError,
        UnavailableError,
    )
}
_CLASS_BY_STATUS: dict[int, type[LakeboxError]] = {cls.status_code: cls for cls in ERROR_CLASSES.values()}


class JobFailedError(LakeboxError):
    """A job ended Failed or Canceled (raised by ``jobs.stream``; not an HTTP error)."""

    code = "job_failed"


class DeploymentFailedError(LakeboxError):
    """An online deployment failed to provision (raised by its poller; not an HTTP error)."""

    code = "deployment_failed"


def error_from_response(status_code: int, body: Any) -> LakeboxError:
    """Rebuild the server's error from a response status and its decoded JSON body."""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        cls = ERROR_CLASSES.get(str(body.get("code")))
        if cls is None:
            cls = _CLASS_BY_STATUS.get(status_code, LakeboxError)
        details = body.get("details") if isinstance(body.get("details"), dict) else None
        return cls(body["message"], details=details)
    cls = _CLASS_BY_STATUS.get(status_code, BadRequestError if 400 <= status_code < 500 else LakeboxError)
    return cls(f"HTTP {status_code}: {str(body)[:500]}")


def failure_reason(exc: Exception, logger: logging.Logger, what: str) -> str:
    """The reason to store when background work (``what``: "job X", "rollout Y") fails with ``exc``.

    A :class:`LakeboxError` is meant for the user and gives its own message. Anything else is a bug: it is
    logged with its traceback, and the stored reason names only its type, since its text may hold a secret.
    """
    if isinstance(exc, LakeboxError):
        return exc.message
    logger.error("%s failed with an unexpected error", what, exc_info=exc)
    return f"internal error in {what} ({type(exc).__name__}); see the server log"
