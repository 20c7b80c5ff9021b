"""Recording a consumer batch of public events at once, on real Postgres: the numbers a seller
sees per aggregate and the deliveries each endpoint gets are those of one event at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import SecretStr

from libs.db.transaction import transaction
from libs.events.envelope import Envelope
from libs.events.schemas.catalog import ProductDeactivated
from libs.events.schemas.discovery import CampaignEnded, CampaignPaused, CampaignResumed
from libs.ids import new_id
from libs.testing import run_service
from services.webhooks.adapters import repository
from services.webhooks.app import create_app
from services.webhooks.settings import WebhooksSettings
from services.webhooks.use_cases import intake

NOW = datetime.now(UTC)


def wrapped(event: Any) -> tuple[Envelope, Any]:
    return Envelope.wrap(event, source="tests"), event


async def test_a_run_of_public_events_is_numbered_per_aggregate_and_queued_for_its_seller(
    settings_for: Callable[..., Any],
) -> None:
    settings = settings_for(
        WebhooksSettings, poll_interval_seconds=10,
        endpoint_secret_key=SecretStr("dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0cy1rZXktMzI="))
    seller_a, seller_b = new_id(), new_id()
    everything_a, products_a, everything_b = new_id(), new_id(), new_id()
    c1, c2, c3, product = new_id(), new_id(), new_id(), new_id()
    earlier = wrapped(CampaignPaused(campaign_id=c1, seller_id=seller_a, paused_at=NOW))
    run = [
        wrapped(CampaignResumed(campaign_id=c1, seller_id=seller_a, resumed_at=NOW)),
        wrapped(CampaignPaused(campaign_id=c2, seller_id=seller_a, paused_at=NOW)),
        wrapped(ProductDeactivated(product_id=product, seller_id=seller_a, deactivated_at=NOW)),
        wrapped(CampaignPaused(campaign_id=c3, seller_id=seller_b, paused_at=NOW)),
        wrapped(CampaignEnded(campaign_id=c1, seller_id=seller_a, ended_at=NOW)),
        earlier,  # recorded before: changes nothing
        wrapped(CampaignResumed(campaign_id=c2, seller_id=seller_a, resumed_at=NOW)),
    ]
    async with run_service(create_app(settings)) as webhooks:
        db = webhooks.app.state.runtime.db
        async with transaction(db) as conn:
            for endpoint_id, seller_id, types in [(everything_a, seller_a, ["*"]),
                                                  (products_a, seller_a, ["product.*"]),
                                                  (everything_b, seller_b, ["*"])]:
                await repository.add_endpoint(
                    conn, endpoint_id=endpoint_id, seller_id=seller_id,
                    url="https://hooks.example.com/in", description="", event_types=types,
                    secret=b"sealed elsewhere")
            await intake.record(conn, *earlier)
        async with transaction(db) as conn:
            await intake.record_many(conn, run)
        rows = await db.fetch(
            """SELECT seq, event_id, aggregate_id, sequence FROM events
               WHERE seller_id = ANY($1::uuid[]) ORDER BY seq""", [seller_a, seller_b])
        deliveries = await db.fetch(
            """SELECT d.endpoint_id, e.event_id FROM deliveries d
               JOIN events e ON e.seq = d.event_seq
               WHERE d.endpoint_id = ANY($1::uuid[]) ORDER BY d.event_seq""",
            [everything_a, products_a, everything_b])

    ids = [UUID(envelope.id) for envelope, _ in [earlier, *run[:5], run[6]]]
    assert [r["event_id"] for r in rows] == ids, "the feed in the order consumed, each once"
    numbers = [(r["aggregate_id"], r["sequence"]) for r in rows]
    assert numbers == [(str(c1), 1), (str(c1), 2), (str(c2), 1), (str(product), 1),
                       (str(c3), 1), (str(c1), 3), (str(c2), 2)]
    queued: dict[UUID, list[UUID]] = {}
    for d in deliveries:
        queued.setdefault(d["endpoint_id"], []).append(d["event_id"])
    assert queued[everything_a] == [i for i in ids if i != UUID(run[3][0].id)]
    assert queued[products_a] == [UUID(run[2][0].id)], "only the types it subscribed to"
    assert queued[everything_b] == [UUID(run[3][0].id)], "never another seller's events"
