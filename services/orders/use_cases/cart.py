"""Putting a line in the cart: the SKU must be for sale, a claimed line is priced by its claim,
and the line credits only whom the platform's signed tokens name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs import attribution_tokens, claim_tokens
from libs.domain_errors import StateConflict
from libs.errors import Problem
from services.orders.adapters import repository
from services.orders.domain.attribution import check_touch, credited_by
from services.orders.domain.cart import MAX_LINES, Attribution, CartLine
from services.orders.domain.claims import check_claim


async def put_line(pool: asyncpg.Pool, secret: str, buyer_id: str, sku_id: UUID,
                   quantity: int, source: Attribution) -> list[CartLine]:
    """Adds the SKU or sets its quantity; returns the cart (three statements). A line put again
    without a token keeps the last touch it had (changing the quantity does not lose the
    credit)."""
    sku = (await repository.skus(pool, [sku_id])).get(sku_id)
    if sku is None or not sku.purchasable:
        raise StateConflict("sku_id", "This item is not for sale.", "not_purchasable")
    lines = await repository.cart(pool, buyer_id)
    earlier = next((line for line in lines if line.sku_id == sku_id), None)
    if len(lines) >= MAX_LINES and earlier is None:
        raise Problem(422, "Validation failed", f"A cart holds at most {MAX_LINES} lines.",
                      errors=[{"field": "sku_id", "message": "cart full", "code": "cart_full"}])
    now = datetime.now(UTC)
    if source.attribution_token is None and earlier is not None:
        source = replace(source, attribution_token=earlier.source.attribution_token)
    if source.attribution_token is not None:
        touch = verified_touch(secret, source.attribution_token)
        check_touch(touch, buyer_id=buyer_id, product_id=sku.product_id,
                    seller_id=sku.seller_id, now=now)
        source = credited_by(source, touch, buyer_id=buyer_id)
    price = sku.price_minor
    if source.claim_token is not None:
        grant = _verified_claim(secret, source.claim_token)
        check_claim(grant, buyer_id=buyer_id, sku_id=sku_id, quantity=quantity, now=now)
        price = grant.unit_price_minor
        source = replace(source, live_session_id=str(grant.session_id))
    stored = await repository.put_line(pool, buyer_id, CartLine(
        sku_id=sku_id, seller_id=sku.seller_id, quantity=quantity, unit_price_minor=price,
        currency=sku.currency, source=source))
    # The cart as read, with this line put in its place: no second read of the cart.
    if earlier is None:
        return [*lines, stored]
    return [stored if line.sku_id == sku_id else line for line in lines]


def verified_touch(secret: str, token: str) -> attribution_tokens.Touch:
    try:
        return attribution_tokens.verify(secret, token)
    except attribution_tokens.InvalidAttributionToken as exc:
        raise Problem(422, "Validation failed", str(exc).capitalize() + ".", errors=[
            {"field": "source.attribution_token", "message": str(exc),
             "code": "touch_invalid"}]) from exc


def _verified_claim(secret: str, token: str) -> claim_tokens.ClaimGrant:
    try:
        return claim_tokens.verify(secret, token)
    except claim_tokens.InvalidClaimToken as exc:
        raise Problem(422, "Validation failed", str(exc).capitalize() + ".", errors=[
            {"field": "source.claim_token", "message": str(exc), "code": "claim_invalid"}],
        ) from exc
