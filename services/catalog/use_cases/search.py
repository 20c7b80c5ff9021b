"""Buyers' search over live listings: full text, filters, four orders, keyset cursors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from libs.api import field_problem
from libs.pagination import decode_cursor, encode_cursor
from services.catalog.adapters import products_repository

SortOrder = Literal["relevance", "price_asc", "price_desc", "newest"]
_CURSOR_KEY: dict[str, Callable[[Any], Any]] = {
    "relevance": float, "price_asc": int, "price_desc": int, "newest": datetime.fromisoformat}


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    category_id: UUID | None = None
    min_price: int | None = None
    max_price: int | None = None
    seller_id: UUID | None = None
    in_stock: bool = False
    market: str | None = None
    """The buyer's market: only listings sold there (a shop sells in one market)."""


def effective_order(sort: SortOrder | None, q: str | None) -> SortOrder:
    """Relevance needs words to rank by: without them it is newest first."""
    if sort is not None and (sort != "relevance" or q):
        return sort
    return "relevance" if q else "newest"


async def search_listings(pool: asyncpg.Pool, filters: SearchFilters, *,
                          sort: SortOrder | None, cursor: str | None,
                          limit: int) -> tuple[list[asyncpg.Record], str | None]:
    """One page of hits and the cursor of the next (None on the last page)."""
    q = filters.q.strip() if filters.q else None
    order = effective_order(sort, q)
    after = None
    if cursor:
        after = decode_cursor(cursor, 2)
        try:
            after = [_CURSOR_KEY[order](after[0]), UUID(after[1])]
        except (TypeError, ValueError) as exc:
            raise field_problem("query.cursor", "invalid cursor", "cursor_invalid") from exc
    rows = await products_repository.search(
        pool, q=q, category_id=filters.category_id, min_price=filters.min_price,
        max_price=filters.max_price, seller_id=filters.seller_id, in_stock=filters.in_stock,
        market=filters.market, sort=order, after=after, limit=limit + 1)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    value = {"relevance": last["rank"], "price_asc": last["min_price_minor"],
             "price_desc": last["min_price_minor"],
             "newest": last["published_at"].isoformat()}[order]
    return rows[:limit], encode_cursor(value, str(last["id"]))
