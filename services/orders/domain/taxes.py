"""The tax of an order, line by line: the order's discount is spread over its lines first
(VAT is due on what the buyer pays), then each line is taxed at its market's rate for its
tax class, or its state's sales-tax rate in the US. Shipping is not taxed in this model."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from libs.taxes import Collector, LineTax, TaxClass, TaxKind, TaxTable, UnknownRegion, allocate
from services.orders.domain.checkout import CheckoutError


@dataclass(frozen=True)
class LineToTax:
    sku_id: UUID
    amount_minor: int
    """The line's price times its quantity, before the order's discount."""
    tax_class: TaxClass


@dataclass(frozen=True)
class TaxedLine:
    sku_id: UUID
    discount_minor: int
    tax: LineTax


@dataclass(frozen=True)
class OrderTax:
    kind: TaxKind
    collected_by: Collector
    region: str | None
    lines: tuple[TaxedLine, ...]

    @property
    def tax_minor(self) -> int:
        return sum(line.tax.tax_minor for line in self.lines)

    @property
    def added_minor(self) -> int:
        """What the buyer pays on top of the prices (US sales tax; VAT is inside them)."""
        return sum(line.tax.tax_minor for line in self.lines if not line.tax.included)

    def of(self, sku_id: UUID) -> TaxedLine:
        return next(line for line in self.lines if line.sku_id == sku_id)


def tax_order(table: TaxTable, *, market: str, region: str | None, cross_border: bool,
              lines: list[LineToTax], discount_minor: int) -> OrderTax:
    shares = allocate(discount_minor, [line.amount_minor for line in lines])
    try:
        taxed = tuple(
            TaxedLine(line.sku_id, share,
                      table.line(market, line.tax_class, region, line.amount_minor - share))
            for line, share in zip(lines, shares, strict=True))
    except UnknownRegion as exc:
        raise CheckoutError("shipping_address.region", str(exc),
                            "region_required" if region is None else "unknown_region") from exc
    return OrderTax(table.kind(market), table.collected_by(market, cross_border),
                    region if not table.prices_include_tax(market) else None, taxed)
