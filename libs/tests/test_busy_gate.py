"""The busy gate on a real ASGI app (unit: no servers): while the check says busy, a gated
route is refused with its problem before any of the route's own work, and reported under its
route template; other routes, and every route while not busy, are answered as always. With an
in-flight limit, requests past it wait their turn in order and are refused when none comes."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Body, Depends, FastAPI

from libs.busy_gate import CROWDED_AFTER_SECONDS, BusyGate, InFlightLimit, Turns
from libs.errors import Problem, install_problem_handlers
from libs.tests.test_lean_routes import TEMPLATES, TemplateRecorder

WORK_DONE: list[str] = []


def token_checked() -> None:
    WORK_DONE.append("dependency")


def build(state: SimpleNamespace) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.put("/v1/things/{thing_id}")
    async def put_thing(thing_id: int, _: Annotated[None, Depends(token_checked)]) -> Any:
        WORK_DONE.append(f"put {thing_id}")
        return {"id": thing_id}

    @app.get("/v1/things/{thing_id}")
    async def get_thing(thing_id: int) -> Any:
        return {"id": thing_id}

    def check(runtime: Any) -> Problem | None:
        return Problem(503, "Shop busy", "Later.", headers={"Retry-After": "2"}) \
            if runtime.behind else None

    app.state.runtime = state
    app.add_middleware(BusyGate, application=app, routes=[("PUT", "/v1/things/{thing_id}")],
                       check=check)
    app.add_middleware(TemplateRecorder)
    return app


async def test_a_gated_route_is_refused_while_busy_before_any_of_its_work() -> None:
    state = SimpleNamespace(behind=True)
    transport = httpx.ASGITransport(app=build(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        WORK_DONE.clear()
        TEMPLATES.clear()
        refused = await client.put("/v1/things/7", json={})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["title"] == "Shop busy"
        assert refused.json()["instance"] == "/v1/things/7"
        assert WORK_DONE == [], "neither the dependency nor the route ran"
        assert TEMPLATES == ["/v1/things/{thing_id}"]

        assert (await client.get("/v1/things/7")).status_code == 200, "reads stay open"
        assert (await client.put("/v1/nowhere/7")).status_code in (404, 405)

        state.behind = False
        answered = await client.put("/v1/things/7", json={})
        assert answered.status_code == 200
        assert WORK_DONE == ["dependency", "put 7"]


async def test_a_gate_naming_a_route_the_service_lacks_fails_loudly() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.runtime = SimpleNamespace()
    app.add_middleware(BusyGate, application=app, routes=[("POST", "/v1/missing")],
                       check=lambda runtime: None)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(LookupError, match="POST /v1/missing"):
            await client.get("/anything")


async def test_turns_are_handed_out_in_arrival_order_and_a_wait_has_an_end() -> None:
    turns = Turns(2)
    assert await turns.take(0) and await turns.take(0)
    assert not await turns.take(0), "no turn free and no wait: refused at once"
    assert not await turns.take(0.02), "none came within the wait"

    first = asyncio.create_task(turns.take(5, 5))
    second = asyncio.create_task(turns.take(5, 5))
    await asyncio.sleep(0.01)
    turns.give_back()
    await asyncio.sleep(0.01)
    assert first.done() and first.result() is True and not second.done()
    second.cancel()
    turns.give_back()  # the cancelled waiter is passed over: the turn is free again
    assert turns.free == 1
    assert await turns.take(0)


async def test_a_turn_given_to_a_waiter_cancelled_meanwhile_is_passed_on() -> None:
    turns = Turns(1)
    assert await turns.take(0)
    waiter = asyncio.create_task(turns.take(5, 5))
    await asyncio.sleep(0.01)
    turns.give_back()  # handed to the waiter ...
    waiter.cancel()  # ... which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert turns.free == 1, "the turn was given back, not lost"


async def test_once_the_queue_stands_an_arrival_waits_only_the_crowded_wait() -> None:
    turns = Turns(1)
    assert await turns.take(0)
    rushed = asyncio.create_task(turns.take(5, 0.01))
    await asyncio.sleep(0.05)
    assert not rushed.done(), "a rush queues: a turn was free a moment ago"
    await asyncio.sleep(CROWDED_AFTER_SECONDS)
    began = time.monotonic()
    assert not await turns.take(5, 0.01), "no turn free for a while: crowded"
    assert time.monotonic() - began < 1
    turns.give_back()
    assert await rushed, "the waiter that came during the rush still gets its turn"
    turns.give_back()
    assert await turns.take(5, 0.01), "a turn free again: not crowded"


def build_limited(release: asyncio.Event, requests: int, wait_seconds: float) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.put("/v1/things/{thing_id}")
    async def put_thing(thing_id: int, _: Annotated[Any, Body()] = None) -> Any:
        await release.wait()
        return {"id": thing_id}

    @app.get("/v1/things/{thing_id}")
    async def get_thing(thing_id: int) -> Any:
        return {"id": thing_id}

    app.state.runtime = SimpleNamespace()
    app.add_middleware(BusyGate, application=app, routes=[("PUT", "/v1/things/{thing_id}")],
                       limit=InFlightLimit(
                           requests=requests, wait_seconds=wait_seconds,
                           crowded_wait_seconds=wait_seconds,
                           problem=Problem(503, "Shop busy", "Later.",
                                           headers={"Retry-After": "2"})))
    app.add_middleware(TemplateRecorder)
    return app


async def test_past_the_in_flight_limit_a_request_waits_its_turn_then_is_turned_away() -> None:
    release = asyncio.Event()
    transport = httpx.ASGITransport(app=build_limited(release, requests=2, wait_seconds=0.2))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        TEMPLATES.clear()
        held = [asyncio.create_task(client.put(f"/v1/things/{n}")) for n in (1, 2)]
        await asyncio.sleep(0.05)
        assert (await client.get("/v1/things/3")).status_code == 200, "reads are not limited"

        refused = await client.put("/v1/things/3")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "2"
        assert refused.json()["title"] == "Shop busy"
        assert TEMPLATES[-1] == "/v1/things/{thing_id}"

        waiting = asyncio.create_task(client.put("/v1/things/4"))
        await asyncio.sleep(0.05)
        release.set()  # the held requests finish and hand their turns on
        assert [r.status_code for r in await asyncio.gather(*held, waiting)] == [200, 200, 200]
        assert (await client.put("/v1/things/5")).status_code == 200


async def test_a_client_trickling_its_body_holds_no_turn_while_it_does() -> None:
    """One turn, no wait: a request whose body has not all arrived is still outside, so the
    next buyer gets the turn (a handful of slow clients must not shut every buyer out)."""
    release = asyncio.Event()
    release.set()
    transport = httpx.ASGITransport(app=build_limited(release, requests=1, wait_seconds=0))
    rest_of_body = asyncio.Event()

    async def trickled() -> Any:
        yield b'{"a": '
        await rest_of_body.wait()
        yield b"1}"

    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        slow = asyncio.create_task(client.put("/v1/things/1", content=trickled()))
        await asyncio.sleep(0.05)
        assert (await client.put("/v1/things/2", json={})).status_code == 200
        rest_of_body.set()
        assert (await slow).status_code == 200
