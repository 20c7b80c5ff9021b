"""Delivering: signed with the Standard Webhooks scheme, to the address checked, concurrently
across endpoints and bounded per endpoint, retried on the schedule in `domain/retries.py`.

2xx is success. 410 Gone disables the endpoint at once. Anything else (an error status, a
timeout, a refused connection, a forbidden address) is retried until the schedule ends, and an
endpoint failing for longer than `disable_after_seconds` is disabled (`endpoint.disabled`).
Each attempt is logged with its status, latency and the first bytes of the response.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
import httpx

from libs.db.transaction import transaction
from libs.events.schemas.webhooks import EndpointDisabled
from libs.outbox import enqueue
from services.webhooks.adapters import repository, signing
from services.webhooks.adapters.secrets_box import SecretBox
from services.webhooks.domain import addresses, retries
from services.webhooks.settings import WebhooksSettings

log = logging.getLogger(__name__)
LEASE_SECONDS = 120


def body_of(row: dict[str, Any]) -> str:
    """What a receiver gets: the Standard Webhooks body, plus the event's id and its place
    among its aggregate's events (`sequence`: 1, 2, 3... per order, product, shipment)."""
    return json.dumps({"type": row["type"], "timestamp": row["occurred_at"].isoformat(),
                       "event_id": str(row["event_id"]), "aggregate_id": row["aggregate_id"],
                       "sequence": row["sequence"], "data": row["data"]},
                      separators=(",", ":"))


