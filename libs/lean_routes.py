"""Lean routes: the few hottest routes served without the framework's routing and dependency
machinery, while declared, documented and answered exactly like every other route.

Why: on this 2-core machine a flash claim or a cached product detail does a few tens of
microseconds of its own work, and Starlette's route matching (one regular expression per route
until one matches), FastAPI's dependency solving, its exception middleware and its response
handling cost more than that (profiles in the README's performance section).

The pattern, and its rules:
- A route is declared as usual (`@router.get(...)`, so it is in the OpenAPI with its
  parameters, responses and security) and its endpoint is marked `@lean`. A lean endpoint
  takes the `Request` and its path and query parameters, has no dependencies and no body
  parameter (it reads and validates its own body), and returns a `Response`.
- `LeanRoutes`, an ASGI layer just inside `RequestGuard` and `RequestMetrics` (so body limits,
  text checks and request metrics apply unchanged), answers a request whose method and path
  match a lean route by calling the endpoint directly.
- Path and query parameters are validated by a pydantic model built from the route's own
  declaration. A request whose parameters do not validate goes through the framework instead,
  so a bad request gets the very same 422 naming the field as before.
- An exception the endpoint raises is answered by the application's own exception handlers
  (a `Problem` as problem+json, an unreachable server as 503); anything unhandled propagates
  to the server-error layer as on every route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

_MARK = "__lean_route__"


def lean(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a route's endpoint to be served by `LeanRoutes` (see the module's rules)."""
    setattr(endpoint, _MARK, True)
    return endpoint


class _LeanRoute:
    def __init__(self, route: APIRoute, earlier: list[APIRoute]) -> None:
        dependant = route.dependant
        if (dependant.dependencies or dependant.body_params or dependant.header_params
                or dependant.cookie_params or dependant.request_param_name is None):
            raise TypeError(f"lean route {route.path} must take the Request and only path and "
                            "query parameters (no dependencies, headers, cookies or body)")
        self.route = route
        self.shadows = [other for other in earlier if _may_overlap(other.path, route.path)]
        """Routes declared before this one that match some of its paths: the framework would
        pick them first, so a request they match is left to it."""
        self.methods = frozenset(route.methods or ()) - {"HEAD"}
        self.endpoint = route.endpoint
        self.request_name = dependant.request_param_name
        self.path_names = [field.alias for field in dependant.path_params]
        self.query_names = {field.alias for field in dependant.query_params}
        self.parameters: type[BaseModel] = create_model(  # type: ignore[call-overload]
            f"{route.name}_parameters",
            **{field.name: (field.field_info.annotation, field.field_info)
               for field in (*dependant.path_params, *dependant.query_params)})

    def shadowed(self, path: str, method: str) -> bool:
        return any(method in (other.methods or ()) and other.path_regex.match(path)
                   for other in self.shadows)

    def arguments(self, scope: Scope, path_params: dict[str, str]) -> dict[str, Any] | None:
        """The endpoint's validated parameters, or None when the framework should answer."""
        given: dict[str, Any] = dict(path_params)
        query = scope.get("query_string", b"")
        if query:
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if name in self.query_names:
                    given.setdefault(name, value)
        try:
            return dict(self.parameters.model_validate(given))
        except ValidationError:
            return None


class LeanRoutes:
    """Serves the application's `@lean` routes directly; everything else passes through."""

    def __init__(self, app: ASGIApp, application: FastAPI) -> None:
        self.app = app
        self.application = application
        self._routes: list[_LeanRoute] | None = None

    def _compiled(self) -> list[_LeanRoute]:
        if self._routes is None:  # on the first request: every router is included by then
            routes = [r for r in self.application.router.routes if isinstance(r, APIRoute)]
            self._routes = [_LeanRoute(route, routes[:index])
                            for index, route in enumerate(routes)
                            if getattr(route.endpoint, _MARK, False)]
        return self._routes

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Not a coroutine itself: what passes through (every other route, every WebSocket)
        keeps no frame of this layer alive for its lifetime."""
        if scope["type"] == "http":
            path = route_path(scope)
            for lean_route in self._compiled():
                match = lean_route.route.path_regex.match(path)
                if match is None or scope["method"] not in lean_route.methods:
                    continue
                path_params = match.groupdict()
                arguments = lean_route.arguments(scope, path_params)
                if arguments is None or lean_route.shadowed(path, scope["method"]):
                    break  # the framework answers: an invalid request, or another route's
                scope["route"] = lean_route.route
                scope["path_params"] = path_params
                return self._serve(lean_route, arguments, scope, receive, send)
        return self.app(scope, receive, send)

    async def _serve(self, lean_route: _LeanRoute, arguments: dict[str, Any], scope: Scope,
                     receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response = await lean_route.endpoint(**{lean_route.request_name: request},
                                                 **arguments)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        if not isinstance(response, Response):
            raise TypeError(f"lean route {lean_route.route.path} must return a Response")
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Callable[..., Any] | None:
        handlers = self.application.exception_handlers
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None  # the server-error layer logs it and answers 500, as elsewhere
            if kind in handlers:
                return handlers[kind]
        return None


def _may_overlap(one: str, other: str) -> bool:
    """Whether two path templates can match the same path: as many segments, each pair equal
    or one of them a parameter."""
    a, b = one.strip("/").split("/"), other.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") or y.startswith("{")
                                    for x, y in zip(a, b, strict=True))


def route_path(scope: Scope) -> str:
    """The path the router matches: without the mount point the service runs under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path
