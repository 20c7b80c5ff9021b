"""Bulk import: a seller uploads up to 10,000 products as JSON lines or CSV and follows the job."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from libs import idempotency
from libs.api import acting_seller, runtime
from libs.auth.dependencies import require
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.idempotency import IdempotencyKey
from libs.request_guard import body_at_most
from services.catalog.adapters import imports_repository
from services.catalog.domain.imports import MAX_BYTES
from services.catalog.use_cases.imports import queue_import

router = APIRouter(prefix="/v1/product-imports", tags=["bulk import"])
MEDIA_TYPES = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
               "application/json-lines": "jsonl", "text/csv": "csv"}


class ImportJob(BaseModel):
    id: UUID
    status: str
    format: str
    total_rows: int
    processed: int
    created: int
    skipped: int
    failed: int
    errors: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None


def _view(row: Any) -> dict[str, Any]:
    return ImportJob(**{k: row[k] for k in ImportJob.model_fields}).model_dump(mode="json")


@router.post("", status_code=202, response_model=ImportJob,
             summary="Upload a file of products (JSON lines or CSV); it is imported in the "
                     "background. The same file again returns the same job.",
             openapi_extra={"requestBody": {"content": {
                 "application/x-ndjson": {"example": '{"handle": "jacket-olive", "title": ...}'},
                 "text/csv": {"example": "handle,title,category_id,sku_code,price_minor,"
                                         "currency,stock,option:size\n"}}}})
async def upload(
    request: Request, principal: Annotated[Principal, Depends(require(Role.SELLER))],
    content_type: Annotated[str, Header()] = "",
    submit: Annotated[bool, Query(description="Submit each listing for review too.")] = False,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    seller_id = acting_seller(principal)
    media_type = content_type.split(";")[0].strip().lower()
    fmt = MEDIA_TYPES.get(media_type)
    if fmt is None:
        raise Problem(415, "Unsupported media type",
                      f"Send {', '.join(MEDIA_TYPES)}; got {media_type or 'nothing'}.")
    content = await body_at_most(request, MAX_BYTES)

    async def work(conn: Any) -> tuple[int, Any]:
        job, new = await queue_import(conn, seller_id, content, media_type, fmt, submit=submit)
        return (202 if new else 200), _view(job)

    return await idempotency.run_idempotent(
        runtime(request).db, scope=f"{seller_id}:POST /v1/product-imports",
        key=idempotency_key, body={"sha256": hashlib.sha256(content).hexdigest(),
                                   "media_type": media_type, "submit": submit}, work=work)


@router.get("/{job_id}", response_model=ImportJob, summary="An import's progress and row errors.")
async def status(request: Request, job_id: UUID,
                 principal: Annotated[Principal, Depends(require(Role.SELLER))]) -> Any:
    job = await imports_repository.get(runtime(request).db, job_id)
    if job is None or job["seller_id"] != acting_seller(principal):
        raise Problem(404, "Not found", "No such import.")
    return _view(job)
