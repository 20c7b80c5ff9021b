"""Queueing a bulk import: the file is parsed and checked at once (a broken file is refused
whole, naming its rows), then imported in the background by the import worker."""

from __future__ import annotations

import hashlib
from uuid import UUID

import asyncpg

from libs.errors import Problem
from libs.ids import new_id
from services.catalog.adapters import imports_repository
from services.catalog.domain.imports import ImportFileError, parse
from services.catalog.use_cases.listings import require_selling


async def queue_import(conn: asyncpg.Connection, seller_id: UUID, content: bytes,
                       media_type: str, fmt: str, *,
                       submit: bool) -> tuple[asyncpg.Record, bool]:
    """Returns the job and whether it is new (the same file again returns the same job). A
    seller that may not sell can import drafts, not submit them."""
    if submit:
        await require_selling(conn, seller_id, "submit listings")
    try:
        products = parse(content, media_type)
    except ImportFileError as exc:
        status = 413 if "MiB" in str(exc) or "at most" in str(exc) else 422
        raise Problem(status, "Payload too large" if status == 413 else "Validation failed",
                      str(exc), errors=[{"field": f"row {e.row}" + (f".{e.field}" if e.field
                                                                    else ""),
                                         "message": e.message, "code": "invalid_row"}
                                        for e in exc.errors[:50]]) from exc
    digest = hashlib.sha256(content + (b"+submit" if submit else b"")).hexdigest()
    existing = await imports_repository.find_by_file(conn, seller_id, digest)
    if existing is not None:
        return existing, False
    job = await imports_repository.create(conn, new_id(), seller_id, digest,
                                          fmt + ("+submit" if submit else ""), products)
    return job, True