def signature_headers(secrets: list[str], msg_id: str, at: datetime, body: str) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and one signature per secret or key (two during a
    rotation's overlap): `v1,` HMAC by the reference implementation, or `v1a,` Ed25519."""
    signatures = " ".join(signing.sign(s, msg_id, at, body) for s in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures, "content-type": "application/json",
            "user-agent": "socialcommerce-webhooks/1"}


class Deliverer:
    """The delivery loop of one instance (a supervised background task)."""

    def __init__(self, pool: asyncpg.Pool, settings: WebhooksSettings) -> None:
        self.pool, self.settings = pool, settings
        self.box = SecretBox(settings.secret_key())
        self.slots = asyncio.Semaphore(settings.delivery_concurrency)
        self.per_endpoint: dict[UUID, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_endpoint_concurrency))
        self.client = httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(
            settings.total_timeout_seconds, connect=settings.connect_timeout_seconds))
        self.running: set[asyncio.Task[None]] = set()
        self.freed = asyncio.Event()
        """Set when a delivery finishes: its endpoint has a free slot, so lease again at once."""

    async def run(self) -> None:
        try:
            while True:
                free = self.settings.delivery_concurrency - len(self.running)
                leased = await repository.lease_due(
                    self.pool, free, LEASE_SECONDS,
                    self.settings.per_endpoint_concurrency) if free else []
                for row in leased:
                    task = asyncio.create_task(self._deliver(row))
                    self.running.add(task)
                    task.add_done_callback(self.running.discard)
                if not leased:
                    self.freed.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.freed.wait(),
                                               self.settings.poll_interval_seconds)
        finally:
            await self.client.aclose()

    async def _deliver(self, row: dict[str, Any]) -> None:
        async with self.slots, self.per_endpoint[row["endpoint_id"]]:
            try:
                await self._attempt(row)
            except Exception:  # a bug must not kill the loop; the lease expires and it retries
                log.exception("delivery %s failed unexpectedly", row["id"])
            finally:
                self.freed.set()

    async def _attempt(self, row: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        if not row["active"]:
            async with transaction(self.pool) as conn:
                await repository.finish(conn, row["id"], status="failed",
                                        attempts=row["attempts"], next_at=None, last_status=None)
            return
        secrets = [self.box.open(row["secret"])]
        if row["old_secret"] is not None and row["old_secret_until"] and \
                row["old_secret_until"] > now:
            secrets.append(self.box.open(row["old_secret"]))
        body = body_of(row)
        headers = signature_headers(secrets, f"msg_{row['event_id']}", now, body)
        began = time.perf_counter()
        status, text, error, retry_after = await self._post(row["url"], headers, body)
        latency = int((time.perf_counter() - began) * 1000)
        await self._record(row, status, text, error, retry_after, latency)

    async def _post(self, url: str, headers: dict[str, str],
                    body: str) -> tuple[int | None, str | None, str | None, float | None]:
        """(status, response start, error, Retry-After) of one POST to the checked address."""
        dev = self.settings.dev_mode
        try:
            scheme, host, port = addresses.check_url(url, dev_mode=dev)
            infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                                 type=socket.SOCK_STREAM)
            address = addresses.check_addresses([i[4][0] for i in infos], dev_mode=dev)
        except addresses.ForbiddenAddress as exc:
            return None, None, f"refused: {exc}", None
        except (OSError, UnicodeError, ValueError) as exc:
            return None, None, f"DNS: {exc}"[:300], None
        parts = urlsplit(url)
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        pinned = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        try:
            async with self.client.stream(
                    "POST", pinned, content=body.encode(),
                    headers={**headers, "host": parts.netloc.rpartition("@")[2]},
                    extensions={"sni_hostname": host}) as response:
                kept = b""
                async for chunk in response.aiter_bytes():
                    kept += chunk
                    if len(kept) >= self.settings.response_body_limit_bytes:
                        break
                text = kept[:self.settings.response_body_limit_bytes].decode(errors="replace")
                return (response.status_code, text, None,
                        retries.retry_after_seconds(response.headers.get("retry-after")))
        except httpx.TimeoutException:
            return None, None, "timed out", None
        except httpx.HTTPError as exc:
            return None, None, f"{type(exc).__name__}: {exc}"[:300], None

    async def _record(self, row: dict[str, Any], status: int | None, text: str | None,
                      error: str | None, retry_after: float | None, latency: int) -> None:
        attempts = row["attempts"] + 1
        now = datetime.now(UTC)
        ok = status is not None and 200 <= status < 300
        gone = status == 410
        delay = None if ok or gone else retries.next_delay(
            attempts, scale=self.settings.retry_scale, retry_after=retry_after)
        next_at = now + timedelta(seconds=delay) if delay is not None else None
        async with transaction(self.pool) as conn:
            await repository.add_attempt(conn, row["id"], url=row["url"], status_code=status,
                                         latency_ms=latency, response=text, error=error,
                                         next_at=next_at)
            await repository.finish(conn, row["id"], status="succeeded" if ok else (
                "pending" if next_at else "failed"), attempts=attempts, next_at=next_at,
                last_status=status)
            if ok:
                if row["failing_since"] is not None:
                    await repository.update_endpoint(conn, row["endpoint_id"],
                                                     failing_since=None)
                return
            failing_since = row["failing_since"] or now
            if row["failing_since"] is None:
                await repository.update_endpoint(conn, row["endpoint_id"],
                                                 failing_since=failing_since)
            too_long = (now - failing_since).total_seconds() > self.settings.disable_after_seconds
            if gone or too_long:
                await disable(conn, row["endpoint_id"], "the endpoint answered 410 Gone" if gone
                              else "deliveries kept failing")


async def disable(conn: asyncpg.Connection, endpoint_id: UUID, reason: str) -> bool:
    """Stops deliveries to an endpoint and tells its seller; False when it already was."""
    found = await repository.endpoint(conn, endpoint_id, for_update=True)
    if found is None or not found["active"]:
        return False
    await repository.update_endpoint(conn, endpoint_id, active=False, disabled_reason=reason)
    await enqueue(conn, "webhooks", EndpointDisabled(
        endpoint_id=endpoint_id, seller_id=found["seller_id"], url=found["url"], reason=reason,
        disabled_at=datetime.now(UTC)))
    return True
