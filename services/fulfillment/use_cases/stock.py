"""Operators' corrections of warehouse stock: a count that differs, units found, units written
off. Changes to fulfillable units reach catalog as `stock.adjusted`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import asyncpg

from libs.domain_errors import FieldError, StateConflict
from libs.events.schemas import fulfillment as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.fulfillment.adapters import stock_repository
from services.fulfillment.domain.stock import Deltas, MovementKind

Reason = Literal["count_correction", "write_off", "found"]


async def adjust(conn: asyncpg.Connection, *, warehouse_id: UUID, sku_id: UUID, delta: int,
                 reason: Reason, from_unfulfillable: bool, actor: str) -> None:
    if delta == 0:
        raise FieldError("delta", "a change of zero units changes nothing", "zero")
    seller_id = await stock_repository.owner_of(conn, sku_id)
    if seller_id is None:
        raise StateConflict("sku_id", "this warehouse network holds no such SKU", "unknown_sku")
    kind = MovementKind.WRITE_OFF if reason == "write_off" else MovementKind.ADJUSTMENT
    deltas = Deltas(unfulfillable=delta) if from_unfulfillable else Deltas(fulfillable=delta)
    try:
        async with conn.transaction():
            await stock_repository.move(conn, warehouse_id, sku_id, seller_id, kind, deltas,
                                        f"{reason} by {actor}")
    except asyncpg.CheckViolationError:
        raise StateConflict("delta", "there are not that many units to take", "negative_stock") from None
    except asyncpg.ForeignKeyViolationError:
        raise StateConflict("warehouse_id", "no such warehouse", "unknown_warehouse") from None
    if not from_unfulfillable:
        await enqueue(conn, "fulfillment", events.StockAdjusted(
            adjustment_id=new_id(), warehouse_id=warehouse_id, sku_id=sku_id,
            seller_id=seller_id, delta=delta, reason=reason, adjusted_at=datetime.now(UTC)))
