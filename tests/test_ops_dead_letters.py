"""`python -m ops dead-letters`: an event a consumer could not apply is listed with its reason,
and once the cause is fixed, replaying it by id applies it exactly once (issue 12's runbook;
issue 16's operator commands)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import asyncpg
import pytest

from libs.consumer import NonRetryable
from libs.devstack.servers import REPO_ROOT
from libs.events.envelope import Envelope
from libs.testing import Scratch, eventually
from libs.tests.test_consumer import TOPIC, consuming, effects_of, registered_record
from ops import dead_letters

pytestmark = pytest.mark.kafka


async def test_a_dead_letter_is_listed_then_replayed_once_the_cause_is_fixed(
        scratch: Scratch, kafka_bootstrap: str) -> None:
    broken = True

    async def handler(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        if broken:
            raise NonRetryable("the seller's market is not configured yet")
        await conn.execute("INSERT INTO effects (event_id, seller_id) VALUES ($1, $2)",
                           envelope.id, event.seller_id)

    envelope, (key, value, headers) = registered_record()
    async with consuming(scratch, kafka_bootstrap, handler) as (consumer, producer):
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

        async def set_aside() -> list[dead_letters.DeadLetter]:
            letters = await dead_letters.read(kafka_bootstrap, consumer.group)
            return [letter for letter in letters if letter.event_id == envelope.id]

        [letter] = await eventually(set_aside, timeout=30) or [None]
        assert letter is not None, "the event was never dead-lettered"
        assert "market is not configured" in letter.reason and letter.original_topic == TOPIC
        listed = subprocess.run(
            [sys.executable, "-m", "ops", "--bootstrap", kafka_bootstrap, "dead-letters", "list",
             "--group", consumer.group], capture_output=True, text=True, cwd=REPO_ROOT,
            timeout=60)
        assert listed.returncode == 0, listed.stderr
        listed_ids = [json.loads(line)["event_id"] for line in listed.stdout.splitlines()]
        assert envelope.id in listed_ids

        broken = False  # the operator fixes the cause, then replays just that event
        replayed = await dead_letters.replay(
            kafka_bootstrap, consumer.group, dead_letters.chosen({envelope.id}, None, None),
            idempotent=False)
        assert [r.event_id for r in replayed] == [envelope.id]

        async def applied() -> bool:
            return await effects_of(scratch, envelope.id) == 1

        assert await eventually(applied, timeout=30), "the replayed event was not applied"
        again = await dead_letters.replay(
            kafka_bootstrap, consumer.group, dead_letters.chosen({envelope.id}, None, None),
            idempotent=False)
        assert len(again) == 1  # still in the DLQ (a log), but the inbox applies it once
        await eventually(lambda: _handled_twice(consumer), timeout=30)
    assert await effects_of(scratch, envelope.id) == 1


async def _handled_twice(consumer: Any) -> bool:
    return bool(consumer.stats.duplicates >= 1)
