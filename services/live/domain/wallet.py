"""Gift tokens: what a gift costs and how its tokens are split, as balanced ledger entries."""

from __future__ import annotations

from dataclasses import dataclass

from libs.domain_errors import FieldError

PLATFORM_GIFT_REVENUE = "platform:gift_revenue"
TOKENS_SOLD = "platform:tokens_sold"


class WalletError(FieldError):
    """A gift the wallet cannot pay for."""


def wallet_account(buyer_id: str) -> str:
    return f"wallet:{buyer_id}"


def host_account(host_id: str) -> str:
    return f"host:{host_id}"


@dataclass(frozen=True)
class Entry:
    account: str
    tokens: int


def top_up_entries(buyer_id: str, tokens: int) -> list[Entry]:
    return [Entry(wallet_account(buyer_id), tokens), Entry(TOKENS_SOLD, -tokens)]


def gift_entries(buyer_id: str, host_id: str, tokens: int, host_share_percent: int) -> list[Entry]:
    """The buyer pays `tokens`; the host gets their share (rounded down), the platform the rest.
    Entries sum to zero."""
    if tokens <= 0:
        raise WalletError("quantity", "must be at least 1", "out_of_range")
    host_share = tokens * host_share_percent // 100
    return [Entry(wallet_account(buyer_id), -tokens), Entry(host_account(host_id), host_share),
            Entry(PLATFORM_GIFT_REVENUE, tokens - host_share)]
