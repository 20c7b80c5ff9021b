"""The payment-provider port. Every call carries its own idempotency key, so a retry after a
timeout returns the first outcome instead of charging again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID


class AuthorizationOutcome(StrEnum):
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"


@dataclass(frozen=True)
class Authorization:
    payment_id: UUID
    outcome: AuthorizationOutcome


class ProviderTimeout(Exception):
    """No answer in time: the charge may or may not have happened. Retry with the same key."""


class PaymentProvider(Protocol):
    async def authorize(self, *, idempotency_key: str, amount_minor: int, currency: str,
                        card_number: str) -> Authorization: ...

    async def void(self, *, idempotency_key: str, payment_id: UUID) -> None: ...

    async def capture(self, *, idempotency_key: str, payment_id: UUID,
                      amount_minor: int) -> None: ...

    async def refund(self, *, idempotency_key: str, payment_id: UUID,
                     amount_minor: int) -> None: ...
