"""The inbox: which events a consumer group has applied, written in the transaction that
applies them, so a redelivered event is recognised and changes nothing."""

from __future__ import annotations

import asyncpg

from libs.consumed_record import Decoded


async def first_time(conn: asyncpg.Connection, group: str, decoded: Decoded) -> bool:
    """Records the event as applied by `group`; False if it already was."""
    return bool(await conn.fetchval(
        """INSERT INTO inbox (consumer_group, event_id, event_type, topic)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
        group, decoded.envelope.id, decoded.envelope.type, decoded.record.topic))


async def first_times(conn: asyncpg.Connection, group: str,
                      run: list[Decoded]) -> tuple[list[str], list[Decoded]]:
    """The batch form, in one round trip: each record's outcome ("handled" or "duplicate"),
    and the records to apply (an event delivered twice in the run is applied once)."""
    fresh = {row[0] for row in await conn.fetch(
        """INSERT INTO inbox (consumer_group, event_id, event_type, topic)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])
           ON CONFLICT DO NOTHING RETURNING event_id""",
        group, [d.envelope.id for d in run], [d.envelope.type for d in run],
        [d.record.topic for d in run])}
    outcomes, todo = [], []
    for decoded in run:
        new = decoded.envelope.id in fresh
        fresh.discard(decoded.envelope.id)
        outcomes.append("handled" if new else "duplicate")
        if new:
            todo.append(decoded)
    return outcomes, todo
