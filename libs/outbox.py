"""Transactional outbox and its relay.

`enqueue` writes events in the caller's transaction, so an event exists exactly when the state
change that caused it was committed. `OutboxRelay` publishes them: woken by LISTEN/NOTIFY (the
notification is delivered at commit), polling as a fallback, rows claimed with
`FOR UPDATE SKIP LOCKED` so any number of relays can run side by side. A record is marked
published only after Kafka acknowledged it; a failed send is retried with backoff. Events of one
key are published in the order they were written, even with several relays.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace

from libs.db.notify import WakeableLoop
from libs.events.base import Event
from libs.events.envelope import Envelope, to_kafka
from libs.kafka import PRODUCER_STUCK_ERRORS
from libs.retry import backoff

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

_INSERT = """
WITH next AS (
    INSERT INTO event_sequences AS s (topic, key, last) VALUES ($2, $3, 1)
    ON CONFLICT (topic, key) DO UPDATE SET last = s.last + 1
    RETURNING last
), written AS (
    INSERT INTO outbox (event_id, topic, event_key, event_type, dataschema, source, payload,
                        trace, sequence)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, next.last FROM next
    RETURNING sequence
)
SELECT sequence, pg_notify('outbox_' || current_schema(), '') FROM written
"""
"""One round trip per event: the aggregate's next sequence number, the outbox row, and the
relay's wake-up (delivered at commit; Postgres folds a transaction's identical notifications
into one)."""


_INSERT_MANY = """
WITH input AS (
    SELECT *, row_number() OVER (PARTITION BY topic, event_key ORDER BY position) AS nth,
           count(*) OVER (PARTITION BY topic, event_key) AS of_key
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[])
         WITH ORDINALITY AS i(event_id, topic, event_key, event_type, dataschema, source,
                              payload, trace, position)
), next AS (
    INSERT INTO event_sequences AS s (topic, key, last)
    SELECT topic, event_key, count(*) FROM input GROUP BY topic, event_key
    ORDER BY topic, event_key
    ON CONFLICT (topic, key) DO UPDATE SET last = s.last + EXCLUDED.last
    RETURNING topic, key, last
), written AS (
    INSERT INTO outbox (event_id, topic, event_key, event_type, dataschema, source, payload,
                        trace, sequence)
    SELECT i.event_id::uuid, i.topic, i.event_key, i.event_type, i.dataschema, i.source,
           i.payload::jsonb, i.trace::jsonb, next.last - i.of_key + i.nth
    FROM input i JOIN next ON next.topic = i.topic AND next.key = i.event_key
    ORDER BY i.position
    RETURNING sequence
)
SELECT count(*), pg_notify('outbox_' || current_schema(), '') FROM written
"""
"""Many events in one round trip, written in the order given: each aggregate's counter moves
on by its number of events here (counters taken in one order, so two writers cannot deadlock),
and its events take the numbers in turn."""


def notify_channel(schema: str) -> str:
    return f"outbox_{schema}"


async def enqueue(conn: asyncpg.Connection, source: str, *events: Event) -> list[str]:
    """Record events in the current transaction; returns their event ids.

    Each event gets the next sequence number of its aggregate on its topic (1, 2, 3...). The
    counter row stays locked until this transaction ends, so a concurrent transaction writing
    the same aggregate takes the next number and a later outbox position: a key's publish
    order (outbox order) and its sequence order are the same."""
    if not conn.is_in_transaction():
        raise RuntimeError("enqueue() must run inside the transaction of the state change")
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    envelopes = [Envelope.wrap(event, source=source, trace=carrier) for event in events]
    if len(envelopes) > 1:
        await conn.fetchval(
            _INSERT_MANY, [e.id for e in envelopes], [event.topic for event in events],
            [e.key for e in envelopes], [e.type for e in envelopes],
            [e.dataschema for e in envelopes], [source] * len(envelopes),
            [json.dumps(e.data, default=str) for e in envelopes],
            [json.dumps(e.trace) for e in envelopes])
        return [e.id for e in envelopes]
    for event, envelope in zip(events, envelopes, strict=True):
        await conn.fetchval(
            _INSERT, envelope.id, event.topic, envelope.key, envelope.type, envelope.dataschema,
            source, envelope.data, envelope.trace,
        )
    return [e.id for e in envelopes]


def _publishable(claimed: list[asyncpg.Record], pending: list[asyncpg.Record]) -> list[asyncpg.Record]:
    """Of the claimed rows, those whose every earlier pending row of the same key is also ours:
    a key's later event never overtakes an earlier one held by another relay or in backoff."""
    mine = {row["seq"] for row in claimed}
    by_key: dict[str, list[int]] = defaultdict(list)
    for row in pending:
        by_key[row["event_key"]].append(row["seq"])
    allowed: set[int] = set()
    for seqs in by_key.values():
        for seq in sorted(seqs):
            if seq not in mine:
                break
            allowed.add(seq)
    return [row for row in claimed if row["seq"] in allowed]


