"""Prometheus metrics every service exposes at `/metrics`.

What an operator watches: request rate, errors and latency per route template; consumer lag
per group and partition; events handled and dead-lettered; the outbox's backlog and the age of
its oldest unpublished event; the deadlines that are due but not yet fired. Services add their
own (flash-deal claims, WebSocket viewers) with the helpers here.

Every metric carries a `service` label, so one process hosting several services (the test
suites do) still reports each apart. With `HTTP_WORKERS` > 1, set `PROMETHEUS_MULTIPROC_DIR`
and the client library merges the workers' figures (see the README's operations section);
one worker per pod is the Kubernetes default and needs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
# A `_created` series per counter would double the scrape for nothing.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered, by route template and status.",
    ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
CONSUMER_LAG = Gauge(
    "kafka_consumer_lag", "Records on a partition not yet handled by the group (high-water "
    "mark minus the next offset to handle), as of the group's last fetch.",
    ["service", "group", "topic", "partition"], multiprocess_mode="livemax")
CONSUMED = Counter(
    "kafka_consumed_events_total", "Events a consumer group finished with, by outcome "
    "(handled, duplicate, ignored, dead_lettered).", ["service", "group", "outcome"])
DEAD_LETTERS = Counter(
    "dead_letters_total", "Records sent to a group's dead-letter topic, by original topic.",
    ["service", "group", "topic"])
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog", "Events written to the outbox and not yet published to Kafka.",
    ["service"], multiprocess_mode="livemax")
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_unpublished_age_seconds", "Age of the oldest unpublished outbox event "
    "(0 when none waits).", ["service"], multiprocess_mode="livemax")
DEADLINE_BACKLOG = Gauge(
    "deadlines_due_backlog", "Deadlines past their time and not yet fired, by kind.",
    ["service", "kind"], multiprocess_mode="livemax")
DEADLINE_OLDEST_OVERDUE = Gauge(
    "deadlines_oldest_overdue_seconds", "How long the most overdue unfired deadline has been "
    "due (0 when none is).", ["service"], multiprocess_mode="livemax")
FLASH_CLAIMS = Counter(
    "flash_deal_claims_total", "Flash-deal claim attempts, by outcome (granted, or the "
    "refusal's code).", ["service", "outcome"])
LIVE_VIEWERS = Gauge(
    "live_viewers", "Viewers connected to live sessions, by transport (websocket, sse).",
    ["service", "transport"], multiprocess_mode="livesum")

EVENT_LOOP_LAG = Histogram(
    "event_loop_lag_seconds", "How much later than asked the event loop woke a probe that slept "
    "for a fixed short time: the time every request and event waited for the loop "
    "(`libs.loop_lag`).", ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))

CONSUMER_CYCLE = Histogram(
    "kafka_consumer_cycle_seconds", "Where a consumer's time with records went, by phase: "
    "a poll that brought records (poll), applying a partition's records in the database, or a "
    "whole turn's with joined partitions (apply), committing offsets to the group (commit).",
    ["service", "group", "phase"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))

_UNMATCHED = "unmatched"
"""The route label of requests no route matched (404s of scanners), so a scan cannot mint a
label per path it tries."""


MAX_CACHED_SERIES = 4096


class RequestMetrics:
    """Counts and times every HTTP request by its route template (`/v1/products/{product_id}`,
    never the concrete path, which would grow a series per object)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        """The labelled counter and histogram of each (method, template, status): looking a
        child up by its labels costs more than the request's counting itself. Bounded by the
        routes, the methods the HTTP parser accepts and the statuses the service answers."""

    def _series_of(self, method: str, template: str, status: int) -> tuple[Any, Any]:
        key = (method, template, status)
        series = self._series.get(key)
        if series is None:
            series = (HTTP_REQUESTS.labels(self.service, method, template, str(status)),
                      HTTP_LATENCY.labels(self.service, method, template))
            if len(self._series) < MAX_CACHED_SERIES:
                self._series[key] = series
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or _UNMATCHED
            method = scope.get("method", "GET")
            requests, latency = self._series_of(method, template, status)
            requests.inc()
            latency.observe(time.perf_counter() - started)


def exposition(request: Request) -> Response:
    """The Prometheus text format of this process (or of all workers, in multiprocess mode)."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def sample_backlogs(pool: asyncpg.Pool, service: str, has_deadlines: bool) -> None:
    """Reads the outbox's and the deadlines' backlog into their gauges (one query each, on
    indexed columns)."""
    outbox = await pool.fetchrow(
        """SELECT count(*) AS waiting,
                  coalesce(extract(epoch FROM now() - min(occurred_at)), 0) AS oldest
           FROM outbox WHERE published_at IS NULL""")
    OUTBOX_BACKLOG.labels(service).set(outbox["waiting"])
    OUTBOX_OLDEST_AGE.labels(service).set(float(outbox["oldest"]))
    if not has_deadlines:
        return
    rows = await pool.fetch(
        """SELECT kind, count(*) AS due,
                  coalesce(extract(epoch FROM now() - min(next_at)), 0) AS overdue
           FROM deadlines WHERE done_at IS NULL AND next_at <= now() GROUP BY kind""")
    seen = {row["kind"]: row for row in rows}
    for kind in set(seen) | _KNOWN_KINDS.get(service, set()):
        DEADLINE_BACKLOG.labels(service, kind).set(seen[kind]["due"] if kind in seen else 0)
    _KNOWN_KINDS.setdefault(service, set()).update(seen)
    DEADLINE_OLDEST_OVERDUE.labels(service).set(
        max((float(row["overdue"]) for row in rows), default=0.0))


_KNOWN_KINDS: dict[str, set[str]] = {}
"""Kinds once seen due, so their gauge returns to 0 instead of keeping its last value."""


async def sample_periodically(sample: Callable[[], Awaitable[None]], every: float) -> None:
    """Runs `sample` every `every` seconds for as long as the service runs; a failed sample
    (the database restarting) is logged and the next one tried."""
    while True:
        try:
            await sample()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.info("metrics sample failed: %r", exc)
        await asyncio.sleep(every)


def record_claim(service: str, outcome: str) -> None:
    FLASH_CLAIMS.labels(service, outcome).inc()


def viewers(service: str, transport: str) -> Any:
    """The connected-viewers gauge of a service (`inc()` on connect, `dec()` on close)."""
    return LIVE_VIEWERS.labels(service, transport)
