"""How the consumer applies a partition's records many to a transaction.

At once, the common case, in the fewest statements (`apply_at_once`): one transaction for the
batch, one inbox statement for all its records, and no savepoint per record. A savepoint costs
two round trips and the inbox one, per record, which on the services that only keep a view of
others' events was as much as the handler itself. When no handler fails, a batch costs its
handlers' statements and a commit. When one does, everything is rolled back and the result says
which record failed; the consumer then re-applies the records before it and deals with that one
alone (`libs.consumer`), so the outcome is the same as with a savepoint per record, at the price
of applying a prefix twice in the rare failing batch. Handlers are already written for
redelivery (at-least-once from Kafka), so doing their work again after a rollback changes
nothing they did not already have to allow for.

Across partitions (`merge_partitions`): the consumer first tries a poll's partitions as one batch,
each partition's records in its order, the records that share a batch handler brought together
where those orders allow, so a run is as long as the poll makes possible.

In savepoints (`apply_in_savepoints`): a savepoint per record, so a failing record is rolled
back alone and the batch goes on past a run whose batch handler failed, one record at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from opentelemetry import trace

from libs import inbox
from libs.consumed_record import (
    BatchHandler,
    Decoded,
    Handler,
    NonRetryable,
    consume_span,
    decode,
    run_end,
)
from libs.db.transaction import savepoint, transaction

log = logging.getLogger("libs.consumer")
tracer = trace.get_tracer("libs.consumer")


@dataclass
class AtOnce:
    """What `apply_at_once` did. Committed: `taken` records from the front, with the outcome of
    each readable one and the unreadable ones still to dead-letter. Rolled back: `failed_at` (the
    record whose handler raised `error`, None if the transaction itself failed) and whether it
    was in a batch handler's run, whose culprit is not known."""

    taken: int = 0
    outcomes: list[str] = field(default_factory=list)
    unreadable: list[tuple[ConsumerRecord[Any, Any], str]] = field(default_factory=list)
    batched: int = 0
    error: BaseException | None = None
    failed_at: int | None = None
    in_run: bool = False


def merge_partitions(partitions: Sequence[list[ConsumerRecord[Any, Any]]],
                     batch_handlers: Mapping[str, BatchHandler],
                     handled: Container[str] | None = None) -> list[ConsumerRecord[Any, Any]]:
    """All the records in one list that keeps each partition's order (partitions are
    independent, so any interleaving is as valid as another) and, of those, the one with the
    longest runs: it takes from every partition the records at its head that share the current
    batch handler before moving on, and with them the events the consumer ignores (types not
    in `handled`), which do not cut a run (`run_end`). Any prefix of the list is a prefix of
    each partition."""
    queues = [deque(records) for records in partitions if records]
    merged: list[ConsumerRecord[Any, Any]] = []
    while queues:
        kind = _batch_handler_of(queues[0][0], batch_handlers)
        for queue in queues:
            while queue and (_batch_handler_of(queue[0], batch_handlers) is kind
                             or (handled is not None and _type_of(queue[0]) not in handled)):
                merged.append(queue.popleft())
        queues = [queue for queue in queues if queue]
    return merged


def _type_of(record: ConsumerRecord[Any, Any]) -> str | None:
    """The CloudEvents type header, without decoding the record: only an ordering hint."""
    for name, value in record.headers or ():
        if name == "ce_type":
            return str(value.decode(errors="replace"))
    return None


def _batch_handler_of(record: ConsumerRecord[Any, Any],
                      batch_handlers: Mapping[str, BatchHandler]) -> BatchHandler | None:
    kind = _type_of(record)
    return None if kind is None else batch_handlers.get(kind)


class _HandlerFailed(Exception):
    def __init__(self, position: int, error: BaseException, in_run: bool) -> None:
        super().__init__(position)
        self.position, self.error, self.in_run = position, error, in_run


