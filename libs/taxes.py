"""Taxes per market, from a rate table kept as data (`libs/data/tax_rates.json`), shared by
catalog (which shows buyers the tax in a price) and orders (which charges it and puts it on
every order line).

Two regimes:
- **included** (VAT or GST: the UK, the EU and the other markets but the US): the price a
  buyer sees holds the tax, at the rate of the product's tax class (standard, reduced, zero);
  the tax on a line is the part of its price the rate accounts for.
- **added** (US sales tax): prices are before tax; checkout adds the rate of the state the
  order ships to.

Amounts are integers in minor units; every division rounds half up, once per line, so the tax
of an order is the sum of its lines' and a refund of whole lines reverses exactly theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

TaxClass = Literal["standard", "reduced", "zero"]
TAX_CLASSES: tuple[TaxClass, ...] = ("standard", "reduced", "zero")
TaxKind = Literal["vat", "sales_tax"]
Collector = Literal["platform", "seller"]

_TABLE_FILE = Path(__file__).parent / "data" / "tax_rates.json"


class UnknownRegion(ValueError):
    """An added-tax market's order names no state, or one the table does not know."""


@dataclass(frozen=True)
class LineTax:
    kind: TaxKind
    rate_bps: int
    tax_minor: int
    included: bool
    """True: the tax is inside the line's amount; False: it is added on top."""


def _divide_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def included_tax(gross_minor: int, rate_bps: int) -> int:
    """The tax inside a tax-inclusive amount: gross * rate / (1 + rate)."""
    return _divide_half_up(gross_minor * rate_bps, 10_000 + rate_bps)


def added_tax(net_minor: int, rate_bps: int) -> int:
    return _divide_half_up(net_minor * rate_bps, 10_000)


def allocate(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder): the parts sum to it
    exactly (an order's discount spread over its lines before their tax is taken)."""
    whole = sum(weights)
    if whole <= 0 or total == 0:
        return [0 for _ in weights]
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


class TaxTable:
    def __init__(self, data: dict[str, Any]) -> None:
        self._included: dict[str, dict[str, int]] = data["included"]
        self._added: dict[str, dict[str, int]] = data["added"]
        self._eu = frozenset(data["eu_markets"])

    @classmethod
    def load(cls, path: Path = _TABLE_FILE) -> TaxTable:
        return cls(json.loads(path.read_text()))

    def kind(self, market: str) -> TaxKind:
        return "sales_tax" if market in self._added else "vat"

    def prices_include_tax(self, market: str) -> bool:
        return market not in self._added

    def included_rate(self, market: str, tax_class: TaxClass) -> int:
        return self._included[market][tax_class]

    def regions(self, market: str) -> frozenset[str]:
        return frozenset(self._added.get(market, {}))

    def line(self, market: str, tax_class: TaxClass, region: str | None,
             amount_minor: int) -> LineTax:
        """The tax of one line whose (discounted) amount is `amount_minor`."""
        if market in self._added:
            rates = self._added[market]
            if region is None or region not in rates:
                raise UnknownRegion(f"name the state the order ships to (one of {market}'s "
                                    f"{len(rates)})")
            rate = rates[region]
            return LineTax("sales_tax", rate, added_tax(amount_minor, rate), included=False)
        rate = self._included[market][tax_class]
        return LineTax("vat", rate, included_tax(amount_minor, rate), included=True)

    def shown(self, market: str, tax_class: TaxClass) -> dict[str, Any]:
        """What a buyer is told of the tax in a listing's price."""
        if market in self._added:
            return {"kind": "sales_tax", "included": False, "rate_bps": None,
                    "tax_class": tax_class}
        return {"kind": "vat", "included": True, "tax_class": tax_class,
                "rate_bps": self._included[market][tax_class]}

    def collected_by(self, market: str, cross_border: bool) -> Collector:
        """Who collects and remits the tax. US states' marketplace-facilitator laws make the
        platform collect every sale's sales tax; in the UK and the EU the platform is liable
        for the VAT of sellers established elsewhere (deemed supplier); otherwise the seller
        accounts for its own tax."""
        if market in self._added:
            return "platform"
        if cross_border and (market == "GB" or market in self._eu):
            return "platform"
        return "seller"


TAXES = TaxTable.load()
"""The platform's table (a test or a tool may build another from its own data)."""
