"""Markets the platform sells in, each with its one currency (ISO 3166-1 / ISO 4217)."""

from __future__ import annotations

MARKET_CURRENCIES: dict[str, str] = {
    "GB": "GBP", "US": "USD", "IE": "EUR", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR",
    "ID": "IDR", "MY": "MYR", "PH": "PHP", "SG": "SGD", "TH": "THB", "VN": "VND", "MX": "MXN",
    "BR": "BRL", "JP": "JPY",
}


def currency_of(market: str) -> str | None:
    return MARKET_CURRENCIES.get(market)


MARKET_PATTERN = "^(" + "|".join(sorted(MARKET_CURRENCIES)) + ")$"
"""A schema pattern accepting exactly the markets the platform sells in."""
