"""Commission accrual, reversal and release, posted to the double-entry ledger."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.events.schemas import orders as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.orders.adapters import repository
from services.orders.domain import commissions as rules
from services.orders.domain.order import Order

SOURCE = "orders"


async def _post(conn: asyncpg.Connection, order_id: UUID, currency: str, kind: str,
                entries: list[rules.Entry]) -> None:
    assert rules.balanced(entries), "a ledger transaction must balance"
    await repository.post_entries(conn, new_id(), order_id, currency, kind,
                                  [(e.account, e.amount_minor) for e in entries])


async def accrue(conn: asyncpg.Connection, paid: list[Order]) -> None:
    """Commission on what the seller keeps of each credited line: after its share of the
    discount and without the VAT inside its price (US sales tax is added on top, so never in
    it). One read for all the orders; writes only for lines that earn something."""
    order_of = {order.id: order for order in paid}
    for line in await repository.attributed_lines(conn, list(order_of)):
        order = order_of[line["order_id"]]
        vat = line["tax_minor"] if not order.tax_added_minor else 0
        net = line["unit_price_minor"] * line["quantity"] - line["discount_minor"] - vat
        amount = rules.commission(net, 1, line["rate_bps"])
        if amount == 0:
            continue
        await repository.add_commission(conn, order.id, line["sku_id"], line["creator_id"],
                                        order.seller_id, amount, order.currency)
        await _post(conn, order.id, order.currency, "accrual",
                    rules.accrual(order.seller_id, line["creator_id"], amount))
        await enqueue(conn, SOURCE, events.CommissionAccrued(
            order_id=order.id, creator_id=line["creator_id"], seller_id=order.seller_id,
            sku_id=line["sku_id"], amount_minor=amount, currency=order.currency))


async def reverse(conn: asyncpg.Connection, order_id: UUID, reason: str,
                  quantities: dict[UUID, int] | None = None) -> None:
    """Takes back commission on all lines, or on `quantities` of some (a partial refund)."""
    ordered = {r["sku_id"]: r["quantity"] for r in await repository.order_lines(conn, order_id)}
    for row in await repository.commissions(conn, order_id):
        if row["status"] != "accrued":
            continue  # payable already: the return window is over
        if quantities is not None and row["sku_id"] not in quantities:
            continue
        share = (row["amount_minor"] if quantities is None else
                 row["amount_minor"] * quantities[row["sku_id"]] // ordered[row["sku_id"]])
        amount = min(share, row["amount_minor"] - row["reversed_minor"])
        if amount <= 0:
            continue
        reversed_total = row["reversed_minor"] + amount
        await repository.update_commission(
            conn, order_id, row["sku_id"], reversed_minor=reversed_total,
            status="reversed" if reversed_total >= row["amount_minor"] else "accrued")
        currency = row["currency"].strip()
        await _post(conn, order_id, currency, "reversal",
                    rules.reversal(row["seller_id"], row["creator_id"], amount))
        await enqueue(conn, SOURCE, events.CommissionReversed(
            order_id=order_id, creator_id=row["creator_id"], amount_minor=amount,
            currency=currency, reason=reason))


async def release(conn: asyncpg.Connection, order_id: UUID) -> None:
    for row in await repository.commissions(conn, order_id):
        if row["status"] != "accrued":
            continue
        amount = row["amount_minor"] - row["reversed_minor"]
        await repository.update_commission(conn, order_id, row["sku_id"], status="payable",
                                           reversed_minor=row["reversed_minor"])
        currency = row["currency"].strip()
        await _post(conn, order_id, currency, "release", rules.release(row["creator_id"], amount))
        await enqueue(conn, SOURCE, events.CommissionPayable(
            order_id=order_id, creator_id=row["creator_id"], amount_minor=amount,
            currency=currency))