def _kafka_auto_instrumented() -> bool:
    try:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    except ImportError:  # pragma: no cover
        return False
    return bool(AIOKafkaInstrumentor().is_instrumented_by_opentelemetry)


class OutboxRelay:
    def __init__(
        self, pool: asyncpg.Pool, producer: AIOKafkaProducer, *, schema: str,
        batch_size: int = 500, poll_interval: float = 1.0, max_backoff: float = 60.0,
        renew_producer: Callable[[AIOKafkaProducer], Awaitable[AIOKafkaProducer]] | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._renew_producer = renew_producer
        """Called when a publish fails in a way the producer never recovers from
        (`libs.kafka.PRODUCER_STUCK_ERRORS`), with the stuck one: the relay goes on with the
        producer it returns."""
        self._schema = schema
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._loop = WakeableLoop(pool, notify_channel(schema), "outbox relay")
        self.published = 0

    def stop(self) -> None:
        self._loop.stop()

    async def run(self) -> None:
        async def step() -> bool:
            return await self.publish_batch() >= self._batch_size

        async def idle() -> float:
            return self._poll_interval

        await self._loop.run(step, idle)

    async def publish_batch(self) -> int:
        """Publish one batch; returns how many records were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await conn.fetch(
                """SELECT seq, event_id, topic, event_key, event_type, dataschema, source, payload,
                          trace, occurred_at, attempts, sequence
                   FROM outbox
                   WHERE published_at IS NULL AND next_attempt_at <= now()
                   ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED""",
                self._batch_size,
            )
            if not claimed:
                return 0
            pending = await conn.fetch(
                """SELECT seq, event_key FROM outbox
                   WHERE published_at IS NULL AND event_key = ANY($1::text[])""",
                list({row["event_key"] for row in claimed}),
            )
            batch = _publishable(claimed, pending)
            # Enqueue in order (send() returns once the record is in the producer's batch), then
            # wait for every acknowledgement.
            deliveries: list[asyncio.Future[Any]] = []
            for row in batch:
                try:
                    deliveries.append(await self._send(row))
                except Exception as exc:
                    failed_now: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                    failed_now.set_exception(exc)
                    deliveries.append(failed_now)
            results = await asyncio.gather(*deliveries, return_exceptions=True)
            done = [row["seq"] for row, res in zip(batch, results, strict=True)
                    if not isinstance(res, BaseException)]
            failed = [(row, res) for row, res in zip(batch, results, strict=True)
                      if isinstance(res, BaseException)]
            if done:
                await conn.execute(
                    "UPDATE outbox SET published_at = now(), attempts = attempts + 1 "
                    "WHERE seq = ANY($1::bigint[])", done,
                )
            for row, error in failed:
                delay = backoff(row["attempts"] + 1, cap=self._max_backoff)
                log.warning("outbox relay: publish of %s failed (attempt %d): %r",
                            row["event_id"], row["attempts"] + 1, error)
                await conn.execute(
                    """UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                       next_attempt_at = now() + make_interval(secs => $3) WHERE seq = $1""",
                    row["seq"], repr(error)[:1000], delay,
                )
        stuck = next((error for _, error in failed if isinstance(error, PRODUCER_STUCK_ERRORS)),
                     None)
        if stuck is not None and self._renew_producer is not None:
            log.warning("outbox relay: the producer is stuck (%r); replacing it", stuck)
            self._producer = await self._renew_producer(self._producer)
        self.published += len(done)
        return len(done)

    async def _send(self, row: asyncpg.Record) -> asyncio.Future[Any]:
        parent = propagate.extract(row["trace"] or {})
        with tracer.start_as_current_span(
            f"outbox publish {row['event_type']}", context=parent, kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": row["topic"],
                        "messaging.message.id": str(row["event_id"])},
        ):
            carrier: dict[str, str] = {}
            if not _kafka_auto_instrumented():
                propagate.inject(carrier)
            envelope = Envelope(
                id=str(row["event_id"]), type=row["event_type"], source=row["source"],
                key=row["event_key"], data=row["payload"], time=row["occurred_at"],
                dataschema=row["dataschema"], trace=carrier, sequence=row["sequence"],
            )
            key, value, headers = to_kafka(envelope)
            delivery: asyncio.Future[Any] = await self._producer.send(
                row["topic"], value=value, key=key, headers=headers)
            return delivery
