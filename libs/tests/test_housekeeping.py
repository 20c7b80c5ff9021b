"""Housekeeping removes only what is past retention (real Postgres)."""

from __future__ import annotations

from libs.db.housekeeping import Retention, prune
from libs.testing import Scratch


async def test_old_rows_go_and_recent_or_pending_ones_stay(scratch: Scratch) -> None:
    await scratch.pool.execute("""
        INSERT INTO outbox (event_id, topic, event_key, event_type, source, payload, published_at,
                            occurred_at)
        VALUES (gen_random_uuid(), 't', 'k', 'x', 's', '{}', now() - interval '8 days',
                now() - interval '8 days'),
               (gen_random_uuid(), 't', 'k', 'x', 's', '{}', now() - interval '1 day', now()),
               (gen_random_uuid(), 't', 'k', 'x', 's', '{}', NULL, now() - interval '30 days');
        INSERT INTO inbox (consumer_group, event_id, event_type, topic, processed_at)
        VALUES ('g', 'old', 'x', 't', now() - interval '15 days'), ('g', 'new', 'x', 't', now());
        INSERT INTO idempotency_keys (scope, key, request_hash, state, created_at)
        VALUES ('s', 'old', 'h', 'completed', now() - interval '2 days'),
               ('s', 'new', 'h', 'completed', now());
    """)
    removed = await prune(scratch.pool, Retention())
    assert removed == {"outbox": 1, "inbox": 1, "idempotency_keys": 1}
    unpublished = await scratch.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    assert unpublished == 1, "an unpublished event is never pruned, however old"
