"""Load shedding at the door: a service names the routes that add work it is behind on, and
while its check says it is behind, those requests are answered with the check's problem (a 503
with Retry-After) before the framework routes them, solves their dependencies or checks their
token.

Why here and not in a dependency: a refusal must cost much less than the work it refuses. At
150 checkouts/s offered, refusals answered by FastAPI's full route machinery (routing, token
check, body validation, exception handling) kept the orders process as busy as the orders it
was protecting, and the accepted requests still queued for seconds.

Two ways to be busy, either or both:
- the service's check (`busy_check`): a reading of its own backlog, kept fresh elsewhere;
- a limit on the gated requests served at once (`InFlightLimit`): a request past the limit waits
  its turn, briefly, and is answered busy if none comes. Without it, the requests a backlog
  check lets through before it notices (a few seconds' worth, at the offered rate) queued for
  database connections inside the app, and the accepted checkouts' p99 was 5 s.

`BusyGate` sits just inside `RequestGuard` and `RequestMetrics`, like `LeanRoutes`, so refused
requests are counted by route and status like every other. A request whose method no gated
route has costs one dictionary lookup; one whose method some gated route has, a path match.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.errors import Problem
from libs.lean_routes import route_path
from libs.request_guard import MAX_JSON_BYTES, payload_too_large, read_body, replay

BusyCheck = Callable[[Any], Problem | None]
"""Given the service's runtime: the problem to answer while it is behind, else None. Called on
every gated request, so it reads state kept fresh elsewhere and does no I/O."""


@dataclass(frozen=True)
class InFlightLimit:
    requests: int
    """Gated requests served at once; later ones wait for a turn."""
    wait_seconds: float
    """How long a request waits for its turn before it is answered `problem`."""
    problem: Problem
    crowded_wait_seconds: float = 0.05
    """The wait instead, while the queue stands (see `Turns`); never longer than `wait_seconds`."""

    def __post_init__(self) -> None:
        if self.requests < 1 or not 0 <= self.wait_seconds <= 60 or self.crowded_wait_seconds < 0:
            raise ValueError("an in-flight limit serves at least one request and waits 0-60 s")


CROWDED_AFTER_SECONDS = 0.1
"""No turn free for this long: the queue stands, and an arrival waits only the crowded wait."""


class Turns:
    """Up to `slots` holders at once; a taker waits in arrival order for at most its wait.

    A queue that only grows is overload, not a rush: once no turn has been free for
    `CROWDED_AFTER_SECONDS`, arrivals wait only `crowded_wait_seconds` (the idea of CoDel). With
    one wait for all, every accepted request of a sustained overload had first waited nearly
    the whole of it (checkout p50 1.2 s at 150/s offered); a rush of a few dozen still queues.

    Written out rather than `asyncio.Semaphore` under `wait_for`, so a turn handed to a waiter
    that has just given up (timed out, or its client went away) is passed on, never lost."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self._waiting: deque[asyncio.Future[bool]] = deque()
        self._free_seen_at = time.monotonic()

    async def take(self, wait_seconds: float, crowded_wait_seconds: float = 0.0) -> bool:
        """True with a turn held (give it back), False if none came within the wait."""
        while self._waiting and self._waiting[0].done():
            self._waiting.popleft()
        now = time.monotonic()
        if self.free > 0 and not self._waiting:
            self.free -= 1
            self._free_seen_at = now
            return True
        if now - self._free_seen_at > CROWDED_AFTER_SECONDS:
            wait_seconds = min(wait_seconds, crowded_wait_seconds)
        if wait_seconds <= 0:
            return False
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(turn)
        expiry = loop.call_later(wait_seconds, _settle, turn, False)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.result():
                self.give_back()  # handed over as the waiter was cancelled: pass it on
            raise
        finally:
            expiry.cancel()

    def give_back(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(True)
                return
        self.free += 1
        self._free_seen_at = time.monotonic()


def _settle(turn: asyncio.Future[bool], value: bool) -> None:
    if not turn.done():
        turn.set_result(value)


class BusyGate:
    def __init__(self, app: ASGIApp, application: FastAPI,
                 routes: Sequence[tuple[str, str]], check: BusyCheck | None = None,
                 limit: InFlightLimit | None = None) -> None:
        self.app = app
        self.application = application
        self.check = check
        self.limit = limit
        self.turns = Turns(limit.requests) if limit is not None else None
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
                problem = self.check(runtime) if self.check and runtime is not None else None
                if problem is not None or self.turns is not None:
                    route = _matching(gated, route_path(scope))
                    if route is not None and problem is not None:
                        scope["route"] = route
                        return self._refuse(problem, scope, receive, send)
                    if route is not None:
                        return self._in_turn(route, scope, receive, send)
        return self.app(scope, receive, send)

    async def _in_turn(self, route: APIRoute, scope: Scope, receive: Receive,
                       send: Send) -> None:
        """The request's body is read before it waits for a turn: a client trickling its body
        would otherwise hold a turn for as long as it liked, and a handful of them would shut
        every buyer out. (`RequestGuard` has already read a JSON body; this covers the rest.)"""
        assert self.turns is not None and self.limit is not None
        body = await read_body(receive, MAX_JSON_BYTES)
        if body is None:
            scope["route"] = route
            await self._refuse(payload_too_large(MAX_JSON_BYTES), scope, receive, send)
            return
        receive = replay(body, receive)
        limit = self.limit
        if not await self.turns.take(limit.wait_seconds,
                                     min(limit.crowded_wait_seconds, limit.wait_seconds)):
            scope["route"] = route
            await self._refuse(self.limit.problem, scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.turns.give_back()

    async def _refuse(self, problem: Problem, scope: Scope, receive: Receive,
                      send: Send) -> None:
        request = Request(scope, receive, send)
        answer = self.application.exception_handlers[Problem](request, problem)
        response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)


def _matching(gated: list[tuple[re.Pattern[str], APIRoute]], path: str) -> APIRoute | None:
    return next((route for pattern, route in gated if pattern.match(path)), None)
