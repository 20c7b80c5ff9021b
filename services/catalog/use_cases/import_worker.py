"""The bulk import worker: turns a queued file into draft (or submitted) listings.

Rows are applied in chunks; each chunk and the job's progress commit together, so a worker that
dies resumes at the first unapplied row, and a row already imported (same `handle`) is skipped
rather than duplicated. An advisory lock per job keeps two workers off the same file.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import ValidationError

from libs.db.transaction import transaction
from libs.errors import Problem
from services.catalog.adapters import imports_repository, products_repository
from services.catalog.domain.commands import NewProduct
from services.catalog.domain.products import ProductError
from services.catalog.use_cases import listings as listing

log = logging.getLogger(__name__)
CHUNK = 100
MAX_ERRORS_KEPT = 1000
POLL_SECONDS = 1.0


async def run_worker(runtime: Any) -> None:
    while True:
        worked = False
        for job in await imports_repository.unfinished(runtime.worker_db):
            worked |= await process_job(runtime.worker_db, job["id"])
        if not worked:
            await asyncio.sleep(POLL_SECONDS)


async def process_job(pool: asyncpg.Pool, job_id: UUID) -> bool:
    """Returns False when another worker holds the job."""
    async with pool.acquire() as lock_conn:
        if not await lock_conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1::text))",
                                        str(job_id)):
            return False
        try:
            await _process(pool, job_id)
        finally:
            try:
                await lock_conn.execute("SELECT pg_advisory_unlock(hashtext($1::text))",
                                        str(job_id))
            except BaseException:
                lock_conn.terminate()  # the session, and its lock, end with the connection
                raise
    return True


async def _process(pool: asyncpg.Pool, job_id: UUID) -> None:
    async with pool.acquire() as conn:
        job = await imports_repository.load(conn, job_id)
    if job is None or job["status"] == "finished" or job["payload"] is None:
        return
    rows = [json.loads(line) for line in job["payload"].splitlines()]
    submit = job["format"].endswith("+submit")
    kept_errors = len(job["errors"])
    position = job["processed"]
    while position < len(rows):
        chunk = rows[position:position + CHUNK]
        created = skipped = failed = 0
        errors: list[dict[str, Any]] = []
        async with transaction(pool) as conn:
            for row in chunk:
                number = row.pop("_row", None)
                handle = row.pop("handle")
                try:
                    async with conn.transaction():  # a savepoint per row
                        product = await listing.create_product(
                            conn, job["seller_id"], NewProduct.model_validate(row),
                            import_key=handle)
                        if submit:
                            await listing.submit(conn, product)
                    created += 1
                except products_repository.DuplicateImportKey:
                    skipped += 1
                except ValidationError as exc:
                    failed += 1
                    first = exc.errors()[0]
                    errors.append({"row": number, "handle": handle,
                                   "field": ".".join(map(str, first["loc"])),
                                   "message": first["msg"]})
                except (ProductError, Problem) as exc:
                    failed += 1
                    errors.append({"row": number, "handle": handle,
                                   "field": getattr(exc, "field", None), "message": str(exc)})
            position += len(chunk)
            room = max(0, MAX_ERRORS_KEPT - kept_errors)
            kept_errors += min(room, len(errors))
            await imports_repository.record_progress(
                conn, job_id, processed=position, created=created, skipped=skipped,
                failed=failed, errors=errors[:room], finished=position >= len(rows))
    log.info("import %s finished: %d rows", job_id, len(rows))
