"""What catalog tells others about a SKU's availability: only when it crosses zero.

Discovery hides what cannot be bought; it needs to hear when a SKU sells out and when it is
back, not of every reservation (the hot path stays one event per decision)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from libs.events.base import Event
from libs.events.schemas import catalog as events
from services.catalog.domain.stock import Availability, StockLevel


def availability_news(changes: Iterable[Availability]) -> list[Event]:
    now = datetime.now(UTC)
    news: list[Event] = []
    for sku_id, before, after in changes:
        if after <= 0 < before:
            news.append(events.InventorySoldOut(sku_id=sku_id, sold_out_at=now))
        elif before <= 0 < after:
            news.append(events.InventoryBackInStock(sku_id=sku_id, available=after, back_at=now))
    return news


def level_changes(pairs: Iterable[tuple[StockLevel, StockLevel]]) -> list[Availability]:
    return [(after.sku_id, before.available, after.available) for before, after in pairs]
