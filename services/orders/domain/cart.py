"""The buyer's cart: lines of SKUs with a price snapshot and where the buyer found them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

MAX_QUANTITY = 99
MAX_LINES = 50


@dataclass(frozen=True)
class Attribution:
    """Where the buyer met the product: credits creators and live sessions. The credits are
    taken only from the platform's signed tokens (see domain/attribution.py)."""

    creator_id: str | None = None
    video_id: str | None = None
    live_session_id: str | None = None
    claim_token: str | None = None
    attribution_token: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def credits(self) -> dict[str, str]:
        """What an order line keeps: whom it credits, not the tokens that said so."""
        return {k: v for k, v in self.as_dict().items() if not k.endswith("_token")}


@dataclass(frozen=True)
class CartLine:
    sku_id: UUID
    seller_id: UUID
    quantity: int
    unit_price_minor: int
    currency: str
    source: Attribution = field(default_factory=Attribution)
    added_at: datetime | None = None

