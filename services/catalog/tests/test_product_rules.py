"""Product and SKU rules, the listing life cycle (domain, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from libs.domain_errors import InvalidTransition
from libs.ids import new_id
from services.catalog.domain.products import (
    PriceChange,
    Product,
    ProductChanges,
    ProductError,
    ProductStatus,
    Sku,
    new_product,
)

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def sku(code: str = "A-1", price: int = 1000, currency: str = "GBP", **kw: Any) -> Sku:
    return Sku(id=new_id(), code=code, options=kw.pop("options", {"size": code}),
               price_minor=price, currency=currency, **kw)


def product(*skus: Sku, **kw: Any) -> Product:
    values: dict[str, Any] = {
        "product_id": new_id(), "seller_id": new_id(), "shop_id": new_id(),
        "shop_currency": "GBP", "category_id": new_id(), "title": "Waxed cotton jacket",
        "description": "", "images": ["https://cdn.example/a.jpg"], "attributes": {},
        "skus": list(skus) or [sku()], "now": NOW}
    values.update(kw)
    return new_product(**values)


@pytest.mark.parametrize(("skus", "field", "code"), [
    ([sku(price=0)], "skus.0.price_minor", "price_not_positive"),
    ([sku(price=-5)], "skus.0.price_minor", "price_not_positive"),
    ([sku(currency="EUR")], "skus.0.currency", "currency_mismatch"),
    ([sku("A"), sku("A", options={"size": "L"})], "skus.1.code", "duplicate_sku_code"),
    ([sku("A", options={"s": "M"}), sku("B", options={"s": "M"})], "skus.1.options",
     "duplicate_options"),
    ([sku(price=1000, compare_at_minor=900)], "skus.0.compare_at_minor",
     "compare_at_below_price"),
])
def test_bad_skus_are_refused_naming_the_field(skus: list[Sku], field: str, code: str) -> None:
    with pytest.raises(ProductError) as err:
        product(*skus)
    assert (err.value.field, err.value.code) == (field, code)


@pytest.mark.parametrize("bad", ["http://plain.example/b.jpg", "https://cdn[.example/b.jpg",
                                 "https://cdn.example/b c.jpg", "https://cdn.example/\x00b.jpg"])
def test_images_must_be_well_formed_https_urls(bad: str) -> None:
    with pytest.raises(ProductError) as err:
        product(images=["https://ok.example/a.jpg", bad])
    assert err.value.field == "images.1"


def test_life_cycle() -> None:
    draft = product()
    assert draft.status is ProductStatus.DRAFT
    with pytest.raises(InvalidTransition):
        draft.publish(NOW)
    pending = draft.submit(NOW)
    rejected = pending.reject([{"code": "blurry_images", "detail": "x", "field": None}], NOW)
    assert rejected.status is ProductStatus.REJECTED
    again = rejected.submit(NOW)
    assert again.status is ProductStatus.PENDING_REVIEW and not again.rejection_reasons
    live = again.publish(NOW)
    with pytest.raises(InvalidTransition):
        live.submit(NOW)
    gone = live.deactivate(NOW)
    with pytest.raises(InvalidTransition):
        gone.edit(ProductChanges(title="New title"), "GBP", NOW)


def test_editing_live_text_goes_back_to_review_but_prices_do_not() -> None:
    live = product(sku("A-1", 1000)).submit(NOW).publish(NOW)
    repriced, review = live.edit(ProductChanges(prices=[PriceChange("A-1", 800)]), "GBP", NOW)
    assert not review and repriced.status is ProductStatus.LIVE
    assert repriced.skus[0].price_minor == 800 and repriced.min_price_minor == 800
    retitled, review = live.edit(ProductChanges(title="Waxed cotton jacket, olive"), "GBP", NOW)
    assert review and retitled.status is ProductStatus.PENDING_REVIEW
    _, review = live.edit(ProductChanges(title=live.title), "GBP", NOW)
    assert not review, "re-sending the same text is not a change"


def test_a_price_edit_for_an_unknown_sku_names_it() -> None:
    with pytest.raises(ProductError) as err:
        product().edit(ProductChanges(prices=[PriceChange("NOPE", 100)]), "GBP", NOW)
    assert err.value.field == "prices.0.code"
