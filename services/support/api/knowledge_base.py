"""The help centre: articles per market and language, searched with Postgres full-text search.
Anyone reads and searches published articles; agents write them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from libs import idempotency
from libs.api import field_problem, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.ids import new_id
from libs.markets import MARKET_PATTERN
from libs.pagination import Page, PageParams, id_cursor, page_of, page_params
from libs.request_guard import NOT_BLANK
from services.support.adapters import kb_repository as kb
from services.support.domain.tickets import Category

router = APIRouter(tags=["knowledge base"])
Agent = Annotated[Principal, Depends(require(Role.AGENT, Role.OPERATOR))]
Audience = Literal["seller", "buyer", "all"]


class ArticleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$")
    market: str | None = Field(default=None, pattern=MARKET_PATTERN,
                               description="None: every market.")
    language: str = Field(pattern=r"^[a-z]{2}$")
    category: Category
    audience: Audience = "all"
    title: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    body: str = Field(min_length=1, max_length=20_000, pattern=NOT_BLANK)
    published: bool = True


class ArticleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category | None = None
    audience: Audience | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=NOT_BLANK)
    body: str | None = Field(default=None, min_length=1, max_length=20_000, pattern=NOT_BLANK)
    published: bool | None = None


class ArticleView(BaseModel):
    id: UUID
    slug: str
    market: str | None
    language: str
    category: str
    audience: str
    title: str
    body: str
    published: bool
    updated_by: str
    created_at: datetime | None = None
    updated_at: datetime
    rank: float | None = Field(default=None, description="Search results: relevance, 0..1.")


@router.get("/v1/help/articles", response_model=Page[ArticleView],
            summary="Published help articles (public); `q` searches them, best first.")
async def browse(
    request: Request, page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=500, description="Search words.")] = None,
    language: Annotated[str, Query(pattern=r"^[a-z]{2}$")] = "en",
    market: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    category: Annotated[Category | None, Query()] = None,
    audience: Annotated[Literal["seller", "buyer"] | None, Query()] = None,
) -> Page[ArticleView]:
    db = runtime(request).db
    if q:
        rows = await kb.search(db, q, language=language, market=market, audience=audience,
                               category=category.value if category else None, limit=page.limit)
        return Page[ArticleView](items=[ArticleView(**r) for r in rows])
    rows = await kb.browse(db, language=language, market=market,
                           category=category.value if category else None, published_only=True,
                           after=id_cursor(page.cursor), limit=page.limit + 1)
    return page_of([ArticleView(**r) for r in rows], page.limit, lambda a: (str(a.id),))


@router.get("/v1/help/articles/{article_id}", response_model=ArticleView,
            summary="A published help article (public).")
async def read(request: Request, article_id: UUID) -> ArticleView:
    row = await kb.get(runtime(request).db, article_id, published_only=True)
    if row is None:
        raise Problem(404, "Not found", "No such article.")
    return ArticleView(**row)


@router.post("/v1/kb-articles", status_code=201, response_model=ArticleView,
             summary="Write a help article (agents).")
async def create(request: Request, body: ArticleRequest, principal: Agent,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    async def work(conn: Any) -> tuple[int, Any]:
        row = await kb.add(conn, {**body.model_dump(), "id": new_id(),
                                  "category": body.category.value,
                                  "updated_by": principal.subject})
        if row is None:
            raise field_problem("slug", "an article with this slug exists for this language "
                                        "and market", "duplicate", status=409)
        return 201, ArticleView(**row).model_dump(mode="json")

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"support:article:{principal.subject}", key=idempotency_key,
        body=body.model_dump(mode="json"), work=work)


@router.get("/v1/kb-articles/{article_id}", response_model=ArticleView,
            summary="Any article, drafts included (agents).")
async def read_any(request: Request, article_id: UUID, principal: Agent) -> ArticleView:
    row = await kb.get(runtime(request).db, article_id, published_only=False)
    if row is None:
        raise Problem(404, "Not found", "No such article.")
    return ArticleView(**row)


@router.patch("/v1/kb-articles/{article_id}", response_model=ArticleView,
              summary="Edit or unpublish a help article (agents).")
async def change(request: Request, article_id: UUID, body: ArticleChange,
                 principal: Agent) -> ArticleView:
    changes = body.model_dump(exclude_none=True)
    if "category" in changes:
        changes["category"] = body.category.value if body.category else None
    row = await kb.update(runtime(request).db, article_id, changes, principal.subject)
    if row is None:
        raise Problem(404, "Not found", "No such article.")
    return ArticleView(**row)


@router.delete("/v1/kb-articles/{article_id}", status_code=204,
               summary="Delete a help article (agents).")
async def delete(request: Request, article_id: UUID, principal: Agent) -> None:
    if not await kb.delete(runtime(request).db, article_id):
        raise Problem(404, "Not found", "No such article.")
