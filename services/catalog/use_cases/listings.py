"""Listing use cases: create, edit, submit (automatic moderation), decide, deactivate.

Each runs in the caller's transaction and records its events in the outbox; the buyer-facing
cache entry is evicted once the change has committed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.transaction import after_commit
from libs.domain_errors import StateConflict
from libs.errors import Problem
from libs.events.schemas import catalog as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.catalog.adapters import (
    categories_repository,
    product_cache,
    products_repository,
    sellers_repository,
    stock_repository,
)
from services.catalog.domain.categories import EffectiveRules, effective_rules
from services.catalog.domain.commands import NewProduct, NewSku
from services.catalog.domain.moderation import Listing, Outcome, Reason, moderate
from services.catalog.domain.products import (
    Dimensions,
    Product,
    ProductChanges,
    ProductError,
    Sku,
    new_product,
)

SOURCE = "catalog"
AUTO = "auto"


class NotFound(Exception):
    pass


def _to_skus(skus: list[NewSku]) -> list[Sku]:
    return [Sku(id=new_id(), code=s.code, options=s.options, price_minor=s.price_minor,
                currency=s.currency, compare_at_minor=s.compare_at_minor,
                weight_grams=s.weight_grams,
                dimensions=Dimensions(**s.dimensions.model_dump()) if s.dimensions else None)
            for s in skus]


async def create_product(conn: Any, seller_id: UUID, body: NewProduct,
                         import_key: str | None = None) -> Product:
    """Shared by the API and the bulk import."""
    seller = await sellers_repository.get(conn, seller_id)
    if seller is None:
        raise Problem(404, "Not found", "No such seller.")
    await rules_for(conn, body.category_id)
    product = new_product(
        product_id=new_id(), seller_id=seller.id, shop_id=seller.shop_id,
        shop_currency=seller.currency, category_id=body.category_id, title=body.title,
        description=body.description, images=body.images, attributes=body.attributes,
        skus=_to_skus(body.skus), now=datetime.now(UTC))
    try:
        await products_repository.add(conn, product, import_key=import_key,
                                      initial_stock={s.code: s.stock for s in body.skus})
    except products_repository.DuplicateSkuCode as exc:
        index = next(i for i, s in enumerate(body.skus) if s.code == exc.code)
        raise ProductError(f"skus.{index}.code",
                           f"SKU code {exc.code!r} is already used in this shop",
                           "duplicate_sku_code") from exc
    return product




async def rules_for(pool_or_conn: Any, category_id: UUID) -> EffectiveRules:
    category = await categories_repository.get(pool_or_conn, category_id)
    if category is None:
        raise StateConflict("category_id", "no such category", "unknown_category")
    return effective_rules(category, await categories_repository.ancestors(pool_or_conn, category))


def _published_skus(product: Product,
                    available: dict[UUID, int] | None = None) -> list[events.PublishedSku]:
    return [events.PublishedSku(sku_id=s.id, code=s.code, price_minor=s.price_minor,
                                currency=s.currency, weight_grams=s.weight_grams,
                                available=(available or {}).get(s.id))
            for s in product.skus]


async def _publish(conn: asyncpg.Connection, product: Product, decided_by: str,
                   now: datetime) -> Product:
    live = product.publish(now)
    await products_repository.save(conn, live, published_now=True)
    seller = await sellers_repository.get(conn, product.seller_id)
    assert seller is not None
    rules = await rules_for(conn, product.category_id)
    await enqueue(conn, SOURCE, events.ProductPublished(
        product_id=live.id, seller_id=live.seller_id, shop_id=live.shop_id,
        category_id=live.category_id, age_restricted=rules.age_restricted, market=seller.market,
        skus=_published_skus(live, await stock_repository.available_of(
            conn, [s.id for s in live.skus])),
        decided_by=decided_by, published_at=now,
        tax_class=rules.tax_class, cross_border=seller.tier.value == "cross_border",
        title=live.title))
    return live


async def _reject(conn: asyncpg.Connection, product: Product, reasons: list[dict[str, Any]],
                  decided_by: str, now: datetime) -> Product:
    rejected = product.reject(reasons, now)
    await products_repository.save(conn, rejected)
    await enqueue(conn, SOURCE, events.ProductRejected(
        product_id=rejected.id, seller_id=rejected.seller_id,
        reasons=[events.ModerationReason(**r) for r in reasons], decided_by=decided_by,
        rejected_at=now))
    return rejected


async def require_selling(conn: Any, seller_id: UUID, action: str) -> None:
    """Only a verified seller publishes: a pending or suspended one is refused on every path
    that could put a listing in front of buyers (submission, an edit that goes back through
    moderation, a bulk import that submits)."""
    seller = await sellers_repository.get(conn, seller_id)
    if seller is None or not seller.can_sell:
        status = seller.status.value.replace("_", " ") if seller else "unknown"
        raise Problem(403, "Forbidden", f"A seller {status} cannot {action}.",
                      errors=[{"field": "seller_id", "message": f"seller is {status}",
                               "code": "seller_not_selling"}])


async def submit(conn: asyncpg.Connection,
                 product: Product) -> tuple[Product, Outcome, list[Reason]]:
    """Sends a draft or rejected listing to review and runs the automatic checks on it."""
    await require_selling(conn, product.seller_id, "submit listings")
    pending = product.submit(datetime.now(UTC))
    await products_repository.save(conn, pending)
    return await _moderate(conn, pending)


async def _moderate(conn: asyncpg.Connection,
                    pending: Product) -> tuple[Product, Outcome, list[Reason]]:
    """Applies the automatic checks' verdict to a listing pending review."""
    now = datetime.now(UTC)
    seller = await sellers_repository.get(conn, pending.seller_id)
    assert seller is not None
    verdict = moderate(
        Listing(title=pending.title, description=pending.description,
                attributes=pending.attributes, prices_minor=[s.price_minor for s in pending.skus],
                market=seller.market),
        await rules_for(conn, pending.category_id),
        category_median_minor=await products_repository.category_median_price(
            conn, pending.category_id, seller.currency),
        sellers_other_titles=await products_repository.sellers_other_titles(
            conn, pending.seller_id, pending.id),
    )
    reasons = [r.as_dict() for r in verdict.reasons]
    await enqueue(conn, SOURCE, events.ProductSubmitted(
        product_id=pending.id, seller_id=pending.seller_id, outcome=verdict.outcome.value,
        reasons=[events.ModerationReason(**r) for r in reasons], submitted_at=now))
    await products_repository.record_decision(conn, pending.id, verdict.outcome.value, reasons,
                                              AUTO)
    result = pending
    if verdict.outcome is Outcome.AUTO_APPROVED:
        result = await _publish(conn, pending, AUTO, now)
    elif verdict.outcome is Outcome.AUTO_REJECTED:
        result = await _reject(conn, pending, reasons, AUTO, now)
    after_commit(lambda: product_cache.evict(pending.id))
    return result, verdict.outcome, verdict.reasons


