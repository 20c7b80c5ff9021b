"""Load shedding at the door: a service names the routes that add work it is behind on, and
while its check says it is behind, those requests are answered with the check's problem (a 503
with Retry-After) before the framework routes them, solves their dependencies or checks their
token.

Why here and not in a dependency: a refusal must cost much less than the work it refuses. At
150 checkouts/s offered, refusals answered by FastAPI's full route machinery (routing, token
check, body validation, exception handling) kept the orders process as busy as the orders it
was protecting, and the accepted requests still queued for seconds.

`BusyGate` sits just inside `RequestGuard` and `RequestMetrics`, like `LeanRoutes`, so refused
requests are counted by route and status like every other. A request that is not for a gated
route costs one dictionary lookup on its method.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.errors import Problem
from libs.lean_routes import route_path

BusyCheck = Callable[[Any], Problem | None]
"""Given the service's runtime: the problem to answer while it is behind, else None. Called on
every gated request, so it reads state kept fresh elsewhere and does no I/O."""


class BusyGate:
    def __init__(self, app: ASGIApp, application: FastAPI,
                 routes: Sequence[tuple[str, str]], check: BusyCheck) -> None:
        self.app = app
        self.application = application
        self.check = check
        self._wanted = [(method.upper(), path) for method, path in routes]
        self._gated: dict[str, list[tuple[re.Pattern[str], APIRoute]]] | None = None

    def _routes(self) -> dict[str, list[tuple[re.Pattern[str], APIRoute]]]:
        if self._gated is None:  # on the first request: every router is included by then
            by_method: dict[str, list[tuple[re.Pattern[str], APIRoute]]] = {}
            declared = {(method, route.path): route
                        for route in self.application.router.routes
                        if isinstance(route, APIRoute) for method in route.methods or ()}
            for method, path in self._wanted:
                route = declared.get((method, path))
                if route is None:
                    raise LookupError(f"busy gate: no route {method} {path}")
                by_method.setdefault(method, []).append((route.path_regex, route))
            self._gated = by_method
        return self._gated

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http":
            gated = self._routes().get(scope["method"])
            if gated:
                runtime = getattr(self.application.state, "runtime", None)
                problem = self.check(runtime) if runtime is not None else None
                if problem is not None:
                    route = _matching(gated, route_path(scope))
                    if route is not None:
                        scope["route"] = route
                        return self._refuse(problem, scope, receive, send)
        return self.app(scope, receive, send)

    async def _refuse(self, problem: Problem, scope: Scope, receive: Receive,
                      send: Send) -> None:
        request = Request(scope, receive, send)
        answer = self.application.exception_handlers[Problem](request, problem)
        response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)


def _matching(gated: list[tuple[re.Pattern[str], APIRoute]], path: str) -> APIRoute | None:
    return next((route for pattern, route in gated if pattern.match(path)), None)
