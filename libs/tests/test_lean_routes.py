"""Lean routes on a real ASGI app (unit: no servers): a valid request is answered without the
framework, and everything else (bad parameters, another route's path, other routes, errors)
gets exactly the answer the framework gives."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from libs.errors import Problem, install_problem_handlers
from libs.lean_routes import LeanRoutes, lean


class Spy:
    """Sits between the lean layer and the framework: records what the framework answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            REACHED_FRAMEWORK.append(scope["path"])
        await self.app(scope, receive, send)


REACHED_FRAMEWORK: list[str] = []
TEMPLATES: list[str] = []


class TemplateRecorder:
    """Stands where the request metrics stand: outside the lean layer, reading the template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            TEMPLATES.append(getattr(scope.get("route"), "path", "unmatched"))


def build() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(Spy)
    app.add_middleware(LeanRoutes, application=app)
    app.add_middleware(TemplateRecorder)

    @app.get("/items/special")
    async def special() -> dict[str, str]:
        return {"which": "special"}

    @app.get("/items/{item_id}")
    @lean
    async def item(request: Request, item_id: UUID,
                   market: Annotated[str | None, Query(pattern="^[A-Z]{2}$")] = None,
                   size: Annotated[int, Query(ge=1, le=10)] = 1) -> Response:
        if str(item_id).startswith("0"):
            raise Problem(404, "Not found", "No such item.")
        return JSONResponse({"id": str(item_id), "market": market, "size": size,
                             "auth": request.headers.get("authorization")})

    @app.post("/items/{item_id}/taps")
    @lean
    async def tap(request: Request, item_id: UUID) -> Response:
        return JSONResponse({"body": (await request.body()).decode()}, status_code=201)

    @app.get("/others/{name}")
    async def other(name: str) -> dict[str, str]:
        return {"name": name}

    return app


async def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build()),
                                 base_url="http://test") as client:
        return await client.request(method, url, **kwargs)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    REACHED_FRAMEWORK.clear()
    TEMPLATES.clear()


def a_valid_id() -> UUID:
    while str(found := uuid4()).startswith("0"):
        pass
    return found


async def test_a_valid_request_is_answered_without_the_framework() -> None:
    item_id = a_valid_id()
    response = await call("GET", f"/items/{item_id}?market=GB&size=3&unknown=1",
                          headers={"Authorization": "Bearer x"})
    assert response.status_code == 200
    assert response.json() == {"id": str(item_id), "market": "GB", "size": 3, "auth": "Bearer x"}
    assert REACHED_FRAMEWORK == []
    assert TEMPLATES == ["/items/{item_id}"], "metrics must still see the route's template"


async def test_the_body_and_the_status_are_the_endpoints() -> None:
    response = await call("POST", f"/items/{a_valid_id()}/taps", content=b"hello")
    assert (response.status_code, response.json()) == (201, {"body": "hello"})
    assert REACHED_FRAMEWORK == []


@pytest.mark.parametrize(("url", "field"), [
    ("/items/not-a-uuid", "path.item_id"),
    (f"/items/{uuid4()}?market=gb", "query.market"),
    (f"/items/{uuid4()}?size=11", "query.size"),
    (f"/items/{uuid4()}?size=many", "query.size"),
])
async def test_bad_parameters_get_the_frameworks_422_naming_the_field(url: str,
                                                                      field: str) -> None:
    response = await call("GET", url)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {error["field"] for error in response.json()["errors"]}
    assert [url.split("?")[0]] == REACHED_FRAMEWORK


async def test_a_problem_raised_is_answered_as_problem_json() -> None:
    response = await call("GET", "/items/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "No such item."
    assert REACHED_FRAMEWORK == []


async def test_a_route_declared_before_keeps_its_paths() -> None:
    response = await call("GET", "/items/special")
    assert response.json() == {"which": "special"}
    assert REACHED_FRAMEWORK == ["/items/special"]


async def test_other_routes_and_methods_go_through_the_framework() -> None:
    assert (await call("GET", "/others/x")).json() == {"name": "x"}
    wrong_method = await call("DELETE", f"/items/{a_valid_id()}")
    assert wrong_method.status_code == 405
    assert len(REACHED_FRAMEWORK) == 2


async def who() -> str:
    return "someone"


async def test_a_lean_endpoint_with_dependencies_is_refused() -> None:
    app = FastAPI()
    app.add_middleware(LeanRoutes, application=app)

    @app.get("/mine")
    @lean
    async def mine(request: Request, caller: Annotated[str, Depends(who)]) -> Response:
        return Response()

    with pytest.raises(TypeError, match="no dependencies"):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            await client.get("/mine")
