"""What orders knows of catalog's listings, kept from catalog's events: enough to price a cart
and apply the age rules without asking catalog (which stays the authority on stock)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class SkuView:
    sku_id: UUID
    product_id: UUID
    seller_id: UUID
    price_minor: int
    currency: str
    market: str
    age_restricted: bool
    product_live: bool
    seller_active: bool
    weight_grams: int | None = None
    """As the listing states it; a shipping quote assumes a default when it states none."""
    tax_class: str = "standard"
    cross_border: bool = False

    @property
    def purchasable(self) -> bool:
        return self.product_live and self.seller_active
