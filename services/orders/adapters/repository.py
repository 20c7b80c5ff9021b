"""Postgres persistence of orders' read model, carts, orders and payments."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.orders.domain.cart import Attribution, CartLine
from services.orders.domain.catalog_view import SkuView
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.taxes import OrderTax

# Catalog read model -------------------------------------------------------------------------


async def upsert_skus(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> None:
    await conn.executemany(
        """INSERT INTO catalog_skus (sku_id, product_id, seller_id, price_minor, currency, market,
                                     age_restricted, product_live, weight_grams, tax_class,
                                     cross_border)
           VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $9, $10)
           ON CONFLICT (sku_id) DO UPDATE SET price_minor = EXCLUDED.price_minor,
               currency = EXCLUDED.currency, market = EXCLUDED.market,
               age_restricted = EXCLUDED.age_restricted, product_live = true,
               weight_grams = EXCLUDED.weight_grams, tax_class = EXCLUDED.tax_class,
               cross_border = EXCLUDED.cross_border, updated_at = now()""",
        [(r["sku_id"], r["product_id"], r["seller_id"], r["price_minor"], r["currency"],
          r["market"], r["age_restricted"], r.get("weight_grams"),
          r.get("tax_class", "standard"), r.get("cross_border", False)) for r in rows])


async def set_prices(conn: asyncpg.Connection, prices: list[tuple[UUID, int]]) -> None:
    await conn.executemany(
        "UPDATE catalog_skus SET price_minor = $2, updated_at = now() WHERE sku_id = $1", prices)


async def set_product_live(conn: asyncpg.Connection, product_id: UUID, live: bool) -> None:
    await conn.execute(
        "UPDATE catalog_skus SET product_live = $2, updated_at = now() WHERE product_id = $1",
        product_id, live)


async def set_seller_active(conn: asyncpg.Connection, seller_id: UUID, active: bool) -> None:
    """Whether the seller may sell, as catalog last said; `skus()` reads it at purchase time."""
    await conn.execute(
        """INSERT INTO seller_standing (seller_id, active) VALUES ($1, $2)
           ON CONFLICT (seller_id) DO UPDATE SET active = EXCLUDED.active, updated_at = now()""",
        seller_id, active)


def _sku(row: asyncpg.Record) -> SkuView:
    return SkuView(sku_id=row["sku_id"], product_id=row["product_id"], seller_id=row["seller_id"],
                   price_minor=row["price_minor"], currency=row["currency"].strip(),
                   market=row["market"], age_restricted=row["age_restricted"],
                   product_live=row["product_live"], seller_active=row["seller_active"],
                   weight_grams=row["weight_grams"], tax_class=row["tax_class"],
                   cross_border=row["cross_border"])


async def skus(conn: asyncpg.Connection | asyncpg.Pool, sku_ids: list[UUID]) -> dict[UUID, SkuView]:
    # Whether the seller may sell is read from `seller_standing`, never copied onto the SKU: a
    # listing and its seller's verification arrive on different topics, and a copy written by
    # one transaction could miss the other's change (write skew). A seller orders has not yet
    # heard verified may not sell (fails closed).
    rows = await conn.fetch(
        """SELECT s.sku_id, s.product_id, s.seller_id, s.price_minor, s.currency, s.market,
                  s.age_restricted, s.product_live, s.weight_grams, s.tax_class,
                  s.cross_border, coalesce(st.active, false) AS seller_active
           FROM catalog_skus s LEFT JOIN seller_standing st ON st.seller_id = s.seller_id
           WHERE s.sku_id = ANY($1::uuid[])""", sku_ids)
    return {r["sku_id"]: _sku(r) for r in rows}


# Carts --------------------------------------------------------------------------------------


def _line(row: asyncpg.Record) -> CartLine:
    return CartLine(sku_id=row["sku_id"], seller_id=row["seller_id"], quantity=row["quantity"],
                    unit_price_minor=row["unit_price_minor"], currency=row["currency"].strip(),
                    source=Attribution(**row["source"]), added_at=row["added_at"])


async def cart(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str) -> list[CartLine]:
    rows = await conn.fetch("SELECT * FROM cart_lines WHERE buyer_id = $1 ORDER BY added_at",
                            buyer_id)
    return [_line(r) for r in rows]


async def take_cart(conn: asyncpg.Connection, buyer_id: str) -> list[CartLine]:
    """The cart emptied as it is read, in the checkout's transaction: one round trip for what
    a locking read and a delete at the end did in two. Checkout raises on every refusal, so
    its rollback gives the cart back; meanwhile the lines stay locked as with `FOR UPDATE`."""
    rows = await conn.fetch("DELETE FROM cart_lines WHERE buyer_id = $1 RETURNING *", buyer_id)
    return [_line(r) for r in sorted(rows, key=lambda row: row["added_at"])]


async def put_line(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str,
                   line: CartLine) -> CartLine:
    """The line as stored: a line put again keeps its place (`added_at`) in the cart."""
    row = await conn.fetchrow(
        """INSERT INTO cart_lines (buyer_id, sku_id, seller_id, quantity, unit_price_minor,
                                   currency, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (buyer_id, sku_id) DO UPDATE SET quantity = EXCLUDED.quantity,
               unit_price_minor = EXCLUDED.unit_price_minor, source = EXCLUDED.source
           RETURNING *""",
        buyer_id, line.sku_id, line.seller_id, line.quantity, line.unit_price_minor,
        line.currency, line.source.as_dict())
    return _line(row)


async def redeem_claim(conn: asyncpg.Connection, claim_id: UUID, buyer_id: str,
                       checkout_id: UUID, order_id: UUID) -> bool:
    """Records a flash-deal claim as used by an order; False when it already is (a token buys
    once, unless that order is cancelled unpaid)."""
    status: str = await conn.execute(
        "INSERT INTO redeemed_claims (claim_id, buyer_id, checkout_id, order_id) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (claim_id) DO NOTHING",
        claim_id, buyer_id, checkout_id, order_id)
    return status == "INSERT 0 1"


async def free_claims(conn: asyncpg.Connection, order_id: UUID) -> None:
    """The order was cancelled before it was paid: its claims may be checked out again."""
    await conn.execute("DELETE FROM redeemed_claims WHERE order_id = $1", order_id)


async def remove_line(pool: asyncpg.Pool, buyer_id: str, sku_id: UUID) -> bool:
    result = await pool.execute("DELETE FROM cart_lines WHERE buyer_id = $1 AND sku_id = $2",
                                buyer_id, sku_id)
    return str(result) != "DELETE 0"


async def reprice_lines(conn: asyncpg.Connection, buyer_id: str,
                        prices: list[tuple[UUID, int]]) -> None:
    await conn.executemany(
        "UPDATE cart_lines SET unit_price_minor = $3 WHERE buyer_id = $1 AND sku_id = $2",
        [(buyer_id, sku, price) for sku, price in prices])


# Orders -------------------------------------------------------------------------------------


ORDER_TOTAL = "(subtotal_minor - discount_minor + shipping_minor + tax_added_minor)"
"""`Order.total_minor` in SQL, for queries that sum or list totals without loading orders."""


def order_from_row(row: asyncpg.Record) -> Order:
    return Order(id=row["id"], checkout_id=row["checkout_id"], buyer_id=row["buyer_id"],
                 seller_id=row["seller_id"], currency=row["currency"].strip(),
                 subtotal_minor=row["subtotal_minor"], shipping_minor=row["shipping_minor"],
                 status=OrderStatus(row["status"]), created_at=row["created_at"],
                 cancel_reason=row["cancel_reason"], discount_minor=row["discount_minor"],
                 tax_minor=row["tax_minor"], tax_added_minor=row["tax_added_minor"])


async def add_order(conn: asyncpg.Connection, order: Order, lines: list[CartLine],
                    address: dict[str, Any], card_last4: str, *, payment_method: str,
                    pay_by: datetime, quote: dict[str, Any] | None = None,
                    tax: OrderTax | None = None) -> None:
    """Stores a placed order with its lines, the shipping quote its buyer was shown, the tax
    of each line, its pending payment (the provider's payment-method token, never a card
    number) and its first timeline entry: one round trip, whatever the number of lines."""
    quote = quote or {}
    line_taxes = [_line_tax(tax, line.sku_id) for line in lines]
    await conn.execute(
        """WITH placed AS (
               INSERT INTO orders (id, checkout_id, buyer_id, seller_id, currency,
                                   subtotal_minor, shipping_minor, discount_minor, status,
                                   card_last4, shipping_address, created_at, updated_at, market,
                                   zone, shipping_speed, shipping_quote, tax_minor,
                                   tax_added_minor, tax_kind, tax_collected_by, tax_region,
                                   pay_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14,
                       coalesce($15, 'standard'), $16, $17, $18, $19, $20, $21, $22)
               RETURNING id, status),
           paid_by AS (
               INSERT INTO payments (order_id, status, amount_minor, currency, payment_method)
               SELECT id, 'pending', $23, $5, $24 FROM placed),
           lined AS (
               INSERT INTO order_lines (order_id, sku_id, quantity, unit_price_minor, source,
                                        tax_rate_bps, tax_minor, discount_minor)
               SELECT placed.id, l.* FROM placed, unnest(
                   $25::uuid[], $26::integer[], $27::bigint[], $28::jsonb[], $29::integer[],
                   $30::bigint[], $31::bigint[]) AS l)
           INSERT INTO order_timeline (order_id, status, note)
           SELECT id, status, 'order placed' FROM placed""",
        order.id, order.checkout_id, order.buyer_id, order.seller_id, order.currency,
        order.subtotal_minor, order.shipping_minor, order.discount_minor, order.status.value,
        card_last4, address, order.created_at, quote.get("market"), quote.get("zone"),
        quote.get("speed"), quote or None, order.tax_minor, order.tax_added_minor,
        tax.kind if tax else None, tax.collected_by if tax else None,
        tax.region if tax else None, pay_by, order.total_minor, payment_method,
        [line.sku_id for line in lines], [line.quantity for line in lines],
        [line.unit_price_minor for line in lines], [line.source.credits() for line in lines],
        *([taxed[i] for taxed in line_taxes] for i in range(3)))


def _line_tax(tax: OrderTax | None, sku_id: UUID) -> tuple[int, int, int]:
    if tax is None:
        return 0, 0, 0
    taxed = tax.of(sku_id)
    return taxed.tax.rate_bps, taxed.tax.tax_minor, taxed.discount_minor


async def get_order(conn: asyncpg.Connection | asyncpg.Pool, order_id: UUID, *,
                    for_update: bool = False) -> Order | None:
    sql = ("SELECT * FROM orders WHERE id = $1 FOR UPDATE" if for_update
           else "SELECT * FROM orders WHERE id = $1")
    row = await conn.fetchrow(sql, order_id)
    return order_from_row(row) if row else None


async def save_order(conn: asyncpg.Connection, order: Order, note: str | None = None) -> None:
    await conn.execute(
        """UPDATE orders SET status = $2, cancel_reason = $3, updated_at = now()
           WHERE id = $1""", order.id, order.status.value, order.cancel_reason)
    await add_timeline(conn, order.id, order.status.value, note)


async def add_timeline(conn: asyncpg.Connection, order_id: UUID, status: str,
                       note: str | None) -> None:
    await conn.execute("INSERT INTO order_timeline (order_id, status, note) VALUES ($1, $2, $3)",
                       order_id, status, note)


async def order_detail(pool: asyncpg.Pool, order_id: UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT * FROM orders WHERE id = $1", order_id)
    if row is None:
        return None
    lines = await pool.fetch(
        """SELECT sku_id, quantity, unit_price_minor, source, tax_rate_bps, tax_minor,
                  discount_minor FROM order_lines WHERE order_id = $1""", order_id)
    timeline = await pool.fetch(
        "SELECT status, note, at FROM order_timeline WHERE order_id = $1 ORDER BY id", order_id)
    detail = dict(row)
    detail["currency"] = detail["currency"].strip()
    detail["total_minor"] = order_from_row(row).total_minor
    detail["lines"] = [dict(r) for r in lines]
    detail["timeline"] = [dict(r) for r in timeline]
    return detail


async def list_orders(pool: asyncpg.Pool, *, buyer_id: str | None = None,
                      seller_id: UUID | None = None, status: str | None = None,
                      placed_from: datetime | None = None, placed_before: datetime | None = None,
                      after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    return list(await pool.fetch(
        f"""SELECT id, seller_id, buyer_id, status, currency, {ORDER_TOTAL} AS total_minor,
                  created_at
           FROM orders
           WHERE ($1::text IS NULL OR buyer_id = $1) AND ($2::uuid IS NULL OR seller_id = $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
             AND ($7::timestamptz IS NULL OR created_at >= $7)
             AND ($8::timestamptz IS NULL OR created_at < $8)
           ORDER BY created_at DESC, id DESC LIMIT $6""",  # noqa: S608 - a constant
        buyer_id, seller_id, status, after[0] if after else None, after[1] if after else None,
        limit, placed_from, placed_before))


async def minor_spend_this_month(conn: asyncpg.Connection, buyer_id: str, currency: str) -> int:
    """What a buyer spent this month in a currency: orders not cancelled, and gift-token
    top-ups not refused (gifts are paid in tokens, so capping top-ups caps gifts)."""
    return int(await conn.fetchval(
        f"""SELECT (SELECT coalesce(sum({ORDER_TOTAL}), 0)
                   FROM orders WHERE buyer_id = $1 AND currency = $2 AND status <> 'cancelled'
                     AND created_at >= date_trunc('month', now()))
                + (SELECT coalesce(sum(amount_minor), 0) FROM topup_intents
                   WHERE buyer_id = $1 AND currency = $2 AND status <> 'failed'
                     AND created_at >= date_trunc('month', now()))""",  # noqa: S608 - a constant
        buyer_id, currency))


async def lock_minor_spend(conn: asyncpg.Connection, buyer_id: str) -> None:
    """Serialises a minor's spending decisions until the transaction ends, so two checkouts
    or top-ups at once cannot both fit under the cap that only one of them fits."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('minor-spend:' || $1))",
                       buyer_id)


# Payments ------------------------------------------------------------------------------


async def payment(conn: asyncpg.Connection | asyncpg.Pool, order_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM payments WHERE order_id = $1", order_id)


async def payments_to_authorize(conn: asyncpg.Connection | asyncpg.Pool,
                                order_ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    """What each authorisation asks the provider for, with its order's status (one read)."""
    rows = await conn.fetch(
        """SELECT o.id, o.status, p.amount_minor, p.currency, p.payment_method
           FROM orders o JOIN payments p ON p.order_id = o.id
           WHERE o.id = ANY($1::uuid[])""", order_ids)
    return {row["id"]: row for row in rows}


async def set_payment(conn: asyncpg.Connection, order_id: UUID, status: str,
                      payment_id: UUID | None = None) -> None:
    await conn.execute(
        """UPDATE payments SET status = $2, payment_id = coalesce($3, payment_id),
               attempts = attempts + 1, updated_at = now() WHERE order_id = $1""",
        order_id, status, payment_id)


async def set_promise(conn: asyncpg.Connection, order_id: UUID, column: str,
                      at: datetime) -> None:
    """Records one of the order's promised times (`pay_by`, `ship_by`, ...) on the order."""
    if column not in ("pay_by", "ship_by", "deliver_by", "return_window_ends_at"):
        raise ValueError(f"not a promise of an order: {column}")
    await conn.execute(f"UPDATE orders SET {column} = $2 WHERE id = $1",  # noqa: S608 - checked
                       order_id, at)


# After sale ---------------------------------------------------------------------------------


async def set_shipping(conn: asyncpg.Connection, order_id: UUID, carrier: str,
                       tracking: str) -> None:
    await conn.execute("UPDATE orders SET carrier = $2, tracking_number = $3 WHERE id = $1",
                       order_id, carrier, tracking)


async def record_capture(conn: asyncpg.Connection, order_id: UUID, amount: int) -> bool:
    """Whether this call recorded it: a second firing of the capture (its lease ran out while
    the provider answered) finds it captured and records nothing."""
    return bool(await conn.fetchval(
        """UPDATE payments SET status = 'captured', captured_minor = $2, updated_at = now()
           WHERE order_id = $1 AND captured_minor = 0 RETURNING true""", order_id, amount))


async def record_void(conn: asyncpg.Connection, order_id: UUID) -> bool:
    """Whether this call recorded it: a second firing of the void (its lease ran out while the
    provider answered) finds the payment voided and records nothing."""
    return bool(await conn.fetchval(
        """UPDATE payments SET status = 'voided', attempts = attempts + 1, updated_at = now()
           WHERE order_id = $1 AND status = 'authorized' RETURNING true""", order_id))


async def order_lines(conn: asyncpg.Connection | asyncpg.Pool,
                      order_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM order_lines WHERE order_id = $1", order_id))


async def add_refund(conn: asyncpg.Connection, refund_id: UUID, order_id: UUID, amount: int,
                     reason: str, reference: str, lines: dict[str, int], tax: int = 0) -> bool:
    """False when this reference (a dispute, a return) was already refunded. `tax`: the tax
    inside `amount`, reversed with it."""
    inserted = await conn.fetchval(
        """INSERT INTO refunds (id, order_id, amount_minor, reason, reference, status, lines,
                                tax_minor)
           VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)
           ON CONFLICT (order_id, reference) DO NOTHING RETURNING true""",
        refund_id, order_id, amount, reason, reference, lines, max(0, tax))
    return bool(inserted)


async def refunded_tax(conn: asyncpg.Connection, order_id: UUID) -> int:
    return int(await conn.fetchval(
        "SELECT coalesce(sum(tax_minor), 0) FROM refunds WHERE order_id = $1", order_id))


async def refund(conn: asyncpg.Connection | asyncpg.Pool, refund_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM refunds WHERE id = $1", refund_id)


async def pending_refunds_total(conn: asyncpg.Connection, order_id: UUID) -> int:
    return int(await conn.fetchval(
        "SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE order_id = $1", order_id))


async def complete_refund(conn: asyncpg.Connection, refund_id: UUID, order_id: UUID,
                          amount: int) -> bool:
    """Whether this call completed it: a refund is added to the payment once, even when two
    firings of its deadline both heard the provider."""
    if not await conn.fetchval("UPDATE refunds SET status = 'done' "
                               "WHERE id = $1 AND status = 'pending' RETURNING true", refund_id):
        return False
    await conn.execute(
        """UPDATE payments SET refunded_minor = refunded_minor + $2,
               status = CASE WHEN refunded_minor + $2 >= captured_minor THEN 'refunded'
                             ELSE 'partially_refunded' END, updated_at = now()
           WHERE order_id = $1""", order_id, amount)
    return True


# Commissions --------------------------------------------------------------------------------


async def set_commission_rate(pool: asyncpg.Pool, product_id: UUID, seller_id: UUID,
                              rate_bps: int) -> None:
    await pool.execute(
        """INSERT INTO commission_rates (product_id, seller_id, rate_bps) VALUES ($1, $2, $3)
           ON CONFLICT (product_id) DO UPDATE SET rate_bps = $3, updated_at = now()""",
        product_id, seller_id, rate_bps)


async def product_seller(pool: asyncpg.Pool, product_id: UUID) -> UUID | None:
    value = await pool.fetchval(
        "SELECT seller_id FROM catalog_skus WHERE product_id = $1 LIMIT 1", product_id)
    return value if isinstance(value, UUID) else None


async def attributed_lines(conn: asyncpg.Connection,
                           order_ids: list[UUID]) -> list[asyncpg.Record]:
    """The orders' lines credited to a creator, with the product's commission rate (0 when
    none is set)."""
    return list(await conn.fetch(
        """SELECT l.order_id, l.sku_id, l.quantity, l.unit_price_minor, l.source->>'creator_id' AS creator_id,
                  coalesce(r.rate_bps, 0) AS rate_bps, l.tax_minor, l.discount_minor
           FROM order_lines l JOIN catalog_skus k ON k.sku_id = l.sku_id
           LEFT JOIN commission_rates r ON r.product_id = k.product_id
           WHERE l.order_id = ANY($1::uuid[]) AND l.source ? 'creator_id'
           ORDER BY l.order_id""", order_ids))


async def add_commission(conn: asyncpg.Connection, order_id: UUID, sku_id: UUID, creator_id: str,
                         seller_id: UUID, amount: int, currency: str) -> None:
    await conn.execute(
        """INSERT INTO order_commissions (order_id, sku_id, creator_id, seller_id, amount_minor,
                                          currency, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'accrued') ON CONFLICT DO NOTHING""",
        order_id, sku_id, creator_id, seller_id, amount, currency)


async def commissions(conn: asyncpg.Connection, order_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT * FROM order_commissions WHERE order_id = $1 ORDER BY sku_id FOR UPDATE",
        order_id))


async def update_commission(conn: asyncpg.Connection, order_id: UUID, sku_id: UUID, *,
                            status: str, reversed_minor: int) -> None:
    await conn.execute(
        """UPDATE order_commissions SET status = $3, reversed_minor = $4
           WHERE order_id = $1 AND sku_id = $2""", order_id, sku_id, status, reversed_minor)


async def post_entries(conn: asyncpg.Connection, txn_id: UUID, order_id: UUID, currency: str,
                       kind: str, entries: list[tuple[str, int]]) -> None:
    await conn.executemany(
        """INSERT INTO ledger_entries (txn_id, order_id, account, amount_minor, currency, kind)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        [(txn_id, order_id, account, amount, currency, kind) for account, amount in entries])


async def balances(pool: asyncpg.Pool, accounts: list[str]) -> list[asyncpg.Record]:
    return list(await pool.fetch(
        """SELECT account, currency, sum(amount_minor) AS balance FROM ledger_entries
           WHERE account = ANY($1::text[]) GROUP BY account, currency ORDER BY account""",
        accounts))


async def commission_lines(pool: asyncpg.Pool, *, creator_id: str | None = None,
                           seller_id: UUID | None = None) -> list[asyncpg.Record]:
    return list(await pool.fetch(
        """SELECT order_id, sku_id, creator_id, seller_id, amount_minor - reversed_minor AS
                  amount_minor, currency, status
           FROM order_commissions
           WHERE ($1::text IS NULL OR creator_id = $1) AND ($2::uuid IS NULL OR seller_id = $2)
           ORDER BY order_id""", creator_id, seller_id))


# Shipping and returns -----------------------------------------------------------------------


async def promised(conn: asyncpg.Connection | asyncpg.Pool, order_id: UUID,
                   column: str) -> datetime | None:
    """One of the order's promised times (`pay_by`, `ship_by`, `deliver_by`,
    `return_window_ends_at`)."""
    assert column in ("pay_by", "ship_by", "deliver_by", "return_window_ends_at"), column
    value: datetime | None = await conn.fetchval(
        f"SELECT {column} FROM orders WHERE id = $1", order_id)  # noqa: S608 - checked
    return value


async def fulfillment_requests(conn: asyncpg.Connection,
                               order_ids: list[UUID]) -> list[asyncpg.Record]:
    """What fulfillment needs to ship each order: address, market, zone, speed, lines."""
    return list(await conn.fetch(
        """SELECT o.id, o.seller_id, o.buyer_id, o.shipping_address, o.zone, o.shipping_speed,
                  coalesce(o.market, (SELECT s.market FROM order_lines l
                                      JOIN catalog_skus s USING (sku_id)
                                      WHERE l.order_id = o.id LIMIT 1)) AS market,
                  (SELECT jsonb_agg(jsonb_build_object('sku_id', l.sku_id,
                                                       'quantity', l.quantity))
                   FROM order_lines l WHERE l.order_id = o.id) AS lines
           FROM orders o WHERE o.id = ANY($1::uuid[])""", order_ids))


async def add_return(conn: asyncpg.Connection, return_id: UUID, order_id: UUID, buyer_id: str,
                     lines: dict[str, int], reason: str) -> None:
    await conn.execute(
        """INSERT INTO returns (id, order_id, buyer_id, lines, reason, status)
           VALUES ($1, $2, $3, $4, $5, 'authorized')""",
        return_id, order_id, buyer_id, lines, reason)


async def returnable_units(conn: asyncpg.Connection, order_id: UUID) -> dict[UUID, int]:
    """Per SKU: ordered, less units already asked back, less units that never arrived (their
    parcel came back to its sender and was refunded)."""
    rows = await conn.fetch(
        """SELECT l.sku_id, l.quantity
                  - coalesce((SELECT sum((r.lines ->> l.sku_id::text)::int) FROM returns r
                              WHERE r.order_id = l.order_id), 0)
                  - coalesce((SELECT sum((f.lines ->> l.sku_id::text)::int) FROM refunds f
                              WHERE f.order_id = l.order_id AND f.reference LIKE 'rts:%'), 0)
                  AS left
           FROM order_lines l WHERE l.order_id = $1""", order_id)
    return {r["sku_id"]: max(0, int(r["left"])) for r in rows}


async def count_delivered_parcel(conn: asyncpg.Connection, order_id: UUID) -> None:
    await conn.execute("UPDATE orders SET parcels_delivered = parcels_delivered + 1 "
                       "WHERE id = $1", order_id)
