"""One rendering of every error: ``{"code", "message", "details"}`` with the error's HTTP status."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from lakebox.errors import ERROR_CLASSES, LakeboxError, ValidationError

_logger = logging.getLogger(__name__)
_CODE_BY_STATUS = {cls.status_code: code for code, cls in ERROR_CLASSES.items()}


def _render(error: LakeboxError) -> JSONResponse:
    return JSONResponse(error.to_dict(), status_code=error.status_code)


async def _lakebox_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LakeboxError)
    return _render(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"location": ".".join(str(part) for part in err["loc"]), "message": err["msg"]} for err in exc.errors()]
    summary = "; ".join(f"{p['location']}: {p['message']}" for p in problems)
    return _render(ValidationError(f"invalid request: {summary}", details={"errors": problems}))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
    return JSONResponse({"code": code, "message": str(exc.detail), "details": {}}, status_code=exc.status_code)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    _logger.exception("unhandled error in %s %s", request.method, request.url.path)
    return _render(LakeboxError(f"internal error ({type(exc).__name__}); see the server log"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LakeboxError, _lakebox_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
