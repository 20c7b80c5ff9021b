"""Products and their SKUs: what a seller may list, and the listing's life cycle.

draft -> pending_review -> live | rejected -> deactivated. A rejected listing may be edited and
submitted again. Editing a live listing's title, description, images or category sends it back
to review (buyers must never see unreviewed text or pictures); price and stock edits do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from libs.domain_errors import FieldError, InvalidTransition
from libs.web_urls import split_url

MAX_SKUS = 100
MAX_IMAGES = 20


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    LIVE = "live"
    REJECTED = "rejected"
    DEACTIVATED = "deactivated"


class ProductError(FieldError):
    """A listing or SKU that breaks the rules."""


@dataclass(frozen=True)
class Dimensions:
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class Sku:
    id: UUID
    code: str
    options: dict[str, str]
    price_minor: int
    currency: str
    compare_at_minor: int | None = None
    weight_grams: int | None = None
    dimensions: Dimensions | None = None


@dataclass(frozen=True)
class Product:
    id: UUID
    seller_id: UUID
    shop_id: UUID
    category_id: UUID
    title: str
    description: str
    images: tuple[str, ...]
    attributes: dict[str, Any]
    skus: tuple[Sku, ...]
    status: ProductStatus
    created_at: datetime
    updated_at: datetime
    rejection_reasons: tuple[dict[str, Any], ...] = field(default=())

    @property
    def min_price_minor(self) -> int:
        return min(s.price_minor for s in self.skus)

    def submit(self, now: datetime) -> Product:
        if self.status not in (ProductStatus.DRAFT, ProductStatus.REJECTED):
            raise InvalidTransition(f"a {self.status.value} listing cannot be submitted")
        return replace(self, status=ProductStatus.PENDING_REVIEW, rejection_reasons=(),
                       updated_at=now)

    def publish(self, now: datetime) -> Product:
        if self.status is not ProductStatus.PENDING_REVIEW:
            raise InvalidTransition(f"a {self.status.value} listing cannot be published")
        return replace(self, status=ProductStatus.LIVE, updated_at=now)

    def reject(self, reasons: list[dict[str, Any]], now: datetime) -> Product:
        if self.status is not ProductStatus.PENDING_REVIEW:
            raise InvalidTransition(f"a {self.status.value} listing cannot be rejected")
        if not reasons:
            raise ProductError("reasons", "a rejection needs at least one reason")
        return replace(self, status=ProductStatus.REJECTED, rejection_reasons=tuple(reasons),
                       updated_at=now)

    def deactivate(self, now: datetime) -> Product:
        if self.status is ProductStatus.DEACTIVATED:
            raise InvalidTransition("the listing is already deactivated")
        return replace(self, status=ProductStatus.DEACTIVATED, updated_at=now)

    def edit(self, changes: ProductChanges, shop_currency: str, now: datetime) -> tuple[Product, bool]:
        """Applies the changes; returns the product and whether it must go back to review."""
        if self.status is ProductStatus.DEACTIVATED:
            raise InvalidTransition("a deactivated listing cannot be edited")
        reviewed = {
            "title": changes.title, "description": changes.description,
            "images": tuple(changes.images) if changes.images is not None else None,
            "category_id": changes.category_id, "attributes": changes.attributes,
        }
        updates: dict[str, Any] = {k: v for k, v in reviewed.items()
                                   if v is not None and v != getattr(self, k)}
        skus = self.skus
        if changes.prices:
            by_code = {s.code: s for s in self.skus}
            for index, price in enumerate(changes.prices):
                sku = by_code.get(price.code)
                if sku is None:
                    raise ProductError(f"prices.{index}.code", f"no SKU {price.code!r} here")
                check_price(f"prices.{index}", price.price_minor, price.compare_at_minor)
                by_code[price.code] = replace(sku, price_minor=price.price_minor,
                                              compare_at_minor=price.compare_at_minor)
            skus = tuple(by_code[s.code] for s in self.skus)
        if "title" in updates:
            check_title(updates["title"])
        if "images" in updates:
            check_images(list(updates["images"]))
        edited = replace(self, **updates, skus=skus, updated_at=now)
        back_to_review = bool(updates) and self.status is ProductStatus.LIVE
        if back_to_review:
            edited = replace(edited, status=ProductStatus.PENDING_REVIEW)
        return edited, back_to_review


@dataclass(frozen=True)
class PriceChange:
    code: str
    price_minor: int
    compare_at_minor: int | None = None


@dataclass(frozen=True)
class ProductChanges:
    title: str | None = None
    description: str | None = None
    images: list[str] | None = None
    category_id: UUID | None = None
    attributes: dict[str, Any] | None = None
    prices: list[PriceChange] = field(default_factory=list)


def check_title(title: str) -> None:
    if not 3 <= len(title.strip()) <= 255:
        raise ProductError("title", "a title has 3 to 255 characters")


def check_images(images: list[str]) -> None:
    if len(images) > MAX_IMAGES:
        raise ProductError("images", f"at most {MAX_IMAGES} images")
    for index, url in enumerate(images):
        parts = split_url(url)
        if parts is None or parts.scheme != "https" or not parts.netloc:
            raise ProductError(f"images.{index}", "images are https URLs")


def check_price(where: str, price_minor: int, compare_at_minor: int | None) -> None:
    if price_minor <= 0:
        raise ProductError(f"{where}.price_minor", "a price is above zero", "price_not_positive")
    if compare_at_minor is not None and compare_at_minor < price_minor:
        raise ProductError(f"{where}.compare_at_minor",
                           "the compare-at price is not below the price", "compare_at_below_price")


def check_skus(skus: list[Sku], shop_currency: str) -> None:
    if not skus:
        raise ProductError("skus", "a product has at least one SKU")
    if len(skus) > MAX_SKUS:
        raise ProductError("skus", f"at most {MAX_SKUS} SKUs")
    seen_codes: dict[str, int] = {}
    seen_options: dict[tuple[tuple[str, str], ...], int] = {}
    for index, sku in enumerate(skus):
        where = f"skus.{index}"
        if sku.currency != shop_currency:
            raise ProductError(f"{where}.currency",
                               f"the shop sells in {shop_currency}, not {sku.currency}",
                               "currency_mismatch")
        check_price(where, sku.price_minor, sku.compare_at_minor)
        if sku.code in seen_codes:
            raise ProductError(f"{where}.code", f"SKU code {sku.code!r} is used twice",
                               "duplicate_sku_code")
        seen_codes[sku.code] = index
        options = tuple(sorted(sku.options.items()))
        if options in seen_options:
            raise ProductError(f"{where}.options", "two SKUs with the same options",
                               "duplicate_options")
        seen_options[options] = index


def new_product(
    *, product_id: UUID, seller_id: UUID, shop_id: UUID, shop_currency: str, category_id: UUID,
    title: str, description: str, images: list[str], attributes: dict[str, Any],
    skus: list[Sku], now: datetime,
) -> Product:
    check_title(title)
    check_images(images)
    check_skus(skus, shop_currency)
    return Product(
        id=product_id, seller_id=seller_id, shop_id=shop_id, category_id=category_id,
        title=title.strip(), description=description, images=tuple(images),
        attributes=attributes, skus=tuple(skus), status=ProductStatus.DRAFT, created_at=now,
        updated_at=now,
    )
