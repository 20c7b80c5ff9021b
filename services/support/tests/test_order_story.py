"""Orders' news through support, on real Postgres: a run of events written at once leaves the
same order views and stories as the same events one at a time, whichever came first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from libs.db.transaction import transaction
from libs.events.base import Event
from libs.events.schemas import fulfillment as ful
from libs.events.schemas import orders as ords
from libs.ids import new_id
from libs.testing import run_service
from services.support.adapters import context_repository as context
from services.support.app import create_app
from services.support.settings import SupportSettings
from services.support.use_cases.order_story import record_news

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def journey(orders: dict[UUID, str], seller: UUID, sku: UUID) -> list[Event]:
    """Three orders' news in the order a consumer may see it: `paid` placed, paid, given to the
    warehouses and allocated (its promises moved by the allocation); `early` heard of from
    fulfillment before its placement; `watched` only ever at risk."""
    paid, early, watched = orders
    def placed(order_id: UUID, minute: int) -> ords.OrderPlaced:
        return ords.OrderPlaced(order_id=order_id, buyer_id="buyer-1", seller_id=seller,
                                currency="GBP", placed_at=at(minute),
                                lines=[ords.OrderLine(sku_id=sku, quantity=2,
                                                      unit_price_minor=450),
                                       ords.OrderLine(sku_id=sku, quantity=1,
                                                      unit_price_minor=450)])

    def created(order_id: UUID, minute: int) -> ful.FulfillmentOrderCreated:
        return ful.FulfillmentOrderCreated(order_id=order_id, seller_id=seller, method="fbt",
                                           ship_by=at(600), deliver_by=at(3000),
                                           created_at=at(minute))

    return [
        placed(paid, 0),
        created(early, 3),
        ords.OrderConfirmed(order_id=paid, seller_id=seller, confirmed_at=at(1)),
        created(paid, 2),
        ful.FulfillmentOrderAllocated(order_id=paid, seller_id=seller, parcels=[], split=False,
                                      ship_by=at(500), deliver_by=at(2500),
                                      allocated_at=at(4)),
        placed(early, 1),
        ful.PromiseAtRisk(order_id=watched, seller_id=seller, promise="ship_by",
                          due_at=at(700), at=at(5)),
        placed(paid, 0),  # the same placement again, under another event id
    ]


async def outcome(db: Any, names: dict[UUID, str]) -> dict[str, Any]:
    """Order views and stories with the orders' ids replaced by their parts' names."""
    rows = await db.fetch("SELECT * FROM order_views WHERE order_id = ANY($1::uuid[])",
                          list(names))
    views = {names[r["order_id"]]: {k: v for k, v in dict(r).items() if k != "order_id"}
             for r in rows}
    story = [(names[line["order_id"]], line["at"], line["type"], line["summary"])
             for line in await context.story(db, list(names))]
    return {"views": views, "story": sorted(story, key=str)}


async def test_a_run_of_news_leaves_what_the_events_one_by_one_leave(
    settings_for: Callable[..., Any],
) -> None:
    seller, sku = new_id(), new_id()
    together = {new_id(): name for name in ("paid", "early", "watched")}
    alone = {new_id(): name for name in ("paid", "early", "watched")}
    async with run_service(create_app(settings_for(SupportSettings))) as support:
        db = support.app.state.runtime.db
        async with transaction(db) as conn:
            await record_news(conn, journey(together, seller, sku))
        for event in journey(alone, seller, sku):
            async with transaction(db) as conn:
                await record_news(conn, [event])
        at_once, one_by_one = await outcome(db, together), await outcome(db, alone)

    assert at_once == one_by_one
    paid = at_once["views"]["paid"]
    assert (paid["status"], paid["method"]) == ("confirmed", "fbt")
    assert (paid["ship_by"], paid["deliver_by"]) == (at(500), at(2500)), "the allocation's"
    assert (paid["total_minor"], paid["lines"]) == (1350, {str(sku): 3})
    assert paid["updated_at"] == at(4)
    assert at_once["views"]["early"]["status"] == "placed"
    assert at_once["views"]["early"]["method"] == "fbt", "fulfillment's word kept"
    assert "watched" not in at_once["views"], "a warning alone starts no order"
    told = [(name, kind) for name, _, kind, _ in at_once["story"]]
    assert sorted(told) == sorted([
        ("paid", "order.placed"), ("paid", "order.confirmed"),
        ("paid", "fulfillment_order.created"), ("paid", "fulfillment_order.allocated"),
        ("early", "fulfillment_order.created"), ("early", "order.placed"),
        ("watched", "promise.at_risk")]), "a placement heard twice is told once"