async def apply_at_once(pool: asyncpg.Pool, group: str, records: list[ConsumerRecord[Any, Any]],
                        handlers: Mapping[str, Handler],
                        batch_handlers: Mapping[str, BatchHandler],
                        budget_seconds: float) -> AtOnce:
    """Applies `records` in order in one transaction, stopping early (and committing what came
    before) once `budget_seconds` have passed, so row locks are held no longer than that."""
    decoded = [decode(record, handlers) for record in records]
    readable = [(i, d) for i, d in enumerate(decoded) if isinstance(d, Decoded)]
    done = AtOnce()
    try:
        async with transaction(pool) as conn:
            outcome_at = await _claim(conn, group, readable)
            started, position = time.monotonic(), 0
            while position < len(records):
                if position and time.monotonic() - started > budget_seconds:
                    await _unclaim(conn, group, readable, outcome_at, position)
                    break
                position = await _apply_from(conn, position, decoded, records, outcome_at,
                                             batch_handlers, group, done)
            done.taken = position
    except _HandlerFailed as failed:
        return AtOnce(error=failed.error, failed_at=failed.position, in_run=failed.in_run)
    except Exception as exc:  # the commit or the connection: nothing is known to be applied
        return AtOnce(error=exc)
    return done


async def _claim(conn: asyncpg.Connection, group: str, readable: list[tuple[int, Decoded]],
                 ) -> dict[int, str]:
    """The inbox rows of every readable record, in one statement: each record's outcome by
    position, "handled" at an event's first delivery in the batch and "duplicate" for one
    applied before or earlier in the batch."""
    outcomes, _ = await inbox.first_times(conn, group, [d for _, d in readable])
    return {i: outcome for (i, _), outcome in zip(readable, outcomes, strict=True)}


async def _unclaim(conn: asyncpg.Connection, group: str, readable: list[tuple[int, Decoded]],
                   outcome_at: dict[int, str], stop: int) -> None:
    """The budget ran out before `stop`: the inbox rows claimed for records from there on are
    taken back, so those records are applied, not skipped, when they come round again (an
    event first delivered before `stop` keeps its row: a later copy is a duplicate anyway)."""
    untaken = [d.envelope.id for i, d in readable if i >= stop and outcome_at[i] == "handled"]
    if untaken:
        await conn.execute("DELETE FROM inbox WHERE consumer_group = $1 "
                           "AND event_id = ANY($2::text[])", group, untaken)


async def _apply_from(conn: asyncpg.Connection, position: int, decoded: list[Decoded | str | None],
                      records: list[ConsumerRecord[Any, Any]], outcome_at: dict[int, str],
                      batch_handlers: Mapping[str, BatchHandler], group: str,
                      done: AtOnce) -> int:
    """Applies the record at `position` (or the run of its type starting there) and returns
    the position after it."""
    item = decoded[position]
    if isinstance(item, str):
        done.unreadable.append((records[position], item))
        return position + 1
    if item is None:
        done.outcomes.append("ignored")
        return position + 1
    kind = item.envelope.type
    if kind in batch_handlers:
        end = run_end(decoded, position, batch_handlers)
        todo = [(d.envelope, d.event) for i in range(position, end)
                if isinstance(d := decoded[i], Decoded) and outcome_at[i] == "handled"]
        if todo:
            try:
                with _run_span(kind, len(todo), group):
                    await batch_handlers[kind](conn, todo)
            except Exception as exc:
                raise _HandlerFailed(position, exc, in_run=True) from exc
        done.batched += len(todo)
        done.outcomes += [outcome_at.get(i, "ignored") for i in range(position, end)]
        return end
    if outcome_at[position] == "handled":
        try:
            with consume_span(item, group):
                await item.handler(conn, item.envelope, item.event)
        except Exception as exc:
            raise _HandlerFailed(position, exc, in_run=False) from exc
    done.outcomes.append(outcome_at[position])
    return position + 1


