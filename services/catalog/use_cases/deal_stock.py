"""A flash deal's units in orders: an order takes them from the deal's set-aside, and a
cancelled order puts them back there (not into general stock at list price), so the running
deal can sell them again or the buyer can check the claim out once more with another card."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.catalog.adapters import deal_units_repository, stock_repository


async def take_for_order(conn: asyncpg.Connection, order_id: UUID,
                         from_deals: list[tuple[UUID, UUID, int]]) -> dict[UUID, int]:
    """Moves each flash-deal line's units from its deal's set-aside into the order (still
    reserved); returns the units moved per SKU. A set-aside already over gives nothing: the
    line is then held from general stock like any other."""
    moved: dict[UUID, int] = {}
    taken = []
    for deal_id, sku_id, quantity in from_deals:
        if await stock_repository.take_from_set_aside(conn, deal_id, sku_id, quantity):
            moved[sku_id] = moved.get(sku_id, 0) + quantity
            taken.append((deal_id, sku_id, quantity))
    if taken:
        await deal_units_repository.record(conn, order_id, taken)
    return moved


async def put_back_into_deals(conn: asyncpg.Connection, order_id: UUID) -> dict[UUID, int]:
    """The order's reservation is released: its deal units go back into their deals'
    set-asides, still reserved (returns them per SKU, which the release must not free). Units
    whose claim live already settled to stock, or whose set-aside is over, are freed with the
    rest of the order."""
    kept: dict[UUID, int] = {}
    for row in await deal_units_repository.held_by(conn, order_id):
        if row["claim_went_to_stock"] or not await deal_units_repository.put_back(
                conn, row["deal_id"], row["sku_id"], row["quantity"]):
            await deal_units_repository.mark(conn, row, released_to_stock=True)
            continue
        await deal_units_repository.mark(conn, row, back_in_set_aside=True)
        kept[row["sku_id"]] = kept.get(row["sku_id"], 0) + row["quantity"]
    return kept


async def release_settled_claim(conn: asyncpg.Connection, order_id: UUID, deal_id: UUID,
                                sku_id: UUID, quantity: int) -> bool:
    """Live settled a cancelled order's claim to stock. When the order's units are already
    back in the set-aside they are freed now; otherwise the release of the order frees them
    (see put_back_into_deals). Returns whether units were freed here."""
    row = await deal_units_repository.claim_went_to_stock(conn, order_id, deal_id, sku_id,
                                                          quantity)
    if not row["back_in_set_aside"] or row["released_to_stock"]:
        return False
    await deal_units_repository.mark(conn, row, released_to_stock=True)
    return bool(await stock_repository.release_from_set_aside(
        conn, deal_id, sku_id, row["quantity"], "flash deal claim released after the deal"))
