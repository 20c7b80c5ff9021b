"""What turns a service's routers and handlers into a deployable: the FastAPI app, its
connections, migrations at start-up, the outbox relay and the consumer, health and readiness.

Start-up never crash-loops: connections and migrations are retried in the background while
`/readyz` answers 503 naming what is missing; `/healthz` only says the process is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as redis
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from libs import api_docs, metrics, openapi
from libs.auth.dependencies import ApiKeyResolver, Authenticator
from libs.auth.tokens import TokenVerifier
from libs.busy_gate import BusyCheck, BusyGate, InFlightLimit
from libs.consumer import BatchHandler, EventConsumer, Handler
from libs.db.housekeeping import Retention, run_periodically
from libs.db.migrations import upgrade_to_head
from libs.db.pool import create_pool
from libs.db.transaction import connection_lost
from libs.deadlines import DeadlineKind, DeadlineWorker
from libs.errors import Problem, install_problem_handlers
from libs.events.catalogue import TOPICS, all_event_types, dead_letter_topic
from libs.kafka import create_producer, ensure_topics
from libs.lean_routes import LeanRoutes
from libs.loop_lag import probe_loop_lag
from libs.outbox import OutboxRelay
from libs.rate_limit import api_key_budget
from libs.request_guard import RequestGuard
from libs.retry import backoff
from libs.settings import ServiceSettings
from libs.telemetry import configure_logging, configure_tracing, instrument_app

log = logging.getLogger(__name__)


@dataclass
class ServiceDefinition:
    name: str
    description: str
    settings: ServiceSettings
    migrations_dir: Path
    routers: list[APIRouter] = field(default_factory=list)
    handlers: Mapping[str, Handler] | Callable[[Runtime], Mapping[str, Handler]] = field(
        default_factory=dict)
    """By event type; or built from the runtime once it has connected (handlers that need a
    service's own collaborators are given them, not left to find them in a module)."""
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    """Event types also decided many at a time (see `EventConsumer`)."""
    join_partitions: bool = False
    """Apply a poll's partitions as one batch first (see `EventConsumer`): for a service whose
    events of different partitions write the same hot rows."""
    api_key_resolver: Callable[[Runtime], ApiKeyResolver] | None = None
    on_start: Callable[[Runtime], None] | None = None
    """Runs once the connections exist, before any handler or task does."""
    on_stop: Callable[[Runtime], Awaitable[None]] | None = None
    """Runs first when the service stops (close what `on_start` opened)."""
    background: Mapping[str, Callable[[Runtime], Awaitable[None]]] = field(default_factory=dict)
    """Long-running work of the service (job workers), supervised like the consumer."""
    deadline_kinds: Callable[[Runtime], list[DeadlineKind]] | None = None
    """What the service's deadlines do when due; fired by a `DeadlineWorker` on every instance."""
    busy_routes: Sequence[tuple[str, str]] = ()
    """(method, path template) of the routes `busy_check` may refuse (`libs.busy_gate`)."""
    busy_check: BusyCheck | None = None
    busy_limit: InFlightLimit | None = None
    """How many of `busy_routes`' requests are served at once, and how long the others wait
    for a turn before they too are answered busy."""


class Runtime:
    """The service's live connections; reachable from routes as `request.app.state.runtime`."""

    def __init__(self, definition: ServiceDefinition) -> None:
        self.definition = definition
        self.settings = definition.settings
        self.pool: asyncpg.Pool | None = None
        self.worker_pool: asyncpg.Pool | None = None
        """A separate pool for the consumer, the relay and background work, so a burst of
        HTTP requests cannot starve the pipeline that moves the business forward."""
        # redis-py's default pool holds one lock across a connection's readiness check, which
        # waits a turn of the event loop: under load, concurrent commands queued behind each
        # other there (a refill of the product cache, 32 at once, went from ~3 ms to tens).
        # The blocking pool checks outside its lock, and bounds the connections it opens.
        self.redis: redis.Redis = redis.Redis.from_pool(redis.BlockingConnectionPool.from_url(
            self.settings.redis_url, max_connections=self.settings.redis_max_connections,
            timeout=2, socket_connect_timeout=2, socket_timeout=2))
        self.producer: AIOKafkaProducer | None = None
        self._renewing = asyncio.Lock()
        self.relay: OutboxRelay | None = None
        self.consumer: EventConsumer | None = None
        self.handlers: Mapping[str, Handler] = {}
        self.deadline_worker: DeadlineWorker | None = None
        self.started = asyncio.Event()
        self.startup_error: str | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._task_errors: dict[str, str] = {}
        self._graceful: set[str] = set()
        self.components: dict[str, Any] = {}
        """Service-specific collaborators built in `on_start` (a service's own Redis scripts,
        its real-time hub), for its routes to reach through the runtime."""

    @property
    def consumer_group(self) -> str:
        return self.settings.consumer_group or self.definition.name

    @property
    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise Problem(503, "Service unavailable", "The database is not connected yet.",
                          headers={"Retry-After": "2"})
        return self.pool

    @property
    def worker_db(self) -> asyncpg.Pool:
        """The pool for consumers, relays and background tasks (see `worker_pool`)."""
        if self.worker_pool is None:
            raise Problem(503, "Service unavailable", "The database is not connected yet.",
                          headers={"Retry-After": "2"})
        return self.worker_pool

    async def start(self) -> None:
        """Connect, migrate and start background work, retrying until everything answers."""
        attempt = 0
        while True:
            try:
                await self._start_once()
                self.startup_error = None
                _tune_garbage_collection()
                self.started.set()
                log.info("%s ready", self.definition.name)
                return
            except Exception as exc:
                attempt += 1
                delay = backoff(attempt, cap=10.0)
                self.startup_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s start-up failed, retrying in %.1fs: %s",
                            self.definition.name, delay, self.startup_error)
                await asyncio.sleep(delay)

    async def _start_once(self) -> None:
        s = self.settings
        schema = s.schema_name
        if self.pool is None:
            self.pool = await create_pool(s.database_url, schema,
                                          application_name=self.definition.name,
                                          max_size=s.db_pool_max_size)
        if self.worker_pool is None:
            self.worker_pool = await create_pool(
                s.database_url, schema, application_name=f"{self.definition.name}-worker",
                max_size=s.db_worker_pool_max_size)
        await asyncio.to_thread(upgrade_to_head, self.definition.migrations_dir,
                                s.database_url, schema)
        if self.producer is None:
            producer = create_producer(s.kafka_bootstrap_servers, self.definition.name,
                                       idempotent=s.kafka_idempotent_producer)
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self.producer = producer
        if self.definition.on_start is not None:
            self.definition.on_start(self)
        handlers = self.definition.handlers
        self.handlers = handlers(self) if callable(handlers) else handlers
        await ensure_topics(s.kafka_bootstrap_servers, self._topics(),
                            partitions=s.kafka_topic_partitions)
        for name, work in self.definition.background.items():
            self._supervise(name, lambda work=work: work(self))  # type: ignore[misc]
        retention = Retention(s.retention_published_outbox_hours, s.retention_inbox_hours,
                              s.retention_idempotency_key_hours)
        pool = self.worker_pool
        self._supervise("housekeeping", lambda: run_periodically(pool, retention))
        sample = partial(metrics.sample_backlogs, pool, self.definition.name,
                         self.definition.deadline_kinds is not None)
        self._supervise("metrics", lambda: metrics.sample_periodically(
            sample, s.metrics_sample_seconds))
        self._supervise("loop-lag", lambda: probe_loop_lag(self.definition.name))
        if s.run_relay:
            self.relay = OutboxRelay(self.worker_pool, self.producer, schema=schema,
                                     poll_interval=s.relay_poll_interval_seconds,
                                     renew_producer=self.renew_producer)
            self._supervise("outbox-relay", self.relay.run, graceful=True)
        if self.definition.deadline_kinds is not None:
            self.deadline_worker = DeadlineWorker(
                self.worker_pool, self.definition.deadline_kinds(self), schema=schema,
                concurrency=s.deadline_concurrency, lease_seconds=s.deadline_lease_seconds,
                max_hold_seconds=s.deadline_max_hold_seconds,
                poll_interval=s.deadline_poll_interval_seconds)
            self._supervise("deadlines", self.deadline_worker.run, graceful=True)
        if s.run_consumers and self.handlers:
            self.consumer = EventConsumer(
                pool=self.worker_pool, bootstrap_servers=s.kafka_bootstrap_servers,
                group=self.consumer_group, handlers=self.handlers,
                batch_handlers=self.definition.batch_handlers, producer=self.producer,
                join_partitions=self.definition.join_partitions,
                max_attempts=s.consumer_max_attempts,
                retry_base_seconds=s.consumer_retry_base_seconds,
                fetch_max_wait_ms=s.kafka_fetch_max_wait_ms,
                service=self.definition.name, renew_producer=self.renew_producer,
            )
            self._supervise("consumer", self.consumer.run, graceful=True)

    async def renew_producer(self, stuck: AIOKafkaProducer) -> AIOKafkaProducer:
        """A new Kafka producer in place of `stuck`, which can no longer send (see
        `libs.kafka.PRODUCER_STUCK_ERRORS`), for the relay and the consumer's dead letters
        alike; if one of them already replaced it, the replacement. The stuck one is stopped
        without waiting long: what it still holds fails and is retried."""
        async with self._renewing:
            if self.producer is not stuck and self.producer is not None:
                return self.producer
            s = self.settings
            renewed = create_producer(s.kafka_bootstrap_servers, self.definition.name,
                                      idempotent=s.kafka_idempotent_producer)
            await renewed.start()
            self.producer = renewed
            log.warning("%s: replaced its stuck Kafka producer", self.definition.name)
        if self.consumer is not None:
            self.consumer.use_producer(renewed)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(stuck.stop(), timeout=5)
        return renewed

    def _topics(self) -> list[str]:
        produced = [t.name for t in TOPICS.values() if t.produced_by(self.definition.name)]
        known = all_event_types()
        consumed = [known[t].topic for t in self.handlers]
        dlq = [dead_letter_topic(self.consumer_group)] if self.handlers else []
        return produced + consumed + dlq

    def _supervise(self, name: str, work: Callable[[], Awaitable[None]], *,
                   graceful: bool = False) -> None:
        """Run `work` until it returns, restarting it with backoff when it crashes. `graceful`
        tasks have their own stop signal and are given time to finish at shutdown."""
        if graceful:
            self._graceful.add(name)

        async def supervised() -> None:
            crashes = 0
            while True:
                started_at = time.monotonic()
                try:
                    await work()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._task_errors[name] = type(exc).__name__  # details: the logs
                    if connection_lost(exc):  # a Postgres restart, not a defect
                        log.warning("%s lost its database connection; restarting: %r",
                                    name, exc)
                    else:
                        log.exception("%s crashed; restarting", name)
                crashes = 1 if time.monotonic() - started_at > 60 else crashes + 1
                await asyncio.sleep(backoff(crashes, cap=30.0))

        self._tasks[name] = asyncio.create_task(supervised(), name=name)

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}

        async def check(name: str, probe: Callable[[], Awaitable[object]]) -> None:
            try:
                await asyncio.wait_for(probe(), timeout=2)
                checks[name] = "ok"
            except Exception as exc:  # the kind of failure only: its text stays in the logs
                checks[name] = f"unavailable: {type(exc).__name__}"
                log.info("readiness: %s unavailable: %s", name, exc)

        async def postgres() -> None:
            assert self.pool is not None, "not connected"
            await self.pool.fetchval("SELECT 1")

        async def kafka() -> None:
            assert self.producer is not None, "not connected"
            if not await self.producer.client.fetch_all_metadata():
                raise RuntimeError("no metadata")

        async def redis_ping() -> None:
            await self.redis.ping()  # type: ignore[misc]

        await asyncio.gather(check("postgres", postgres), check("redis", redis_ping),
                             check("kafka", kafka))
        if not self.started.is_set():
            checks["startup"] = ("failing, retrying (see the logs)" if self.startup_error
                                 else "starting")
        for name, task in self._tasks.items():
            if task.done():
                checks[name] = "stopped"
        checks.update({f"{name}_last_error": err for name, err in self._task_errors.items()})
        return checks

    async def stop(self) -> None:
        if self.definition.on_stop is not None and self.started.is_set():
            with contextlib.suppress(Exception):
                await self.definition.on_stop(self)
        if self.consumer is not None:
            self.consumer.stop()
        if self.relay is not None:
            self.relay.stop()
        if self.deadline_worker is not None:
            self.deadline_worker.stop()
        for name, task in self._tasks.items():
            if name in self._graceful:  # told to stop above: let it finish what it holds
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=5)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.producer is not None:
            await self.producer.stop()
        for pool in (self.pool, self.worker_pool):
            if pool is not None:
                await pool.close()
        await self.redis.aclose()