@dataclass
class InSavepoints:
    """What `apply_in_savepoints` committed: the outcome of each readable record taken, the
    records to dead-letter, and whether the record after them was tried and failed (None for
    all: the transaction itself failed and nothing was taken)."""

    outcomes: list[str] = field(default_factory=list)
    dead: list[tuple[ConsumerRecord[Any, Any], str]] = field(default_factory=list)
    batched: int = 0
    next_failed: bool = False

    @property
    def taken(self) -> int:
        return len(self.outcomes) + len(self.dead)


async def apply_one(conn: asyncpg.Connection, group: str, decoded: Decoded) -> str:
    """The inbox row and the handler's effects, in the caller's transaction: "handled", or
    "duplicate" for an event this group already applied."""
    if not await inbox.first_time(conn, group, decoded):
        return "duplicate"
    await decoded.handler(conn, decoded.envelope, decoded.event)
    return "handled"


async def apply_in_savepoints(pool: asyncpg.Pool, group: str,
                              batch: list[ConsumerRecord[Any, Any]],
                              handlers: Mapping[str, Handler],
                              batch_handlers: Mapping[str, BatchHandler], budget_seconds: float,
                              stopping: asyncio.Event) -> InSavepoints | None:
    """Handles records from the front of `batch` in one transaction, each in a savepoint.

    Stops at the first record whose handler fails (a savepoint rolled it back; the records
    before it are committed), at the time budget, or when stopping. A batch handler's run that
    fails is rolled back and its records go to their handler one at a time, to find the culprit.
    Handler refusals are dead-lettered, by the caller, after the commit.
    """
    started = time.monotonic()
    done = InSavepoints()
    try:
        async with transaction(pool) as conn:
            position, alone_until = 0, 0
            readings = [decode(record, handlers) for record in batch]
            while position < len(batch):
                over_budget = time.monotonic() - started > budget_seconds
                if stopping.is_set() or (over_budget and done.taken):
                    break
                record, decoded = batch[position], readings[position]
                if isinstance(decoded, str):
                    done.dead.append((record, decoded))
                elif decoded is None:
                    done.outcomes.append("ignored")
                elif position >= alone_until and decoded.envelope.type in batch_handlers:
                    end = run_end(readings, position, batch_handlers)
                    run = [d for d in readings[position:end] if isinstance(d, Decoded)]
                    if not await _apply_run(conn, group, run, batch_handlers, done):
                        alone_until = end  # one at a time, to find the culprit
                        continue
                    done.outcomes += ["ignored"] * (end - position - len(run))
                    position = end
                    continue
                else:
                    try:
                        with consume_span(decoded, group):
                            async with savepoint(conn):
                                done.outcomes.append(await apply_one(conn, group, decoded))
                    except NonRetryable as exc:
                        done.dead.append((record, f"rejected by handler: {exc}"))
                    except Exception:
                        done.next_failed = True
                        break
                position += 1
    except Exception as exc:
        log.warning("consumer %s: batch failed, going one record at a time: %r", group, exc)
        return None
    return done


async def _apply_run(conn: asyncpg.Connection, group: str, run: list[Decoded],
                     batch_handlers: Mapping[str, BatchHandler], done: InSavepoints) -> bool:
    """A run of one event type given to its batch handler at once, in a savepoint; False (all
    rolled back) if the handler failed."""
    kind = run[0].envelope.type
    try:
        with _run_span(kind, len(run), group):
            async with savepoint(conn):
                outcomes, todo = await inbox.first_times(conn, group, run)
                if todo:
                    await batch_handlers[kind](conn, [(d.envelope, d.event) for d in todo])
    except Exception as exc:
        log.warning("consumer %s: a run of %d %s failed, applying them one at a time: %r",
                    group, len(run), kind, exc)
        return False
    done.outcomes += outcomes
    done.batched += len(todo)
    return True


def _run_span(kind: str, count: int, group: str) -> Any:
    return tracer.start_as_current_span(
        f"consume {kind} x{count}", kind=trace.SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.consumer.group.name": group,
                    "messaging.batch.message_count": count})
