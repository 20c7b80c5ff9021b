"""The request guard on a real ASGI app (unit: no servers): NUL text and oversized input are
refused naming the field, everything else passes through untouched."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from libs.errors import install_problem_handlers
from libs.request_guard import MAX_PARAMETER_LENGTH, RequestGuard


class Note(BaseModel):
    text: str
    tags: dict[str, str] = {}


def app() -> FastAPI:
    built = FastAPI()
    install_problem_handlers(built)
    built.add_middleware(RequestGuard, max_json_bytes=1000)

    @built.post("/notes/{name}")
    async def add(name: str, body: Note, q: str = "") -> dict[str, str]:
        return {"name": name, "text": body.text, "q": q}

    @built.get("/notes")
    async def listing() -> list[str]:
        return []

    return built


async def call(method: str, url: str, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()),
                                 base_url="http://test") as client:
        return await client.request(method, url, **kwargs)  # type: ignore[arg-type]


async def test_ordinary_requests_pass_untouched() -> None:
    response = await call("POST", "/notes/a?q=hello", json={"text": "héllo \\u0000 as text"})
    assert response.status_code == 200
    assert response.json() == {"name": "a", "text": "héllo \\u0000 as text", "q": "hello"}


@pytest.mark.parametrize(("body", "field"), [
    ('{"text": "a\\u0000b"}', "text"),
    ('{"text": "ok", "tags": {"k\\u0000": "v"}}', "tags.k\x00"),
    ('{"text": "ok", "tags": {"k": "\\ud800"}}', "tags.k"),
])
async def test_nul_and_lone_surrogates_in_a_body_name_the_field(body: str, field: str) -> None:
    response = await call("POST", "/notes/a", content=body,
                          headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


async def test_nul_in_the_query_or_path_names_it() -> None:
    query = await call("POST", "/notes/a?q=x%00y", json={"text": "ok"})
    assert query.status_code == 422 and query.json()["errors"][0]["field"] == "query.q"
    path = await call("POST", "/notes/a%00b", json={"text": "ok"})
    assert path.status_code == 422 and path.json()["errors"][0]["field"] == "path"


async def test_oversized_input_is_refused_before_a_route_sees_it() -> None:
    big = await call("POST", "/notes/a", json={"text": "x" * 2000})
    assert big.status_code == 413
    long_value = await call("GET", "/notes", params={"q": "x" * (MAX_PARAMETER_LENGTH + 1)})
    assert long_value.status_code == 422
    assert long_value.json()["errors"][0] == {
        "field": "query.q", "message": f"at most {MAX_PARAMETER_LENGTH} characters",
        "code": "too_long"}


async def test_a_wrong_method_names_every_allowed_one() -> None:
    response = await call("DELETE", "/notes/a")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    both = FastAPI()
    install_problem_handlers(both)

    @both.get("/x")
    async def read() -> None: ...

    @both.post("/x")
    async def write() -> None: ...

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=both),
                                 base_url="http://test") as client:
        put = await client.put("/x")
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"