def _tune_garbage_collection() -> None:
    """Full collections scan every tracked object, so their pauses grow with the heap (about
    100 ms at a few hundred thousand objects, seen as p99 latency). Objects alive after
    start-up (modules, pools, caches) are frozen out of collection, and young collections run
    less often, as long-running servers commonly do."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings
    configure_logging(definition.name, settings.log_level)
    configure_tracing(definition.name, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(definition)
        app.state.runtime = runtime
        resolver = definition.api_key_resolver(runtime) if definition.api_key_resolver else None
        app.state.authenticator = Authenticator(TokenVerifier(settings), resolver,
                                                partial(api_key_budget, runtime))
        starter = asyncio.create_task(runtime.start(), name="startup")
        try:
            yield
        finally:
            starter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starter
            await runtime.stop()

    app = FastAPI(title=f"{definition.name} service", description=definition.description,
                  version="1.0.0", lifespan=lifespan, root_path=settings.root_path,
                  docs_url=None, redoc_url=None)
    api_docs.install(app)
    install_problem_handlers(app)
    app.add_middleware(LeanRoutes, application=app)  # innermost: the guard and metrics apply
    if definition.busy_check is not None or definition.busy_limit is not None:
        app.add_middleware(BusyGate, application=app, routes=definition.busy_routes,
                           check=definition.busy_check, limit=definition.busy_limit)
    app.add_middleware(RequestGuard)
    app.add_middleware(metrics.RequestMetrics, service=definition.name)
    openapi.install(app)
    instrument_app(app)
    app.add_api_route("/metrics", metrics.exposition, methods=["GET"], include_in_schema=False)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers.")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": definition.name}

    @app.get("/readyz", tags=["operations"],
             summary="Readiness: Postgres, Redis and Kafka reachable, start-up finished.")
    async def readyz() -> JSONResponse:
        checks = await app.state.runtime.readiness()
        ready = all(v == "ok" for k, v in checks.items() if not k.endswith("_last_error"))
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)

    for router in definition.routers:
        app.include_router(router)
    return app
