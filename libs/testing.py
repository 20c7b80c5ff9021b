"""Helpers for tests of every service: dev tokens, in-process services, captured spans.

Test support only; imported by tests and the root conftest, never by a service.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from libs.auth.dev_token import mint

TEST_JWT_SECRET = "test-secret-" + secrets.token_hex(16)
TEST_CLAIM_SECRET = "test-claims-" + secrets.token_hex(16)
QUICK_TIMINGS: dict[str, float] = {"relay_poll_interval_seconds": 0.2,
                                   "consumer_retry_base_seconds": 0.05}
"""The services' settings every test instance runs with: a new consumer group replays the
topics' history, and a record that fails there is retried quickly."""
SPANS = InMemorySpanExporter()


def token(role: str | list[str], subject: str | None = None, **claims: Any) -> str:
    roles = [role] if isinstance(role, str) else role
    return mint(TEST_JWT_SECRET, subject=subject or f"user-{secrets.token_hex(4)}", roles=roles,
                **claims)


def bearer(role: str | list[str], subject: str | None = None, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject, **claims)}"}


def subject_of(headers: dict[str, str]) -> str:
    """The subject a test bearer token (from `bearer`) was minted for."""
    import jwt

    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def credited_source(orders_db: Any, sku_id: str, buyer: dict[str, str],
                          creator_id: str | None) -> dict[str, str]:
    """A cart line's `source` crediting `creator_id`, as live would sign it after the buyer
    tapped the product in a partner creator's session (empty without a creator)."""
    if creator_id is None:
        return {}
    from datetime import UTC, datetime, timedelta
    from uuid import UUID, uuid4

    from libs import attribution_tokens

    row = await orders_db.fetchrow(
        "SELECT product_id, seller_id FROM catalog_skus WHERE sku_id = $1", UUID(sku_id))
    if row is None:
        raise LookupError(f"orders does not know SKU {sku_id} yet")
    touch = attribution_tokens.Touch(
        touch_id=uuid4(), buyer_id=subject_of(buyer), product_id=row["product_id"],
        seller_id=row["seller_id"], session_id=uuid4(), video_id=None, creator_id=creator_id,
        expires_at=datetime.now(UTC) + timedelta(hours=1))
    return {"attribution_token": attribution_tokens.issue(TEST_CLAIM_SECRET, touch)}


def distinct_title(base: str) -> str:
    """A title moderation will not take for a near-duplicate of the seller's other listings.

    A short random suffix is not enough: two titles that share a long stem and differ in a
    few hex characters can cross the similarity threshold by chance.
    """
    return f"{base} {secrets.token_hex(16)}"


@dataclass
class Scratch:
    """A fresh schema with only the platform tables, and a pool on it."""

    pool: Any
    schema: str


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


@asynccontextmanager
async def run_service(app: FastAPI, *, wait_ready: bool = True) -> AsyncIterator[RunningService]:
    """The app with its lifespan (connections, migrations, relay, consumer), served in-process."""
    async with app.router.lifespan_context(app):
        if wait_ready:
            await asyncio.wait_for(app.state.runtime.started.wait(), timeout=90)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield RunningService(app, client)


@dataclass
class ServedService:
    """A service on a real port, for clients that need one (WebSocket, SSE, benchmarks)."""

    app: FastAPI
    base_url: str
    client: httpx.AsyncClient

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url.removeprefix("http")

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[ServedService]:
    """The app served by uvicorn on a free loopback port, lifespan included."""
    import uvicorn

    from libs.entrypoint import WEBSOCKET_OPTIONS

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                          lifespan="on", **WEBSOCKET_OPTIONS))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        runtime = getattr(app.state, "runtime", None)  # a plain app (a test receiver) has none
        if runtime is not None:
            await asyncio.wait_for(runtime.started.wait(), timeout=90)
        port = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield ServedService(app, base_url, client)
    finally:
        server.should_exit = True
        await task


async def eventually(probe: Any, *, timeout: float = 30, interval: float = 0.1) -> Any:
    """Polls `probe()` until it returns something truthy; its last value on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(interval)


async def retried_while_busy(send: Callable[[], Awaitable[httpx.Response]],
                             attempts: int = 30) -> httpx.Response:
    """`send()` again, after its Retry-After, while it is answered 503 with Retry-After (a shop
    turning a rush away for a moment), as a client app does; the last answer otherwise. The
    request should carry an Idempotency-Key, so a retry cannot place twice."""
    for _ in range(attempts - 1):
        answer = await send()
        if answer.status_code != 503 or "Retry-After" not in answer.headers:
            return answer
        await asyncio.sleep(float(answer.headers["Retry-After"]))
    return await send()


async def read_topic(
    bootstrap: str, topic: str, *, until: Any, timeout: float = 30,
) -> list[Any]:
    """Every record on `topic` from the beginning, read until `until(records)` holds or the
    timeout passes (then what was read). Uses no consumer group: it disturbs nothing."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        partitions: set[int] = set()
        while not partitions and asyncio.get_running_loop().time() < deadline:
            partitions = consumer.partitions_for_topic(topic) or set()
            if not partitions:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.2)
        assignment = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assignment)
        for partition in assignment:  # the local broker sometimes misreports the earliest
            consumer.seek(partition, 0)  # offset; 0 (or the earliest kept) never misses one
        while not until(records) and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


def header(record: Any, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode() if value is not None else None
    return None


async def metric_sum(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The sum of a service's `/metrics` samples named `name` whose labels include `labels`."""
    from prometheus_client.parser import text_string_to_metric_families

    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return sum(sample.value for family in text_string_to_metric_families(response.text)
               for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())
