"""RFC 9457 problem details: the only error shape a client of this platform ever sees."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis import exceptions as redis_errors
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from libs.db.transaction import CONFLICTS, DATABASE_UNREACHABLE, connection_lost
from libs.domain_errors import FieldError, InvalidTransition, StateConflict

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.socialcommerce.dev/problems/"

log = logging.getLogger(__name__)
UNREACHABLE: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError,
    *DATABASE_UNREACHABLE, ConnectionRefusedError, ConnectionResetError)
"""Errors that mean a server is out of reach, not that the request or the code is wrong."""


class Problem(Exception):
    """Raise from a route or domain adapter to answer with problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or PROBLEM_TYPE_BASE + title.lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'address', 'zip') -> 'address.zip'; the location kind stays as a prefix only
    for query/path/header parameters, where it disambiguates."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


OUT_OF_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
"""Pydantic's bound violations, answered with the one code the domain rules use."""


def validation_problem(exc: RequestValidationError) -> Problem:
    errors = [
        {"field": _field_path(err.get("loc", ())), "message": err.get("msg", "invalid"),
         "code": "out_of_range" if err.get("type") in OUT_OF_RANGE else err.get("type", "invalid")}
        for err in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return Problem(422, "Validation failed", f"Invalid field(s): {fields}", errors=errors)


def field_error_problem(exc: FieldError) -> Problem:
    if isinstance(exc, StateConflict):
        return Problem(409, "Conflict", str(exc), errors=[exc.as_error()])
    return Problem(422, "Validation failed", str(exc), errors=[exc.as_error()])


_STATUS_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Payload too large",
    415: "Unsupported media type", 422: "Validation failed", 429: "Too many requests",
    503: "Service unavailable",
}


def _allowed_methods(request: Request) -> str:
    """Every method of every route at this path (Starlette names only the first route's)."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and isinstance(route, BaseRoute):
            allowed |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(allowed))


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(FieldError)
    async def _field(request: Request, exc: FieldError) -> JSONResponse:
        return problem_response(field_error_problem(exc), request)

    @app.exception_handler(InvalidTransition)
    async def _transition(request: Request, exc: InvalidTransition) -> JSONResponse:
        return problem_response(Problem(409, "Conflict", str(exc)), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _STATUS_TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return problem_response(Problem(exc.status_code, title, detail, headers=headers), request)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        """A server the request needs (Redis, Postgres) is unreachable: nothing was decided,
        so the client may retry (a flash claim fails closed: never a grant without a unit)."""
        log.warning("dependency unavailable on %s %s: %r", request.method, request.url.path,
                    exc)
        return problem_response(Problem(503, "Service unavailable", "A server this request "
                                        "needs is unreachable; retry shortly.",
                                        headers={"Retry-After": "2"}), request)

    for unreachable in UNREACHABLE:
        app.add_exception_handler(unreachable, _unavailable)

    async def _interface(request: Request, exc: Exception) -> JSONResponse:
        """asyncpg's misuse error (and its internal state error) also reports a connection that
        broke under a statement (a Postgres restart): that one is the server's absence, anything
        else a defect."""
        if connection_lost(exc):
            return await _unavailable(request, exc)
        return await _unexpected(request, exc)

    app.add_exception_handler(asyncpg.InterfaceError, _interface)
    app.add_exception_handler(asyncpg.InternalClientError, _interface)

    async def _conflict(request: Request, exc: Exception) -> JSONResponse:
        """Postgres aborted the request's transaction to break a deadlock with a concurrent
        one: nothing was kept, and the same request will very likely pass if sent again."""
        log.warning("transaction conflict on %s %s: %r", request.method, request.url.path, exc)
        return problem_response(Problem(503, "Service unavailable", "The request met a "
                                        "concurrent change and was undone; retry.",
                                        headers={"Retry-After": "1"}), request)

    for conflict in CONFLICTS:
        app.add_exception_handler(conflict, _conflict)

    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(Problem(500, "Internal error", "An unexpected error occurred."),
                                request)

    app.add_exception_handler(Exception, _unexpected)
