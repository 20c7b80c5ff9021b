"""Paid orders' stock committed as a run, against real Postgres: the levels, the ledger and the
news are those of committing them one by one in the order they were confirmed."""

from __future__ import annotations

from datetime import UTC, datetime

from libs.db.transaction import transaction
from libs.events.envelope import Envelope
from libs.events.schemas.orders import OrderConfirmed, OrderPlaced
from libs.ids import new_id
from libs.testing import RunningService
from services.catalog.use_cases.batch_commits import on_orders_confirmed
from services.catalog.use_cases.inventory import end_reservation, reserve_for_order

from .test_stock_and_reservations import (
    MakeCategory,
    MakeLive,
    MakeSeller,
    level,
    outbox_types,
    placed,
)


def confirmation(order: OrderPlaced) -> tuple[Envelope, OrderConfirmed]:
    event = OrderConfirmed(order_id=order.order_id, confirmed_at=datetime.now(UTC))
    return Envelope.wrap(event, source="orders"), event


async def test_a_run_of_confirmations_commits_each_order_once_in_order(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category(), skus=[
        {"code": f"HOT-{new_id()}", "price_minor": 500, "currency": "GBP", "stock": 10,
         "options": {"size": "M"}},
        {"code": f"ALSO-{new_id()}", "price_minor": 500, "currency": "GBP", "stock": 5,
         "options": {"size": "L"}}])
    hot, also = product["skus"][0]["id"], product["skus"][1]["id"]
    a, b, c = placed((hot, 2)), placed((also, 1), (hot, 3)), placed((hot, 1))
    expired = placed((hot, 1))
    pool = catalog.runtime.db
    async with transaction(pool) as conn:
        for order in (a, b, c, expired):
            assert await reserve_for_order(conn, order)
        await end_reservation(conn, expired.order_id, commit=False, reason="expired")
    assert await level(catalog, hot) == {"on_hand": 10, "reserved": 6}

    run = [confirmation(o) for o in (a, b, a, expired, c)]  # a twice; expired's is too late
    async with transaction(pool) as conn:
        await on_orders_confirmed(conn, run)
    async with transaction(pool) as conn:  # confirmed again (a redelivery): nothing changes
        await on_orders_confirmed(conn, run[:2])

    assert await level(catalog, hot) == {"on_hand": 4, "reserved": 0}
    assert await level(catalog, also) == {"on_hand": 4, "reserved": 0}
    ledger = await pool.fetch(
        """SELECT sku_id::text, on_hand, reserved, reference FROM stock_movements
           WHERE sku_id = ANY($1::uuid[]) AND reason = 'order confirmed' ORDER BY id""",
        [hot, also])
    reservation = {r["order_id"]: str(r["id"]) for r in await pool.fetch(
        "SELECT id, order_id FROM reservations WHERE order_id = ANY($1::uuid[])",
        [a.order_id, b.order_id, c.order_id])}
    b_lines = sorted([(hot, 5, 1, reservation[b.order_id]),  # an order's lines in SKU order
                      (also, 4, 0, reservation[b.order_id])])
    assert [tuple(r) for r in ledger] == [
        (hot, 8, 4, reservation[a.order_id]), *b_lines, (hot, 4, 0, reservation[c.order_id]),
    ], "one movement per line, with the levels after it, in the order confirmed"
    statuses = {r["order_id"]: r["status"] for r in await pool.fetch(
        "SELECT order_id, status FROM reservations WHERE order_id = ANY($1::uuid[])",
        [o.order_id for o in (a, b, c, expired)])}
    assert statuses == {a.order_id: "committed", b.order_id: "committed",
                        c.order_id: "committed", expired.order_id: "released"}
    for order in (a, b, c):
        assert (await outbox_types(catalog, str(order.order_id))).count(
            "inventory.committed") == 1
    assert "inventory.committed" not in await outbox_types(catalog, str(expired.order_id))
    assert await pool.fetchval(
        "SELECT count(*) FROM deadlines WHERE key = ANY($1::text[]) AND done_at IS NULL",
        [str(o.order_id) for o in (a, b, c)]) == 0, "their expiry deadlines are cancelled"