async def operator_decision(conn: asyncpg.Connection, product_id: UUID, *, approve: bool,
                            reasons: list[dict[str, Any]], operator: str) -> Product:
    product = await products_repository.get(conn, product_id, for_update=True)
    if product is None:
        raise NotFound(str(product_id))
    now = datetime.now(UTC)
    if approve:
        decided = await _publish(conn, product, operator, now)
    else:
        decided = await _reject(conn, product, reasons, operator, now)
    await products_repository.record_decision(
        conn, product_id, "approved" if approve else "rejected", reasons, operator)
    after_commit(lambda: product_cache.evict(product_id))
    return decided


async def edit(conn: asyncpg.Connection, product: Product, changes: ProductChanges,
               shop_currency: str) -> tuple[Product, bool]:
    if changes.category_id is not None and changes.category_id != product.category_id:
        await rules_for(conn, changes.category_id)  # must exist
    edited, back_to_review = product.edit(changes, shop_currency, datetime.now(UTC))
    if back_to_review or product.status.value == "live":
        await require_selling(conn, product.seller_id, "change a listing buyers can see")
    await products_repository.save(conn, edited)
    if back_to_review:
        # Unreviewed text never reaches buyers: the listing leaves search until re-approved.
        edited, _, _ = await _moderate(conn, edited)
    elif product.status.value == "live" and changes.prices:
        await enqueue(conn, SOURCE, events.ProductUpdated(
            product_id=edited.id, seller_id=edited.seller_id, skus=_published_skus(edited),
            updated_at=edited.updated_at))
    after_commit(lambda: product_cache.evict(product.id))
    return edited, back_to_review


async def deactivate(conn: asyncpg.Connection, product: Product) -> Product:
    now = datetime.now(UTC)
    gone = product.deactivate(now)
    await products_repository.save(conn, gone)
    await enqueue(conn, SOURCE, events.ProductDeactivated(
        product_id=gone.id, seller_id=gone.seller_id, deactivated_at=now))
    after_commit(lambda: product_cache.evict(product.id))
    return gone
