"""`Idempotency-Key` for creating POSTs.

Same key and same body: the first response is replayed (`Idempotent-Replayed: true`). Same key
and another body: 422. Same key while the first request is still running: 409. The response is
stored in the same transaction as the effect, so a crash cannot leave an effect without its
recorded response. A request that fails releases its key, so the client may retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Header
from fastapi.responses import JSONResponse

from libs.db.transaction import transaction
from libs.errors import Problem

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
IdempotencyKey = Annotated[str | None, Header(
    alias=HEADER, min_length=1, max_length=255, pattern=KEY_PATTERN,
    description="Makes the request safe to retry: the same key and body replay the first "
                "answer; the same key with another body is a 422. Printable ASCII, 1-255 "
                "characters, kept 24 hours.")]
"""The header every creating POST accepts (declare a parameter `idempotency_key: IdempotencyKey
= None`)."""
IDEMPOTENCY_KEY_PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "description": "Makes the request safe to retry (see other creating POSTs).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN}}
"""The same header in OpenAPI terms, for routes that read their headers by hand."""
IN_FLIGHT_TIMEOUT_SECONDS = 60
Work = Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]]


def request_fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Problem(422, "Validation failed", "Idempotency-Key must be 1-255 printable chars.",
                      errors=[{"field": "header.Idempotency-Key", "message": "invalid key",
                               "code": "idempotency_key_invalid"}])


async def run_idempotent(
    pool: asyncpg.Pool, *, scope: str, key: str | None, body: Any, work: Work,
    stored: Callable[[Any], Any] | None = None,
) -> JSONResponse:
    """Run `work(conn)` in a transaction once per (scope, key); `work` returns (status, body).
    `stored` turns the body into what is kept for replays (a secret shown once is not kept).

    The key is taken in the work's own transaction, so it costs no commit of its own and a
    failed request leaves nothing behind: a transaction-scoped advisory lock on the key says
    "in flight" to a concurrent request at once (409), and the row, written with the effect,
    says "done" to every later one (replay)."""
    if key is None:
        async with transaction(pool) as conn:
            status, content = await work(conn)
        return JSONResponse(content, status_code=status)

    _check_key(key)
    fingerprint = request_fingerprint(body)
    async with transaction(pool) as conn:
        replay = await _claim(conn, scope, key, fingerprint)
        if replay is not None:
            return replay
        status, content = await work(conn)
        await conn.execute(
            """UPDATE idempotency_keys SET state = 'completed', status_code = $3,
                      response_body = $4, completed_at = now()
               WHERE scope = $1 AND key = $2""",
            scope, key, status, stored(content) if stored else content,
        )
    return JSONResponse(content, status_code=status)


_CLAIM = """
WITH lock AS MATERIALIZED (
    SELECT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || $1 || E'\n' || $2, 0))
           AS taken
), claimed AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, state)
    SELECT $1, $2, $3, 'in_flight' FROM lock WHERE taken
    ON CONFLICT DO NOTHING RETURNING true
)
SELECT taken, EXISTS (SELECT 1 FROM claimed) AS fresh FROM lock
"""
"""One round trip: no other transaction is running this key (else 409 at once, without
waiting for it), and the key is new (else the row says what to answer)."""


async def _claim(conn: asyncpg.Connection, scope: str, key: str,
                 fingerprint: str) -> JSONResponse | None:
    """Take the key for this request, or return the stored response to replay."""
    claim = await conn.fetchrow(_CLAIM, scope, key, fingerprint)
    if not claim["taken"]:
        raise _in_progress()
    if claim["fresh"]:
        return None
    row = await conn.fetchrow(  # a statement of its own: its snapshot sees the first's commit
        """SELECT request_hash, state, status_code, response_body,
                  now() - created_at > make_interval(secs => $3) AS stale
           FROM idempotency_keys WHERE scope = $1 AND key = $2 FOR UPDATE""",
        scope, key, IN_FLIGHT_TIMEOUT_SECONDS,
    )
    if row is None:  # removed between the two statements (expired): let the client retry
        raise Problem(409, "Conflict", "The request with this Idempotency-Key just failed; "
                      "retry.", headers={"Retry-After": "1"})
    if row["request_hash"] != fingerprint:
        raise Problem(422, "Idempotency key reused",
                      "This Idempotency-Key was used with a different request body.",
                      errors=[{"field": "header.Idempotency-Key",
                               "message": "reused with a different body",
                               "code": "idempotency_key_reused"}])
    if row["state"] == "completed":
        return JSONResponse(row["response_body"], status_code=row["status_code"],
                            headers={"Idempotent-Replayed": "true"})
    if not row["stale"]:  # claimed by a version of this code that committed its claim first
        raise _in_progress()
    # That earlier version's attempt died mid-way: this one takes over.
    await conn.execute(
        "UPDATE idempotency_keys SET created_at = now() WHERE scope = $1 AND key = $2",
        scope, key,
    )
    return None


def _in_progress() -> Problem:
    return Problem(409, "Request in progress",
                   "A request with this Idempotency-Key is still being processed.",
                   headers={"Retry-After": "1"})
