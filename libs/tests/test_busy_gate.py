"""The busy gate on a real ASGI app (unit: no servers): while the check says busy, a gated
route is refused with its problem before any of the route's own work, and reported under its
route template; other routes, and every route while not busy, are answered as always."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from libs.busy_gate import BusyGate
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
