"""Shipping rate cards and the quote rule. Fulfillment owns the cards and publishes them
(`shipping_rates.published`); orders keeps the latest per market and quotes checkout with the same
rule, so the price a buyer pays is the price the card says.

A quote depends on the destination's zone band, the speed and the billable weight: the first rate
of that band and speed whose `up_to_grams` covers the weight. Baskets from the card's free-from
amount ship free at standard speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from libs.domain_errors import FieldError

Speed = Literal["standard", "express"]
DEFAULT_ITEM_GRAMS = 500
"""Assumed weight of an item whose listing states none (a quote must still be possible)."""


class NoRate(FieldError):
    """The card has no rate for this destination, speed or weight."""


@dataclass(frozen=True)
class RateLine:
    band: str
    speed: Speed
    up_to_grams: int
    price_minor: int


@dataclass(frozen=True)
class RateCard:
    market: str
    currency: str
    card_version: int
    zone_bands: dict[str, str]
    default_band: str
    rates: tuple[RateLine, ...]
    free_from_minor: int | None = None

    def band_of(self, zone: str) -> str:
        """The zone's band: named exactly, else by its country (`GB-*`), else the default."""
        country = zone.partition("-")[0]
        return self.zone_bands.get(zone, self.zone_bands.get(f"{country}-*",
                                                             self.default_band))


@dataclass(frozen=True)
class Quote:
    market: str
    currency: str
    zone: str
    band: str
    speed: Speed
    billable_grams: int
    price_minor: int
    card_version: int

    def as_dict(self) -> dict[str, object]:
        return {"market": self.market, "currency": self.currency, "zone": self.zone,
                "band": self.band, "speed": self.speed, "billable_grams": self.billable_grams,
                "price_minor": self.price_minor, "card_version": self.card_version}


def quote(card: RateCard, *, zone: str, speed: Speed, billable_grams: int,
          subtotal_minor: int, field: str = "shipping_speed") -> Quote:
    """What shipping costs for one parcel of `billable_grams` to `zone` at `speed`."""
    band = card.band_of(zone)
    fitting = sorted((r for r in card.rates if r.band == band and r.speed == speed),
                     key=lambda r: r.up_to_grams)
    if not fitting:
        raise NoRate(field, f"{speed} shipping is not offered to {zone}", "speed_unavailable")
    rate = next((r for r in fitting if r.up_to_grams >= billable_grams), None)
    if rate is None:
        raise NoRate("lines", f"{billable_grams} g is over the heaviest parcel the "
                     f"{card.market} rate card prices ({fitting[-1].up_to_grams} g)",
                     "too_heavy")
    free = (speed == "standard" and card.free_from_minor is not None
            and subtotal_minor >= card.free_from_minor)
    return Quote(card.market, card.currency, zone, band, speed, billable_grams,
                 0 if free else rate.price_minor, card.card_version)


# A market's opening card, before an operator publishes its own: the standard price of a small
# parcel to the market's main zones (band A) and the free-shipping threshold, per currency.
_OPENING: dict[str, tuple[int, int | None]] = {
    "GBP": (399, 3000), "EUR": (499, 3500), "USD": (599, 4000), "IDR": (1_500_000, 20_000_000),
    "MYR": (800, 15000), "PHP": (9900, 150000), "SGD": (500, 6000), "THB": (4000, 100000),
    "VND": (30000, 500000), "MXN": (9900, 80000), "BRL": (1990, 20000), "JPY": (500, 5000),
}
_REMOTE_ZONES = {"GB-SCO": "B", "GB-NIR": "B", "US-PAC": "B", "US-MT": "B", "ID-TIMUR": "B"}
_WEIGHT_STEPS = ((1000, 1.0), (5000, 2.0), (30000, 4.0))


def opening_card(market: str, currency: str) -> RateCard:
    """The card a market starts with: bands A (main zones) and B (remote zones and abroad),
    three weight steps, express at twice the standard price."""
    base, free_from = _OPENING.get(currency, (0, None))
    rates = []
    for band, band_factor in (("A", 1.0), ("B", 1.5)):
        for speed, speed_factor in (("standard", 1.0), ("express", 2.0)):
            for up_to, weight_factor in _WEIGHT_STEPS:
                rates.append(RateLine(band, speed, up_to,  # type: ignore[arg-type]
                                      round(base * band_factor * speed_factor * weight_factor)))
    bands = {code: band for code, band in _REMOTE_ZONES.items() if code.startswith(market)}
    return RateCard(market, currency, 0, {f"{market}-*": "A", **bands}, "B", tuple(rates),
                    free_from)
